"""RNA design (inverse folding): find sequences whose ViennaRNA minimum free energy structure is a target
dot-bracket, with a genetic algorithm whose mutations are proposed either uniformly at random (the baseline) or by a
masked genomic language model (masked positions filled by sampling the model's predictions).

Fitness is the base-pair distance between the sequence's MFE structure and the target (ViennaRNA's `bp_distance`),
with the free energy as tie-breaker; a design counts as solved only when `RNA.fold` gives exactly the target.
"""

from __future__ import annotations

import csv
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PAIRS = ["GC", "CG", "AU", "UA", "GU", "UG"]
BASES = "ACGU"


@dataclass(frozen=True)
class Puzzle:
    number: int
    name: str
    structure: str
    sample_solution: str


def load_eterna(path: str | Path) -> list[Puzzle]:
    """Puzzles from an Eterna100 file (tab-separated, header `Puzzle #, Puzzle Name, Eterna ID, Author,
    Secondary Structure, Sample Solution`)."""
    from gfmbench.errors import DataFormatError

    puzzles = []
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        for line, row in enumerate(reader, start=2):
            try:
                puzzles.append(Puzzle(int(row["Puzzle #"]), row["Puzzle Name"], row["Secondary Structure"].strip(),
                                      (row.get("Sample Solution") or "").strip()))
            except (KeyError, TypeError, ValueError) as exc:
                raise DataFormatError(f"not an Eterna100 row ({exc})", file=path, line=line) from None
    return puzzles


def partners(structure: str) -> list[int]:
    """partner[i] = j for a pair (i, j), -1 for an unpaired base."""
    from gfmbench.metrics.structure import pairs_from_dot_bracket

    out = [-1] * len(structure)
    for i, j in pairs_from_dot_bracket(structure, strict=True):
        out[i], out[j] = j, i
    return out


@dataclass
class Evaluator:
    """Folds with ViennaRNA and counts the folds (the budget every method is compared on)."""

    target: str
    folds: int = 0
    cache: dict[str, tuple[str, int, float]] = field(default_factory=dict)

    def fold(self, sequence: str) -> tuple[str, int, float]:
        """(MFE structure, distance to the target, free energy), folding each distinct sequence once."""
        if sequence not in self.cache:
            import RNA

            structure, energy = RNA.fold(sequence)
            self.folds += 1
            self.cache[sequence] = (structure, RNA.bp_distance(structure, self.target), float(energy))
        return self.cache[sequence]

    def __call__(self, sequence: str) -> tuple[int, float]:
        _, distance, energy = self.fold(sequence)
        return distance, energy


Proposer = Callable[[str, list[int], random.Random], str]


def random_proposer(sequence: str, positions: list[int], rng: random.Random, partner: list[int]) -> str:
    """Uniform mutation: a random base at unpaired positions, a random canonical pair at paired ones."""
    seq = list(sequence)
    for i in positions:
        j = partner[i]
        if j < 0:
            seq[i] = rng.choice(BASES)
        else:
            pair = rng.choice(PAIRS)
            seq[i], seq[j] = pair[0], pair[1]
    return "".join(seq)


class MaskedLMProposer:
    """Mutations sampled from a masked language model: the chosen positions are masked together and refilled from
    the model's predicted distribution (pairs from the product of both positions' probabilities over canonical
    pairs). Works with any single-nucleotide-tokenised masked LM; the tokenizer's U/T is followed."""

    def __init__(self, model_path: str | Path | Any, temperature: float = 1.0, trust_remote_code: bool = False,
                 allow_unloaded_weights: bool = False) -> None:
        import torch

        from gfmbench.harness.align import detect_input_format
        from gfmbench.harness.models import ResolvedModel, load_tokenizer
        from gfmbench.harness.taskmodel import accepted_inputs
        from gfmbench.harness.zeroshot import load_language_model

        model = model_path if isinstance(model_path, ResolvedModel) else ResolvedModel(
            model_id=str(model_path), revision=None, sha="", path=Path(model_path))
        self.tokenizer = load_tokenizer(model, trust_remote_code)
        self.format = detect_input_format(self.tokenizer)
        self.temperature = temperature
        self.torch = torch
        vocab = self.tokenizer.get_vocab()
        self.base_ids = {b: vocab.get(self.format.translate.get(b, b), vocab.get(b)) for b in BASES}
        if any(v is None for v in self.base_ids.values()) or self.format.kind != "raw":
            raise ValueError(f"{model.model_id}: the MLM proposer needs a single-nucleotide tokenizer")
        # the checked loader of the zero-shot regime: the LM head must be the checkpoint's
        self.model, masked, self.loading = load_language_model(model, trust_remote_code, allow_unloaded_weights)
        if not masked:
            raise ValueError(f"{model.model_id}: the MLM proposer needs a masked language model")
        self.with_mask = "attention_mask" in accepted_inputs(self.model)

    def probabilities(self, sequence: str, positions: list[int]) -> dict[int, dict[str, float]]:
        from gfmbench.harness.align import encode

        enc = encode(self.tokenizer, self.format, [sequence], None)[0]  # fast or slow tokenizer alike
        token_of = {int(start): t for t, (start, end) in enumerate(enc.spans.tolist()) if end - start == 1}
        ids = self.torch.tensor([enc.input_ids])
        for p in positions:
            ids[0, token_of[p]] = self.tokenizer.mask_token_id
        with self.torch.no_grad():
            mask = {"attention_mask": self.torch.ones_like(ids)} if self.with_mask else {}
            logits = self.model(input_ids=ids, **mask).logits[0]
        out = {}
        for p in positions:
            scores = logits[token_of[p], [self.base_ids[b] for b in BASES]] / self.temperature
            probs = self.torch.softmax(scores, dim=-1).tolist()
            out[p] = dict(zip(BASES, probs, strict=True))
        return out

    def __call__(self, sequence: str, positions: list[int], rng: random.Random, partner: list[int]) -> str:
        masked = sorted({q for p in positions for q in (p, partner[p]) if q >= 0})
        probs = self.probabilities(sequence, masked)
        seq = list(sequence)
        done = set()
        for i in positions:
            if i in done:
                continue
            j = partner[i]
            if j < 0:
                seq[i] = rng.choices(BASES, weights=[probs[i][b] for b in BASES])[0]
                done.add(i)
            else:
                weights = [probs[i][pair[0]] * probs[j][pair[1]] for pair in PAIRS]
                pair = rng.choices(PAIRS, weights=weights)[0]
                seq[i], seq[j] = pair[0], pair[1]
                done |= {i, j}
        return "".join(seq)


@dataclass
class DesignResult:
    target: str
    sequence: str
    solved: bool  # RNA.fold(sequence) == target, checked again at the end
    distance: int
    folds: int  # GA: distinct sequences folded; inverse_fold: restarts of RNA.inverse_fold
    seconds: float
    history: list[float]  # GA: best distance after each generation; ensemble search: lowest defect of each level


def initial_sequence(target: str, partner: list[int], rng: random.Random) -> str:
    seq = ["A"] * len(target)  # unpaired bases start as A (weak pairing), paired ones as a random GC/CG/AU/UA
    for i, j in enumerate(partner):
        if i < j:
            pair = rng.choice(PAIRS[:4])
            seq[i], seq[j] = pair[0], pair[1]
    return "".join(seq)


def design(target: str, proposer: Any = random_proposer, population: int = 20, generations: int = 50,
           seed: int = 0, time_budget: float | None = None, mutation_rate: float = 0.1) -> DesignResult:
    """Genetic algorithm: keep the best half, refill by uniform crossover (pairs inherited whole) and mutation of
    positions whose fold differs from the target (or random ones). Stops when solved, after `generations`, or when
    `time_budget` seconds of this process's CPU time are spent (CPU, not wall time, so that a busy machine does not
    shrink the budget)."""
    import RNA

    start = time.process_time()
    rng = random.Random(seed)
    partner = partners(target)
    evaluate = Evaluator(target)
    pool = [initial_sequence(target, partner, rng) for _ in range(population)]
    pool = [proposer(s, rng.sample(range(len(target)), max(1, len(target) // 4)), rng, partner) for s in pool]
    history: list[float] = []
    for _ in range(generations):
        pool.sort(key=evaluate)
        history.append(evaluate(pool[0])[0])
        if history[-1] == 0 or (time_budget is not None and time.process_time() - start > time_budget):
            break
        parents = pool[: max(2, population // 2)]
        children: list[str] = []
        while len(parents) + len(children) < population:
            a, b = rng.sample(parents, 2)
            child = [x if rng.random() < 0.5 else y for x, y in zip(a, b, strict=True)]
            for i, j in enumerate(partner):  # pairs come from one parent together
                if i < j and rng.random() < 0.5:
                    child[i], child[j] = b[i], b[j]
                elif i < j:
                    child[i], child[j] = a[i], a[j]
            child_seq = "".join(child)
            folded = evaluate.fold(child_seq)[0]
            wrong = [i for i in range(len(target)) if folded[i] != target[i]]
            k = max(1, int(len(target) * mutation_rate * rng.random()))
            positions = rng.sample(wrong, min(k, len(wrong))) if wrong else rng.sample(range(len(target)), k)
            children.append(proposer(child_seq, positions, rng, partner))
        pool = parents + children
    best = min(pool, key=evaluate)
    distance = evaluate(best)[0]
    return DesignResult(target=target, sequence=best, solved=RNA.fold(best)[0] == target, distance=distance,
                        folds=evaluate.folds, seconds=time.process_time() - start, history=history)


def _inverse_fold_worker(target: str, seed: int, results: Any) -> None:
    """Restart `RNA.inverse_fold` from random sequences forever, sending each attempt (sequence, distance)."""
    import RNA

    rng = random.Random(seed)
    RNA.cvar.give_up = 0
    while True:
        found, _ = RNA.inverse_fold("".join(rng.choice(BASES) for _ in target), target)
        distance = RNA.bp_distance(RNA.fold(found)[0], target)
        results.send((found, distance, time.process_time()))  # the child's own CPU time so far
        if distance == 0:
            return


def inverse_fold(target: str, seed: int = 0, time_budget: float = 20.0) -> DesignResult:
    """ViennaRNA's own `RNA.inverse_fold`, restarted from random sequences until solved or out of time.

    One `inverse_fold` call cannot be interrupted and can run for minutes on a long target, so the attempts run in a
    child process that is stopped when its CPU time reaches the budget: every method gets the same CPU budget."""
    import multiprocessing

    import psutil
    import RNA

    receive, send = multiprocessing.Pipe(duplex=False)
    worker = multiprocessing.get_context("fork").Process(target=_inverse_fold_worker, args=(target, seed, send),
                                                         daemon=True)
    worker.start()
    send.close()
    child = psutil.Process(worker.pid)
    tries, best, best_distance, used = 0, "", len(target), 0.0

    def drain(wait: float) -> None:
        nonlocal tries, best, best_distance, used
        try:
            while receive.poll(wait):
                found, distance, cpu = receive.recv()
                used = max(used, cpu)
                tries += 1
                if distance < best_distance or not best:
                    best, best_distance = found, distance
        except EOFError:  # the worker finished (solved) and closed its end
            pass

    try:
        while worker.is_alive() and used < time_budget:
            drain(0.05)
            try:
                times = child.cpu_times()
                used = max(used, times.user + times.system)
            except psutil.NoSuchProcess:
                break
    finally:
        worker.kill()
        worker.join()
    drain(0)  # attempts that arrived before the stop
    if not best:  # not a single attempt finished within the budget
        return DesignResult(target=target, sequence="", solved=False, distance=len(target), folds=0, seconds=used,
                            history=[])
    return DesignResult(target=target, sequence=best, solved=RNA.fold(best)[0] == target, distance=best_distance,
                        folds=tries, seconds=used, history=[])


def fitness_plot(result: DesignResult, path: str | Path, what: str = "best base-pair distance per generation") -> Path:
    """The search's progress (`result.history`, described by `what`) as an interactive plotly HTML page."""
    import plotly.graph_objects as go

    from gfmbench.atomic import atomic_write

    figure = go.Figure(go.Scatter(x=list(range(1, len(result.history) + 1)), y=result.history, mode="lines+markers"))
    figure.update_layout(title=f"Design of {result.target} ({'solved' if result.solved else 'not solved'})",
                         xaxis_title="step", yaxis_title=what)
    return atomic_write(path, figure.to_html(include_plotlyjs=True, full_html=True))
