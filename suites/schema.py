"""Typed models for the suite files, in the spirit of MTEB's TaskMetadata: a typo is an error, not a default."""

from __future__ import annotations

import difflib
import importlib
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

TaskType = Literal[
    "sequence_classification",
    "multilabel_classification",
    "sequence_regression",
    "token_classification",
    "token_regression",
    "pair_classification",
    "pair_regression",
]
CLASSIFICATION_TYPES = {"sequence_classification", "multilabel_classification", "token_classification",
                        "pair_classification"}
TOKEN_TYPES = {"token_classification", "token_regression"}
PAIR_TYPES = {"pair_classification", "pair_regression"}
SEQUENCE_TYPES = {"sequence_classification", "multilabel_classification", "sequence_regression"}
SPLITS = ("train", "validation", "test")
EXTRA_TEST_SPLIT = re.compile(r"test_[a-z0-9_]+")
"""Further test sets (BEACON's RFAM19, DIRECT, APA held-outs): scored after training like `test`, reported apart."""


def check_split_names(names: list[str] | set[str], where: str) -> None:
    unknown = sorted(n for n in names if n not in SPLITS and not EXTRA_TEST_SPLIT.fullmatch(n))
    if unknown:
        raise ValueError(f"{where}: unknown split(s) {unknown}; expected {SPLITS} or extra test splits "
                         "named test_<name> (lower case)")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CarveSpec(_Strict):
    """A validation split carved from train by the builder when upstream has none (recorded in the card)."""

    fraction: float = Field(gt=0, lt=1)
    seed: int = 42


DOWNLOAD_FIELDS = {"hub_archive": ("repo", "path"), "hub_files": ("repo", "patterns"), "http_archive": ("url",),
                   "gdrive_archive": ("file_id",), "gdrive_folder": ("folder_id",)}


class DownloadSource(_Strict):
    """One place a suite's raw release can be downloaded from, with the library that fetches it: huggingface_hub
    for Hub repos (an archive, or files by pattern), pooch for HTTP archives (retries, hash check), gdown for a
    Google Drive file or a shared Drive folder."""

    name: str = Field(pattern=r"^[a-z0-9_-]+$", description="What `gfmbench build --source` calls it.")
    kind: Literal["hub_archive", "hub_files", "http_archive", "gdrive_archive", "gdrive_folder"]
    official: bool = Field(description="Published by the benchmark's authors; false: a mirror or a cache.")
    description: str = Field(description="Who publishes it and where that is stated.")
    repo: str | None = Field(None, description="hub_*: the Hub repo.")
    repo_type: Literal["dataset", "model", "space"] = "dataset"
    revision: str | None = Field(None, description="hub_*: the commit the builder was written for.")
    path: str | None = Field(None, description="hub_archive: the archive's path inside the repo.")
    patterns: list[str] = Field(default_factory=list, description=(
        "hub_files: glob patterns of the release files; a pattern with `{name}` is expanded per selected task (each "
        "task's first upstream name), so only those tasks' files are fetched."))
    url: str | None = Field(None, description="http_archive: the archive URL; with `{name}`, one archive per task "
                                              "(each task's first upstream name).")
    file_id: str | None = Field(None, description="gdrive_archive: the Google Drive file id.")
    folder_id: str | None = Field(None, description="gdrive_folder: the id of a shared Google Drive folder.")
    sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$", description="The archive's digest, where known.")

    def location(self) -> str:
        """Where the source is, in one line (what `gfmbench sources` lists)."""
        if self.kind == "gdrive_archive":
            return f"https://drive.google.com/file/d/{self.file_id}"
        if self.kind == "gdrive_folder":
            return f"https://drive.google.com/drive/folders/{self.folder_id}"
        if self.kind == "http_archive":
            return self.url or ""
        return f"{self.repo_type}:{self.repo}@{self.revision or 'main'} {self.path or ' '.join(self.patterns)}"

    @model_validator(mode="after")
    def _fields_of_its_kind(self) -> DownloadSource:
        missing = [f for f in DOWNLOAD_FIELDS[self.kind] if not getattr(self, f)]
        if missing:
            raise ValueError(f"source {self.name!r}: a {self.kind} source needs {', '.join(missing)}")
        if self.sha256 and self.url and "{name}" in self.url:
            raise ValueError(f"source {self.name!r}: one sha256 cannot check one archive per task")
        return self


class UpstreamSpec(_Strict):
    """Where the raw release comes from and how it is laid out."""

    folder: str = Field(description="Folder name of this suite under GFMBENCH_RAW_DIR (e.g. 'RGB').")
    sources: list[DownloadSource] = Field(default_factory=list, description=(
        "Where the release can be downloaded, the default first (the official one where there is one)."))
    split_files: dict[str, str] = Field(description="Canonical split name -> file name inside a task folder.")
    carve_validation: CarveSpec | None = None
    notes: str = ""

    @model_validator(mode="after")
    def _known_splits(self) -> UpstreamSpec:
        check_split_names(set(self.split_files), "split_files")
        return self

    @model_validator(mode="after")
    def _sources_named_once(self) -> UpstreamSpec:
        names = [s.name for s in self.sources]
        if len(set(names)) != len(names):
            raise ValueError(f"upstream.sources: names must be unique, got {names}")
        return self

    def download_source(self, name: str | None = None) -> DownloadSource | None:
        """The named source, or the default (the first); None when the suite declares none."""
        if name is None:
            return self.sources[0] if self.sources else None
        for source in self.sources:
            if source.name == name:
                return source
        from gfmbench.errors import ConfigError

        known = ", ".join(s.name for s in self.sources) or "none"
        raise ConfigError(f"no download source {name!r} (this suite declares: {known})")


class TrainingDefaults(_Strict):
    """Fine-tuning defaults of the reference setup; CLI flags override them."""

    epochs: int = Field(10, gt=0)
    batch_size: int = Field(8, gt=0)
    learning_rate: float = Field(2e-5, gt=0)
    weight_decay: float = Field(0.0, ge=0)
    patience: int = Field(3, ge=1, description="Evaluations without improvement before early stopping.")
    warmup_ratio: float = Field(0.0, ge=0, lt=1, description="Fraction of optimizer steps warming the rate up.")
    validation_fraction: float = Field(0.1, gt=0, lt=1, description="Carved from train when there is no validation.")


class ZeroShotSpec(_Strict):
    """How a task is scored without training, from a language model's per-nucleotide likelihoods."""

    score: Literal["mutated_position", "repaired_base"] = Field(description=(
        "mutated_position: P(mutated) = 1 - P(observed base | context) at every nucleotide (binary token task); "
        "repaired_base: the most likely base other than the observed one (token task whose labels are bases)."))
    description: str = ""


class TaskSpec(_Strict):
    config: str = Field(description="Config name in the dataset repo; the canonical task name.")
    upstream_names: list[str] = Field(min_length=1, description="Upstream task names (aliases); the first is "
                                      "the task's folder in the upstream release.")
    description: str
    type: TaskType
    alphabet: Literal["DNA", "RNA"]
    extra_symbols: str = Field("", description="Symbols accepted in sequences beyond the alphabet and the IUPAC "
                                               "ambiguity codes (e.g. modified bases in bpRNA).")
    labels: list[str] | None = Field(None, description="Class names, in class-id order (classification).")
    symbol_aliases: dict[str, str] = Field(default_factory=dict, description="Raw label symbol -> class name, for "
                                           "symbols that upstream uses as synonyms (e.g. pseudoknot brackets).")
    targets: list[str] | None = Field(None, description="Regression target names, one column each.")
    class_weights: list[float] | None = None
    format: str = Field(description="Name of the reader for the upstream record format (see gfmbench.loaders).")
    format_options: dict[str, Any] = Field(default_factory=dict, description="Options of the reader (column "
                                           "positions, map folder, split codes), as documented by the format.")
    split_files: dict[str, list[str]] = Field(default_factory=dict, description="Split -> candidate paths inside "
                                              "the task folder, first existing wins; overrides the suite's names.")
    splits: list[str] = Field(min_length=1, description="train, validation, test, and extra test splits test_<name>.")
    pair_input: str | None = Field(None, description="Column of a second sequence read with the first as a "
                                   "sequence pair (e.g. CRISPR off-target: sgRNA and target DNA).")
    metrics: list[str] = Field(min_length=1)
    primary_metric: str
    direction: Literal["higher", "lower"]
    max_length: int = Field(gt=0, description="Max sequence length of the reference setup, in nucleotides.")
    source: str = Field("", description="Where the task's data originally comes from.")
    citation: str = Field("", description="BibTeX of the task's original data, beside the suite's citation.")
    license: str | None = Field(None, description="Overrides the suite license for this task.")
    carve_validation: CarveSpec | None = Field(None, description=(
        "Overrides the suite's `upstream.carve_validation` for this task (its upstream has no validation file)."))
    training: TrainingDefaults | None = Field(None, description="Overrides the suite's training defaults.")
    zeroshot: ZeroShotSpec | None = Field(None, description="The task's zero-shot definition; none: the zeroshot "
                                          "regime skips the task.")

    @model_validator(mode="after")
    def _consistent(self) -> TaskSpec:
        if not re.fullmatch(r"[A-Za-z0-9_]+", self.config):
            raise ValueError(f"config {self.config!r}: use letters, digits and '_' only")
        check_split_names(self.splits, self.config)
        check_split_names(set(self.split_files), f"{self.config}.split_files")
        if self.type == "pair_classification" and len(self.labels or []) != 2:
            raise ValueError(f"{self.config}: a pair_classification task is a binary map: give two labels "
                             "(no pair, pair)")
        if self.pair_input is not None and self.type not in SEQUENCE_TYPES:
            raise ValueError(f"{self.config}: pair_input is for sequence-level tasks")
        self._check_metrics()
        # Multi-label and multi-output regression tasks may leave the names out: their count then comes from the
        # data (one vector per example), as for PGB's chromatin accessibility and gene expression.
        if self.type in CLASSIFICATION_TYPES:
            if self.labels is None and self.type == "multilabel_classification":
                pass
            elif not self.labels or len(set(self.labels)) != len(self.labels):
                raise ValueError(f"{self.config}: a {self.type} task needs distinct `labels`")
            if self.targets:
                raise ValueError(f"{self.config}: `targets` is for regression tasks")
            bad = {v for v in self.symbol_aliases.values() if v not in (self.labels or [])}
            if bad:
                raise ValueError(f"{self.config}: symbol_aliases map to unknown labels {sorted(bad)}")
        else:
            if self.targets is None and self.type == "sequence_regression":
                pass
            elif not self.targets or len(set(self.targets)) != len(self.targets):
                raise ValueError(f"{self.config}: a {self.type} task needs distinct `targets`")
            if self.labels:
                raise ValueError(f"{self.config}: `labels` is for classification tasks")
        if self.zeroshot is not None:
            if self.type != "token_classification":
                raise ValueError(f"{self.config}: zero-shot scores are defined for token_classification tasks only")
            if self.zeroshot.score == "mutated_position" and len(self.labels or []) != 2:
                raise ValueError(f"{self.config}: mutated_position needs two labels (not mutated, mutated)")
            if self.zeroshot.score == "repaired_base" and not set(self.labels or []) <= set("ACGTU"):
                raise ValueError(f"{self.config}: repaired_base needs labels that are bases, got {self.labels}")
        if self.class_weights is not None and len(self.class_weights) != len(self.labels or []):
            raise ValueError(f"{self.config}: class_weights needs one weight per label")
        return self

    def _check_metrics(self) -> None:
        """Every metric is one the harness can compute, and `direction` is the primary metric's own: a typo would
        otherwise surface after training, and a wrong direction would rank models upside down."""
        from gfmbench.metrics.catalog import CATALOG

        for name in self.metrics:
            if name not in CATALOG:
                close = difflib.get_close_matches(name, list(CATALOG), n=3, cutoff=0.5)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                raise ValueError(f"{self.config}: unknown metric {name!r}{hint}; the metrics are those of "
                                 "gfmbench.metrics.catalog")
        if self.primary_metric not in self.metrics:
            raise ValueError(f"{self.config}: primary_metric {self.primary_metric!r} is not in metrics {self.metrics}")
        expected = CATALOG[self.primary_metric].direction
        if self.direction != expected:
            raise ValueError(f"{self.config}: direction {self.direction!r} contradicts the primary metric "
                             f"{self.primary_metric!r}, for which {expected} is better")

    @property
    def names(self) -> set[str]:
        """Every name the task answers to: its config and its upstream aliases."""
        return {self.config, *self.upstream_names}

    @property
    def is_token_level(self) -> bool:
        return self.type in TOKEN_TYPES

    @property
    def is_pair_level(self) -> bool:
        return self.type in PAIR_TYPES

    @property
    def extra_test_splits(self) -> list[str]:
        return [s for s in self.splits if EXTRA_TEST_SPLIT.fullmatch(s)]


class SuiteSpec(_Strict):
    name: str = Field(pattern=r"^[a-z0-9_]+$")
    pretty_name: str
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    dataset_repo: str = Field(pattern=r"^[A-Za-z0-9._-]+/[A-Za-z0-9._-]+$")
    builder: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$", description=(
        "Module whose `SOURCE` (a gfmbench.loaders.sources.Source) reads the upstream release; every task's "
        "`format` must be one of its formats."))
    license: str
    license_notice: str = Field("", description="Terms users must see first (shown at the top of the card).")
    homepage: str
    description: str
    citation: str
    upstream: UpstreamSpec
    training: TrainingDefaults = Field(default_factory=TrainingDefaults)
    tasks: list[TaskSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> SuiteSpec:
        seen: dict[str, str] = {}
        for task in self.tasks:
            for name in [task.config, *task.upstream_names]:
                if name in seen and seen[name] != task.config:
                    raise ValueError(f"name {name!r} is used by both {seen[name]} and {task.config}")
                seen[name] = task.config
            named = set(self.upstream.split_files) | set(task.split_files)
            if not set(task.splits) <= named:
                raise ValueError(f"{task.config}: splits {sorted(set(task.splits) - named)} have no file names "
                                 "(upstream.split_files or the task's split_files)")
        return self

    @model_validator(mode="after")
    def _formats_of_the_builder(self) -> SuiteSpec:
        """Each task's `format` is one its builder reads: checked when the suite loads, not when a build fails."""
        known = self.source().format_names
        for i, task in enumerate(self.tasks):
            if task.format not in known:
                close = difflib.get_close_matches(task.format, sorted(known), n=3, cutoff=0.5)
                hint = f"did you mean {', '.join(close)}? " if close else ""
                raise ValueError(f"tasks.{i}.format: {task.config}: {self.builder} reads no format "
                                 f"{task.format!r} ({hint}its formats: {', '.join(sorted(known))})")
        return self

    def source(self) -> Any:
        """The builder's `Source` (gfmbench.loaders.sources), imported from the module the suite file names."""
        try:
            module = importlib.import_module(self.builder)
        except ModuleNotFoundError as exc:
            raise ValueError(f"builder {self.builder!r}: no such module ({exc})") from None
        source = getattr(module, "SOURCE", None)
        if source is None or not hasattr(source, "format_names"):
            raise ValueError(f"builder {self.builder!r}: the module has no SOURCE (a gfmbench.loaders.sources.Source)")
        return source

    @property
    def tag(self) -> str:
        """The release tag of the dataset repo for this suite version."""
        return f"v{self.version}"

    def training_for(self, task: TaskSpec) -> TrainingDefaults:
        return task.training or self.training

    def find_task(self, name: str) -> TaskSpec | None:
        """The task whose config or upstream alias is `name`; None when the suite has none."""
        return next((task for task in self.tasks if name in task.names), None)

    def task(self, name: str) -> TaskSpec:
        """The task named `name` (config or alias); unknown names fail with the closest ones."""
        task = self.find_task(name)
        if task is not None:
            return task
        from gfmbench.errors import UnknownNameError

        raise UnknownNameError(f"{self.name} config", name, [n for t in self.tasks for n in t.names])
