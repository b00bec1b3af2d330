"""Tokenisation and nucleotide <-> token alignment, so that every model is scored per nucleotide whatever its
tokenizer (single nucleotide, k-mer, overlapping k-mer, BPE).

The rules (one each way):
* **labels to tokens**: a token takes the label of its first nucleotide (classification), or the mean of its
  nucleotides' values, ignoring unscored ones (regression). Special tokens get the ignore value.
* **predictions to nucleotides**: a nucleotide takes the prediction of the covering token with the greatest start
  (the only covering token, except for overlapping k-mers). Nucleotides cut off by truncation get no prediction and
  are counted in the result as `truncated_positions`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, Literal

import numpy as np

from gfmbench.errors import GfmbenchError
from gfmbench.metrics.functional import IGNORE_INDEX
from gfmbench.pairmaps import covered_pairs

DNA_BASES = set("ACGT")
SUBWORD_MARKERS = ("##", "\u2581", "\u0120")  # WordPiece continuation, SentencePiece and byte-level word starts


class AlignmentError(GfmbenchError):
    """The tokens of one input do not reproduce its nucleotides (a tokenizer that drops, adds or rewrites
    characters): aligning labels through them would score the wrong positions. `index` is the input's position in
    the batch, so the caller can name the example."""

    def __init__(self, index: int, detail: str) -> None:
        self.index, self.detail = index, detail
        super().__init__(f"input {index}: {detail}")


@dataclass(frozen=True)
class InputFormat:
    """How a nucleotide sequence becomes tokenizer input text."""

    kind: Literal["raw", "kmer_overlap"] = "raw"
    k: int = 1
    translate: dict[str, str] = field(default_factory=dict)  # e.g. {"U": "T"} for a DNA vocabulary

    def text(self, sequence: str) -> str:
        table: dict[str, str | int | None] = dict(self.translate)
        seq = sequence.translate(str.maketrans(table)) if table else sequence
        if self.kind == "kmer_overlap":
            return " ".join(seq[i:i + self.k] for i in range(max(1, len(seq) - self.k + 1)))
        return seq

    def spans(self, offsets: np.ndarray) -> np.ndarray:
        """Character offsets (T, 2) of the input text -> nucleotide spans (T, 2)."""
        if self.kind == "kmer_overlap":
            start = offsets[:, 0] // (self.k + 1)
            return np.stack([start, start + self.k], axis=1)
        return offsets

    def describe(self) -> str:
        base = f"overlapping {self.k}-mers" if self.kind == "kmer_overlap" else "raw sequence"
        return base + (f", {''.join(f'{a}->{b}' for a, b in self.translate.items())}" if self.translate else "")


def detect_input_format(tokenizer: Any) -> InputFormat:
    """Infer the input format from the vocabulary: a vocabulary of only k-mers over ACGT (k >= 2) with no single
    nucleotides is the DNABERT-1 overlapping scheme; U/T are converted to whichever the vocabulary knows."""
    specials = set(getattr(tokenizer, "all_special_tokens", []))
    words = [w for w in tokenizer.get_vocab() if w not in specials and not w.startswith("[")]
    has_t = any("T" in w.upper() for w in words)
    has_u = any("U" in w.upper() for w in words)
    translate = {"U": "T"} if has_t and not has_u else {"T": "U"} if has_u and not has_t else {}
    lengths = {len(w) for w in words}
    if len(lengths) == 1 and (k := lengths.pop()) >= 2 and all(set(w) <= DNA_BASES for w in words) \
            and len(words) >= 0.9 * 4 ** k:
        return InputFormat("kmer_overlap", k, translate)
    return InputFormat("raw", 1, translate)


@dataclass
class EncodedSequence:
    input_ids: list[int]
    token_type_ids: list[int] | None
    spans: np.ndarray  # (T, 2) nucleotide span per token; (-1, -1) for special tokens
    nt_to_token: np.ndarray  # (n,) token index giving each nucleotide its prediction; -1 if truncated away
    unknown_tokens: int = 0  # tokens of the sequence that are the tokenizer's unknown token

    @property
    def truncated_positions(self) -> int:
        return int((self.nt_to_token < 0).sum())


def encode(tokenizer: Any, fmt: InputFormat, sequences: list[str], max_length: int | None,
           pairs: list[str] | None = None) -> list[EncodedSequence]:
    """Tokenise a batch with offsets and compute each sequence's alignment.

    The alignment runs once over the whole batch laid end to end (tokens and nucleotides of sequence k shifted by
    those of the sequences before it), which gives each sequence's result exactly, with a few NumPy calls per
    batch instead of a dozen per sequence."""
    out: list[EncodedSequence] = []
    for start in range(0, len(sequences), ENCODE_CHUNK):  # bounded memory: the tokenizer's encodings are large
        out += _encode_chunk(tokenizer, fmt, sequences[start:start + ENCODE_CHUNK], max_length,
                             None if pairs is None else pairs[start:start + ENCODE_CHUNK])
    return out


ENCODE_CHUNK = 2048


def _encode_chunk(tokenizer: Any, fmt: InputFormat, sequences: list[str], max_length: int | None,
                  pairs: list[str] | None) -> list[EncodedSequence]:
    texts = [fmt.text(s) for s in sequences]
    if pairs is not None:  # the second sequence of a pair gets the same input format (U/T, k-mers)
        pairs = [fmt.text(s) for s in pairs]
    with_types = "token_type_ids" in getattr(tokenizer, "model_input_names", ["token_type_ids"])
    lengths = np.fromiter(map(len, sequences), dtype=np.int64, count=len(sequences))
    fast = _spans_from_ids(tokenizer, fmt, texts, pairs, max_length, with_types)
    if fast is not None:
        ids_list, types_list, counts, offsets, special = fast
    else:
        tokenize = _tokenize if getattr(tokenizer, "backend_tokenizer", None) is not None else tokenize_by_pieces
        rows = list(tokenize(tokenizer, texts, pairs, max_length))
        ids_list, types_list = [r[0] for r in rows], [r[1] for r in rows]
        counts = np.fromiter((len(r[0]) for r in rows), dtype=np.int64, count=len(rows))
        total = int(counts.sum())
        offsets = np.fromiter(chain.from_iterable(chain.from_iterable(r[2] for r in rows)), dtype=np.int64,
                              count=2 * total).reshape(-1, 2)
        special = np.fromiter(chain.from_iterable(r[3] for r in rows), dtype=bool, count=total)
    owner = np.repeat(np.arange(len(sequences)), counts)  # the sequence of every token
    spans = np.minimum(fmt.spans(offsets), lengths[owner, None])
    spans[special] = -1
    first_nt = np.cumsum(lengths) - lengths
    first_token = np.cumsum(counts) - counts
    shifted = np.where(special[:, None], -1, spans + first_nt[owner, None])
    global_token = nucleotide_to_token(shifted, int(lengths.sum()))
    nt_owner = np.repeat(np.arange(len(sequences)), lengths)
    local = np.where(global_token >= 0, global_token - first_token[nt_owner], -1)
    span_parts = np.split(spans, np.cumsum(counts)[:-1])
    nt_parts = np.split(local, np.cumsum(lengths)[:-1])
    unk = getattr(tokenizer, "unk_token_id", None)
    unknown = [int(np.count_nonzero(np.asarray(ids) == unk)) if unk is not None else 0 for ids in ids_list]
    check_coverage(nt_parts, counts, max_length)
    return [EncodedSequence(input_ids=ids, token_type_ids=types if with_types else None, spans=span, nt_to_token=nt,
                            unknown_tokens=n_unk)
            for ids, types, span, nt, n_unk in zip(ids_list, types_list, span_parts, nt_parts, unknown, strict=True)]


def check_coverage(nt_to_token: list[np.ndarray], token_counts: np.ndarray, max_length: int | None) -> None:
    """Every nucleotide must be covered by a token, except a tail cut off by truncation (only possible when the
    input reached `max_length` tokens). A gap means the tokenizer dropped characters, and its labels would be
    aligned to the wrong nucleotides: an `AlignmentError` naming the input, never a score."""
    for index, (positions, count) in enumerate(zip(nt_to_token, token_counts, strict=True)):
        uncovered = np.flatnonzero(positions < 0)
        if uncovered.size == 0:
            continue
        first = int(uncovered[0])
        cut = max_length is not None and count >= max_length
        if not cut or uncovered.size != len(positions) - first:
            raise AlignmentError(index, f"nucleotide {first} is covered by no token (the tokenizer dropped "
                                        f"{uncovered.size} of {len(positions)} characters)")


def _normalised(text: str) -> str:
    return text.upper().replace("U", "T")


def piece_offsets(index: int, text: str, pieces: list[str], unk_token: str | None) -> list[tuple[int, int]]:
    """Character offsets of each token piece (`tokenizer.tokenize`) in the input text, matched in order; case and
    U/T are ignored and subword markers stripped. An unknown token keeps its text in `tokenize` for most
    tokenizers; one shown only as the unknown token covers the rest of its word. Anything else that does not match
    is an `AlignmentError`: the tokens would not reproduce the input."""
    source = _normalised(text)
    out: list[tuple[int, int]] = []
    cursor = 0
    for k, piece in enumerate(pieces):
        while cursor < len(text) and text[cursor].isspace():
            cursor += 1
        if unk_token is not None and piece == unk_token and not source.startswith(_normalised(piece), cursor):
            end = cursor
            while end < len(text) and not text[end].isspace():
                end += 1
            out.append((cursor, end))
            cursor = end
            continue
        for candidate in (piece, *(piece[len(m):] for m in SUBWORD_MARKERS if piece.startswith(m))):
            if candidate and source.startswith(_normalised(candidate), cursor):
                out.append((cursor, cursor + len(candidate)))
                cursor += len(candidate)
                break
        else:
            raise AlignmentError(index, f"token {k} {piece!r} does not match the input at character {cursor} "
                                        f"({text[cursor:cursor + 12]!r}...)")
    return out


def tokenize_by_pieces(tokenizer: Any, texts: list[str], pairs: list[str] | None,
                       max_length: int | None) -> Any:
    """(ids, type ids, offsets, special-token mask) per text for any tokenizer, slow ones included (no offset
    mappings): ids, special tokens, truncation and type ids from the tokenizer's own call; each kept token's
    characters from its piece (`tokenize`), matched against the input (`piece_offsets`). The pieces must give the
    same ids as the call, else the alignment is refused."""
    batch = tokenizer(texts, pairs, return_special_tokens_mask=True, return_token_type_ids=True,
                      truncation=max_length is not None, max_length=max_length)
    unk = getattr(tokenizer, "unk_token", None)
    special_ids = set(getattr(tokenizer, "all_special_ids", [])) - {getattr(tokenizer, "unk_token_id", None)}
    for i, text in enumerate(texts):
        ids = list(batch["input_ids"][i])
        special = [bool(m) for m in batch["special_tokens_mask"][i]]
        if len(special) != len(ids):  # a tokenizer whose mask assumes a token it does not add (ESM without <eos>)
            special = [t in special_ids for t in ids]
        kept = [t for t, m in zip(ids, special, strict=True) if not m]
        pieces = tokenizer.tokenize(text)
        piece_ids = list(tokenizer.convert_tokens_to_ids(pieces))
        first = len(pieces)
        if pairs is not None:  # tokens of the second sequence follow; longest-first truncation may cut both
            first = next((m for m in range(min(len(pieces), len(kept)), -1, -1) if kept[:m] == piece_ids[:m]), 0)
        if kept[:first] != piece_ids[:min(first, len(kept))] or (pairs is None and kept != piece_ids[:len(kept)]):
            raise AlignmentError(i, "the tokenizer's pieces give other ids than its call (ids "
                                    f"{kept[:8]}... vs {piece_ids[:8]}...)")
        first = min(first, len(kept))
        offsets = iter(piece_offsets(i, text, pieces[:first], unk))
        rank = 0
        row_offsets, row_special = [], []
        for is_special in special:
            if is_special or rank >= first:  # with pairs, every token of the second sequence is masked
                row_offsets.append((0, 0))
                row_special.append(True)
            else:
                row_offsets.append(next(offsets))
                row_special.append(False)
            rank += 0 if is_special else 1
        types = batch["token_type_ids"][i] if "token_type_ids" in batch else [0] * len(ids)
        yield ids, list(types), row_offsets, row_special


PLAIN_PRE_TOKENIZERS = {"Split", "WhitespaceSplit", "Whitespace", "CharDelimiterSplit", "Digits", "Punctuation"}


def plain_token_lengths(tokenizer: Any) -> np.ndarray | None:
    """Characters covered by each token id, when every token is its own text: no normaliser, pre-tokenizers that
    only split, and a word-level or BPE model without subword markers (single-nucleotide, k-mer and BPE DNA
    vocabularies). Then a token's span follows from the ids alone and the tokenizer's offsets (the costliest part
    of a batch call) are not needed. None for any other tokenizer."""
    cached: Any = getattr(tokenizer, "_gfmbench_token_lengths", False)
    if cached is not False:
        return cached
    result = None
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        import json

        spec = json.loads(backend.to_str())
        model = spec.get("model") or {}

        def plain(pre: Any) -> bool:
            if pre is None:
                return True
            if pre.get("type") == "Sequence":
                return all(plain(p) for p in pre.get("pretokenizers", []))
            return pre.get("type") in PLAIN_PRE_TOKENIZERS

        if spec.get("normalizer") is None and plain(spec.get("pre_tokenizer")) and (
                model.get("type") == "WordLevel" or (model.get("type") == "BPE" and not model.get(
                    "continuing_subword_prefix") and not model.get("end_of_word_suffix"))):
            vocab = backend.get_vocab(with_added_tokens=True)
            result = np.zeros(max(vocab.values()) + 1, dtype=np.int64)
            for word, index in vocab.items():
                result[index] = len(word)
    try:
        tokenizer._gfmbench_token_lengths = result
    except AttributeError:
        pass
    return result


def _spans_from_ids(tokenizer: Any, fmt: InputFormat, texts: list[str], pairs: list[str] | None,
                    max_length: int | None, with_types: bool) -> Any:
    """Token offsets computed from the ids (`plain_token_lengths`), checked: every sequence that was not cut must
    be covered exactly, a cut one no further than its end, and no unknown token may occur (its length is not its
    text's); otherwise None and the caller asks the tokenizer for offsets."""
    table = plain_token_lengths(tokenizer)
    if table is None or fmt.kind != "raw" or pairs is not None or \
            getattr(tokenizer, "truncation_side", "right") != "right":
        return None
    backend = tokenizer.backend_tokenizer
    with _truncation(tokenizer, max_length):
        encodings = backend.encode_batch_fast(texts, add_special_tokens=True)
    ids_list = [e.ids for e in encodings]
    counts = np.fromiter(map(len, ids_list), dtype=np.int64, count=len(ids_list))
    flat = np.fromiter(chain.from_iterable(ids_list), dtype=np.int64, count=int(counts.sum()))
    unk = getattr(tokenizer, "unk_token_id", None)
    if flat.size and (flat.max() >= len(table) or (unk is not None and (flat == unk).any())):
        return None
    special_ids = [i for i in getattr(tokenizer, "all_special_ids", []) if i != unk]
    special = np.isin(flat, special_ids)
    length = np.where(special, 0, table[flat])
    ends = np.cumsum(length)
    first = np.cumsum(counts) - counts
    before = np.concatenate([[0], ends[first[1:] - 1]]) if len(counts) > 1 else np.zeros(1, dtype=np.int64)
    owner = np.repeat(np.arange(len(counts)), counts)
    end = ends - before[owner]
    covered = np.where(counts > 0, end[np.maximum(first + counts - 1, 0)], 0)
    text_length = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    may_be_cut = counts >= (max_length if max_length is not None else np.iinfo(np.int64).max)
    if not ((covered == text_length) | (may_be_cut & (covered <= text_length))).all():
        return None
    offsets = np.stack([end - length, end], axis=1)  # special tokens' spans are masked by the caller
    types = [e.type_ids for e in encodings] if with_types else [None] * len(encodings)
    return ids_list, types, counts, offsets, special


@contextmanager
def _truncation(tokenizer: Any, max_length: int | None) -> Iterator[None]:
    """The backend set to truncate at `max_length` (as `tokenizer(..., truncation=True)` does) without padding,
    and left as it was afterwards."""
    backend = tokenizer.backend_tokenizer
    truncation, padding = backend.truncation, backend.padding
    try:
        if max_length is not None:
            backend.enable_truncation(max_length, strategy="longest_first",
                                      direction=getattr(tokenizer, "truncation_side", "right"))
        else:
            backend.no_truncation()
        backend.no_padding()
        yield
    finally:
        if truncation:
            backend.enable_truncation(**truncation)
        else:
            backend.no_truncation()
        if padding:
            backend.enable_padding(**padding)


def _tokenize(tokenizer: Any, texts: list[str], pairs: list[str] | None,
              max_length: int | None) -> Any:
    """(ids, type ids, offsets, special-token mask) per text. A fast tokenizer's Rust backend is called directly
    (what `tokenizer(...)` does inside, without building Python lists for every field); special tokens, and with
    pairs every token of the second sequence, are masked (only the first sequence is nucleotide-aligned)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:  # not a fast tokenizer: the generic call
        batch = tokenizer(texts, pairs, return_offsets_mapping=True, return_special_tokens_mask=True,
                          return_token_type_ids=True, truncation=max_length is not None, max_length=max_length)
        for i in range(len(texts)):
            special = batch["special_tokens_mask"][i]
            if pairs is not None:
                special = [bool(m) or s != 0 for m, s in zip(special, batch.sequence_ids(i), strict=True)]
            yield list(batch["input_ids"][i]), list(batch["token_type_ids"][i]), batch["offset_mapping"][i], special
        return
    with _truncation(tokenizer, max_length):
        encodings = backend.encode_batch(list(zip(texts, pairs, strict=True)) if pairs is not None else texts,
                                         add_special_tokens=True)
    for enc in encodings:
        special = enc.special_tokens_mask
        if pairs is not None:
            special = [bool(m) or s != 0 for m, s in zip(special, enc.sequence_ids, strict=True)]
        yield enc.ids, enc.type_ids, enc.offsets, special


def nucleotide_to_token(spans: np.ndarray, n: int) -> np.ndarray:
    """For each nucleotide, the covering token with the greatest start (-1 where no token covers it)."""
    result = np.full(n, -1, dtype=np.int64)
    real = np.flatnonzero(spans[:, 0] >= 0)
    if real.size == 0:
        return result
    starts, ends = spans[real, 0], spans[real, 1]
    order = np.argsort(starts, kind="stable")  # later (greater) starts overwrite earlier ones
    real, starts, ends = real[order], starts[order], ends[order]
    lengths = np.maximum(ends - starts, 0)
    positions = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    result[positions] = np.repeat(real, lengths)
    return result


def token_class_labels(encoded: EncodedSequence, labels: list[int] | np.ndarray, ignore: int = -1) -> list[int]:
    """Each token takes its first nucleotide's class; special tokens and ignored nucleotides give -100."""
    labels = np.asarray(labels, dtype=np.int64)
    out = np.full(len(encoded.spans), IGNORE_INDEX, dtype=np.int64)
    real = encoded.spans[:, 0] >= 0
    first = labels[encoded.spans[real, 0]]
    out[real] = np.where(first == ignore, IGNORE_INDEX, first)
    return out.tolist()


def token_values(encoded: EncodedSequence, values: np.ndarray) -> np.ndarray:
    """Each token takes the mean of its nucleotides' values (NaN = unscored, ignored); (T, k) with NaN rows for
    special tokens and tokens with no scored nucleotide."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    out = np.full((len(encoded.spans), values.shape[1]), np.nan)
    for t, (start, end) in enumerate(encoded.spans):
        if start >= 0 and end > start:
            chunk = values[start:end]
            scored = ~np.isnan(chunk)
            counts = scored.sum(axis=0)
            with np.errstate(invalid="ignore"):
                out[t] = np.where(counts > 0, np.nansum(chunk, axis=0) / np.maximum(counts, 1), np.nan)
    return out


def pair_labels(encoded: EncodedSequence, triangle: np.ndarray) -> np.ndarray:
    """A map's upper triangle (gfmbench.pairmaps) with the pairs that lost a nucleotide to truncation set to the
    ignore value (-100 for 0/1 maps, NaN for values): they are neither trained on nor scored."""
    lost = ~covered_pairs(encoded.nt_to_token >= 0)
    out = np.asarray(triangle).copy()
    if lost.any():
        if out.dtype.kind == "f":
            out[lost] = np.nan
        else:
            out = out.astype(np.int64)
            out[lost] = IGNORE_INDEX
    return out


def pair_token_index(nt_to_token: np.ndarray, width: int) -> np.ndarray:
    """For each nucleotide pair (i < j, row by row), the index of its token pair in a flattened (width x width)
    map of token pairs; -1 where a nucleotide was truncated away. Maps pair logits to nucleotides whatever the
    tokenizer (each nucleotide takes the covering token, as for token tasks)."""
    n = len(nt_to_token)
    rows, cols = np.triu_indices(n, k=1)
    ti, tj = nt_to_token[rows], nt_to_token[cols]
    return np.where((ti >= 0) & (tj >= 0), ti * width + tj, -1)


def to_nucleotides(encoded: EncodedSequence, token_outputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Token-level outputs (T, ...) -> nucleotide-level outputs (n, ...) and the covered mask (n,)."""
    covered = encoded.nt_to_token >= 0
    index = np.where(covered, encoded.nt_to_token, 0)
    return np.asarray(token_outputs)[index], covered
