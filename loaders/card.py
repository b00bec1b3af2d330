"""The dataset card (README.md with YAML `configs:`) and the Hub benchmark file (eval.yaml) of a suite repo.

Both are rendered from the suite file and the build manifest only, with no timestamps, so identical inputs give
identical bytes.
"""

from __future__ import annotations

from typing import Any

import yaml

from gfmbench.loaders.manifest import BuildManifest
from gfmbench.suites.schema import SuiteSpec

TASK_CATEGORIES = {
    "sequence_classification": "text-classification",
    "multilabel_classification": "text-classification",
    "sequence_regression": "tabular-regression",
    "token_classification": "token-classification",
    "token_regression": "token-classification",
    "pair_classification": "other",
    "pair_regression": "other",
}


def size_category(rows: int) -> str:
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                         (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M")):
        if rows < limit:
            return label
    return "100M<n<1B"


def _yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)


def render_card(suite: SuiteSpec, manifest: BuildManifest) -> str:
    from huggingface_hub import DatasetCardData

    built = [t for t in suite.tasks if t.config in manifest.configs]
    configs = []
    for task in built:
        configs.append({
            "config_name": task.config,
            "data_files": [{"split": split, "path": f"data/{task.config}/{split}-*.parquet"}
                           for split in manifest.configs[task.config].splits],
        })
    total = sum(s.rows for c in manifest.configs.values() for s in c.splits.values())
    card_data = DatasetCardData(
        license=suite.license,
        pretty_name=suite.pretty_name,
        task_categories=sorted({TASK_CATEGORIES[t.type] for t in built}),
        size_categories=[size_category(total)],
        tags=["biology", "genomics", "gfmbench", *sorted({t.alphabet.lower() for t in built})],
        configs=configs,
        gfmbench={
            "suite": suite.name,
            "version": suite.version,
            "builder_version": manifest.builder_version,
            # Row counts live here rather than in `dataset_info`, whose split entries also need Arrow byte sizes.
            "num_rows": {
                task.config: {split: info.rows for split, info in manifest.configs[task.config].splits.items()}
                for task in built
            },
        },
    )
    lines = [
        "---",
        card_data.to_yaml().rstrip(),
        "---",
        f"# {suite.pretty_name}",
        "",
        *([f"> **License: {suite.license}.** {suite.license_notice}", ""] if suite.license_notice else []),
        suite.description,
        "",
        f"Suite version **{suite.version}** (tag `{suite.tag}`), built by gfmbench {manifest.builder_version} from "
        f"the upstream release ({suite.homepage}). Load a task with no remote code:",
        "",
        "```python",
        "import datasets",
        f'ds = datasets.load_dataset("{suite.dataset_repo}", "{built[0].config if built else "<config>"}", '
        f'revision="{suite.tag}")',
        "```",
        "",
        "## Tasks",
        "",
        "| config | upstream name | type | classes / targets | primary metric | " + " | ".join(
            ["train", "validation", "test"]) + " | length (min / mean / max) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for task in suite.tasks:
        entry = manifest.configs.get(task.config)
        what = ", ".join(f"`{x}`" for x in (task.labels or task.targets or []))
        metric = f"{task.primary_metric} ({task.direction} is better)"
        if entry is None:
            lines.append(f"| {task.config} | {task.upstream_names[0]} | {task.type} | {what} | {metric} | "
                         "not built: missing from the raw release | | | |")
            continue
        counts = [str(entry.splits[s].rows) if s in entry.splits else "—"
                  for s in ("train", "validation", "test")]
        extra = [f"{s}: {entry.splits[s].rows}" for s in task.extra_test_splits if s in entry.splits]
        if extra:  # further test sets, scored and reported apart
            counts[2] += f" (+ {', '.join(extra)})"
        lengths = list(entry.splits.values())
        mean = sum(x.mean_length * x.rows for x in lengths) / sum(x.rows for x in lengths)
        length = f"{min(x.min_length for x in lengths)} / {mean:.1f} / {max(x.max_length for x in lengths)}"
        lines.append(f"| {task.config} | {task.upstream_names[0]} | {task.type} | {what} | {metric} | "
                     + " | ".join(counts) + f" | {length} |")
    lines += ["", "### Task descriptions", ""]
    lines += [f"- **{t.config}**: {t.description} Source: {t.source or 'see citation'}."
              + (f" **Terms: {t.license}.**" if t.license else "") for t in suite.tasks]
    carved = [f"- {config}: {entry.validation}" for config, entry in manifest.configs.items() if entry.validation]
    if carved:
        lines += ["", "Validation splits made by the builder (upstream has none):", "", *carved]
    missing = [
        f"- {config}: {', '.join(entry.missing_splits)}"
        + "".join(f"; {split}: {why}" for split, why in (entry.unscored_splits or {}).items())
        for config, entry in manifest.configs.items() if entry.missing_splits
    ]
    pair_tasks = [t for t in built if t.is_pair_level]
    lines += [
        "",
        "## Columns",
        "",
        "- `id`: stable row id (`<split>-<index in the upstream file>`).",
        "- `sequence`: upper-case nucleotides; the alphabet of the task plus IUPAC ambiguity codes.",
        "- `label`: class id(s) (`ClassLabel`); for token tasks one per nucleotide, and **-1 marks a position that is "
        "not scored** (the harness maps it to -100).",
        "- regression targets: one column per target; for token tasks one value per nucleotide, and **null marks a "
        "position that is not scored**.",
        "- upstream extras are kept (e.g. `structure`: the upstream dot-bracket string; `reference`: the "
        "unmutated sequence).",
        *(["- pair tasks (" + ", ".join(t.config for t in pair_tasks) + "): binary maps store in `label` the list of "
           "positive pairs `[i, j]` (0-based, i < j); dense maps store in the target column the upper triangle "
           "without the diagonal, row by row (`L(L-1)/2` values, null = not scored). Rebuild the L x L array with "
           "`gfmbench.pairmaps.pair_map(row)` (or `pair_map(row, \"distance\")`)."] if pair_tasks else []),
        *([f"- `{t.pair_input}` ({t.config}): the second sequence of a sequence pair, read by the model together "
           "with `sequence`." for t in built if t.pair_input]),
        "",
        "## Provenance",
        "",
        *([f"Raw release: {manifest.raw_origin}.", ""] if manifest.raw_origin else []),
        f"Checksum verification: `{manifest.verification}`. Upstream files (sha256):",
        "",
        "| file | sha256 | matches gfmbench's manifest |",
        "|---|---|---|",
    ]
    for config in sorted(manifest.configs):
        for rel, info in sorted(manifest.configs[config].upstream_files.items()):
            verdict = ("yes" + (f" ({info.check})" if info.check else "")) if info.verified else "not listed"
            lines.append(f"| `{rel}` | `{info.sha256}` | {verdict} |")
    if missing:
        lines += ["", "Splits absent from the raw release used for this build (not faked):", "", *missing]
    lines += [
        "",
        "## License",
        "",
        f"`{suite.license}`; per-task sources above keep their own terms.",
        "",
        "## Citation",
        "",
        "```bibtex",
        suite.citation.rstrip(),
        *[t.citation.rstrip() for t in _distinct_citations(built)],
        "```",
        "",
    ]
    return "\n".join(lines)


def _distinct_citations(tasks: list[Any]) -> list[Any]:
    """Tasks with their own data citation, each citation once (tasks may share a source)."""
    seen: set[str] = set()
    out = []
    for task in tasks:
        if task.citation and task.citation not in seen:
            seen.add(task.citation)
            out.append(task)
    return out


def render_eval_yaml(suite: SuiteSpec, manifest: BuildManifest) -> str:
    """The Hub's benchmark description: one entry per task with its config and evaluation split."""
    tasks = []
    for task in suite.tasks:
        entry = manifest.configs.get(task.config)
        if entry is None or "test" not in entry.splits:
            continue
        tasks.append({"id": task.config, "config": task.config, "split": "test"})
    return _yaml({
        "name": suite.pretty_name,
        "description": " ".join(suite.description.split()),
        "evaluation_framework": "gfmbench",
        "tasks": tasks,
    })
