"""The `zeroshot` regime: score a task from a pretrained language model's own likelihoods, with no training.

Why: it measures what pretraining alone learnt, costs no labels, and needs only the test split. A task opts in
with a `zeroshot:` entry in the registry (see `ZeroShotSpec`); the per-nucleotide base probabilities come from

* a masked LM: each token masked in turn (the masked-marginal score), or
* a causal LM: the next-token distribution at each token (one pass).

Tokens longer than one nucleotide (k-mers, BPE) are handled by marginalising the vocabulary: P(base b at offset j
of a token of length l) is the mass of the length-l words with b at j, renormalised over the length-l words made
of bases only. Overlapping k-mer inputs have no such reading (every nucleotide is in k tokens) and are refused.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from gfmbench.errors import GfmbenchError
from gfmbench.harness.align import InputFormat, detect_input_format
from gfmbench.harness.data import Example, TaskData, build_examples
from gfmbench.harness.models import ResolvedModel, load_tokenizer, max_positions
from gfmbench.harness.results import peak_rss_mb
from gfmbench.harness.scoring import prediction_row, primary_confidence_interval, score_predictions
from gfmbench.suites.schema import TaskSpec

BASES = "ACGT"  # U is read as T: RNA and DNA vocabularies share the columns
_FLOOR = 1e-12


class ZeroShotError(GfmbenchError):
    """The model cannot give per-nucleotide likelihoods (no LM head, overlapping k-mers)."""


def zeroshot_settings(task: TaskSpec) -> dict[str, Any]:
    """Zero-shot settings that change its result (part of the unit's recipe, harness.recipe): the task's scoring
    rule. The likelihood rule (masked marginals or causal) follows from the model, whose content is in the key."""
    assert task.zeroshot is not None
    return {"score": task.zeroshot.score}


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


def nucleotide_probabilities(token_probs: np.ndarray, spans: np.ndarray, length: int,
                             tables: dict[int, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per-token vocabulary distributions (T, V) -> per-nucleotide base probabilities (n, 4) and a covered mask."""
    out = np.full((length, 4), 0.25)
    covered = np.zeros(length, dtype=bool)
    for t, (start, end) in enumerate(spans):
        if start < 0 or end <= start or (end - start) not in tables:
            continue
        table = tables[end - start]
        for j in range(end - start):
            # embeddings padded past the vocabulary (HyenaDNA rounds to a multiple of 8) are no tokens: left out
            width = min(len(token_probs[t]), table.shape[1])
            per_base = token_probs[t][:width] @ table[j][:width]  # (4,)
            total = per_base.sum()
            if total > 0:
                out[start + j] = per_base / total
                covered[start + j] = True
    return out, covered


def token_distributions(lm: Any, masked: bool, example: Example, mask_id: int | None,
                        batch_size: int = 64) -> np.ndarray:
    """(T, V) probabilities for each token of the example: masked marginals (MLM) or next-token (causal)."""
    import torch

    from gfmbench.harness.taskmodel import accepted_inputs

    ids = torch.tensor(example.encoded.input_ids)
    real = np.flatnonzero(example.encoded.spans[:, 0] >= 0)
    probs = np.zeros((len(ids), lm.get_output_embeddings().weight.shape[0] if lm.get_output_embeddings() is not None
                      else lm.config.vocab_size), dtype=np.float64)
    with torch.inference_mode():
        if not masked:
            logits = lm(input_ids=ids[None]).logits[0]
            # the distribution of token t is predicted at position t - 1 (the first real token needs a prefix:
            # the tokenizer's BOS/CLS if there is one, otherwise it stays unscored)
            shifted = torch.softmax(logits.double(), -1).numpy()
            for t in real:
                if t > 0:
                    probs[t] = shifted[t - 1]
            return probs
        if mask_id is None:
            raise ZeroShotError("the tokenizer has no mask token, so masked marginals cannot be computed")
        for start in range(0, len(real), batch_size):
            chunk = real[start:start + batch_size]
            batch = ids.repeat(len(chunk), 1)
            batch[torch.arange(len(chunk)), torch.as_tensor(chunk)] = mask_id
            mask = {"attention_mask": torch.ones_like(batch)} if "attention_mask" in accepted_inputs(lm) else {}
            logits = lm(input_ids=batch, **mask).logits
            if logits.shape[1] != batch.shape[1]:
                raise ZeroShotError(f"{type(lm).__name__} returns {logits.shape[1]} positions for {batch.shape[1]} "
                                    "tokens, so the masked positions cannot be read")
            picked = logits[torch.arange(len(chunk)), torch.as_tensor(chunk)]
            probs[chunk] = torch.softmax(picked.double(), -1).numpy()
    return probs


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


def zeroshot_unit(task: TaskSpec, model: ResolvedModel, data: TaskData, max_length: int,
                  trust_remote_code: bool = False, progress: bool = True,
                  allow_unloaded_weights: bool = False) -> tuple[dict[str, dict[str, float]], list[dict[str, Any]], dict[str, Any]]:
    """Returns (metrics {"test": ...}, test prediction rows, details) like `train.train_unit`."""
    from tqdm.auto import tqdm

    if task.zeroshot is None:
        raise ZeroShotError(f"{task.config} has no zero-shot definition in the registry")
    start = time.perf_counter()
    tokenizer = load_tokenizer(model, trust_remote_code)
    fmt = detect_input_format(tokenizer)
    tables = base_columns(tokenizer, fmt)
    lm, masked, loading = load_language_model(model, trust_remote_code, allow_unloaded_weights)
    limit = min(max_positions(model, trust_remote_code), tokenizer.model_max_length)
    max_tokens = min(max_length + tokenizer.num_special_tokens_to_add(), limit)
    examples = build_examples(task, data.splits["test"], tokenizer, fmt, max_tokens)
    rows = []
    for ex in tqdm(examples, desc=f"{task.config} zero-shot", disable=not progress, unit="seq"):
        probs = token_distributions(lm, masked, ex, tokenizer.mask_token_id)
        base_probs, covered = nucleotide_probabilities(probs, ex.encoded.spans, len(ex.extra["sequence"]), tables)
        rows.append(prediction_row(task, ex, task_outputs(task, ex.extra["sequence"], base_probs), covered))
    metrics = {"test": score_predictions(task, rows)}
    rule = "masked marginals (each token masked in turn)" if masked else "causal next-token probabilities"
    details = {
        "head": f"{type(lm).__name__} language-model head, no training",
        "loading": loading.as_dict(),
        "input_format": fmt.describe(),
        "truncation": f"truncate to {max_tokens} tokens (special tokens included); cut positions are not scored",
        "zeroshot": {"score": task.zeroshot.score, "likelihoods": rule,
                     "split": "test only (nothing is trained, so validation is not used)"},
        "cost": {"wall_time_s": time.perf_counter() - start, "train_samples_per_second": None,
                 "eval_samples_per_second": len(examples) / max(time.perf_counter() - start, 1e-9),
                 "peak_rss_mb": peak_rss_mb(), "peak_gpu_mb": None,
                 "n_parameters": int(sum(p.numel() for p in lm.parameters()))},
        "confidence_interval": primary_confidence_interval(task, rows),
    }
    return metrics, rows, details
