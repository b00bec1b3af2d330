"""What fine-tuning prints: one line per epoch (training loss, validation primary metric), not the Trainer's raw log
dicts (`{'loss': '1.095', ...}`, numbers as quoted strings, several per epoch).

With progress bars on, the line is written above the Trainer's bar; with `--no-progress` it goes to the log (shown
with `-v`), so a quiet run prints nothing per epoch.
"""

from __future__ import annotations

import logging
from typing import Any

from transformers.trainer_callback import PrinterCallback, ProgressCallback, TrainerCallback

log = logging.getLogger(__name__)


class EpochLine:
    """Turns the Trainer's logs into one line per evaluation: remembers the last training loss, formats at eval."""

    def __init__(self, primary_metric: str) -> None:
        self.primary_metric = primary_metric
        self.last_loss: float | None = None

    def line(self, state: Any, logs: dict[str, Any] | None) -> str | None:
        logs = logs or {}
        if "loss" in logs:
            self.last_loss = float(logs["loss"])
        key = f"eval_{self.primary_metric}"
        if key not in logs or not state.is_world_process_zero:
            return None
        loss = "" if self.last_loss is None else f"train loss {self.last_loss:.4f}, "
        return (f"epoch {logs.get('epoch', state.epoch or 0):g}: {loss}validation loss "
                f"{logs.get('eval_loss', 0):.4f}, {self.primary_metric} {logs[key]:.4f}")


class EpochLinesToLog(TrainerCallback):
    """No bars: the epoch lines go to the log."""

    def __init__(self, primary_metric: str) -> None:
        self.lines = EpochLine(primary_metric)

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if (line := self.lines.line(state, logs)) is not None:
            log.info(line)


class EpochLinesAboveBar(ProgressCallback):
    """The Trainer's own progress bar, with the epoch lines written above it instead of the log dicts."""

    def __init__(self, primary_metric: str) -> None:
        super().__init__()
        self.lines = EpochLine(primary_metric)

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if (line := self.lines.line(state, logs)) is not None and self.training_bar is not None:
            self.training_bar.write(line)

    def on_prediction_step(self, args: Any, state: Any, control: Any, eval_dataloader: Any = None,
                           **kwargs: Any) -> None:
        """The validation passes inside training get no bar of their own (one bar per phase: the training bar
        goes on, the epoch line follows); the prediction phase after training keeps its bar."""
        if self.training_bar is None:
            super().on_prediction_step(args, state, control, eval_dataloader=eval_dataloader, **kwargs)


class TrainingSteps(TrainerCallback):
    """The time spent in training steps alone: each epoch from its start to its end, before the validation pass and
    the checkpoint that follow it (the Trainer's `train_runtime` includes both). On CUDA the clock stops after the
    device has finished (one synchronisation per epoch). For tokens per second and model FLOP utilisation."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._start: float | None = None

    def on_epoch_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        import time

        self._start = time.perf_counter()

    def on_epoch_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        import time

        import torch

        if self._start is None:
            return
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        self.seconds += time.perf_counter() - self._start
        self._start = None


def use_epoch_lines(trainer: Any, primary_metric: str, bars: bool) -> None:
    """Replace the Trainer's printing callbacks (ProgressCallback, or PrinterCallback without bars)."""
    trainer.remove_callback(ProgressCallback)
    trainer.remove_callback(PrinterCallback)
    trainer.add_callback(EpochLinesAboveBar(primary_metric) if bars else EpochLinesToLog(primary_metric))
