"""Kaggle OpenVaccine records (per-nucleotide mRNA degradation), as RGB's mRNA task and BEACON's vaccine degradation
ship them: `sequence`, `structure`, `predicted_loop_type`, `seq_scored` and one list per target covering the first
`seq_scored` positions. Both suites' readers convert records here."""

from __future__ import annotations

from typing import Any

from datasets import Value

from gfmbench.loaders.records import RecordContext, parse_float_list
from gfmbench.suites.schema import TaskSpec


def convert_openvaccine(record: dict[str, Any], ctx: RecordContext, task: TaskSpec) -> dict[str, Any]:
    seq = ctx.sequence(ctx.string(record, "sequence", "seq"), task, "sequence")
    scored = ctx.require(record, "seq_scored")
    if not isinstance(scored, int) or isinstance(scored, bool) or not 0 < scored <= len(seq):
        raise ctx.error("seq_scored", f"expected an integer in 1..{len(seq)}, got {scored!r}")
    row: dict[str, Any] = {"sequence": seq, "upstream_id": record.get("id"), "seq_scored": scored}
    for key in ("structure", "predicted_loop_type"):
        value = record.get(key)
        if value is not None:
            ctx.same_length(seq, value, key)
        row[key] = value
    for target in task.targets or []:
        values = parse_float_list(ctx, ctx.require(record, target), target)
        ctx.same_length(seq, values, target, expected=scored)
        row[target] = values + [None] * (len(seq) - scored)
    snr = record.get("signal_to_noise")
    row["signal_to_noise"] = float(snr) if snr is not None else None
    return row


def openvaccine_columns(task: TaskSpec) -> dict[str, Any]:
    """The upstream extras kept beside the canonical columns."""
    return {
        "upstream_id": Value("string"),
        "structure": Value("string"),
        "predicted_loop_type": Value("string"),
        "seq_scored": Value("int32"),
        "signal_to_noise": Value("float32"),
    }
