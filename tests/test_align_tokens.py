"""Alignment through token pieces (slow tokenizers, no offset mappings): hand-checked on Nucleotide Transformer's
`EsmTokenizer` scheme, identical to the offset path wherever a tokenizer has both (property test), and refused —
never scored — when the tokens do not reproduce the input or are mostly unknown."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gfmbench.harness import align
from gfmbench.harness.align import AlignmentError, detect_input_format, encode, tokenize_by_pieces
from gfmbench.harness.tiny import build_tokenizer


@pytest.fixture(scope="module")
def nt_tokenizer(tmp_path_factory: pytest.TempPathFactory):
    from transformers import EsmTokenizer

    folder = tmp_path_factory.mktemp("nt")
    words = ["<unk>", "<pad>", "<mask>", "<cls>", "<eos>", "<bos>"]
    words += ["".join(p) for p in itertools.product("ATCG", repeat=6)] + list("ATCGN")
    (folder / "vocab.txt").write_text("\n".join(words) + "\n")
    return EsmTokenizer(str(folder / "vocab.txt"), unk_token="<unk>", pad_token="<pad>", mask_token="<mask>",
                        cls_token="<cls>", eos_token=None)


def test_nt_six_mers_align_by_hand(nt_tokenizer) -> None:
    assert not nt_tokenizer.is_fast
    fmt = detect_input_format(nt_tokenizer)
    assert fmt.translate == {"U": "T"}
    # 6-mers left to right; single nucleotides where fewer than 6 remain or an N interrupts; <cls>, no <eos>
    enc = encode(nt_tokenizer, fmt, ["ACGTACGTANNACGUACGTAC"], None)[0]
    assert nt_tokenizer.convert_ids_to_tokens(enc.input_ids) == ["<cls>", "ACGTAC", "G", "T", "A", "N", "N",
                                                                  "ACGTAC", "G", "T", "A", "C"]
    assert enc.spans.tolist() == [[-1, -1], [0, 6], [6, 7], [7, 8], [8, 9], [9, 10], [10, 11], [11, 17], [17, 18],
                                  [18, 19], [19, 20], [20, 21]]
    assert enc.nt_to_token.tolist() == [1] * 6 + [2, 3, 4, 5, 6] + [7] * 6 + [8, 9, 10, 11]
    assert enc.unknown_tokens == 0
    # truncation: 4 tokens with <cls>; the rest is cut and counted
    cut = encode(nt_tokenizer, fmt, ["ACGTACGTANNACG"], 4)[0]
    assert cut.nt_to_token.tolist() == [1] * 6 + [2, 3] + [-1] * 6 and cut.truncated_positions == 6


def test_an_unknown_character_keeps_its_position(nt_tokenizer) -> None:
    enc = encode(nt_tokenizer, detect_input_format(nt_tokenizer), ["ACGXA"], None)[0]
    assert enc.unknown_tokens == 1
    assert enc.nt_to_token.tolist() == [1, 2, 3, 4, 5] and enc.spans[4].tolist() == [3, 4]


SEQUENCES = st.lists(st.text(alphabet="ACGTN", min_size=1, max_size=40), min_size=1, max_size=6)


@pytest.mark.parametrize("kind", ["char", "kmer3", "kmer3o", "bpe"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequences=SEQUENCES, max_length=st.one_of(st.none(), st.integers(min_value=3, max_value=20)))
def test_pieces_and_offsets_give_identical_alignments(kind: str, sequences: list[str],
                                                      max_length: int | None) -> None:
    tokenizer = build_tokenizer(kind)
    fmt = detect_input_format(tokenizer)
    texts = [fmt.text(s) for s in sequences]
    by_offsets = list(align._tokenize(tokenizer, texts, None, max_length))
    by_pieces = list(tokenize_by_pieces(tokenizer, texts, None, max_length))
    for (ids_a, _, offsets_a, special_a), (ids_b, _, offsets_b, special_b) in zip(by_offsets, by_pieces,
                                                                                   strict=True):
        assert list(ids_a) == list(ids_b)
        assert [bool(m) for m in special_a] == list(special_b)
        kept_a = [tuple(o) for o, m in zip(offsets_a, special_a, strict=True) if not m]
        kept_b = [tuple(o) for o, m in zip(offsets_b, special_b, strict=True) if not m]
        assert kept_a == kept_b


def test_pieces_that_do_not_reproduce_the_input_are_refused() -> None:
    with pytest.raises(AlignmentError, match=r"input 0: token 1 'GGG' does not match the input at character 3"):
        align.piece_offsets(0, "ACGTTT", ["ACG", "GGG"], "[UNK]")


def test_a_tokenizer_that_drops_characters_is_refused() -> None:
    positions = [np.array([0, 0, -1, 1]), np.array([0, 1])]
    with pytest.raises(AlignmentError, match=r"input 0: nucleotide 2 is covered by no token"):
        align.check_coverage(positions, np.array([3, 3]), None)
    align.check_coverage([np.array([0, 1, -1, -1])], np.array([4]), 4)  # a cut tail is allowed at max_length


def _whole_word_tokenizer(tmp_path: Path):
    """A mis-built tokenizer: whole words, a vocabulary without nucleotides: every sequence is one [UNK]."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2),
                                                                                               ("[SEP]", 3)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]", cls_token="[CLS]",
                                   sep_token="[SEP]")


def test_a_split_of_unknown_tokens_is_an_error_naming_examples(tmp_path: Path) -> None:
    import datasets

    from gfmbench.harness.data import TaskDataError, build_examples
    from gfmbench.suites import get_suite

    task = get_suite("gue").task("mouse_tf_3")
    split = datasets.Dataset.from_dict({"id": ["test-0", "test-1"], "sequence": ["ACGTACGT", "GGGCCCAA"],
                                        "label": [0, 1]})
    tokenizer = _whole_word_tokenizer(tmp_path)
    with pytest.raises(TaskDataError, match=r"mouse_tf_3: 100.0% of the sequence tokens are the tokenizer's "
                                            r"unknown token .*test-0 \(1 of 1 tokens\)"):
        build_examples(task, split, tokenizer, detect_input_format(tokenizer), 64)
    # one unknown in 200 tokens (0.5 %) is tolerated
    char = build_tokenizer("char")
    mostly_fine = datasets.Dataset.from_dict({"id": ["a", "b"], "sequence": ["A" * 100, "A" * 99 + "X"],
                                              "label": [0, 1]})
    examples = build_examples(task, mostly_fine, char, detect_input_format(char), 256)
    assert [ex.encoded.unknown_tokens for ex in examples] == [0, 1]
