"""RNA secondary structure from a fine-tuned token classifier: per-nucleotide probabilities of `(`, `)`, `.` ->
a *valid* dot-bracket, by a Nussinov-style dynamic program, and a ViennaRNA baseline scored with the same metrics.

The decoder maximises the summed log-probabilities of a nested structure: a pair (i, j) earns log p_i(`(`) +
log p_j(`)`), an unpaired base log p_i(`.`). Pairs must close a hairpin of at least `min_loop` bases and, when the
sequence is given, be canonical (AU, GC, GU). The result is always balanced and free of crossings.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

CANONICAL = {("A", "U"), ("U", "A"), ("G", "C"), ("C", "G"), ("G", "U"), ("U", "G"),
             ("A", "T"), ("T", "A"), ("G", "T"), ("T", "G")}


def decode_dot_bracket(probabilities: np.ndarray, sequence: str | None = None, min_loop: int = 3) -> str:
    """The most probable nested structure under the model's per-nucleotide class probabilities (L, 3) in the
    class order `(`, `)`, `.`.

    >>> p = np.full((8, 3), 0.05); p[[0, 1], 0] = 0.9; p[[6, 7], 1] = 0.9; p[2:6, 2] = 0.9
    >>> decode_dot_bracket(p / p.sum(1, keepdims=True))
    '((....))'
    >>> decode_dot_bracket(p / p.sum(1, keepdims=True), sequence="GGAAAAAA")  # no partner can pair: all unpaired
    '........'
    """
    probs = np.clip(np.asarray(probabilities, dtype=np.float64), 1e-9, 1.0)
    n = len(probs)
    if sequence is not None and len(sequence) != n:
        raise ValueError(f"sequence length {len(sequence)} != {n} probability rows")
    log_open, log_close, log_dot = np.log(probs[:, 0]), np.log(probs[:, 1]), np.log(probs[:, 2])
    pair_score = log_open[:, None] + log_close[None, :] - log_dot[:, None] - log_dot[None, :]
    allowed = np.triu(np.ones((n, n), dtype=bool), k=min_loop + 1)
    if sequence is not None:
        seq = sequence.upper()
        allowed &= np.array([[(a, b) in CANONICAL for b in seq] for a in seq])
    pair_score = np.where(allowed, pair_score, -np.inf)
    # best[i, j]: best gain over "all unpaired" for the segment i..j; computed by span, vectorised over i
    best = np.zeros((n + 1, n + 1))
    choice = np.full((n, n), -1, dtype=np.int64)  # -1: i unpaired; -2: pair (i, j); k >= 0: split at k
    for span in range(1, n):
        i = np.arange(0, n - span)
        j = i + span
        skip = best[i + 1, j]
        inner = np.where(span >= 2, best[i + 1, j - 1], 0.0)
        paired = pair_score[i, j] + inner
        # split: i..k and k+1..j, k from i+1 to j-1 (i paired inside i..k is covered by the left part)
        split_best = np.full(len(i), -np.inf)
        split_at = np.full(len(i), -1)
        for offset in range(1, span):
            value = best[i, i + offset] + best[i + offset + 1, j]
            better = value > split_best
            split_best = np.where(better, value, split_best)
            split_at = np.where(better, i + offset, split_at)
        options = np.stack([skip, paired, split_best])
        pick = options.argmax(axis=0)
        best[i, j] = options[pick, np.arange(len(i))]
        choice[i, j] = np.where(pick == 0, -1, np.where(pick == 1, -2, split_at))
    out = ["."] * n
    stack: list[tuple[int, int]] = [(0, n - 1)] if n > 1 else []
    while stack:
        lo, hi = stack.pop()
        if lo >= hi:
            continue
        c = int(choice[lo, hi])
        if c == -1:
            stack.append((lo + 1, hi))
        elif c == -2:
            out[lo], out[hi] = "(", ")"
            stack.append((lo + 1, hi - 1))
        else:
            stack += [(lo, c), (c + 1, hi)]
    return "".join(out)


def vienna_fold(sequences: Sequence[str]) -> list[str]:
    """Minimum free energy structures from ViennaRNA (`RNA.fold`), the zero-shot baseline."""
    import RNA

    return [RNA.fold(seq.upper().replace("T", "U"))[0] for seq in sequences]


def compare_structures(predictions: list[dict], min_loop: int = 3) -> list[dict]:
    """Score, on the same test sequences, the model's per-nucleotide argmax (possibly unbalanced), its decoded valid
    structure, and ViennaRNA's MFE structure. `predictions` are the rows of a unit's predictions.parquet."""
    from gfmbench.metrics.structure import structure_scores

    references = [r["structure"] for r in predictions]
    sequences = [r["sequence"] for r in predictions]
    argmax = ["".join("()."[p] for p in r["prediction"]) for r in predictions]
    decoded = [decode_dot_bracket(np.asarray(r["scores"]), r["sequence"], min_loop) for r in predictions]
    candidates = {"model (argmax per nucleotide)": argmax, "model + Nussinov decoding": decoded,
                  "ViennaRNA RNA.fold (zero-shot)": vienna_fold(sequences)}
    rows = []
    for name, predicted in candidates.items():
        scores = structure_scores(references, predicted)
        valid = sum(_balanced(s) for s in predicted) / len(predicted)
        rows.append({"method": name, "sequences": len(predicted), "valid structures": valid,
                     "bp_f1": scores["bp_f1"], "bp_f1_shift1": scores["bp_f1_shift1"], "bp_mcc": scores["bp_mcc"],
                     "nucleotide_f1_macro": scores["nucleotide_f1_macro"]})
    return rows


def _balanced(structure: str) -> bool:
    depth = 0
    for ch in structure:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            return False
    return depth == 0
