"""Nucleotide-pair maps (L x L) as stored in the dataset repos, and rebuilt for users.

A full map is L^2 values per sequence, almost all of them zero for contact and base-pair maps, and symmetric; the
Parquet columns hold only what is needed:

* **binary maps** (`pair_classification`, e.g. BEACON's SSP_bpRNA, contact_map): column `label` holds the list of
  positive pairs `[i, j]`, 0-based, `i < j`. Every other pair is negative.
* **dense maps** (`pair_regression`, e.g. BEACON's distance_map): the target column holds the upper triangle without
  the diagonal, row by row: `(0,1), (0,2), ..., (0,L-1), (1,2), ...`, `L(L-1)/2` values; null marks a pair that is
  not scored (upstream padding, -1). The diagonal is not stored.

Rebuild the L x L array of a row with `pair_map`:

>>> row = {"sequence": "GGAACC", "label": [[0, 5], [1, 4]]}
>>> pair_map(row)[0].tolist()
[0, 0, 0, 0, 0, 1]
>>> dense = {"sequence": "ACG", "distance": [0.5, None, 0.25]}
>>> pair_map(dense, "distance").tolist()
[[nan, 0.5, nan], [0.5, nan, 0.25], [nan, 0.25, nan]]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def triangle_size(length: int) -> int:
    """Pairs (i < j) of a sequence of `length` nucleotides."""
    return length * (length - 1) // 2


def triangle_length(size: int) -> int:
    """The sequence length whose upper triangle has `size` values (the inverse of `triangle_size`)."""
    length = (1 + math.isqrt(1 + 8 * size)) // 2
    if triangle_size(length) != size:
        raise ValueError(f"{size} values are not the upper triangle of any L x L map")
    return length


def upper_triangle(matrix: np.ndarray) -> np.ndarray:
    """The stored form of a dense map: values above the diagonal, row by row."""
    rows, cols = np.triu_indices(matrix.shape[0], k=1)
    return np.asarray(matrix)[rows, cols]


def positive_pairs(matrix: np.ndarray) -> list[list[int]]:
    """The stored form of a binary map: pairs (i < j) that are set in either triangle (a map written one-sided
    means the same pairs)."""
    upper = np.triu(np.asarray(matrix) != 0, k=1) | np.triu(np.asarray(matrix).T != 0, k=1)
    rows, cols = np.nonzero(upper)
    return np.stack([rows, cols], axis=1).tolist()


def pairs_to_triangle(pairs: Any, length: int) -> np.ndarray:
    """A binary map's pairs as its 0/1 upper triangle (the layout the harness and the metrics score)."""
    out = np.zeros(triangle_size(length), dtype=np.int8)
    if len(pairs):
        p = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        i, j = np.minimum(p[:, 0], p[:, 1]), np.maximum(p[:, 0], p[:, 1])
        out[i * length - i * (i + 1) // 2 + (j - i - 1)] = 1
    return out


def triangle_pairs(selected: Any, length: int) -> list[list[int]]:
    """The pairs `[i, j]` (i < j) whose entries of an upper triangle are true: e.g. the predicted pairs of a score
    triangle (`scores >= 0.5`), in the stored form of binary maps."""
    rows, cols = np.triu_indices(length, k=1)
    keep = np.asarray(selected, dtype=bool)
    return np.stack([rows[keep], cols[keep]], axis=1).tolist()


def covered_pairs(covered: Any) -> np.ndarray:
    """Upper triangle of pairs whose two nucleotides are both covered (e.g. not cut off by truncation)."""
    covered = np.asarray(covered, dtype=bool)
    rows, cols = np.triu_indices(len(covered), k=1)
    return covered[rows] & covered[cols]


def triangle_to_matrix(values: Any, length: int | None = None, diagonal: float = math.nan) -> np.ndarray:
    """A symmetric L x L float array from an upper triangle (null -> NaN)."""
    flat = np.array([math.nan if v is None else v for v in values], dtype=np.float64)
    length = triangle_length(flat.size) if length is None else length
    if flat.size != triangle_size(length):
        raise ValueError(f"{flat.size} values do not fill the upper triangle of a {length} x {length} map")
    matrix = np.full((length, length), diagonal, dtype=np.float64)
    rows, cols = np.triu_indices(length, k=1)
    matrix[rows, cols] = flat
    matrix[cols, rows] = flat
    return matrix


def pairs_to_matrix(pairs: Any, length: int) -> np.ndarray:
    """A symmetric L x L 0/1 array from a list of pairs."""
    matrix = np.zeros((length, length), dtype=np.int8)
    if len(pairs):
        p = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        matrix[p[:, 0], p[:, 1]] = 1
        matrix[p[:, 1], p[:, 0]] = 1
    return matrix


def pair_map(row: dict[str, Any], column: str = "label") -> np.ndarray:
    """The L x L map of one dataset row (L = length of `row["sequence"]`): 0/1 for a list of pairs, floats (NaN =
    not scored or the diagonal) for an upper triangle."""
    value = row[column]
    length = len(row["sequence"])
    is_pairs = len(value) > 0 and isinstance(value[0], (list, tuple, np.ndarray))
    if is_pairs or (len(value) == 0 and length > 1):
        return pairs_to_matrix(value, length)
    return triangle_to_matrix(value, length)
