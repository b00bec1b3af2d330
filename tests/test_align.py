"""Label alignment on every tokenizer kind (single nucleotide, k-mer, overlapping k-mer, BPE), property-tested."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gfmbench.harness.align import (
    IGNORE_INDEX,
    detect_input_format,
    encode,
    to_nucleotides,
    token_class_labels,
    token_values,
)
from gfmbench.harness.tiny import build_tokenizer

KINDS = ["char", "kmer3", "kmer3o", "bpe"]
TOKENIZERS = {kind: build_tokenizer(kind) for kind in KINDS}
CASES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                        HealthCheck.function_scoped_fixture])
sequences = st.text(alphabet="ACGU", min_size=3, max_size=80)


def test_input_formats_are_detected() -> None:
    formats = {kind: detect_input_format(TOKENIZERS[kind]) for kind in KINDS}
    assert formats["char"].kind == "raw" and formats["bpe"].kind == "raw" and formats["kmer3"].kind == "raw"
    assert formats["kmer3o"].kind == "kmer_overlap" and formats["kmer3o"].k == 3
    assert formats["kmer3o"].translate == {"U": "T"}  # its vocabulary is DNA-only
    assert formats["kmer3o"].text("ACGUA") == "ACG CGT GTA"


@pytest.mark.parametrize("kind", KINDS)
@CASES
@given(seq=sequences, data=st.data())
def test_every_nucleotide_maps_to_a_token_that_covers_it(kind: str, seq: str, data: st.DataObject) -> None:
    tokenizer = TOKENIZERS[kind]
    fmt = detect_input_format(tokenizer)
    max_length = data.draw(st.one_of(st.none(), st.integers(3, 40)))
    enc = encode(tokenizer, fmt, [seq], max_length)[0]
    assert len(enc.nt_to_token) == len(seq)
    covered = enc.nt_to_token >= 0
    for i in np.flatnonzero(covered):
        start, end = enc.spans[enc.nt_to_token[i]]
        assert start <= i < end
    if max_length is None:
        assert covered.all()
    else:  # truncation cuts a suffix, never a hole
        assert not covered.any() or covered[: np.flatnonzero(covered).max() + 1].all()
    special = enc.spans[:, 0] < 0
    assert special.sum() >= 1  # [CLS]/[SEP] have no nucleotide


@pytest.mark.parametrize("kind", KINDS)
@CASES
@given(seq=sequences, data=st.data())
def test_class_labels_round_trip(kind: str, seq: str, data: st.DataObject) -> None:
    tokenizer = TOKENIZERS[kind]
    enc = encode(tokenizer, detect_input_format(tokenizer), [seq], None)[0]
    labels = data.draw(st.lists(st.integers(-1, 2), min_size=len(seq), max_size=len(seq)))
    token_labels = np.asarray(token_class_labels(enc, labels))
    special = enc.spans[:, 0] < 0
    assert (token_labels[special] == IGNORE_INDEX).all()
    for t in np.flatnonzero(~special):  # a token carries its first nucleotide's label
        first = labels[enc.spans[t, 0]]
        assert token_labels[t] == (IGNORE_INDEX if first == -1 else first)
    # feeding the token labels back as "predictions": each nucleotide gets its covering token's label
    back, covered = to_nucleotides(enc, token_labels)
    assert covered.all()
    for i, value in enumerate(back):
        assert value == token_labels[enc.nt_to_token[i]]
    if kind == "char":  # one token per nucleotide: the round trip is exact
        assert [IGNORE_INDEX if v == -1 else v for v in labels] == back.tolist()


@pytest.mark.parametrize("kind", KINDS)
@CASES
@given(seq=sequences, data=st.data())
def test_regression_values_are_token_means(kind: str, seq: str, data: st.DataObject) -> None:
    tokenizer = TOKENIZERS[kind]
    enc = encode(tokenizer, detect_input_format(tokenizer), [seq], None)[0]
    values = np.asarray(data.draw(st.lists(st.one_of(st.none(), st.floats(-5, 5)), min_size=len(seq),
                                           max_size=len(seq))), dtype=np.float64)
    out = token_values(enc, values)
    for t, (start, end) in enumerate(enc.spans):
        chunk = values[start:end] if start >= 0 else np.array([np.nan])
        expected = np.nanmean(chunk) if start >= 0 and not np.isnan(chunk).all() else np.nan
        assert (np.isnan(out[t, 0]) and np.isnan(expected)) or out[t, 0] == pytest.approx(expected)


def test_overlapping_kmers_by_hand() -> None:
    tokenizer = TOKENIZERS["kmer3o"]
    enc = encode(tokenizer, detect_input_format(tokenizer), ["ACGTAC"], None)[0]
    assert tokenizer.convert_ids_to_tokens(enc.input_ids) == ["[CLS]", "ACG", "CGT", "GTA", "TAC", "[SEP]"]
    assert enc.spans.tolist() == [[-1, -1], [0, 3], [1, 4], [2, 5], [3, 6], [-1, -1]]
    # nucleotide i -> the token starting at i; the last k-1 nucleotides -> the last token covering them
    assert enc.nt_to_token.tolist() == [1, 2, 3, 4, 4, 4]
    assert token_class_labels(enc, [0, 1, 2, 0, 1, 2]) == [IGNORE_INDEX, 0, 1, 2, 0, IGNORE_INDEX]


def test_windows_cover_long_sequences_and_merge_back() -> None:
    """Windows of a sequence longer than the model's max length: every nucleotide covered, and the merged
    prediction of each nucleotide comes from the window where it is farthest from an edge."""
    from datasets import ClassLabel, Dataset, Features, List, Value

    from gfmbench.harness.data import build_examples, plan_windows
    from gfmbench.harness.scoring import example_outputs
    from gfmbench.suites import get_suite

    assert plan_windows(10, 20) == [0]
    assert plan_windows(10, 4) == [0, 2, 4, 6]
    task = get_suite("rgb").task("SSP_Archive2")
    tokenizer = TOKENIZERS["char"]
    seq = "GGGAAACCCUUUGGGAAACCC"
    structure = "(((...)))...(((...)))"
    labels = [{"(": 0, ")": 1, ".": 2}[c] for c in structure]
    split = Dataset.from_dict({"id": ["test-000000"], "sequence": [seq], "label": [labels], "structure": [structure]},
                              features=Features({"id": Value("string"), "sequence": Value("string"),
                                                 "label": List(ClassLabel(names=["(", ")", "."])),
                                                 "structure": Value("string")}))
    fmt = detect_input_format(tokenizer)
    truncated = build_examples(task, split, tokenizer, fmt, max_length=10)
    assert len(truncated) == 1 and truncated[0].encoded.truncated_positions == len(seq) - 8
    windows = build_examples(task, split, tokenizer, fmt, max_length=10, long_sequences="window")
    assert [w.window for w in windows] == [(0, 21), (4, 21), (8, 21), (12, 21), (13, 21)]
    # "logits" that make each window predict its own reference labels: merged, they give the labels back
    logits = np.full((len(windows), 10, 3), -5.0)
    for i, w in enumerate(windows):
        for t, label in enumerate(w.labels):
            if label >= 0:
                logits[i, t, label] = 5.0
    (row,) = example_outputs(task, windows, logits)
    assert all(row["covered"]) and row["prediction"] == labels and row["structure"] == structure


@pytest.mark.parametrize("kind", KINDS)
@CASES
@given(seqs=st.lists(sequences, min_size=2, max_size=6), data=st.data())
def test_a_batch_aligns_each_sequence_as_if_alone(kind: str, seqs: list[str], data: st.DataObject) -> None:
    """The batch is aligned in one pass over the sequences laid end to end: nothing may leak between them."""
    tokenizer = TOKENIZERS[kind]
    fmt = detect_input_format(tokenizer)
    max_length = data.draw(st.one_of(st.none(), st.integers(3, 40)))
    pairs = data.draw(st.one_of(st.none(), st.lists(sequences, min_size=len(seqs), max_size=len(seqs))))
    batch = encode(tokenizer, fmt, seqs, max_length, pairs=pairs)
    for i, seq in enumerate(seqs):
        alone = encode(tokenizer, fmt, [seq], max_length, pairs=None if pairs is None else [pairs[i]])[0]
        assert batch[i].input_ids == alone.input_ids
        assert (batch[i].spans == alone.spans).all() and (batch[i].nt_to_token == alone.nt_to_token).all()


@pytest.mark.parametrize("kind", KINDS)
def test_the_rust_backend_path_equals_the_transformers_call(kind: str) -> None:
    """`encode` calls a fast tokenizer's backend directly; the ids, offsets and special tokens must be those of
    `tokenizer(...)`, and the tokenizer's truncation/padding state must be left as it was."""
    from gfmbench.harness.align import _tokenize

    tokenizer = TOKENIZERS[kind]
    fmt = detect_input_format(tokenizer)
    texts = [fmt.text(s) for s in ("ACGUACGUAC", "GGGAAACCCUUU", "A" * 50)]
    pairs = [fmt.text(s) for s in ("ACG", "UUUU", "GC")]
    for second in (None, pairs):
        before = (tokenizer.backend_tokenizer.truncation, tokenizer.backend_tokenizer.padding)
        ours = list(_tokenize(tokenizer, texts, second, 12))
        assert (tokenizer.backend_tokenizer.truncation, tokenizer.backend_tokenizer.padding) == before
        ref = tokenizer(texts, second, truncation=True, max_length=12, return_offsets_mapping=True,
                        return_special_tokens_mask=True)
        for i, (ids, _, offsets, special) in enumerate(ours):
            assert ids == ref["input_ids"][i] and [tuple(o) for o in offsets] == [tuple(o) for o in
                                                                                   ref["offset_mapping"][i]]
            expected = np.asarray(ref["special_tokens_mask"][i], dtype=bool)
            if second is not None:
                expected |= np.asarray(ref.sequence_ids(i)) != 0
            assert (np.asarray(special, dtype=bool) == expected).all()


@pytest.mark.parametrize("kind", KINDS)
@CASES
@given(seqs=st.lists(st.text(alphabet="ACGUN", min_size=1, max_size=60), min_size=1, max_size=5), data=st.data())
def test_spans_from_ids_equal_the_tokenizer_offsets(kind: str, seqs: list[str], data: st.DataObject,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Plain vocabularies get token spans from the ids alone (no offsets from the tokenizer); the result must be
    the offsets path's, and anything the shortcut cannot vouch for (unknown tokens) must take the offsets path."""
    import gfmbench.harness.align as align

    tokenizer = TOKENIZERS[kind]
    fmt = detect_input_format(tokenizer)
    max_length = data.draw(st.one_of(st.none(), st.integers(3, 30)))
    fast = encode(tokenizer, fmt, seqs, max_length)
    with monkeypatch.context() as patch:
        patch.setattr(align, "plain_token_lengths", lambda _tokenizer: None)
        slow = encode(tokenizer, fmt, seqs, max_length)
    for a, b in zip(fast, slow, strict=True):
        assert a.input_ids == b.input_ids and a.token_type_ids == b.token_type_ids
        assert (a.spans == b.spans).all() and (a.nt_to_token == b.nt_to_token).all()


def test_which_tokenizers_take_the_shortcut() -> None:
    from gfmbench.harness.align import plain_token_lengths

    assert all(plain_token_lengths(TOKENIZERS[kind]) is not None for kind in KINDS)
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    wordpiece = Tokenizer(models.WordPiece({"[UNK]": 0, "A": 1, "##C": 2}, unk_token="[UNK]"))
    wordpiece.pre_tokenizer = pre_tokenizers.Whitespace()
    assert plain_token_lengths(PreTrainedTokenizerFast(tokenizer_object=wordpiece)) is None  # "##" markers
    lowered = Tokenizer(models.WordLevel({"[UNK]": 0, "a": 1}, unk_token="[UNK]"))
    lowered.normalizer = normalizers.Lowercase()
    assert plain_token_lengths(PreTrainedTokenizerFast(tokenizer_object=lowered)) is None  # a normaliser
    byte_level = Tokenizer(models.BPE())
    byte_level.pre_tokenizer = pre_tokenizers.ByteLevel()
    assert plain_token_lengths(PreTrainedTokenizerFast(tokenizer_object=byte_level)) is None
