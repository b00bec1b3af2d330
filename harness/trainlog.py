"""What fine-tuning prints: one line per epoch (training loss, validation primary metric), not the Trainer's raw log
dicts (`{'loss': '1.095', ...}`, numbers as quoted strings, several per epoch).

With progress bars on, the line is written above the bar; with `--no-progress` it goes to the log (shown with
`-v`), so a quiet run prints nothing per epoch.
"""

from __future__ import annotations

import logging
from typing import Any

from transformers.trainer_callback import PrinterCallback, ProgressCallback

log = logging.getLogger(__name__)


class EpochLines(ProgressCallback):
    """The Trainer's progress bar, with each evaluation summarised in one line instead of the log dicts."""

    def __init__(self, primary_metric: str, bars: bool) -> None:
        super().__init__()
        self.primary_metric = primary_metric
        self.bars = bars
        self.last_loss: float | None = None

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.bars:
            super().on_train_begin(args, state, control, **kwargs)

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.bars:
            super().on_step_end(args, state, control, **kwargs)

    def on_prediction_step(self, args: Any, state: Any, control: Any, eval_dataloader: Any = None,
                           **kwargs: Any) -> None:
        if self.bars:
            super().on_prediction_step(args, state, control, eval_dataloader=eval_dataloader, **kwargs)

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        logs = logs or {}
        if "loss" in logs:
            self.last_loss = float(logs["loss"])
        key = f"eval_{self.primary_metric}"
        if key not in logs or not state.is_world_process_zero:
            return
        loss = "" if self.last_loss is None else f"train loss {self.last_loss:.4f}, "
        line = (f"epoch {logs.get('epoch', state.epoch or 0):g}: {loss}validation loss {logs.get('eval_loss', 0):.4f}, "
                f"{self.primary_metric} {logs[key]:.4f}")
        if self.bars and self.training_bar is not None:
            self.training_bar.write(line)
        else:
            log.info(line)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.bars:
            super().on_train_end(args, state, control, **kwargs)


def use_epoch_lines(trainer: Any, primary_metric: str, bars: bool) -> None:
    """Replace the Trainer's printing callbacks (ProgressCallback, or PrinterCallback without bars) with EpochLines."""
    trainer.remove_callback(ProgressCallback)
    trainer.remove_callback(PrinterCallback)
    trainer.add_callback(EpochLines(primary_metric, bars))
