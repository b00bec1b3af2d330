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


def test_single_nucleotide_marginals_equal_a_direct_masked_computation(char_bert: Path) -> None:
    import torch
    from transformers import AutoModelForMaskedLM

    from gfmbench.harness.zeroshot import base_columns, nucleotide_probabilities, token_distributions

    sequence = "GATTACAGC"
    tokenizer, fmt, ex = _example(char_bert, sequence)
    lm = AutoModelForMaskedLM.from_pretrained(char_bert).eval()
    probs = token_distributions(lm, True, ex, tokenizer.mask_token_id, batch_size=4)  # several batches
    got, covered = nucleotide_probabilities(probs, ex.encoded.spans, len(sequence), base_columns(tokenizer, fmt))
    assert covered.all()
    vocab = tokenizer.get_vocab()
    for i in range(len(sequence)):
        ids = torch.tensor([ex.encoded.input_ids])
        ids[0, i + 1] = tokenizer.mask_token_id  # [CLS] comes first
        with torch.no_grad():
            p = torch.softmax(lm(input_ids=ids).logits[0, i + 1].double(), -1).numpy()
        by_base = np.array([p[vocab["A"]], p[vocab["C"]], p[vocab["G"]], p[vocab["T"]] + p[vocab["U"]]])
        # a batch of 4 masked copies vs one sequence: float32 kernels of other shapes differ in the last bits
        np.testing.assert_allclose(got[i], by_base / by_base.sum(), rtol=1e-5)


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
                                          ("pgb", "promoter_strength_leaf"), ("gb", "demo_coding_vs_intergenomic_seqs")])
def test_probe_recovers_a_planted_linear_signal(suite: str, config: str) -> None:
    """Features with a known linear relation to the labels: the probe's test score must be near perfect."""
    from gfmbench.harness.data import Example
    from gfmbench.harness.features import SplitFeatures
    from gfmbench.harness.probe import _design, _fit, _rows
    from gfmbench.harness.scoring import score_predictions

    _, task = get_task(config, suite)
    rng = np.random.default_rng(0)
    w = rng.normal(size=(16, 6))

    def split(n: int):  # noqa: ANN202
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
    metrics = score_predictions(task, _rows(task, _fit(task, x, y, 1.0, 0), test, f_test, len(task.labels or [])))
    assert metrics[task.primary_metric] > 0.9, metrics
