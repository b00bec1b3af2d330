"""Frozen-backbone features for the probe regime, computed once and cached on disk.

A probe is only cheap if the backbone runs once per (model, dataset revision, config, split): the features are
stored as `.npz` under `GFMBENCH_HOME/cache/features/` (harness.arraycache), keyed by the model's content digest,
the dataset commit, the config, the split, the token budget and the input format, so that every seed and every
regularisation strength reuses them, and a new model or dataset revision can never hit a stale entry. Writes are
atomic: an interrupted run leaves no partial cache file.

Sequence tasks get the mean of the last hidden states of the tokens that cover nucleotides (special tokens
excluded), or for causal models the last token's (the only one that has read the whole sequence); token tasks
get, for every nucleotide, the hidden state of its covering token (the same alignment the fine-tuning heads use),
with the mask of the nucleotides that survived truncation. The backbone is `harness.taskmodel.load_backbone`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gfmbench.harness.align import to_nucleotides
from gfmbench.harness.arraycache import cached_arrays, entry_path
from gfmbench.harness.data import Example

KIND = "features"  # GFMBENCH_HOME/cache/features/...


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
    return entry_path(KIND, key, f"{key['config']}-{key['split']}")


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
    filled = [tokens for tokens in out if tokens is not None]  # every example, in its own order
    if not token_level:
        return SplitFeatures(values=np.stack(filled).astype(np.float32))
    per_nt = [to_nucleotides(ex.encoded, tokens) for ex, tokens in zip(examples, filled, strict=True)]
    return SplitFeatures(values=np.concatenate([v for v, _ in per_nt]).astype(np.float32),
                         lengths=np.array([len(c) for _, c in per_nt], dtype=np.int64),
                         covered=np.concatenate([c for _, c in per_nt]))


def cached_features(key: dict[str, Any], make: Callable[[], SplitFeatures]) -> tuple[SplitFeatures, bool]:
    """The features for `key` from the cache, or computed by `make()` and stored; returns (features, was cached)."""
    def arrays() -> dict[str, np.ndarray]:
        features = make()
        out = {"values": features.values}
        if features.lengths is not None and features.covered is not None:
            out.update(lengths=features.lengths, covered=features.covered)
        return out

    stored, hit = cached_arrays(KIND, key, f"{key['config']}-{key['split']}", arrays)
    return SplitFeatures(values=stored["values"], lengths=stored.get("lengths"), covered=stored.get("covered")), hit
