"""Task data for the harness: load a suite config at a pinned revision, pick the splits (carving a validation split
from train when there is none, never touching test), and turn rows into token-aligned training examples."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gfmbench.errors import MissingDataError
from gfmbench.harness.align import AlignmentError, EncodedSequence, InputFormat, encode
from gfmbench.harness.kinds import TaskDataError, TaskKind, kind_of
from gfmbench.hub.revisions import dataset_sha
from gfmbench.suites.schema import SuiteSpec, TaskSpec

log = logging.getLogger(__name__)


@dataclass
class TaskData:
    splits: dict[str, Any]  # split name -> datasets.Dataset (train: an IterableDataset when streaming)
    dataset_revision: str  # exact commit sha of the dataset repo
    validation_source: str
    train_rows: int | None = None  # known without reading the data (from the dataset card) when streaming

    @property
    def streaming(self) -> bool:
        import datasets

        return isinstance(self.splits.get("train"), datasets.IterableDataset)


def load_task_data(suite: SuiteSpec, task: TaskSpec, revision: str | None = None, seed: int = 0,
                   need_train: bool = True, streaming: bool = False) -> TaskData:
    """The config's splits at `revision` (default: the suite's release tag). Without `need_train` (zero-shot
    scoring) only the test split is required. With `streaming`, train is read as a stream (for sets larger than
    memory) and only validation and test are held in memory."""
    import datasets

    revision = revision or suite.tag
    if streaming:
        return _streaming_task_data(suite, task, revision)
    # The exact commit first, then the data at that commit: an unreachable hub fails fast here, and `datasets`
    # cannot fall back to a cached copy of another version while the unit records this one.
    sha = dataset_sha(suite.dataset_repo, revision)
    try:
        ds = datasets.load_dataset(suite.dataset_repo, task.config, revision=sha)
    except (FileNotFoundError, ValueError, ConnectionError, OSError, datasets.exceptions.DatasetNotFoundError) as exc:
        raise MissingDataError(f"{suite.dataset_repo}/{task.config}@{revision} could not be loaded: {exc}") from None
    splits = dict(ds)
    if "train" not in splits and need_train:
        raise TaskDataError(f"{task.config}: the dataset at {revision} has no train split (present: "
                            f"{sorted(splits)}), so it cannot be fine-tuned")
    if "test" not in splits:
        raise TaskDataError(f"{task.config}: no test split to score at {revision}")
    for name, split in splits.items():
        if len(split) == 0:
            raise TaskDataError(f"{task.config}: split {name!r} is empty")
    check_labels(task, splits["train" if "train" in splits else "test"].features)
    source = "upstream validation split"
    if "train" not in splits:
        source = "none (no train split; zero-shot scoring)"
    elif "validation" not in splits:
        fraction = suite.training_for(task).validation_fraction
        carved = splits["train"].train_test_split(test_size=fraction, seed=seed, shuffle=True)
        splits["train"], splits["validation"] = carved["train"], carved["test"]
        source = f"carved from train: {fraction:.0%}, seed {seed} (datasets train_test_split)"
        log.info("%s: %s", task.config, source)
    return TaskData(splits=splits, dataset_revision=sha, validation_source=source)


def _card_row_count(repo_id: str, sha: str, config: str, split: str) -> int | None:
    """A split's row count from the gfmbench card (`gfmbench.num_rows`). `datasets` only knows split sizes of a
    streamed dataset it has prepared before (its cache), so a first streamed run read them from nowhere."""
    from huggingface_hub import DatasetCard, hf_hub_download

    try:  # the card at the unit's exact commit (DatasetCard.load takes no revision)
        card = DatasetCard.load(hf_hub_download(repo_id, "README.md", repo_type="dataset", revision=sha))
    except Exception:
        return None
    counts = (card.data.to_dict().get("gfmbench") or {}).get("num_rows") or {}
    value = (counts.get(config) or {}).get(split)
    return int(value) if value else None


def _streaming_task_data(suite: SuiteSpec, task: TaskSpec, revision: str) -> TaskData:
    import datasets

    try:
        sha = dataset_sha(suite.dataset_repo, revision)  # first: an unreachable hub fails fast
        # by the revision as given: streamed at a commit sha, datasets (5.2) leaves the card's split sizes out
        streams = datasets.load_dataset(suite.dataset_repo, task.config, revision=revision, streaming=True)
    except (FileNotFoundError, ValueError, datasets.exceptions.DatasetNotFoundError) as exc:
        raise MissingDataError(f"{suite.dataset_repo}/{task.config}@{revision} could not be loaded: {exc}") from None
    missing = [name for name in ("train", "validation", "test") if name not in streams]
    if missing:
        raise TaskDataError(f"{task.config}: streaming needs upstream train, validation and test splits; missing "
                            f"{missing} at {revision} (a validation split cannot be carved from a stream)")
    train = streams["train"]
    rows = info.num_examples if (info := (train.info.splits or {}).get("train")) else None
    rows = rows or _card_row_count(suite.dataset_repo, sha, task.config, "train")
    if not rows:
        raise TaskDataError(f"{task.config}: the dataset card at {revision} gives no train row count, which "
                            "streaming needs to plan the training steps")
    check_labels(task, train.features)
    held = {name: datasets.Dataset.from_list(list(streams[name]), features=streams[name].features)
            for name in ("validation", "test")}
    return TaskData(splits={"train": train, **held}, dataset_revision=sha,
                    validation_source="upstream validation split", train_rows=rows)


def check_labels(task: TaskSpec, features: Any) -> None:
    """The dataset's label columns must be the registry's, in the same order (ids are positions)."""
    kind_of(task).check_labels(task, features)


@dataclass
class Example:
    id: str
    encoded: EncodedSequence
    labels: Any  # token-level list, sequence-level int / float list
    reference: Any  # nucleotide-level reference as stored in the dataset (for scoring)
    extra: dict[str, Any] = field(default_factory=dict)  # upstream extras kept in predictions (sequence, structure)
    window: tuple[int, int] | None = None  # (nucleotide offset, full length) when this is a window of a sequence


def plan_windows(length: int, fits: int) -> list[int]:
    """Window starts covering `length` nucleotides with windows of `fits` nucleotides overlapping by half."""
    if fits >= length:
        return [0]
    stride = max(1, fits // 2)
    starts = list(range(0, length - fits, stride))
    return starts + [length - fits]


def num_outputs(task: TaskSpec, examples: list[Example]) -> int:
    """Classes or targets of the head; for vector labels without names, the vector length in the data."""
    return kind_of(task).num_outputs(task, examples)


def build_examples(task: TaskSpec, split: Any, tokenizer: Any, fmt: InputFormat, max_length: int,
                   long_sequences: str = "truncate") -> list[Example]:
    """Token-aligned examples; with `long_sequences="window"`, a token-level sequence that does not fit becomes
    half-overlapping windows (each nucleotide is later predicted by the window where it has most context)."""
    rows = split.to_dict()
    sequences = rows["sequence"]
    second = rows[task.pair_input] if task.pair_input else None  # sequence pairs: tokenised together
    try:
        encoded = encode(tokenizer, fmt, sequences, max_length, pairs=second)
    except AlignmentError as exc:
        raise TaskDataError(f"{task.config} row {rows['id'][exc.index]}: the tokenizer's tokens do not reproduce "
                            f"the sequence ({exc.detail}); labels cannot be aligned to it") from None
    check_unknown_tokens(task, rows["id"], encoded)
    kind = kind_of(task)
    examples = []
    for i, enc in enumerate(encoded):
        extra = {"sequence": sequences[i], **({"structure": rows["structure"][i]} if "structure" in rows else {})}
        if second is not None and task.pair_input:
            extra[task.pair_input] = second[i]
        reference = kind.reference(task, rows, i)
        if kind.level == "token" and long_sequences == "window" and enc.truncated_positions:
            examples += _windows(task, kind, rows["id"][i], sequences[i], reference, extra, enc, tokenizer, fmt,
                                 max_length)
            continue
        labels = kind.labels(task, enc, reference, rows["id"][i])
        examples.append(Example(id=rows["id"][i], encoded=enc, labels=labels, reference=reference, extra=extra))
    if not examples:
        raise TaskDataError(f"{task.config}: no example left")
    return examples


MAX_UNKNOWN_RATE = 0.01  # above this share of a split's sequence tokens, the tokenizer does not fit the data


def check_unknown_tokens(task: TaskSpec, ids: list[str], encoded: list[EncodedSequence]) -> None:
    """A tokenizer that maps much of the input to its unknown token gives the model nothing to read (a mis-built
    tokenizer can turn a whole sequence into one unknown token); such a split is an error naming the worst
    examples, not a score."""
    unknown = np.array([e.unknown_tokens for e in encoded])
    tokens = np.array([int((e.spans[:, 0] >= 0).sum()) for e in encoded])
    total = int(tokens.sum())
    if total == 0 or unknown.sum() <= MAX_UNKNOWN_RATE * total:
        return
    worst = np.argsort(-unknown / np.maximum(tokens, 1), kind="stable")[:3]
    named = ", ".join(f"{ids[i]} ({unknown[i]} of {tokens[i]} tokens)" for i in worst)
    raise TaskDataError(f"{task.config}: {unknown.sum() / total:.1%} of the sequence tokens are the tokenizer's "
                        f"unknown token (limit {MAX_UNKNOWN_RATE:.0%}): the tokenizer does not cover this data's "
                        f"alphabet. Examples: {named}")


def _windows(task: TaskSpec, kind: TaskKind, example_id: str, sequence: str, reference: Any, extra: dict[str, Any],
             truncated: EncodedSequence, tokenizer: Any, fmt: InputFormat, max_length: int) -> list[Example]:
    fits = int((truncated.nt_to_token >= 0).sum())  # nucleotides that fit, measured on this sequence
    out = []
    for start in plan_windows(len(sequence), max(fits, 1)):
        piece = sequence[start:start + fits]
        enc = encode(tokenizer, fmt, [piece], max_length)[0]
        ref = reference[start:start + fits]
        labels = kind.labels(task, enc, ref, example_id)
        out.append(Example(id=example_id, encoded=enc, labels=labels, reference=reference, extra=extra,
                           window=(start, len(sequence))))
    return out


class RowBatch:
    """A batch of rows (dict of columns) where `build_examples` expects a datasets split."""

    def __init__(self, columns: dict[str, list[Any]]) -> None:
        self.columns = columns

    def to_dict(self) -> dict[str, list[Any]]:
        return self.columns


def streamed_examples(task: TaskSpec, stream: Any, tokenizer: Any, fmt: InputFormat, max_length: int,
                      long_sequences: str = "truncate", chunk: int = 1000) -> Any:
    """A torch IterableDataset over a streamed split: rows are tokenised and aligned in chunks as they arrive,
    after a seeded shuffle buffer; `set_epoch` reshuffles per epoch (the Trainer calls it)."""
    import torch

    class StreamedExamples(torch.utils.data.IterableDataset):
        def set_epoch(self, epoch: int) -> None:
            stream.set_epoch(epoch)

        def __iter__(self):
            view = TorchExamples(task, [])
            for columns in stream.iter(batch_size=chunk):
                view.examples = build_examples(task, RowBatch(columns), tokenizer, fmt, max_length, long_sequences)
                for index in range(len(view.examples)):
                    yield view[index]

    return StreamedExamples()


class TorchExamples:
    """A map-style dataset of model inputs for the Trainer (lengths available for length grouping)."""

    def __init__(self, task: TaskSpec, examples: list[Example]) -> None:
        self.task, self.examples = task, examples

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, index: int) -> dict[str, Any]:
        ex = self.examples[index]
        item: dict[str, Any] = {"input_ids": ex.encoded.input_ids, "labels": ex.labels}
        if kind_of(self.task).level == "pair":
            item["nt_to_token"] = ex.encoded.nt_to_token
        if ex.encoded.token_type_ids is not None:
            item["token_type_ids"] = ex.encoded.token_type_ids
        return item


class Collator:
    """Dynamic padding: each batch is padded to its own longest sequence (never to the split's)."""

    def __init__(self, task: TaskSpec, pad_token_id: int) -> None:
        self.task, self.pad = task, pad_token_id

    def __call__(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        import torch

        width = max(len(it["input_ids"]) for it in items)
        ids = torch.full((len(items), width), self.pad, dtype=torch.long)
        mask = torch.zeros((len(items), width), dtype=torch.long)
        for row, it in enumerate(items):
            n = len(it["input_ids"])
            ids[row, :n] = torch.tensor(it["input_ids"])
            mask[row, :n] = 1
        batch: dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in items[0]:
            types = torch.zeros((len(items), width), dtype=torch.long)
            for row, it in enumerate(items):
                types[row, : len(it["token_type_ids"])] = torch.tensor(it["token_type_ids"])
            batch["token_type_ids"] = types
        batch.update(kind_of(self.task).collate_labels(self.task, items, width))
        return batch
