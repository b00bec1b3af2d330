"""The upstream record formats of RGB (OmniGenBench `benchmarks/RGB`, JSON Lines per split).

Formats, as found in the upstream files and OmniGenBench's dataset classes:
* `dot_bracket` (SSP_*): {"seq", "label"} with a dot-bracket string as label.
* `mutation_detection` / `mutation_repair` (SNMD / SNMR, the same raw files): {"seq" reference, "mut" mutated,
  "ratio" comma-separated per-position floats}. The model sees the mutated sequence.
* `openvaccine` (mRNA_degrade): Kaggle OpenVaccine rows; targets cover the first `seq_scored` positions.
* `sequence_label` (TE_*): {"seq" | "sequence", "label" 0/1}.
* `mrna_regions` (Region_*): {"5utr", "cds", "3utr"} segments, concatenated; the label is the segment of each base.
"""

from __future__ import annotations

from typing import Any

from datasets import List, Value

from gfmbench.loaders.records import IGNORE_LABEL, RecordContext, RecordFormat, parse_float_list
from gfmbench.loaders.sources import JsonLinesSource
from gfmbench.suites.schema import TaskSpec


def _dot_bracket(record: dict[str, Any], ctx: RecordContext, task: TaskSpec) -> dict[str, Any]:
    seq = ctx.sequence(ctx.string(record, "seq", "sequence"), task, "seq")
    structure = ctx.string(record, "label", "structure")
    ctx.same_length(seq, structure, "label")
    return {"sequence": seq, "label": ctx.class_ids(structure, task, "label"), "structure": structure}


def _mutation_pair(record: dict[str, Any], ctx: RecordContext, task: TaskSpec) -> dict[str, Any]:
    reference = ctx.sequence(ctx.string(record, "seq", "sequence"), task, "seq")
    mutated = ctx.sequence(ctx.string(record, "mut"), task, "mut")
    ctx.same_length(reference, mutated, "mut")
    ratio = parse_float_list(ctx, record["ratio"], "ratio") if "ratio" in record else None
    if ratio is not None:
        ctx.same_length(reference, ratio, "ratio")
    return {"sequence": mutated, "reference": reference, "ratio": ratio}


def _mutation_detection(record: dict[str, Any], ctx: RecordContext, task: TaskSpec) -> dict[str, Any]:
    row = _mutation_pair(record, ctx, task)
    row["label"] = [int(m != r) for m, r in zip(row["sequence"], row["reference"], strict=True)]
    return row


def _mutation_repair(record: dict[str, Any], ctx: RecordContext, task: TaskSpec) -> dict[str, Any]:
    row = _mutation_pair(record, ctx, task)
    classes = {name: i for i, name in enumerate(task.labels or [])}
    labels = []
    for pos, (m, r) in enumerate(zip(row["sequence"], row["reference"], strict=True)):
        if m == r:
            labels.append(IGNORE_LABEL)
        elif r in classes:
            labels.append(classes[r])
        else:
            raise ctx.error("seq",
                            f"reference base {r!r} at mutated position {pos + 1} is not a class of {task.config}")
    row["label"] = labels
    return row


def _openvaccine(record: dict[str, Any], ctx: RecordContext, task: TaskSpec) -> dict[str, Any]:
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


def _sequence_label(record: dict[str, Any], ctx: RecordContext, task: TaskSpec) -> dict[str, Any]:
    seq = ctx.sequence(ctx.string(record, "seq", "sequence"), task, "seq")
    raw = ctx.require(record, "label")
    names = task.labels or []
    key = str(raw) if isinstance(raw, (int, str)) and not isinstance(raw, bool) else None
    if key not in names:
        raise ctx.error("label", f"unknown label {raw!r} (known: {', '.join(names)})")
    return {"sequence": seq, "label": names.index(key)}


def _mrna_regions(record: dict[str, Any], ctx: RecordContext, task: TaskSpec) -> dict[str, Any]:
    parts = []
    for class_id, key in enumerate(("5utr", "cds", "3utr")):
        value = ctx.string(record, key)
        segment = ctx.sequence(value, task, key) if value.strip() else ""
        parts.append((class_id, segment))
    sequence = "".join(segment for _, segment in parts)
    if not sequence:
        raise ctx.error("cds", "all three segments are empty")
    return {"sequence": sequence, "label": [cid for cid, segment in parts for _ in segment]}


_FLOAT_LIST = List(Value("float32"))

FORMATS: dict[str, RecordFormat] = {
    "dot_bracket": RecordFormat(_dot_bracket, lambda: {"structure": Value("string")}),
    "mutation_detection": RecordFormat(_mutation_detection, lambda: {"reference": Value("string"),
                                                                     "ratio": _FLOAT_LIST}),
    "mutation_repair": RecordFormat(_mutation_repair, lambda: {"reference": Value("string"), "ratio": _FLOAT_LIST}),
    "openvaccine": RecordFormat(
        _openvaccine,
        lambda: {
            "upstream_id": Value("string"),
            "structure": Value("string"),
            "predicted_loop_type": Value("string"),
            "seq_scored": Value("int32"),
            "signal_to_noise": Value("float32"),
        },
    ),
    "sequence_label": RecordFormat(_sequence_label, dict),
    "mrna_regions": RecordFormat(_mrna_regions, dict),
}

SOURCE = JsonLinesSource(FORMATS)
