"""Model resolution (Hub id at a pinned revision, or a local folder) and task heads.

Hub models are fetched with `snapshot_download`; the exact commit sha is recorded and transformers loads from the
snapshot folder. Code shipped with a model is only executed with an explicit `trust_remote_code=True`.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gfmbench.errors import GfmbenchError

log = logging.getLogger(__name__)


class ModelError(GfmbenchError):
    """A model that cannot be resolved, loaded or used for a task."""


@dataclass(frozen=True)
class ResolvedModel:
    model_id: str  # the Hub id, or the local folder as given
    revision: str | None  # as requested
    sha: str  # the exact commit (Hub) or a content digest (local folder)
    path: Path
    content_id: str = ""  # digest of the files that define the model (not its card or eval results)

    @property
    def short(self) -> str:
        return f"{self.model_id}@{self.sha[:12]}"


def parse_model_spec(spec: str) -> tuple[str, str | None]:
    """`org/name@rev` -> (`org/name`, `rev`); a path stays whole."""
    if "@" in spec and not Path(spec).exists():
        name, revision = spec.rsplit("@", 1)
        return name, revision or None
    return spec, None


NOT_MODEL_FILES = ("README.md", ".gitattributes", ".eval_results/")


def content_id(path: Path) -> str:
    """Digest of the files that make the model (weights, config, tokenizer), leaving out its card and
    `.eval_results/`: publishing results to a model repo makes a new commit but not a new model, so finished
    units stay reusable. Files in the Hub cache are links to blobs named by their hash, which is used as is."""
    import hashlib

    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        rel = file.relative_to(path).as_posix()
        if rel in NOT_MODEL_FILES or any(rel.startswith(prefix) for prefix in NOT_MODEL_FILES if prefix.endswith("/")):
            continue
        blob = Path(os.readlink(file)).name if file.is_symlink() else hashlib.sha256(file.read_bytes()).hexdigest()
        digest.update(f"{rel}\0{blob}\n".encode())
    return digest.hexdigest()


def resolve_model(spec: str, revision: str | None = None) -> ResolvedModel:
    name, pinned = parse_model_spec(spec)
    revision = revision or pinned
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelError(f"{path}: not a transformers model folder (no config.json)")
        digest = content_id(path)
        return ResolvedModel(model_id=str(path), revision=None, sha=digest, path=path.resolve(), content_id=digest)
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

    try:
        local = Path(snapshot_download(name, revision=revision, repo_type="model"))
    except RevisionNotFoundError:
        raise ModelError(f"model {name!r} has no revision {revision!r}") from None
    except RepositoryNotFoundError:
        if revision not in (None, "main") and _exists_at_main(name):  # some servers answer 404 for either case
            raise ModelError(f"model {name!r} has no revision {revision!r}") from None
        raise ModelError(f"model {name!r} not found on the hub (or no access); check the id and HF_ENDPOINT") from None
    except (HfHubHTTPError, OSError, ValueError) as exc:
        raise ModelError(f"model {name}@{revision or 'main'} could not be fetched: {exc}") from None
    # snapshot_download returns <cache>/snapshots/<commit sha>: the exact revision that was fetched.
    return ResolvedModel(model_id=name, revision=revision, sha=local.name, path=local, content_id=content_id(local))


def _exists_at_main(name: str) -> bool:
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    try:
        HfApi().model_info(name, revision="main")
        return True
    except (HfHubHTTPError, OSError, ValueError):
        return False


def needs_remote_code(path: Path) -> bool:
    config = json.loads((path / "config.json").read_text())
    tokenizer_config = path / "tokenizer_config.json"
    tok = json.loads(tokenizer_config.read_text()) if tokenizer_config.is_file() else {}
    return bool(config.get("auto_map") or tok.get("auto_map"))


def check_remote_code(model: ResolvedModel, trust_remote_code: bool) -> None:
    if needs_remote_code(model.path) and not trust_remote_code:
        raise ModelError(
            f"{model.model_id} ships its own modelling code (auto_map in its config); gfmbench runs it only with "
            "--trust-remote-code. Read the code at that revision first."
        )


def load_tokenizer(model: ResolvedModel, trust_remote_code: bool = False) -> Any:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model.path, trust_remote_code=trust_remote_code)
    if not getattr(tokenizer, "is_fast", False):
        raise ModelError(f"{model.model_id}: a fast tokenizer (with offset mappings) is needed for alignment")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    return tokenizer


def max_positions(model: ResolvedModel, trust_remote_code: bool = False) -> int:
    """The longest input (in tokens) the architecture accepts; very large when it has no limit."""
    from transformers import AutoConfig

    try:
        config = AutoConfig.from_pretrained(model.path, trust_remote_code=trust_remote_code)
    except (ValueError, KeyError, OSError) as exc:
        raise ModelError(f"{model.model_id}: cannot serve any task: transformers cannot read its config "
                         f"({str(exc).splitlines()[0]})") from None
    return getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", None) or 10**9


PAIR_TYPES = {"pair_classification", "pair_regression"}
PAIR_RANK = 64

HEAD_CLASSES = {
    "sequence_classification": "AutoModelForSequenceClassification",
    "multilabel_classification": "AutoModelForSequenceClassification",
    "sequence_regression": "AutoModelForSequenceClassification",
    "token_classification": "AutoModelForTokenClassification",
    "token_regression": "AutoModelForTokenClassification",  # a linear layer per token: k outputs, MSE loss
}


def load_model_for_task(model: ResolvedModel, task_type: str, num_outputs: int, pad_token_id: int | None,
                        trust_remote_code: bool = False, id2label: dict[int, str] | None = None) -> tuple[Any, str]:
    """The backbone with the head for `task_type`; returns (model, head description).

    The `AutoModelFor...` class of the architecture is used; the harness computes the loss itself, so the same
    head serves classification (CE), multi-label (BCE) and regression (MSE)."""
    import transformers

    if task_type in PAIR_TYPES:
        verbosity = transformers.logging.get_verbosity()
        transformers.logging.set_verbosity_error()  # the backbone's unused LM-head weights are expected here
        try:
            loaded = pair_head(model, num_outputs, trust_remote_code)
        finally:
            transformers.logging.set_verbosity(verbosity)
        config = loaded.config
        if pad_token_id is not None and getattr(config, "pad_token_id", None) is None:
            config.pad_token_id = pad_token_id
        return loaded, (f"{type(loaded.backbone).__name__} + symmetric bilinear pair head over token embeddings "
                        f"(rank {loaded.rank}; one {'logit' if task_type == 'pair_classification' else 'value'} "
                        "per nucleotide pair via the covering tokens)")
    auto = getattr(transformers, HEAD_CLASSES[task_type])
    kwargs: dict[str, Any] = {"num_labels": num_outputs, "trust_remote_code": trust_remote_code}
    if id2label:
        kwargs["id2label"] = id2label
        kwargs["label2id"] = {v: k for k, v in id2label.items()}
    verbosity = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()  # the new head's "newly initialized" report is expected here
    try:
        try:
            loaded = auto.from_pretrained(model.path, **kwargs)
            description = f"{type(loaded).__name__} ({num_outputs} outputs)"
        except (ValueError, KeyError) as exc:
            if "Unrecognized configuration class" not in str(exc):
                raise ModelError(f"{model.model_id}: cannot serve a {task_type} task: "
                                 f"{str(exc).splitlines()[0]}") from None
            loaded = hidden_state_head(model, task_type, num_outputs, trust_remote_code)
            description = (f"{type(loaded.backbone).__name__} + linear head over "
                           f"{'each token' if task_type.startswith('token') else 'mean-pooled tokens'} "
                           f"({num_outputs} outputs; the architecture has no {HEAD_CLASSES[task_type]})")
    finally:
        transformers.logging.set_verbosity(verbosity)
    config = getattr(loaded, "config", None)
    if pad_token_id is not None and config is not None and getattr(config, "pad_token_id", None) is None:
        config.pad_token_id = pad_token_id
    return loaded, description


def hidden_state_head(model: ResolvedModel, task_type: str, num_outputs: int, trust_remote_code: bool) -> Any:
    """A linear head over the backbone's last hidden states, for architectures without an `AutoModelFor...`
    class: per token for token tasks; for sequence tasks over the mean of the non-padding tokens (mean pooling
    works for encoders and causal models alike)."""
    import torch
    from transformers.modeling_outputs import TokenClassifierOutput

    backbone = _backbone(model, task_type, trust_remote_code)

    class HiddenStateHead(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.backbone = backbone
            self.config = backbone.config
            hidden = getattr(backbone.config, "hidden_size", None) or backbone.config.word_embed_proj_dim
            self.head = torch.nn.Linear(hidden, num_outputs)

        def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, **_):  # noqa: ANN001
            states = self.backbone(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            if not task_type.startswith("token"):
                weights = attention_mask.unsqueeze(-1).to(states.dtype)
                states = (states * weights).sum(1) / weights.sum(1).clamp(min=1.0)
            return TokenClassifierOutput(logits=self.head(states))

    return HiddenStateHead()


def _backbone(model: ResolvedModel, task_type: str, trust_remote_code: bool) -> Any:
    from transformers import AutoModel

    try:
        return AutoModel.from_pretrained(model.path, trust_remote_code=trust_remote_code)
    except (ValueError, KeyError, OSError) as exc:
        raise ModelError(f"{model.model_id}: cannot serve a {task_type} task: transformers cannot load it as a "
                         f"backbone ({str(exc).splitlines()[0]})") from None


def pair_head(model: ResolvedModel, num_outputs: int, trust_remote_code: bool, rank: int = PAIR_RANK) -> Any:
    """A pair head for L x L maps: token embeddings h are projected to u = W h (rank r), and the score of token
    pair (a, b) is u_a . diag(w) . u_b + c, an outer product of the embeddings that is symmetric in a and b as the
    maps are. `pair_index` (from the collator) picks each nucleotide pair's token pair, so the output is one value
    per nucleotide pair (upper triangle, row by row) whatever the tokenizer."""
    import torch
    from transformers.modeling_outputs import TokenClassifierOutput

    backbone = _backbone(model, "pair", trust_remote_code)
    if num_outputs != 1:
        raise ModelError(f"a pair head gives one output per pair, not {num_outputs}")

    class PairHead(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.backbone = backbone
            self.config = backbone.config
            self.rank = rank
            hidden = getattr(backbone.config, "hidden_size", None) or backbone.config.word_embed_proj_dim
            self.project = torch.nn.Linear(hidden, rank)
            self.weight = torch.nn.Parameter(torch.full((rank,), rank ** -0.5))
            self.bias = torch.nn.Parameter(torch.zeros(1))

        def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, pair_index=None, **_):  # noqa: ANN001
            kwargs = {"token_type_ids": token_type_ids} if token_type_ids is not None else {}
            states = self.backbone(input_ids=input_ids, attention_mask=attention_mask, **kwargs).last_hidden_state
            u = self.project(states)
            pairs = torch.einsum("bir,bjr->bij", u * self.weight, u) + self.bias  # (batch, tokens, tokens)
            flat = pairs.reshape(pairs.shape[0], -1)
            logits = flat.gather(1, pair_index.clamp(min=0)).masked_fill(pair_index < 0, 0.0)
            return TokenClassifierOutput(logits=logits)

    return PairHead()
