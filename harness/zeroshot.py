"""The `zeroshot` regime: score a task from a pretrained language model's own likelihoods, with no training.

Why: it measures what pretraining alone learnt, costs no labels, and needs only the test split. A task opts in
with a `zeroshot:` entry in the registry (see `ZeroShotSpec`); the per-nucleotide base probabilities come from

* a masked LM: each token masked in turn (the masked-marginal score, the default), or with
  `--zeroshot-scoring wildtype` the distributions of one unmasked pass (the wild-type marginal of Meier et al.,
  2021: one pass instead of one per token, a different estimator, recorded in the recipe and kept apart on the
  leaderboard), or
* a causal LM: the next-token distribution at each token (one pass).

The passes are packed across sequences by length (`Batching`) and the per-nucleotide base probabilities cached by
model content and exact inputs, so SNMD and SNMR, which score the same sequences, compute them once.

Tokens longer than one nucleotide (k-mers, BPE) are handled by marginalising the vocabulary: P(base b at offset j
of a token of length l) is the mass of the length-l words with b at j, renormalised over the length-l words made
of bases only. Overlapping k-mer inputs have no such reading (every nucleotide is in k tokens) and are refused.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from gfmbench.errors import GfmbenchError
from gfmbench.harness.align import InputFormat, detect_input_format
from gfmbench.harness.arraycache import cached_arrays
from gfmbench.harness.data import Example, TaskData, build_examples
from gfmbench.harness.models import ResolvedModel, load_tokenizer, max_positions
from gfmbench.harness.results import Cost, UnitOutput, peak_rss_mb
from gfmbench.harness.scoring import prediction_row, primary_confidence_interval, score_predictions
from gfmbench.suites.schema import TaskSpec

BASES = "ACGT"  # U is read as T: RNA and DNA vocabularies share the columns
CACHE_KIND = "zeroshot"  # GFMBENCH_HOME/cache/zeroshot/... (harness.arraycache)
_FLOOR = 1e-12


class ZeroShotError(GfmbenchError):
    """The model cannot give per-nucleotide likelihoods (no LM head, overlapping k-mers)."""


SCORINGS = ("masked", "wildtype")


def zeroshot_settings(task: TaskSpec, scoring: str = "masked") -> dict[str, Any]:
    """Zero-shot settings that change its result (part of the unit's recipe, harness.recipe): the task's scoring
    rule, and the estimator when it is not the default masked marginals (keyed only then, so masked-marginal recipes
    keep their ids). Masked or causal follows from the model, whose content is in the key."""
    assert task.zeroshot is not None
    if scoring not in SCORINGS:
        raise ZeroShotError(f"unknown zero-shot scoring {scoring!r}; choose one of {', '.join(SCORINGS)}")
    return {"score": task.zeroshot.score, **({"estimator": scoring} if scoring != "masked" else {})}


def load_language_model(model: ResolvedModel, trust_remote_code: bool = False,
                        allow_unloaded_weights: bool = False) -> tuple[Any, bool, Any]:
    """(model, is_masked, loading report): the architecture's own masked-LM class if it has one, else its causal-LM
    class (causal models try the causal class first). The LM head is what gives the likelihoods, so here every
    parameter must come from the checkpoint: a missing one is an error, head or not."""
    from gfmbench.harness.families import applied_fixes
    from gfmbench.harness.loading import check_loading, loading_report
    from gfmbench.harness.models import load_config
    from gfmbench.harness.taskmodel import is_causal, load_pretrained, own_class

    config, adapter = load_config(model, trust_remote_code)
    order = (("AutoModelForCausalLM", False), ("AutoModelForMaskedLM", True))
    for auto, masked in order if is_causal(config) else order[::-1]:
        lm_class = own_class(model, config, auto)
        if lm_class is None:
            continue
        loaded, info = load_pretrained(lm_class, model, config, lm_class.__name__)
        loaded = adapter.after_load(loaded).eval()
        report = loading_report(loaded, info, lm_class.__name__, f"{lm_class.__name__} language-model head", None)
        report.backbone_not_loaded += report.new_parameters  # the LM head too must be the checkpoint's
        report.new_parameters = []
        report.fixes = applied_fixes(model.path)
        check_loading(report, model.model_id, allow_unloaded_weights)
        return loaded, masked, report
    raise ZeroShotError(f"{model.model_id}: no masked-LM or causal-LM head, so it has no likelihoods to score "
                        "zero-shot tasks with")


def base_columns(tokenizer: Any, fmt: InputFormat) -> dict[int, np.ndarray]:
    """For each word length l: an array (l, V, 4) with 1 where vocabulary word v has base b at offset j."""
    if fmt.kind == "kmer_overlap":
        raise ZeroShotError("zero-shot likelihoods are not defined for overlapping k-mer inputs (each nucleotide "
                            "is in k tokens); use a model with single-nucleotide, k-mer or BPE tokens")
    specials = set(tokenizer.all_special_ids)
    vocab = tokenizer.get_vocab()
    size = max(len(tokenizer), max(vocab.values()) + 1)
    tables: dict[int, np.ndarray] = {}
    for word, index in vocab.items():
        text = word.upper().replace("U", "T").lstrip("▁Ġ#")
        if index in specials or not text or set(text) - set(BASES):
            continue
        table = tables.setdefault(len(text), np.zeros((len(text), size, 4), dtype=np.float32))
        for j, base in enumerate(text):
            table[j, index, BASES.index(base)] = 1.0
    return tables


def _flat_tables(tables: dict[int, np.ndarray]) -> dict[int, np.ndarray]:
    """(l, V, 4) tables as (V, l * 4) float64 matrices: one product maps token distributions to all offsets."""
    return {n: t.transpose(1, 0, 2).reshape(t.shape[1], n * 4).astype(np.float64) for n, t in tables.items()}


def _per_base(token_probs: np.ndarray, length: int, flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(k, V) distributions of tokens of `length` nucleotides -> (k, length, 4) base probabilities and a (k, length)
    mask of those defined (a token whose words of that length have no mass is left uncovered)."""
    # embeddings padded past the vocabulary (HyenaDNA rounds to a multiple of 8) are no tokens: left out
    width = min(token_probs.shape[1], flat.shape[0])
    per_base = (token_probs[:, :width] @ flat[:width]).reshape(len(token_probs), length, 4)
    totals = per_base.sum(axis=2, keepdims=True)
    defined = totals[..., 0] > 0
    return np.where(defined[..., None], per_base / np.where(totals > 0, totals, 1.0), 0.25), defined


def _write_base_probabilities(values: np.ndarray, covered: np.ndarray, token_probs: np.ndarray, spans: np.ndarray,
                               flat: dict[int, np.ndarray]) -> None:
    """Write the base probabilities of tokens with distributions (k, V) and nucleotide spans (k, 2), in the index
    space of `values` (n, 4) and `covered` (n,); special tokens (span start < 0) and words of no length are skipped."""
    sizes = spans[:, 1] - spans[:, 0]
    for size in np.unique(sizes[spans[:, 0] >= 0]):
        if size <= 0 or int(size) not in flat:
            continue
        chosen = np.flatnonzero((sizes == size) & (spans[:, 0] >= 0))
        per_base, defined = _per_base(token_probs[chosen], int(size), flat[int(size)])
        where = spans[chosen, :1] + np.arange(size)  # (k, size) nucleotide indices
        values[where[defined]] = per_base[defined]
        covered[where[defined]] = True


def nucleotide_probabilities(token_probs: np.ndarray, spans: np.ndarray, length: int,
                             tables: dict[int, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per-token vocabulary distributions (T, V) -> per-nucleotide base probabilities (n, 4) and a covered mask."""
    out = np.full((length, 4), 0.25)
    covered = np.zeros(length, dtype=bool)
    _write_base_probabilities(out, covered, token_probs, spans, _flat_tables(tables))
    return out, covered


@dataclass(frozen=True)
class Batching:
    """How the forward passes are grouped. Why: a masked-marginal score needs one pass per token of every sequence,
    so the cost is in how full each pass is. Rows (a masked copy, or one whole sequence) are ordered by length and
    packed up to `tokens` padded tokens per pass, across sequences; rows of other lengths share a pass only when the
    model takes an attention mask. `across_sequences=False, max_rows=64` is the loop before, kept as the benchmark's
    baseline. `cache`: reuse the per-nucleotide base probabilities of the same inputs (SNMD and SNMR share them)."""

    tokens: int = 32768
    max_rows: int | None = None
    across_sequences: bool = True
    cache: bool = True


BASELINE_BATCHING = Batching(tokens=1 << 40, max_rows=64, across_sequences=False, cache=False)


@dataclass(frozen=True)
class _Row:
    example: int
    masked: int  # the token replaced by the mask, or -1 (wild-type and causal rows read the whole sequence)
    length: int


def _rows(examples: list[Example], estimator: str) -> list[_Row]:
    """The input rows of one estimator, ordered by length (then by example, then by token)."""
    order = sorted(range(len(examples)), key=lambda i: len(examples[i].encoded.input_ids))
    rows = []
    for i in order:
        size = len(examples[i].encoded.input_ids)
        if estimator == "masked":
            rows += [_Row(i, int(t), size) for t in np.flatnonzero(examples[i].encoded.spans[:, 0] >= 0)]
        else:
            rows.append(_Row(i, -1, size))
    return rows


def _batches(rows: list[_Row], batching: Batching, can_pad: bool) -> Iterator[list[_Row]]:
    """Consecutive rows as passes: at most `batching.tokens` padded tokens (a row longer than that is a pass of its
    own) and `max_rows` rows; a new pass at a change of length unless the model takes an attention mask, and at a
    change of sequence unless `across_sequences`."""
    batch: list[_Row] = []
    for row in rows:
        if batch:
            width = max(batch[-1].length, row.length)
            full = (len(batch) + 1) * width > batching.tokens or len(batch) == (batching.max_rows or len(batch) + 1)
            other = (row.length != batch[-1].length and not can_pad) or (
                row.example != batch[-1].example and not batching.across_sequences)
            if full or other:
                yield batch
                batch = []
        batch.append(row)
    if batch:
        yield batch


def _reads(example: Example, row: _Row, estimator: str) -> tuple[np.ndarray, np.ndarray]:
    """(tokens scored, positions whose output scores them) for one row: the masked token at its own position; every
    token at its own position (wild-type); token t at position t - 1 (causal: the first real token needs a prefix,
    the tokenizer's BOS/CLS if there is one, otherwise it stays unscored)."""
    if row.masked >= 0:
        return np.array([row.masked]), np.array([row.masked])
    real = np.flatnonzero(example.encoded.spans[:, 0] >= 0)
    if estimator == "causal":
        real = real[real > 0]
        return real, real - 1
    return real, real


def base_probabilities(lm: Any, examples: list[Example], estimator: str, mask_id: int | None, pad_id: int,
                       tables: dict[int, np.ndarray], batching: Batching = Batching(), progress: bool = False,
                       desc: str = "zero-shot") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-nucleotide base probabilities (sum of lengths, 4), covered mask (sum of lengths,) and sequence lengths
    (one per example, in order), from the LM's distributions at each token: `masked` (each token masked in turn),
    `wildtype` (one unmasked pass, Meier et al. 2021) or `causal` (next-token). Float32 forward passes in inference
    mode on the model's device."""
    import torch
    from tqdm.auto import tqdm

    from gfmbench.harness.taskmodel import accepted_inputs

    if estimator == "masked" and mask_id is None:
        raise ZeroShotError("the tokenizer has no mask token, so masked marginals cannot be computed")
    flat = _flat_tables(tables)
    mask_token = -1 if mask_id is None else mask_id  # only masked rows use it, and they need a mask token (above)
    device = next(lm.parameters()).device
    can_pad = "attention_mask" in accepted_inputs(lm)
    ids = [np.asarray(ex.encoded.input_ids, dtype=np.int64) for ex in examples]
    lengths = np.array([len(ex.extra["sequence"]) for ex in examples], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])  # example i's nucleotides in the flat arrays
    values = np.full((int(offsets[-1]), 4), 0.25)
    covered = np.zeros(int(offsets[-1]), dtype=bool)
    rows = _rows(examples, estimator)
    left = np.bincount([r.example for r in rows], minlength=len(examples))
    bar = tqdm(total=len(examples), desc=desc, disable=not progress, unit="seq")
    bar.update(int((left == 0).sum()))  # nothing to score (every token cut)
    with torch.inference_mode():
        for batch in _batches(rows, batching, can_pad):
            width = max(r.length for r in batch)
            inputs = np.full((len(batch), width), pad_id, dtype=np.int64)
            attention = np.zeros((len(batch), width), dtype=np.int64)
            reads: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (batch row, position, nucleotide span)
            for b, row in enumerate(batch):
                inputs[b, :row.length] = ids[row.example]
                attention[b, :row.length] = 1
                if row.masked >= 0:
                    inputs[b, row.masked] = mask_token
                scored, position = _reads(examples[row.example], row, estimator)
                reads.append((np.full(len(scored), b), position,
                              examples[row.example].encoded.spans[scored] + offsets[row.example]))
            extra = {"attention_mask": torch.from_numpy(attention).to(device)} if can_pad else {}
            logits = lm(input_ids=torch.from_numpy(inputs).to(device), **extra).logits
            if logits.shape[1] != width:
                raise ZeroShotError(f"{type(lm).__name__} returns {logits.shape[1]} positions for {width} tokens, "
                                    "so the scored positions cannot be read")
            in_batch, position, span = (np.concatenate(parts) for parts in zip(*reads, strict=True))
            picked = logits[torch.from_numpy(in_batch).to(device), torch.from_numpy(position).to(device)]
            probs = torch.softmax(picked.double(), -1).cpu().numpy()
            _write_base_probabilities(values, covered, probs, span, flat)
            done = np.array([r.example for r in batch])
            np.subtract.at(left, done, 1)
            bar.update(int((left[np.unique(done)] == 0).sum()))
    bar.close()
    return values, covered, lengths


def zeroshot_estimator(masked: bool, scoring: str) -> str:
    """The likelihood rule of a unit: a masked LM's `masked` marginals or `wildtype` pass; a causal LM's one rule."""
    if not masked:
        if scoring == "wildtype":
            raise ZeroShotError("--zeroshot-scoring wildtype is an estimator of masked language models; this model "
                                "is causal, whose next-token probabilities need no masking (use the default)")
        return "causal"
    return scoring


def task_outputs(task: TaskSpec, sequence: str, base_probs: np.ndarray) -> np.ndarray:
    """The head-like outputs (log-probabilities per class, per nucleotide) the task's zero-shot rule defines."""
    assert task.zeroshot is not None
    observed = np.array([BASES.find(c) for c in sequence.upper().replace("U", "T")])
    known = observed >= 0
    if task.zeroshot.score == "mutated_position":
        p_obs = np.where(known, base_probs[np.arange(len(observed)), np.maximum(observed, 0)], 0.5)
        p_obs = np.clip(p_obs, _FLOOR, 1 - _FLOOR)
        return np.log(np.stack([p_obs, 1 - p_obs], axis=1))  # classes: (not mutated, mutated)
    probs = base_probs.copy()  # repaired_base: the likeliest base that differs from the observed one
    probs[np.flatnonzero(known), observed[known]] = 0.0
    probs /= np.maximum(probs.sum(axis=1, keepdims=True), _FLOOR)
    columns = [BASES.index(label.upper().replace("U", "T")) for label in task.labels or []]
    return np.log(np.clip(probs[:, columns], _FLOOR, None))


RULES = {"masked": "masked marginals (each token masked in turn)",
         "wildtype": "wild-type marginals (one unmasked pass; Meier et al. 2021), not comparable with masked marginals",
         "causal": "causal next-token probabilities"}
CACHE_VERSION = 1  # bump when the computation of the base probabilities changes


def _inputs_digest(examples: list[Example]) -> str:
    """What the base probabilities depend on besides the model: every example's token ids and nucleotide spans."""
    digest = hashlib.sha256()
    for ex in examples:
        digest.update(np.asarray(ex.encoded.input_ids, dtype=np.int64).tobytes())
        digest.update(np.asarray(ex.encoded.spans, dtype=np.int64).tobytes())
        digest.update(str(len(ex.extra["sequence"])).encode())
    return digest.hexdigest()


def zeroshot_unit(task: TaskSpec, model: ResolvedModel, data: TaskData, max_length: int,
                  trust_remote_code: bool = False, progress: bool = True, allow_unloaded_weights: bool = False,
                  scoring: str = "masked", batching: Batching = Batching(),
                  ) -> UnitOutput:
    """Score the test split from the language model's likelihoods (metrics {"test": ...}), no training. The base
    probabilities are cached by model content, the exact inputs and the estimator (harness.arraycache), so tasks
    on the same sequences (SNMD and SNMR) compute them once."""
    import torch

    if task.zeroshot is None:
        raise ZeroShotError(f"{task.config} has no zero-shot definition in the registry")
    start = time.perf_counter()
    tokenizer = load_tokenizer(model, trust_remote_code)
    fmt = detect_input_format(tokenizer)
    tables = base_columns(tokenizer, fmt)
    lm, masked, loading = load_language_model(model, trust_remote_code, allow_unloaded_weights)
    estimator = zeroshot_estimator(masked, scoring)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    lm = lm.to(device)
    limit = min(max_positions(model, trust_remote_code), tokenizer.model_max_length)
    max_tokens = min(max_length + tokenizer.num_special_tokens_to_add(), limit)
    examples = build_examples(task, data.splits["test"], tokenizer, fmt, max_tokens)
    key = {"model_content": model.content_id, "dataset_revision": data.dataset_revision, "split": "test",
           "inputs": _inputs_digest(examples), "estimator": estimator, "precision": "float32",
           "version": CACHE_VERSION}

    def compute() -> dict[str, np.ndarray]:
        values, covered, lengths = base_probabilities(
            lm, examples, estimator, tokenizer.mask_token_id, tokenizer.pad_token_id or 0, tables, batching,
            progress, desc=f"{task.config} zero-shot")
        return {"values": values, "covered": covered, "lengths": lengths}

    if batching.cache:
        stored, hit = cached_arrays(CACHE_KIND, key, f"test-{estimator}", compute)
    else:
        stored, hit = compute(), False
    bounds = np.concatenate([[0], np.cumsum(stored["lengths"])])
    rows = []
    for i, ex in enumerate(examples):
        base_probs, covered = stored["values"][bounds[i]:bounds[i + 1]], stored["covered"][bounds[i]:bounds[i + 1]]
        rows.append(prediction_row(task, ex, task_outputs(task, ex.extra["sequence"], base_probs), covered))
    metrics = {"test": score_predictions(task, rows)}
    seconds = time.perf_counter() - start
    return UnitOutput(
        metrics=metrics,
        predictions=rows,
        head=f"{type(lm).__name__} language-model head, no training",
        loading=loading.as_dict(),
        input_format=fmt.describe(),
        truncation=f"truncate to {max_tokens} tokens (special tokens included); cut positions are not scored",
        record={"score": task.zeroshot.score, "likelihoods": RULES[estimator], "estimator": estimator,
                "split": "test only (nothing is trained, so validation is not used)", "precision": "float32",
                "base_probabilities": "from the cache (same model and inputs)" if hit else "computed"},
        cost=Cost(wall_time_s=seconds, train_samples_per_second=None,
                  eval_samples_per_second=len(examples) / max(seconds, 1e-9), peak_rss_mb=peak_rss_mb(),
                  peak_gpu_mb=None, n_parameters=int(sum(p.numel() for p in lm.parameters()))),
        confidence_interval=primary_confidence_interval(task, rows),
    )
