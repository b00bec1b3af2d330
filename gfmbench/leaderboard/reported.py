"""Reported results: the field's published numbers, transcribed from the papers' own tables, kept apart from runs.

Why a kind of its own: here no real weights can be run, and a leaderboard that shows only what it ran shows almost
nothing; but a published number is a claim, not a measurement of ours. So a reported card says where it was printed
(paper, table, row and column as printed), under which protocol, whether its metric is the task's primary metric
and every other known difference from gfmbench's protocol, and `verified: false`. It shares with a run's result card
what a leaderboard row needs (suite, task, metric, value) and can never parse as one (it has no unit key, model
content or dataset revision), so it never counts as a gfmbench run, and the leaderboard ranks the two kinds apart.

The transcriptions live as data: `gfmbench/leaderboard/reported/<paper>.yaml`, one file per paper (`ReportedPaper`),
each value copied as printed; `reported_cards` turns them into one card per value; `gfmbench reported export` writes
the cards into a results folder or repo (`reported/<paper>/<suite>/<task>/<model>.json`), where the leaderboard
reads them with the run cards.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from gfmbench.harness.results import Regime

REPORTED_DIR = Path(__file__).with_name("reported")
REPORTED_FOLDER = "reported"  # inside a results folder or repo


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PaperSource(_Strict):
    """The paper a transcription comes from: enough to find the printed table again."""

    title: str = Field(min_length=1)
    authors: str = Field(min_length=1)
    venue: str = Field(min_length=1)
    doi: str | None = Field(default=None, pattern=r"^10\.\d{4,}/\S+$")
    arxiv: str | None = Field(default=None, pattern=r"^\d{4}\.\d{4,5}(v\d+)?$")
    url: str = Field(pattern=r"^https://\S+$")
    code: str | None = None

    @model_validator(mode="after")
    def _citable(self) -> PaperSource:
        if not (self.doi or self.arxiv):
            raise ValueError("a reported source needs a DOI or an arXiv id")
        return self


class Protocol(_Strict):
    """How the paper produced its numbers, as it states them."""

    regime: Regime
    description: str = Field(min_length=1)
    epochs: int | None = Field(default=None, ge=1)
    seeds: int | None = Field(default=None, ge=1, description="how many seeds the printed value summarises")


class Column(_Strict):
    """A model column as printed, and what gfmbench can say of which checkpoint it is."""

    label: str = Field(min_length=1)
    family: str | None = None  # gfmbench.models registry family
    model_id: str | None = Field(default=None, pattern=r"^[\w.-]+/[\w.-]+$",
                                 description="the Hub id, only where the checkpoint is established")
    basis: str = Field(min_length=1, description="why this family / checkpoint (or why none)")


class Row(_Strict):
    label: str = Field(min_length=1)
    suite: str
    task: str
    values: list[Annotated[str, Field(pattern=r"^(\d+(\.\d+)?)?$")]] = Field(
        description="one per column, exactly as printed (a plain decimal); '' where the cell is empty")
    basis: str = Field(min_length=1, description="why this row is this gfmbench task")


class Unmapped(_Strict):
    label: str
    reason: str = Field(min_length=1)


class PrintedTable(_Strict):
    table: str = Field(min_length=1)
    caption: str = Field(min_length=1)
    read_from: str = Field(pattern=r"^https://\S+$")
    rows: list[Row] = Field(default_factory=list)
    unmapped: list[Unmapped] = Field(default_factory=list)


class ReportedPaper(_Strict):
    """One paper's transcription file."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    source: PaperSource
    protocol: Protocol
    metric: str = Field(description="gfmbench's name of the printed metric (gfmbench.metrics.catalog)")
    metric_as_printed: str
    scale: float = Field(default=1.0, gt=0, description="printed value / metric value (100 for percentages)")
    differences: list[str] = Field(default_factory=list, description="from gfmbench's protocol, for every row")
    columns: list[Column] = Field(min_length=1)
    tables: list[PrintedTable] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_value_per_column(self) -> ReportedPaper:
        for table in self.tables:
            for row in table.rows:
                if len(row.values) != len(self.columns):
                    raise ValueError(f"{table.table}, row {row.label!r}: {len(row.values)} values for "
                                     f"{len(self.columns)} columns")
        return self


class CardSource(_Strict):
    paper: PaperSource
    table: str
    caption: str
    row: str  # as printed
    column: str  # as printed
    read_from: str


class ReportedCard(_Strict):
    """One published value, mapped to a gfmbench task. `verified` is false by construction: nothing here was rerun."""

    kind: Literal["reported"] = "reported"
    verified: Literal[False] = False
    id: str  # <paper>/<suite>/<task>/<model slug>
    model: str  # as printed
    family: str | None
    model_id: str | None
    model_basis: str
    suite: str
    task: str
    task_basis: str
    metric: str
    metric_as_printed: str
    value: float  # on the metric's own scale (printed value / scale)
    value_as_printed: str
    primary_metric: str  # the task's primary metric in gfmbench
    differences: list[str]  # every known difference from gfmbench's protocol; empty only if none is known
    protocol: Protocol
    source: CardSource

    @property
    def same_metric(self) -> bool:
        return self.metric == self.primary_metric


def load_paper(path: Path) -> ReportedPaper:
    """A transcription file, validated; errors name the file and the field."""
    import yaml

    from gfmbench.errors import GfmbenchError

    try:
        return ReportedPaper.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except yaml.YAMLError as exc:  # its message gives the line and column
        raise GfmbenchError(f"{path}: not valid YAML: {exc}") from exc
    except ValidationError as exc:  # its message gives the field path, e.g. tables.0.rows.3.values.1
        raise GfmbenchError(f"{path}: invalid reported-results file: {exc}") from exc


def packaged_papers() -> list[ReportedPaper]:
    return [load_paper(p) for p in sorted(REPORTED_DIR.glob("*.yaml"))]


def _slug(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip("-").lower()


def reported_cards(paper: ReportedPaper) -> list[ReportedCard]:
    """One card per printed value of a mapped row (empty cells have none). The metric difference, if any, is added
    to the card's differences here, so no card can hide it."""
    from gfmbench.suites.registry import get_task

    cards = []
    for table in paper.tables:
        for row in table.rows:
            _, task = get_task(row.task, row.suite)
            differences = list(paper.differences)
            if paper.metric != task.primary_metric:
                differences.insert(0, f"metric: {paper.metric_as_printed} ({paper.metric}) as printed; gfmbench's "
                                      f"primary metric for this task is {task.primary_metric}")
            for column, printed in zip(paper.columns, row.values, strict=True):
                if not printed.strip():
                    continue
                cards.append(ReportedCard(
                    id=f"{paper.id}/{row.suite}/{row.task}/{_slug(column.label)}", model=column.label,
                    family=column.family, model_id=column.model_id, model_basis=column.basis, suite=row.suite,
                    task=row.task, task_basis=row.basis, metric=paper.metric,
                    metric_as_printed=paper.metric_as_printed, value=float(printed) / paper.scale,
                    value_as_printed=printed, primary_metric=task.primary_metric, differences=differences,
                    protocol=paper.protocol,
                    source=CardSource(paper=paper.source, table=table.table, caption=table.caption, row=row.label,
                                      column=column.label, read_from=table.read_from)))
    return cards


def validate_reported(source: str, raw: bytes | str) -> tuple[ReportedCard | None, str | None]:
    """(card, None) if the card can be shown; (None, reason) otherwise: schema, unknown task, a metric gfmbench does
    not know, a value outside the metric's range, a primary metric that disagrees with the registry, or a metric
    difference that is not declared."""
    from gfmbench.errors import UnknownNameError
    from gfmbench.metrics.catalog import CATALOG
    from gfmbench.suites.registry import get_task

    try:
        card = ReportedCard.model_validate_json(raw)
    except (ValidationError, ValueError) as exc:
        lines = str(exc).splitlines()
        return None, f"invalid reported card: {lines[1] if len(lines) > 1 else lines[0]}"
    try:
        _, task = get_task(card.task, card.suite)
    except UnknownNameError as exc:
        return None, f"unknown task: {exc}"
    entry = CATALOG.get(card.metric)
    if entry is None:
        return None, f"unknown metric {card.metric!r}"
    low, high = entry.bounds
    if not (math.isfinite(card.value) and low <= card.value <= high):
        return None, f"impossible value {card.metric} = {card.value} (must lie in [{low}, {high}])"
    if card.primary_metric != task.primary_metric:
        return None, f"primary metric {card.primary_metric} does not match the registry's {task.primary_metric}"
    if not card.same_metric and not any(d.startswith("metric:") for d in card.differences):
        return None, f"metric {card.metric} differs from the primary metric {card.primary_metric} but no difference " \
                     "says so"
    return card, None


def export_cards(cards: Iterable[ReportedCard], folder: Path) -> list[Path]:
    """Write cards as `<folder>/reported/<id>.json` (atomically). A paper's export replaces its earlier one: cards of
    that paper no longer in the transcription (a row corrected or left out since) are removed, not left to count."""
    from gfmbench.atomic import atomic_write

    cards = list(cards)
    written = []
    for card in cards:
        path = folder / REPORTED_FOLDER / f"{card.id}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        written.append(atomic_write(path, card.model_dump_json(indent=2) + "\n"))
    keep = set(written)
    for paper in {card.id.split("/")[0] for card in cards}:
        for stale in sorted((folder / REPORTED_FOLDER / paper).rglob("*.json")):
            if stale not in keep:
                stale.unlink()
    return written


def stale_paths(existing: Iterable[str], cards: Iterable[ReportedCard]) -> list[str]:
    """Paths of a results repo (`reported/<paper>/...`) of the papers being published that the new cards do not
    have: deleted in the same commit."""
    cards = list(cards)
    new = {f"{REPORTED_FOLDER}/{card.id}.json" for card in cards}
    papers = {card.id.split("/")[0] for card in cards}
    stale = []
    for path in existing:
        parts = path.split("/")
        if len(parts) >= 3 and parts[0] == REPORTED_FOLDER and parts[1] in papers and path not in new:
            stale.append(path)
    return sorted(stale)


def reported_from_folder(folder: Path) -> list[tuple[str, bytes]]:
    base = folder / REPORTED_FOLDER
    return [(str(p.relative_to(folder)), p.read_bytes()) for p in sorted(base.rglob("*.json"))] if base.is_dir() \
        else []


def reported_rows(items: Iterable[tuple[str, bytes | str]]) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Validated reported cards as flat rows (the `reported.parquet` table) and the refused ones with a reason."""
    from gfmbench.suites.registry import get_task

    rows, excluded = [], []
    seen: dict[str, str] = {}
    for source, raw in items:
        card, reason = validate_reported(source, raw)
        if card is None:
            excluded.append({"source": source, "model": "", "task": "", "reason": f"reported card: {reason}"})
            continue
        if card.id in seen:
            excluded.append({"source": source, "model": card.model, "task": card.task,
                             "reason": f"reported card: duplicate of {seen[card.id]}"})
            continue
        seen[card.id] = source
        paper = card.source.paper
        suite, task = get_task(card.task, card.suite)
        rows.append({
            "id": card.id, "model": card.model, "model_id": card.model_id or "", "family": card.family or "",
            "suite": card.suite, "task": card.task, "metric": card.metric, "metric_as_printed": card.metric_as_printed,
            "value": card.value, "value_as_printed": card.value_as_printed, "primary_metric": card.primary_metric,
            "same_metric": card.same_metric, "regime": card.protocol.regime,
            "differences": json.dumps(card.differences), "paper": paper_citation(card.source.paper),
            "citation": citation(card),
            "link": paper.url, "read_from": card.source.read_from, "source": source,
            "task_type": task.type, "alphabet": task.alphabet, "license": task.license or suite.license or "",
        })
    return rows, excluded


def paper_citation(paper: PaperSource) -> str:
    """`Feng et al., Nature Communications 16:10780 (2025)`."""
    return f"{paper.authors.split(',')[0].split()[0]} et al., {paper.venue}"


def citation(card: ReportedCard) -> str:
    """`Feng et al., Nature Communications 16:10780 (2025), Table 3, row "Yeast H3", column "DNABERT-2"`."""
    return (f"{paper_citation(card.source.paper)}, {card.source.table}, row \"{card.source.row}\", column "
            f"\"{card.source.column}\"")
