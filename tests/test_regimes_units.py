"""The probe and zero-shot regimes in small pieces, against hand computations: per-nucleotide likelihoods from a
masked LM (single-nucleotide and k-mer vocabularies), the zero-shot task rules, and the feature cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gfmbench.suites.registry import get_task


@pytest.fixture(scope="module")
def char_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from gfmbench.harness.tiny import save_tiny_model

    return save_tiny_model(tmp_path_factory.mktemp("char-bert"), "bert", "char", seed=3)


def _example(folder: Path, sequence: str):
    from transformers import AutoTokenizer

    from gfmbench.harness.align import detect_input_format, encode
    from gfmbench.harness.data import Example

    tokenizer = AutoTokenizer.from_pretrained(folder)
    fmt = detect_input_format(tokenizer)
    enc = encode(tokenizer, fmt, [sequence], 64)[0]
    return tokenizer, fmt, Example(id="x", encoded=enc, labels=None, reference=None, extra={"sequence": sequence})


def _masked_by_hand(lm, tokenizer, ex, sequence: str, masked: bool = True) -> np.ndarray:
    """Per-nucleotide base probabilities computed directly: one forward pass per nucleotide (or one unmasked pass)."""
    import torch

    vocab = tokenizer.get_vocab()
    out = []
    for i in range(len(sequence)):
        ids = torch.tensor([ex.encoded.input_ids])
        if masked:
            ids[0, i + 1] = tokenizer.mask_token_id  # [CLS] comes first
        with torch.no_grad():
            p = torch.softmax(lm(input_ids=ids).logits[0, i + 1].double(), -1).numpy()
        by_base = np.array([p[vocab["A"]], p[vocab["C"]], p[vocab["G"]], p[vocab["T"]] + p[vocab["U"]]])
        out.append(by_base / by_base.sum())
    return np.array(out)


def test_single_nucleotide_marginals_equal_a_direct_masked_computation(char_bert: Path) -> None:
    from transformers import AutoModelForMaskedLM

    from gfmbench.harness.zeroshot import Batching, base_columns, base_probabilities

    sequence = "GATTACAGC"
    tokenizer, fmt, ex = _example(char_bert, sequence)
    lm = AutoModelForMaskedLM.from_pretrained(char_bert).eval()
    got, covered, lengths = base_probabilities(lm, [ex], "masked", tokenizer.mask_token_id, tokenizer.pad_token_id,
                                               base_columns(tokenizer, fmt), Batching(max_rows=4))  # several passes
    assert covered.all() and lengths.tolist() == [len(sequence)]
    # a batch of 4 masked copies vs one sequence: float32 kernels of other shapes differ in the last bits
    np.testing.assert_allclose(got, _masked_by_hand(lm, tokenizer, ex, sequence), rtol=1e-5)


def test_passes_packed_across_sequences_of_other_lengths_give_the_per_sequence_marginals(char_bert: Path) -> None:
    from transformers import AutoModelForMaskedLM

    from gfmbench.harness.zeroshot import BASELINE_BATCHING, Batching, _batches, _rows, base_columns, base_probabilities

    sequences = ["GATTACAGC", "ACG", "TTGACCAGTAGGCA", "CCGA"]
    examples = []
    for s in sequences:
        tokenizer, fmt, ex = _example(char_bert, s)
        examples.append(ex)
    lm = AutoModelForMaskedLM.from_pretrained(char_bert).eval()
    tables = base_columns(tokenizer, fmt)
    packed = Batching(tokens=64)
    rows = _rows(examples, "masked")
    batches = list(_batches(rows, packed, can_pad=True))
    assert sum(len(b) for b in batches) == sum(map(len, sequences)) == len(rows)
    assert all(len(b) * max(r.length for r in b) <= 64 for b in batches)
    assert any(len({r.example for r in b}) > 1 for b in batches)  # passes do mix sequences (padded)
    # a model without an attention mask never gets rows of two lengths in one pass
    assert all(len({r.length for r in b}) == 1 for b in _batches(rows, packed, can_pad=False))
    # the baseline: one sequence per pass, at most 64 rows
    assert all(len({r.example for r in b}) == 1 for b in _batches(rows, BASELINE_BATCHING, can_pad=True))
    args = (lm, examples, "masked", tokenizer.mask_token_id, tokenizer.pad_token_id, tables)
    got, covered, lengths = base_probabilities(*args, packed)
    base, _, _ = base_probabilities(*args, BASELINE_BATCHING)
    assert covered.all() and lengths.tolist() == [len(s) for s in sequences]
    np.testing.assert_allclose(got, base, rtol=1e-5)
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    for i, s in enumerate(sequences):
        np.testing.assert_allclose(got[bounds[i]:bounds[i + 1]], _masked_by_hand(lm, tokenizer, examples[i], s),
                                   rtol=1e-5)


def test_wild_type_marginals_are_one_unmasked_pass_and_a_recipe_of_their_own(char_bert: Path) -> None:
    from transformers import AutoModelForMaskedLM

    from gfmbench.harness.recipe import recipe_id, regime_label
    from gfmbench.harness.zeroshot import (
        ZeroShotError,
        base_columns,
        base_probabilities,
        zeroshot_estimator,
        zeroshot_settings,
    )

    sequence = "GATTACAGCT"
    tokenizer, fmt, ex = _example(char_bert, sequence)
    lm = AutoModelForMaskedLM.from_pretrained(char_bert).eval()
    got, covered, _ = base_probabilities(lm, [ex], "wildtype", tokenizer.mask_token_id, tokenizer.pad_token_id,
                                         base_columns(tokenizer, fmt))
    assert covered.all()
    np.testing.assert_allclose(got, _masked_by_hand(lm, tokenizer, ex, sequence, masked=False), rtol=1e-5)
    _, task = get_task("SNMD", "rgb")
    masked, wildtype = zeroshot_settings(task), zeroshot_settings(task, "wildtype")
    assert masked == {"score": "mutated_position"}  # masked-marginal recipes keep the ids they had
    assert wildtype == {"score": "mutated_position", "estimator": "wildtype"} and recipe_id(masked) != recipe_id(
        wildtype)
    assert (regime_label("zeroshot", masked), regime_label("zeroshot", wildtype)) == ("zeroshot", "zeroshot-wildtype")
    with pytest.raises(ZeroShotError, match="causal"):
        zeroshot_estimator(False, "wildtype")
    with pytest.raises(ZeroShotError, match="unknown zero-shot scoring"):
        zeroshot_settings(task, "pseudo")


def test_kmer_token_marginals_split_the_vocabulary_by_offset(tmp_path: Path) -> None:
    from gfmbench.harness.tiny import save_tiny_model
    from gfmbench.harness.zeroshot import base_columns, nucleotide_probabilities

    folder = save_tiny_model(tmp_path / "kmer", "bert", "kmer3")
    sequence = "ACGTTGCA"  # tokens ACG, TTG, CA
    tokenizer, fmt, ex = _example(folder, sequence)
    rng = np.random.default_rng(0)
    token_probs = rng.dirichlet(np.ones(len(tokenizer)), size=len(ex.encoded.input_ids))
    got, covered = nucleotide_probabilities(token_probs, ex.encoded.spans, len(sequence), base_columns(tokenizer, fmt))
    assert covered.all()
    np.testing.assert_allclose(got.sum(axis=1), 1.0)
    vocab = tokenizer.get_vocab()
    p = token_probs[1]  # the token ACG covers nucleotides 0..2
    words = {w: i for w, i in vocab.items() if len(w) == 3 and set(w) <= set("ACGTU")}
    total = sum(p[i] for i in words.values())
    for j in range(3):
        expected = [sum(p[i] for w, i in words.items() if w[j].replace("U", "T") == b) / total for b in "ACGT"]
        np.testing.assert_allclose(got[j], expected, rtol=1e-9)


def test_overlapping_kmers_have_no_zero_shot_reading(tmp_path: Path) -> None:
    from gfmbench.harness.tiny import save_tiny_model
    from gfmbench.harness.zeroshot import ZeroShotError, base_columns

    folder = save_tiny_model(tmp_path / "kmer3o", "bert", "kmer3o")
    tokenizer, fmt, _ = _example(folder, "ACGTACGT")
    with pytest.raises(ZeroShotError, match="overlapping k-mer"):
        base_columns(tokenizer, fmt)


def test_zero_shot_task_rules_by_hand() -> None:
    from gfmbench.harness.zeroshot import task_outputs

    base_probs = np.array([[0.7, 0.1, 0.1, 0.1], [0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25]])
    _, snmd = get_task("SNMD", "rgb")
    out = np.exp(task_outputs(snmd, "AUN", base_probs))  # U is read as T; N has no likelihood
    np.testing.assert_allclose(out[:, 1], [0.3, 0.6, 0.5])  # P(mutated) = 1 - P(observed)
    _, snmr = get_task("SNMR", "rgb")  # labels A, T, G, C; the observed base is excluded
    out = np.exp(task_outputs(snmr, "AUN", base_probs))
    np.testing.assert_allclose(out[0], [0.0, 0.1 / 0.3, 0.1 / 0.3, 0.1 / 0.3], atol=1e-9)
    np.testing.assert_allclose(out[1], [0.1 / 0.6, 0.0, 0.3 / 0.6, 0.2 / 0.6], atol=1e-9)
    assert out[1].argmax() == 2  # G: the likeliest base that is not the observed U


def test_only_token_tasks_with_matching_labels_can_declare_zero_shot() -> None:
    from pydantic import ValidationError

    from gfmbench.suites.schema import TaskSpec

    _, snmd = get_task("SNMD", "rgb")
    data = snmd.model_dump()
    data.update(labels=["a", "b", "c"])
    with pytest.raises(ValidationError, match="mutated_position needs two labels"):
        TaskSpec(**data)
    _, te = get_task("TE_Rice", "rgb")
    with pytest.raises(ValidationError, match="token_classification tasks only"):
        TaskSpec(**{**te.model_dump(), "zeroshot": {"score": "mutated_position"}})


def test_feature_cache_round_trip_and_a_damaged_entry_is_recomputed() -> None:
    from gfmbench.harness.features import SplitFeatures, cache_path, cached_features

    key = {"model_content": "ab" * 32, "dataset_revision": "c" * 40, "config": "SNMD", "split": "test",
           "max_tokens": 10}
    made = []

    def make() -> SplitFeatures:
        made.append(1)
        return SplitFeatures(values=np.arange(6, dtype=np.float32).reshape(3, 2), lengths=np.array([1, 2]),
                             covered=np.array([True, True, False]))

    first, hit = cached_features(key, make)
    again, hit2 = cached_features(key, make)
    assert (hit, hit2, len(made)) == (False, True, 1)
    np.testing.assert_array_equal(again.values, first.values)
    assert [c.tolist() for _, c in again.per_example()] == [[True], [True, False]]
    cache_path(key).write_bytes(b"not an npz")
    _, hit3 = cached_features(key, make)
    assert (hit3, len(made)) == (False, 2)
    other, hit4 = cached_features({**key, "dataset_revision": "d" * 40}, make)  # another revision: its own entry
    assert (hit4, len(made)) == (False, 3)


@pytest.mark.parametrize("suite,config", [("pgb", "chromatin_access_arabidopis_thaliana"),
                                          ("pgb", "promoter_strength_leaf"), ("gb",
                                                                              "demo_coding_vs_intergenomic_seqs")])
def test_probe_recovers_a_planted_linear_signal(suite: str, config: str) -> None:
    """Features with a known linear relation to the labels: the probe's test score must be near perfect."""
    from gfmbench.harness.data import Example
    from gfmbench.harness.features import SplitFeatures
    from gfmbench.harness.kinds import kind_of
    from gfmbench.harness.probe import _design, _rows
    from gfmbench.harness.scoring import score_predictions

    _, task = get_task(config, suite)
    rng = np.random.default_rng(0)
    w = rng.normal(size=(16, 6))

    def split(n: int):
        x = rng.normal(size=(n, 16)).astype(np.float32)
        signal = x @ w
        if task.type == "multilabel_classification":
            refs = (signal > 0).astype(int).tolist()
        elif task.type == "sequence_regression":
            refs = [[v] for v in signal[:, 0]]
        else:
            refs = (signal[:, 0] > 0).astype(int).tolist()
        examples = [Example(id=str(i), encoded=None, labels=None, reference=r, extra={}) for i, r in enumerate(refs)]
        return examples, SplitFeatures(values=x)

    (train, f_train), (test, f_test) = split(400), split(200)
    x, y = _design(task, train, f_train)
    fitted = kind_of(task).probe_fit(x, y, 1.0, 0)
    metrics = score_predictions(task, _rows(task, fitted, test, f_test, len(task.labels or [])))
    assert metrics[task.primary_metric] > 0.9, metrics
