"""One run unit: fine-tune a model on one task with one seed using `transformers.Trainer`, select the best
checkpoint on the validation split by the task's primary metric, and score the test split once."""

from __future__ import annotations

import logging
import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gfmbench.harness.align import detect_input_format
from gfmbench.harness.data import (
    Collator,
    RowBatch,
    TaskData,
    TorchExamples,
    build_examples,
    num_outputs,
    streamed_examples,
)
from gfmbench.harness.kinds import kind_of
from gfmbench.harness.models import ResolvedModel, load_tokenizer, max_positions
from gfmbench.harness.options import BatchOrder, LongSequences, LrScheduler, Precision
from gfmbench.harness.results import Cost, UnitOutput, peak_rss_mb
from gfmbench.harness.scoring import example_outputs, primary_confidence_interval, score_predictions
from gfmbench.harness.taskmodel import load_model_for_task
from gfmbench.suites.schema import SuiteSpec, TaskSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hyperparameters:
    epochs: int
    batch_size: int
    learning_rate: float
    weight_decay: float
    patience: int
    max_length: int  # nucleotides
    long_sequences: LongSequences = "truncate"  # or "window" (token tasks): overlapping windows, merged
    gradient_accumulation_steps: int = 1
    precision: Precision = "fp32"  # "bf16" or "fp16": mixed precision, passed to the Trainer
    lr_scheduler: LrScheduler = "linear"  # the Trainer's learning-rate schedule (linear decay, constant, cosine)
    warmup_ratio: float = 0.0  # fraction of the optimizer steps spent warming the learning rate up from 0
    batching: BatchOrder = "length"  # "length": length-grouped batches (little padding); "random": shuffled batches
    streaming: bool = False  # train read as a stream (shuffle buffer), validation and test in memory

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _trainer_class() -> type:
    from transformers import Trainer

    class GfmTrainer(Trainer):
        """Trainer whose loss is the task's (CE with optional class weights, BCE, masked MSE)."""

        loss_fn: Any = None

        def _get_eval_sampler(self, eval_dataset):
            # transformers 5 applies length grouping to evaluation too, which reorders predictions; scoring maps
            # predictions to examples by position, so evaluation must keep the dataset order.
            from torch.utils.data import SequentialSampler

            return SequentialSampler(eval_dataset) if eval_dataset is not None else None

        def _save(self, output_dir=None, state_dict=None):
            # gfmbench's task models wrap the checkpoint's classes in a plain torch module; the Trainer saves those
            # with safetensors, which refuses shared tensors (HyenaDNA's filters share their frequencies). A torch
            # state dict keeps them; the Trainer restores the best model from it (weights_only) as well.
            import os

            import torch
            from transformers import PreTrainedModel
            from transformers.trainer import TRAINING_ARGS_NAME, WEIGHTS_NAME

            if isinstance(self.model, PreTrainedModel) or not self.args.should_save:
                return super()._save(output_dir, state_dict)
            output_dir = output_dir or self.args.output_dir
            os.makedirs(output_dir, exist_ok=True)
            torch.save(state_dict if state_dict is not None else self.model.state_dict(),
                       os.path.join(output_dir, WEIGHTS_NAME))
            torch.save(self.args, os.path.join(output_dir, TRAINING_ARGS_NAME))

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            labels = inputs.pop("labels")
            outputs = model(**inputs)
            loss = self.loss_fn(outputs.logits, labels)
            return (loss, outputs) if return_outputs else loss

    return GfmTrainer


def by_length(examples: list[Any]) -> list[Any]:
    """Examples in order of token count, for prediction: batches of similar lengths carry little padding (the
    evaluation sampler must keep the dataset's order, so the order is given to it). Windows of one sequence stay
    together and in order (their outputs are merged in sequence), so splits with windows keep their order."""
    if any(ex.window is not None for ex in examples):
        return list(examples)
    return sorted(examples, key=lambda ex: len(ex.encoded.input_ids))


def check_order(label_ids: Any, examples: list[Any]) -> None:
    """The labels the Trainer returns with its predictions must be the examples' own labels, in order: otherwise
    predictions would be scored against the wrong references. Raises instead of scoring garbage. (Regression labels
    come back as float32, hence the tolerance.)"""
    import numpy as np

    if label_ids is None or len(label_ids) != len(examples):
        raise RuntimeError(f"the Trainer returned {None if label_ids is None else len(label_ids)} predictions for "
                           f"{len(examples)} examples")
    for i, example in enumerate(examples):
        expected = np.asarray(example.labels, dtype=np.float64)
        got = np.asarray(label_ids[i], dtype=np.float64)[: len(expected)] if expected.ndim else \
            np.asarray(label_ids[i], dtype=np.float64)
        if got.shape != expected.shape or not np.allclose(got, expected, rtol=1e-5, atol=1e-6, equal_nan=True):
            raise RuntimeError(f"prediction {i} does not belong to example {example.id}: the evaluation order was "
                               "changed (a length-grouped or shuffled evaluation sampler?)")


def world_size() -> int:
    """Processes of this run (`torchrun` / `accelerate launch` set WORLD_SIZE); 1 for a plain process."""
    import os

    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main_process() -> bool:
    import os

    return int(os.environ.get("RANK", "0")) == 0


def wait_for_all_processes() -> None:
    """A barrier when running distributed, so no process reads a unit before the main one has written it."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def per_device_batch(hp: Hyperparameters) -> int:
    """`batch_size` is the global batch (all processes, before accumulation), so that a unit's training does not
    depend on how many devices ran it; each process takes an equal share."""
    from gfmbench.errors import GfmbenchError

    share = hp.batch_size * 1.0 / (world_size() * hp.gradient_accumulation_steps)
    if share != int(share) or share < 1:
        raise GfmbenchError(f"batch size {hp.batch_size} does not divide over {world_size()} process(es) x "
                            f"{hp.gradient_accumulation_steps} accumulation step(s)")
    return int(share)


STREAM_SHUFFLE_BUFFER = 10_000  # rows held for shuffling when training from a stream


def _first_rows(stream: Any) -> Any:
    rows = list(stream)
    return RowBatch({k: [r[k] for r in rows] for k in rows[0]})


def train_unit(suite: SuiteSpec, task: TaskSpec, model: ResolvedModel, data: TaskData, hp: Hyperparameters,
               seed: int, work_dir: Path, trust_remote_code: bool = False,
               progress: bool = True, allow_unloaded_weights: bool = False) -> UnitOutput:
    """Fine-tune backbone and head on train, keep the best epoch on validation, score test (and extra test sets)."""
    import torch
    from transformers import EarlyStoppingCallback, TrainingArguments, enable_full_determinism, set_seed

    if torch.cuda.is_available():
        enable_full_determinism(seed)  # deterministic CUDA kernels
    else:  # CPU kernels are deterministic already; torch.use_deterministic_algorithms would import torch's
        set_seed(seed)  # compiler stack (about a second of start-up) for nothing
    start = time.perf_counter()
    tokenizer = load_tokenizer(model, trust_remote_code)
    fmt = detect_input_format(tokenizer)
    limit = min(max_positions(model, trust_remote_code), tokenizer.model_max_length)
    max_tokens = min(hp.max_length + tokenizer.num_special_tokens_to_add(pair=task.pair_input is not None), limit)
    kind = kind_of(task)
    windows = hp.long_sequences == "window" and kind.level == "token"
    mode = "window" if windows else "truncate"
    scored = ["validation", "test", *(s for s in task.extra_test_splits if s in data.splits)]
    examples = {name: build_examples(task, data.splits[name], tokenizer, fmt, max_tokens, mode)
                for name in (scored if data.streaming else ["train", *scored])}
    if data.streaming:  # the head's size from the first streamed rows; training reads the stream itself
        first = data.splits["train"].take(64)
        examples["train"] = build_examples(task, _first_rows(first), tokenizer, fmt, max_tokens, mode)
        stream = data.splits["train"].shuffle(seed=seed, buffer_size=STREAM_SHUFFLE_BUFFER)
        train_dataset: Any = streamed_examples(task, stream, tokenizer, fmt, max_tokens, mode)
        if data.train_rows is None:
            from gfmbench.errors import GfmbenchError

            raise GfmbenchError(f"{task.config}: streaming needs the train split's row count (the dataset card's "
                                "gfmbench.num_rows), to plan the epochs; the card has none")
        steps_per_epoch = math.ceil(data.train_rows / hp.batch_size)  # global batches: any process count
        schedule: dict[str, Any] = {"max_steps": hp.epochs * steps_per_epoch, "train_sampling_strategy": "sequential"}
    else:
        train_dataset = TorchExamples(task, examples["train"])
        # length-grouped batches pad little (faster); random batches are the plain recipe. Both pad per batch.
        schedule = {"train_sampling_strategy": "group_by_length" if hp.batching == "length" else "random"}
    network, loading = load_model_for_task(model, kind, num_outputs(task, examples["train"]),
                                           tokenizer.pad_token_id, examples["train"][0].encoded, trust_remote_code,
                                           kind.id2label(task), allow_unloaded_weights)
    validation = by_length(examples["validation"])  # metrics do not depend on the order
    epoch_scores: list[dict[str, float]] = []  # validation metrics of each evaluation, in order

    def compute_metrics(prediction: Any) -> dict[str, float]:
        logits = prediction.predictions[0] if isinstance(prediction.predictions, tuple) else prediction.predictions
        check_order(prediction.label_ids, validation)
        epoch_scores.append(score_predictions(task, example_outputs(task, validation, logits)))
        return epoch_scores[-1]

    greater = task.direction == "higher"
    args = TrainingArguments(
        output_dir=str(work_dir / "checkpoints"),
        num_train_epochs=hp.epochs,
        per_device_train_batch_size=per_device_batch(hp),
        per_device_eval_batch_size=per_device_batch(hp),
        gradient_accumulation_steps=hp.gradient_accumulation_steps,
        bf16=hp.precision == "bf16",
        fp16=hp.precision == "fp16",
        learning_rate=hp.learning_rate,
        lr_scheduler_type=hp.lr_scheduler,
        warmup_steps=hp.warmup_ratio,  # transformers reads a float in [0, 1) as a ratio of the total steps
        weight_decay=hp.weight_decay,
        eval_strategy="epoch",
        save_strategy="epoch",
        logging_strategy="epoch",
        load_best_model_at_end=True,
        metric_for_best_model=task.primary_metric,
        greater_is_better=greater,
        save_total_limit=1,
        seed=seed,
        data_seed=seed,
        **schedule,
        remove_unused_columns=False,
        report_to=[],
        disable_tqdm=not progress,
        dataloader_num_workers=0,
        save_only_model=True,
        label_names=["labels"],
        dataloader_pin_memory=torch.cuda.is_available(),
        use_cpu=not torch.cuda.is_available(),  # on CPU, several processes (torchrun) train as DDP over gloo
    )
    trainer = _trainer_class()(
        model=network,
        args=args,
        train_dataset=train_dataset,
        eval_dataset=TorchExamples(task, validation),
        data_collator=Collator(task, tokenizer.pad_token_id),
        compute_metrics=compute_metrics,
        callbacks=[EarlyStoppingCallback(early_stopping_patience=hp.patience)],
    )
    trainer.loss_fn = kind.loss(task)
    from gfmbench.harness.trainlog import TrainingSteps, use_epoch_lines

    use_epoch_lines(trainer, task.primary_metric, bars=progress)
    steps_clock = TrainingSteps()
    trainer.add_callback(steps_clock)
    train_output = trainer.train()
    metrics: dict[str, dict[str, float]] = {}
    rows_by_split = {}
    eval_speed = None
    trainer.compute_metrics = None  # it scores the validation examples; predictions are scored below, per split
    best = trainer.state.best_metric
    chosen = next((m for m in epoch_scores if best is not None and m[task.primary_metric] == best), None)
    if chosen is not None:  # the restored best model was scored on validation at its epoch: not predicted again
        metrics["validation"] = chosen
        scored = [name for name in scored if name != "validation"]
    for name in scored:  # extra test sets (test_*) are scored like test and reported apart
        ordered = by_length(examples[name])
        prediction = trainer.predict(TorchExamples(task, ordered))
        check_order(prediction.label_ids, ordered)
        logits = prediction.predictions[0] if isinstance(prediction.predictions, tuple) else prediction.predictions
        rows = example_outputs(task, ordered, logits)
        position = {ex.id: i for i, ex in enumerate(examples[name])}
        rows.sort(key=lambda row: position[row["id"]])  # back to the split's order (one row per id)
        metrics[name] = score_predictions(task, rows)
        rows_by_split[name] = rows
        if name == "test":
            eval_speed = prediction.metrics.get("test_samples_per_second")
    for name, value in metrics["test"].items():
        if isinstance(value, float) and math.isnan(value):
            log.warning("%s: test %s is undefined (NaN) for this seed", task.config, name)
    shutil.rmtree(work_dir / "checkpoints", ignore_errors=True)
    return UnitOutput(
        metrics=metrics,
        predictions=rows_by_split["test"],
        head=loading.head,
        loading=loading.as_dict(),
        input_format=fmt.describe(),
        truncation=(f"half-overlapping windows of up to {max_tokens} tokens; each nucleotide scored from the "
                    "window where it has most context" if windows else
                    f"truncate to {max_tokens} tokens (special tokens included); cut positions are not scored "
                    "and counted in truncated_positions"),
        cost=Cost(
            wall_time_s=time.perf_counter() - start,
            train_runtime_s=train_output.metrics.get("train_runtime"),
            train_steps_s=steps_clock.seconds,
            # real (unpadded) tokens the optimizer saw, for tokens per second and model FLOP utilisation
            train_tokens=None if data.streaming else hp.epochs * sum(len(ex.encoded.input_ids)
                                                                    for ex in examples["train"]),
            train_samples_per_second=train_output.metrics.get("train_samples_per_second"),
            eval_samples_per_second=eval_speed,
            peak_rss_mb=peak_rss_mb(),
            peak_gpu_mb=torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else None,
            n_parameters=int(sum(p.numel() for p in network.parameters())),
        ),
        confidence_interval=primary_confidence_interval(task, rows_by_split["test"], seed=seed),
    )
