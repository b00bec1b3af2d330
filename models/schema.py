"""The typed model of `families.yaml`: a family (architecture, tokenizer, license, how to load it) and its
published checkpoints (Hub id, revision where a source states one, size, context). Unknown keys are errors, so a
typo fails when the registry loads."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelDefaults(_Strict):
    """Fine-tuning settings a family's authors recommend; a run's flags override them, and they override the
    suite's. Only what a source states is filled in."""

    learning_rate: float | None = Field(default=None, gt=0)
    batch_size: int | None = Field(default=None, ge=1)
    max_length: int | None = Field(default=None, ge=1, description="nucleotides")
    pooling: Literal["mean", "cls", "last"] | None = None


class Checkpoint(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", description="the registry name, `gfmbench run --model`")
    hub_id: str = Field(pattern=r"^[\w.-]+/[\w.-]+$")
    revision: str | None = Field(default=None, pattern=r"^[0-9a-f]{40}$",
                                 description="a commit, only where a source states it")
    n_parameters: int | None = Field(default=None, ge=1, description="as the checkpoint's name or card states")
    max_context: int | None = Field(default=None, ge=1, description="tokens the checkpoint accepts")
    k: int | None = Field(default=None, ge=2, description="k of a k-mer tokenizer, where checkpoints differ")
    note: str = ""


class ModelFamily(_Strict):
    family: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    display_name: str
    architecture: str = Field(description="the transformers model type or remote-code architecture")
    tokenizer: Literal["single_nt", "kmer", "overlapping_kmer", "bpe", "byte"]
    k: int | None = Field(default=None, ge=2, description="k of k-mer tokenizers")
    alphabet: Literal["DNA", "RNA"]
    license: str | None = Field(description="SPDX-style id of the weights' license; null where no source states one")
    remote_code: bool = Field(description="the Hub repo ships its own modelling code (--trust-remote-code)")
    plugin_import: str | None = Field(default=None, description="package that registers the model type")
    requires: list[str] = Field(default_factory=list, description="import names its code needs (e.g. mamba_ssm)")
    causal: bool = False
    defaults: ModelDefaults = Field(default_factory=ModelDefaults)
    paper: str = Field(description="where the family is described (arXiv / DOI URL)")
    citation: str = Field(description="short citation: authors, title, venue, year")
    checkpoints: list[Checkpoint] = Field(min_length=1)

    @model_validator(mode="after")
    def _kmer_has_k(self) -> ModelFamily:
        if self.tokenizer in ("kmer", "overlapping_kmer"):
            for checkpoint in self.checkpoints:
                if (checkpoint.k or self.k) is None:
                    raise ValueError(f"{self.family}/{checkpoint.name}: a {self.tokenizer} tokenizer needs k")
        return self


class ModelRegistry(_Strict):
    families: list[ModelFamily] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> ModelRegistry:
        seen: set[str] = set()
        for family in self.families:
            for checkpoint in family.checkpoints:
                if checkpoint.name in seen:
                    raise ValueError(f"checkpoint name {checkpoint.name!r} is used twice")
                seen.add(checkpoint.name)
        return self
