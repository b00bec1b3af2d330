"""The leaderboard app: a thin gradio layer over `gfmbench.leaderboard.table` (which computes everything)."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from gfmbench.leaderboard.table import Filters, format_cell, leaderboard, row_key

FIXED = ["rank", "model", "regime", "content", "parameters", "avg rank", "mean score"]


MARK_BEST, MARK_TIED, MARK_UNTESTED = " ★", " ≈", " ?"
ALL = "all"  # the filters' explicit "no restriction" choice


def column_header(column: str, metric: str, direction: str) -> str:
    """`rgb/SSP_Archive2 · f1_macro ↑`: the task, the metric its cells hold and which way is better."""
    return f"{column} · {metric} {'↑' if direction == 'higher' else '↓'}"


def _chosen(values: list[str] | None) -> tuple[str, ...]:
    """A filter's selection: the values picked besides "all"; "all" alone (or nothing) means no restriction."""
    return tuple(v for v in (values or ()) if v != ALL)
LEGEND = (f"In each task column,{MARK_BEST} marks the best model,{MARK_TIED} the models whose difference to it is "
          f"not significant (paired permutation test on the same test examples and seeds, p ≥ 0.05) and{MARK_UNTESTED}"
          " those that could not be tested against it; see the *Significance* tab.")


def _markers(significance: dict[str, Any] | None) -> dict[tuple[str, str], str]:
    """(model key, task column) -> the marker of that cell."""
    marks: dict[tuple[str, str], str] = {}
    for entry in (significance or {}).get("per_task", []):
        marks[(entry["best"], entry["column"])] = MARK_BEST
        if entry["tied_with_best"] is None:
            marks[(entry["model"], entry["column"])] = MARK_UNTESTED
        elif entry["tied_with_best"]:
            marks[(entry["model"], entry["column"])] = MARK_TIED
    return marks


def _frame(units: list[dict[str, Any]], filters: Filters, sort_by: str = "rank", descending: bool = False,
           significance: dict[str, Any] | None = None) -> Any:
    import pandas as pd

    columns, rows = leaderboard(units, filters)
    marks = _markers(significance)
    directions = {f"{u['suite']}/{u['task']}": u["direction"] for u in units}
    if sort_by in columns:
        rows.sort(key=lambda r: (r.get(sort_by, (math.nan,))[0] if sort_by in r else math.nan), reverse=descending)
        rows.sort(key=lambda r: sort_by not in r)  # models without the task last
    elif sort_by in FIXED:
        rows.sort(key=lambda r: (r[sort_by] if not isinstance(r[sort_by], float) or not math.isnan(r[sort_by])
                                 else math.inf), reverse=descending)
    metrics = {f"{u['suite']}/{u['task']}": u["primary_metric"] for u in units}
    header = FIXED + [column_header(c, metrics[c], directions[c]) for c in columns]
    data = [[format_cell(r.get(k)) for k in FIXED]
            + [format_cell(r.get(c)) + (marks.get((r["key"], c), "") if c in r else "") for c in columns]
            for r in rows]
    return pd.DataFrame(data, columns=header), columns, rows


KINDS = ("run by gfmbench", "reported in papers", "both")
REPORTED_MARK = " †"
REPORTED_LEGEND = ("*Reported in papers*: values transcribed from the papers' own tables (†, each linked to its "
                   "source; hover for table, row and column as printed), never rerun here (`verified: false`). They "
                   "are ranked only among reported values of the same task, metric and regime (rank R1, R2, ...), "
                   "never mixed into the ranking of runs. Where gfmbench ran the same checkpoint and measured the "
                   "printed metric, *Reproduced vs reported* gives the gap with our interval and every protocol "
                   "difference.")


def _link(text: str, url: str, title: str = "") -> str:
    title = title.replace('"', "'")
    return f'[{text}]({url} "{title}")' if title else f"[{text}]({url})"


def _reported_frame(reported: list[dict[str, Any]], filters: Filters) -> Any:
    """The reported view: one row per (model, paper), one column per task, metric and regime, each cell linked to
    its source."""
    import pandas as pd

    from gfmbench.leaderboard.reported_board import metric_of, reported_board
    from gfmbench.metrics.catalog import CATALOG

    columns, board = reported_board(reported, filters)

    def header_of(column: str) -> str:
        task, metric, regime = column.split(" · ")
        return f"{task} · {metric} {'↑' if CATALOG[metric_of(column)].direction == 'higher' else '↓'} (reported, " \
               f"{regime})"

    header = ["rank", "model", "checkpoint", "regime", "avg rank"] + [header_of(c) for c in columns]
    data = []
    for b in board:
        cells = []
        for c in columns:
            row = b["cells"].get(c)
            cells.append(_link(row["value_as_printed"] + REPORTED_MARK, row["link"], row["citation"]) if row else "—")
        data.append([f"R{b['rank']}", b["model"], b["model_id"] or "not established", b["regime"],
                     f"{b['avg rank']:.2f}", *cells])
    return pd.DataFrame(data, columns=header)


def _gaps_frame(units: list[dict[str, Any]], reported: list[dict[str, Any]], suite: str | None) -> Any:
    import pandas as pd

    from gfmbench.leaderboard.reported_board import gaps

    header = ["run by gfmbench", "reported", "task · metric", "reproduced", "our 95% interval", "reported value",
              "gap (reproduced − reported)", "gap interval", "verdict", "source", "protocol differences"]
    data = []
    for g in gaps(units, reported, suite):
        interval = f"[{g.interval[0]:.4f}, {g.interval[1]:.4f}] ({g.interval_method})" if g.interval else \
            f"none ({g.interval_method})"
        gap_interval = f"[{g.gap_interval[0]:+.4f}, {g.gap_interval[1]:+.4f}]" if g.gap_interval else "—"
        data.append([g.run, g.reported, g.column, f"{g.reproduced:.4f} ({g.seeds} seed(s))", interval,
                     f"{g.value:.4f}", f"{g.gap:+.4f}", gap_interval, g.verdict, _link("source", g.link, g.citation),
                     "; ".join(g.differences) or "none known"])
    return pd.DataFrame(data, columns=header)


def _bars(columns: list[str], rows: list[dict[str, Any]]) -> Any:
    import plotly.graph_objects as go

    figure = go.Figure()
    for row in rows:
        present = [c for c in columns if c in row]
        figure.add_bar(name=row["model"], x=present, y=[row[c][0] for c in present],
                       error_y={"type": "data", "array": [0 if math.isnan(row[c][1]) else row[c][1] for c in present]})
    figure.update_layout(barmode="group", title="Primary metric per task (mean ± std over seeds)", height=380,
                         xaxis_title="task", yaxis_title="primary metric (per task)",
                         legend_title="model")
    return figure


def _heatmap(columns: list[str], rows: list[dict[str, Any]]) -> Any:
    import plotly.graph_objects as go

    z = [[row["task ranks"].get(c) for c in columns] for row in rows]
    figure = go.Figure(go.Heatmap(z=z, x=columns, y=[r["model"] for r in rows], colorscale="Viridis_r",
                                  colorbar={"title": "rank"}, text=z, texttemplate="%{text}"))
    figure.update_layout(title="Rank per task (1 = best; lower-is-better metrics ranked accordingly)", height=380,
                         xaxis_title="task", yaxis_title="model")
    return figure


def _registry_lines(model_id: str) -> list[str]:
    from gfmbench.leaderboard.table import registry_metadata

    meta = registry_metadata(model_id)
    if meta is None:
        return []
    return ["", "Model registry: " + "; ".join(f"{k} {format_cell(v) if not isinstance(v, int) else f'{v:,}'}"
                                              for k, v in meta.items())]


def _model_details(units: list[dict[str, Any]], key: str) -> str:
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
    mine = [u for u in units if row_key(u) == key]
    if not mine:
        return "Pick a model."
    first = mine[0]
    lines = [f"### {first['model_id']} ({first['regime']})",
             f"Model content `{first['model_content'][:12]}` (digest of its weights, config and tokenizer: the "
             f"identity results are keyed by), fetched at commit "
             f"[`{first['model_sha'][:12]}`]({endpoint}/{first['model_id']}/tree/{first['model_sha']}),"
             f" {first['n_parameters']:,} parameters.", *_registry_lines(first["model_id"]), "",
             "| suite | task | seed | metrics (test) | wall time s | train samples/s | peak RSS MiB "
             "| dataset revision |",
             "|---|---|---|---|---|---|---|---|"]
    for u in sorted(mine, key=lambda u: (u["suite"], u["task"], u["seed"])):
        metrics = ", ".join(f"{k} {v:.4f}" for k, v in json.loads(u["metrics"]).items())
        link = f"[`{u['dataset_revision'][:12]}`]({endpoint}/datasets/{u['dataset_repo']}/tree/{u['dataset_revision']})"
        lines.append(f"| {u['suite']} | {u['task']} | {u['seed']} | {metrics} | {u['wall_time_s']:.1f} | "
                     f"{format_cell(u['train_samples_per_second'])} | {u['peak_rss_mb']:.0f} | {link} |")
    return "\n".join(lines)


def _significance_markdown(significance: dict[str, Any] | None) -> str:
    if not significance:
        return "No significance tests: the tables were built without the units' predictions."
    lines = [f"Paired permutation tests ({significance['resamples']} resamples) of each model against the task's "
             "best, on the same test examples and seeds. Effect = model − best (primary metric).", "",
             "| task | model | best | effect | 95% interval | p | verdict |", "|---|---|---|---|---|---|---|"]
    for e in significance["per_task"]:
        interval = f"[{e['interval'][0]:.4f}, {e['interval'][1]:.4f}]" if e.get("interval") else ""
        p = f"{e['p_value']:.4g}" if e.get("p_value") is not None else ""
        verdict = e.get("reason") or ("not significantly different" if e["tied_with_best"] else "worse than the best")
        effect = f"{e['effect']:+.4f}" if e.get("effect") is not None else ""
        lines.append(f"| {e['column']} | {e['model']} | {e['best']} | {effect} | {interval} | {p} | {verdict} |")
    ranks = significance.get("ranks")
    if ranks:
        friedman = "n/a (fewer than 3 models)" if ranks["friedman_p"] is None else f"{ranks['friedman_p']:.4g}"
        lines += ["", f"**Across the {ranks['tasks']} task(s) every model has** (Demšar, 2006): Friedman p = "
                  f"{friedman}; Nemenyi critical difference {ranks['critical_difference']:.3f} at α = "
                  f"{ranks['alpha']}: models whose average ranks differ by less are not distinguishable.", "",
                  "| model | average rank |", "|---|---|"]
        lines += [f"| {m} | {r:.3f} |" for m, r in sorted(ranks["average_ranks"].items(), key=lambda kv: kv[1])]
    return "\n".join(lines)


def _rank_plot(significance: dict[str, Any] | None) -> Any:
    """Average ranks with the Nemenyi critical difference as a bar from the best: the critical-difference view."""
    import plotly.graph_objects as go

    figure = go.Figure()
    ranks = (significance or {}).get("ranks")
    if ranks:
        ordered = sorted(ranks["average_ranks"].items(), key=lambda kv: kv[1])
        figure.add_scatter(x=[r for _, r in ordered], y=[m for m, _ in ordered], mode="markers", name="average rank")
        best = ordered[0][1]
        figure.add_shape(type="line", x0=best, x1=best + ranks["critical_difference"], y0=-0.5, y1=-0.5,
                         line={"width": 4})
        figure.update_layout(title="Average rank across tasks (bar: Nemenyi critical difference from the best)")
    figure.update_layout(xaxis_title="average rank (1 = best)", yaxis_title="model", height=380)
    return figure


def build_app(units: list[dict[str, Any]], excluded: list[dict[str, str]],
              significance: dict[str, Any] | None = None, reported: list[dict[str, Any]] | None = None) -> Any:
    import gradio as gr
    import pandas as pd

    reported = reported or []
    suites = sorted({u["suite"] for u in units} | {r["suite"] for r in reported})
    downloads = Path(tempfile.mkdtemp(prefix="gfmbench-leaderboard-"))
    full, _, _ = _frame(units, Filters(), significance=significance)
    full.to_csv(downloads / "leaderboard.csv", index=False)
    pd.DataFrame(units).to_parquet(downloads / "leaderboard-units.parquet")
    pd.DataFrame(reported).to_csv(downloads / "reported.csv", index=False)

    with gr.Blocks(title="gfmbench leaderboard") as demo:
        gr.Markdown("# gfmbench leaderboard\nGenomic foundation models scored by the gfmbench harness: fine-tuned, "
                    "frozen with a linear probe, or zero-shot (the regime column)."
                    " Every number comes from a validated result card; see *Excluded results* for cards that were "
                    "refused. ↑ higher is better, ↓ lower is better; ranks account for both. " + LEGEND + "\n\n"
                    + REPORTED_LEGEND)
        with gr.Tabs():
            for tab in ["overview", *suites]:
                suite = None if tab == "overview" else tab
                mine = [u for u in units if suite is None or u["suite"] == suite]
                frame, columns, rows = _frame(units, Filters(suite=suite), significance=significance)
                with gr.Tab("Overview" if suite is None else suite.upper()):
                    with gr.Row():
                        search = gr.Textbox(label="Search models", elem_id=f"search-{tab}")
                        def choice(field: str, label: str, elem: str, mine: list = mine, tab: str = tab) -> Any:
                            return gr.Dropdown([ALL, *sorted({u[field] for u in mine})], value=[ALL],
                                               multiselect=True, label=label, elem_id=f"{elem}-{tab}")

                        types = choice("task_type", "Task type", "types")
                        alphabets = choice("alphabet", "Alphabet", "alphabet")
                        licenses = choice("license", "License", "license")
                        regimes = choice("regime", "Regime", "regime")
                        sort_by = gr.Dropdown(FIXED + columns, value="rank", label="Sort by", elem_id=f"sort-{tab}")
                        descending = gr.Checkbox(label="Descending", elem_id=f"desc-{tab}")
                    kind = gr.Radio(list(KINDS), value=KINDS[0], label="Results", elem_id=f"kind-{tab}")
                    table = gr.Dataframe(value=frame, interactive=False, elem_id=f"table-{tab}", wrap=True)
                    reported_table = gr.Dataframe(value=_reported_frame(reported, Filters(suite=suite)),
                                                  interactive=False,
                                                  datatype="markdown", elem_id=f"reported-{tab}", wrap=True,
                                                  label="Reported in papers (ranked among themselves)",
                                                  visible=False)
                    gap_table = gr.Dataframe(value=_gaps_frame(units, reported, suite), interactive=False,
                                             datatype="markdown", elem_id=f"gaps-{tab}", wrap=True,
                                             label="Reproduced vs reported", visible=False)
                    with gr.Row():
                        bars = gr.Plot(_bars(columns, rows))
                        heat = gr.Plot(_heatmap(columns, rows))

                    def update(text, task_types, alphabet, license_, regime, sort, desc, suite=suite):
                        filters = Filters(suite=suite, task_types=_chosen(task_types), alphabets=_chosen(alphabet),
                                          licenses=_chosen(license_), regimes=_chosen(regime), search=text or "")
                        new_frame, cols, new_rows = _frame(units, filters, sort or "rank", bool(desc), significance)
                        return (new_frame, _bars(cols, new_rows), _heatmap(cols, new_rows),
                                _reported_frame(reported, filters))

                    def show(choice):
                        runs, papers = choice != KINDS[1], choice != KINDS[0]
                        return (gr.update(visible=runs), gr.update(visible=papers),
                                gr.update(visible=runs and papers))

                    controls = [search, types, alphabets, licenses, regimes, sort_by, descending]
                    for control in controls:
                        control.change(update, controls, [table, bars, heat, reported_table])
                    kind.change(show, kind, [table, reported_table, gap_table])
            with gr.Tab("Model details"):
                keys = sorted({row_key(u) for u in units})
                first = keys[0] if keys else None
                picker = gr.Dropdown(keys, value=first, label="Model", elem_id="model-picker")
                # the preselected model's details are shown from the start (a change event would never fire for it)
                details = gr.Markdown(_model_details(units, first) if first else "No results yet.",
                                      elem_id="model-details")
                picker.input(lambda key: _model_details(units, key), picker, details)
                picker.change(lambda key: _model_details(units, key), picker, details)
            with gr.Tab("Significance"):
                gr.Markdown(_significance_markdown(significance), elem_id="significance")
                gr.Plot(_rank_plot(significance))
            with gr.Tab("Excluded results"):
                gr.Markdown(f"{len(excluded)} result card(s) refused; they are not in any ranking.")
                gr.Dataframe(value=pd.DataFrame(excluded or [], columns=["reason", "model", "task", "source"]),
                             interactive=False, elem_id="excluded", wrap=True)
        gr.File(value=[str(downloads / "leaderboard.csv"), str(downloads / "leaderboard-units.parquet"),
                       str(downloads / "reported.csv")],
                label="Download the aggregated tables")
    return demo


def serve(table_dir: Path, host: str = "127.0.0.1", port: int | None = None, block: bool = True) -> Any:
    """Launch the app on the built tables of `table_dir` (`leaderboard.parquet`, `excluded.json`)."""
    from gfmbench.leaderboard.table import SIGNIFICANCE_FILE, read_reported, read_units

    units = read_units(table_dir / "leaderboard.parquet")
    excluded = json.loads((table_dir / "excluded.json").read_text())
    significance_path = table_dir / SIGNIFICANCE_FILE
    significance = json.loads(significance_path.read_text()) if significance_path.is_file() else None
    demo = build_app(units, excluded, significance, read_reported(table_dir))
    demo.launch(server_name=host, server_port=port, prevent_thread_lock=not block, show_error=True, quiet=True)
    return demo
