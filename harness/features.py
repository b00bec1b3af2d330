"""Frozen-backbone features for the probe regime, computed once and cached on disk.

A probe is only cheap if the backbone runs once per (model, dataset revision, config, split): the features are
stored as `.npz` under `GFMBENCH_HOME/cache/features/`, keyed by the model's content digest, the dataset commit, the
config, the split, the token budget and the input format, so that every seed and every regularisation strength
reuses them, and a new model or dataset revision can never hit a stale entry. Writes are atomic: an interrupted
run leaves no partial cache file.

Sequence tasks get the mean of the last hidden states of the tokens that cover nucleotides (special tokens
excluded), or for causal models the last token's (the only one that has read the whole sequence); token tasks
get, for every nucleotide, the hidden state of its covering token (the same alignment the fine-tuning heads use),
with the mask of the nucleotides that survived truncation. The backbone is `harness.taskmodel.load_backbone`'s.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gfmbench.atomic import atomic_write
from gfmbench.config import gfmbench_home
from gfmbench.harness.align import to_nucleotides
from gfmbench.harness.data import Example

log = logging.getLogger(__name__)


@dataclass
class SplitFeatures:
    """Sequence tasks: `values` (n, d). Token tasks: `values` (sum of lengths, d) for all nucleotides of all examples
    in order, `lengths` (n,) and `covered` (sum of lengths,)."""

    values: np.ndarray
    lengths: np.ndarray | None = None
    covered: np.ndarray | None = None

    def per_example(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Token tasks: (nucleotide features, covered mask) per example."""
        assert self.lengths is not None and self.covered is not None
        bounds = np.concatenate([[0], np.cumsum(self.lengths)])
        return [(self.values[a:b], self.covered[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def cache_path(key: dict[str, Any]) -> Path:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:24]
    return gfmbench_home() / "cache" / "features" / key["model_content"][:16] / f"{key['config']}-{key['split']}-{digest}.npz"


def _read(path: Path, key: dict[str, Any]) -> SplitFeatures | None:
    try:
        with np.load(path, allow_pickle=False) as f:
            if json.loads(str(f["key"])) != key:
                return None
            return SplitFeatures(values=f["values"], lengths=f["lengths"] if "lengths" in f else None,
                                 covered=f["covered"] if "covered" in f else None)
    except (OSError, ValueError, KeyError) as exc:  # a damaged entry is recomputed, never trusted
        log.warning("ignoring unreadable feature cache %s (%s)", path, exc)
        return None


def _write(path: Path, key: dict[str, Any], features: SplitFeatures) -> None:
    arrays = {"key": np.array(json.dumps(key, sort_keys=True)), "values": features.values}
    if features.lengths is not None:
        arrays.update(lengths=features.lengths, covered=features.covered)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, buffer.getvalue())


def compute_features(backbone: Any, examples: list[Example], token_level: bool, pad_token_id: int,
                     batch_size: int = 16, progress: bool = True, desc: str = "features") -> SplitFeatures:
    """Last hidden states of the frozen backbone, batched by length (little padding), in the examples' order."""
    import torch
    from tqdm.auto import tqdm

    order = sorted(range(len(examples)), key=lambda i: len(examples[i].encoded.input_ids))
    out: list[np.ndarray | None] = [None] * len(examples)
    with torch.inference_mode():
        for start in tqdm(range(0, len(order), batch_size), desc=desc, disable=not progress, unit="batch"):
            batch = [examples[i] for i in order[start:start + batch_size]]
            width = max(len(ex.encoded.input_ids) for ex in batch)
            ids = torch.full((len(batch), width), pad_token_id, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, ex in enumerate(batch):
                ids[row, : len(ex.encoded.input_ids)] = torch.tensor(ex.encoded.input_ids)
                mask[row, : len(ex.encoded.input_ids)] = 1
            states = backbone(ids, mask).float().numpy()
            for row, ex in enumerate(batch):
                tokens = states[row, : len(ex.encoded.input_ids)]
                if token_level:
                    out[order[start + row]] = tokens
                elif getattr(backbone, "causal", False):  # the only token that has read the whole sequence
                    out[order[start + row]] = tokens[-1]
                else:
                    real = ex.encoded.spans[:, 0] >= 0  # tokens that cover nucleotides
                    out[order[start + row]] = tokens[real].mean(axis=0) if real.any() else tokens.mean(axis=0)
    if not token_level:
        return SplitFeatures(values=np.stack(out).astype(np.float32))
    per_nt = [to_nucleotides(ex.encoded, tokens) for ex, tokens in zip(examples, out, strict=True)]
    return SplitFeatures(values=np.concatenate([v for v, _ in per_nt]).astype(np.float32),
                         lengths=np.array([len(c) for _, c in per_nt], dtype=np.int64),
                         covered=np.concatenate([c for _, c in per_nt]))


def cached_features(key: dict[str, Any], make: Any) -> tuple[SplitFeatures, bool]:
    """The features for `key` from the cache, or computed by `make()` and stored; returns (features, was cached)."""
    path = cache_path(key)
    if path.is_file():
        found = _read(path, key)
        if found is not None:
            return found, True
    features = make()
    _write(path, key, features)
    return features, False
