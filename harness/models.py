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
from gfmbench.harness.families import FamilyAdapter, adapter_for

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
        """How gfmbench names the model everywhere (run header, result folders, tables, cards, leaderboard): the id
        and the first 12 digits of its content digest. Not the commit: a card-only commit moves a repo's `main`
        without changing the model, and a local folder has no commit; the commit is recorded beside it."""
        return model_label(self.model_id, self.content_id or self.sha)


def parse_model_spec(spec: str) -> tuple[str, str | None]:
    """`org/name@rev` -> (`org/name`, `rev`); a path stays whole."""
    if "@" in spec and not Path(spec).exists():
        name, revision = spec.rsplit("@", 1)
        return name, revision or None
    return spec, None


def keyed_model_id(spec: str) -> str:
    """The `model_id` a `--model` value's units are keyed by (registry names become their Hub id; the revision is
    not part of it; a folder stays as given), without fetching anything."""
    from gfmbench.models.registry import registry_spec

    return parse_model_spec(registry_spec(spec)[0])[0]


NOT_MODEL_FILES = ("README.md", ".gitattributes", ".eval_results/")


def model_label(model_id: str, content: str) -> str:
    """`<id>@<content12>`: the one model name of tables, folders and cards (see ResolvedModel.short)."""
    return f"{model_id}@{content[:12]}"


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
    from huggingface_hub.errors import (
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    from gfmbench.hub.routing import remote_source, unreachable, where

    endpoint, cache_dir = remote_source(name, "model") or (None, None)  # a Hub model in a local-hub command
    offline = unreachable(endpoint)  # offline: the cached snapshot, or one clear error, not minutes of retries
    try:
        local = Path(snapshot_download(name, revision=revision, repo_type="model", endpoint=endpoint,
                                       cache_dir=cache_dir, local_files_only=offline is not None))
    except LocalEntryNotFoundError:
        raise ModelError(f"model {name}@{revision or 'main'} cannot be fetched from {where(name, 'model')}: "
                         f"{offline or 'the hub did not answer'}, and it is not in the cache; pass a local model "
                         "folder, publish the model to the local hub, or rerun when the hub can be reached") from None
    except RevisionNotFoundError:
        raise ModelError(f"model {name!r} has no revision {revision!r}") from None
    except RepositoryNotFoundError:
        if revision not in (None, "main") and _exists_at_main(name, endpoint):  # some servers answer 404 for both
            raise ModelError(f"model {name!r} has no revision {revision!r}") from None
        raise ModelError(f"model {name!r} not found on the hub (or no access) at {where(name, 'model')}; check the "
                         "id (GFMBENCH_HUB=local|hub|auto chooses where repos are read, docs in "
                         "gfmbench.hub.routing)") from None
    except (HfHubHTTPError, OSError, ValueError) as exc:
        raise ModelError(f"model {name}@{revision or 'main'} could not be fetched: {exc}") from None
    # snapshot_download returns <cache>/snapshots/<commit sha>: the exact revision that was fetched.
    return ResolvedModel(model_id=name, revision=revision, sha=local.name, path=local, content_id=content_id(local))


def _exists_at_main(name: str, endpoint: str | None = None) -> bool:
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    try:
        HfApi(endpoint=endpoint).model_info(name, revision="main")
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


def config_dict(model: ResolvedModel) -> dict[str, Any]:
    return json.loads((model.path / "config.json").read_text())


def load_config(model: ResolvedModel, trust_remote_code: bool = False) -> tuple[Any, FamilyAdapter]:
    """The model's transformers config, with its family adapter's load-time fixes applied, and the adapter."""
    from transformers import AutoConfig

    adapter = adapter_for(config_dict(model))
    adapter.check_dependencies(model.model_id)
    try:
        config = AutoConfig.from_pretrained(model.path, trust_remote_code=trust_remote_code)
    except (ValueError, KeyError, OSError) as exc:
        raise ModelError(f"{model.model_id}: cannot serve any task: transformers cannot read its config "
                         f"({str(exc).splitlines()[0]}); if a package registers this model type (as multimolecule "
                         "does), pass --import PACKAGE") from None
    return adapter.prepare_config(config, model.path), adapter


def load_tokenizer(model: ResolvedModel, trust_remote_code: bool = False) -> Any:
    """The model's tokenizer, fast or slow (alignment works through offsets or through token pieces)."""
    from transformers import AutoTokenizer

    adapter = adapter_for(config_dict(model))
    if trust_remote_code:
        adapter.prepare_tokenizer_class(model.path)
    try:
        tokenizer = AutoTokenizer.from_pretrained(model.path, trust_remote_code=trust_remote_code)
    except (ValueError, KeyError, OSError, NotImplementedError, AttributeError) as exc:
        raise ModelError(f"{model.model_id}: its tokenizer cannot be loaded ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else 'no message'})") from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    return tokenizer


def max_positions(model: ResolvedModel, trust_remote_code: bool = False) -> int:
    """The longest input (in tokens) the architecture accepts; very large when it has no limit."""
    config, _ = load_config(model, trust_remote_code)
    for name in ("max_position_embeddings", "n_positions", "max_seq_len"):
        value = getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            return value
    return 10**9


def import_plugins(modules: list[str] | tuple[str, ...]) -> None:
    """Import packages that register model families with transformers (multimolecule registers its RNA models'
    config and model classes on import). An import that fails is a ModelError naming the package."""
    import importlib

    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise ModelError(f"--import {name}: the package cannot be imported ({exc}); install it first "
                             f"(pip install {name})") from None
