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

from gfmbench.loaders.openvaccine import convert_openvaccine, openvaccine_columns
from gfmbench.loaders.records import IGNORE_LABEL, RecordContext, RecordFormat, json_lines_format, parse_float_list
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

def _columns(**columns: Any) -> Any:
    return lambda task: dict(columns)


FORMATS: dict[str, RecordFormat] = {
    "dot_bracket": json_lines_format(_dot_bracket, _columns(structure=Value("string"))),
    "mutation_detection": json_lines_format(_mutation_detection, _columns(reference=Value("string"),
                                                                          ratio=_FLOAT_LIST)),
    "mutation_repair": json_lines_format(_mutation_repair, _columns(reference=Value("string"), ratio=_FLOAT_LIST)),
    "openvaccine": json_lines_format(convert_openvaccine, openvaccine_columns),
    "sequence_label": json_lines_format(_sequence_label),
    "mrna_regions": json_lines_format(_mrna_regions),
}

SOURCE = JsonLinesSource(FORMATS)
