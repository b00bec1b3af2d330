"""The performance report: gfmbench side by side with OmniGenBench and with the bare floor, every result a ratio
measured in one run of this script.

    python scripts/bench.py all [--quick] [--write-doc] [--json FILE]
    python scripts/bench.py e2e|harness|tokenise|builders|metrics|startup|zeroshot|scale [...]
    python scripts/bench.py gpu [--dry-run]        (through scripts/gpu_bench.sh on a CUDA machine)

Benchmarks (ours / baseline, target):
  e2e       end-to-end AutoBench on SSP_Archive2 (real data), same tiny model, epochs, batch size and max length,
            one seed: `gfmbench run` vs OmniGenBench's AutoBench (installed by this script into a throwaway venv,
            never a dependency of gfmbench) — target <= 0.5
  harness   the same work: `gfmbench run` vs a bare transformers/PyTorch loop — target <= 1.05, test scores shown
  tokenise  tokenisation + label alignment of 100k sequences vs the tokenizer's own batch call — throughput >= 0.9
  builders  conversion of a GUE-format CSV vs plain polars read + Parquet write; warm `load_dataset` of a 100k-row
            config vs reading its Parquet shards with pyarrow
  metrics   masked macro F1 and MCRMSE on 10M positions vs scikit-learn — target <= 1.0
  startup   `import gfmbench` and `gfmbench --help` — target < 0.5 s
  zeroshot  masked-marginal zero-shot of SNMD then SNMR (the same real test sequences, the tiny model): packed passes
            and the shared base-probability cache vs the per-sequence loop before — target <= 0.1 at identical
            metrics; the one-pass wild-type estimator beside them (other scores, by definition)
  scale     e2e and harness at NT-v2-50M's shape (random weights, built by the runner) on SSP_Archive2 and GUE
            prom_300_tata (real files cut to a fixed budget): gfmbench vs OmniGenBench vs the bare loop
  gpu       (asked for by name, not in `all`) NT-v2-50M and DNABERT-2-117M shapes fine-tuned in bf16 on GUE
            prom_300_tata: training tokens/s, peak GPU memory, model FLOP utilisation, gfmbench vs the bare loop
Every measurement runs in its own child process; its peak RSS comes from `wait4`. `--quick` uses tiny sizes and
one repeat (the CI smoke run: it checks the runner works, not the figures). `--write-doc` regenerates the
sections of docs/performance.md whose benchmarks ran (the tiny-model report, scale, GPU) and leaves the others.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
SAMPLES = Path(os.environ.get("GFMBENCH_SAMPLES", ROOT.parent / "shared" / "samples"))
ZOO = Path(os.environ.get("GFMBENCH_ZOO", ROOT.parent / "shared" / "zoo"))
MODEL = "gfmbench/tiny-random-bert-nt"
OMNIGENBENCH = "omnigenbench==0.4.8a0"
OMNI_PINS = ["update_checker<1"]  # a fresh omnigenbench install fails at import without this pin
DOC_BEGIN, DOC_END = "<!-- bench.py:begin -->", "<!-- bench.py:end -->"


@dataclass
class Result:
    benchmark: str
    ours: str
    baseline: str
    ours_s: float | None
    baseline_s: float | None
    ratio: float | None
    target: str
    met: bool | None
    ours_rss_mb: float | None = None
    baseline_rss_mb: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Child:
    seconds: float  # the work's own time when the child reports it, else the process wall time
    wall_s: float
    peak_rss_mb: float
    output: dict[str, Any]


def run_child(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None,
              log: Path | None = None) -> Child:
    """Run one measurement in a child process; its peak RSS (and its waited-for children's) from wait4."""
    out = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    text = out.read()
    out.close()
    if log is not None:
        log.write_text(text)
    os.unlink(out.name)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd[:6]))} ... exited {proc.returncode}:\n{text[-3000:]}")
    output: dict[str, Any] = {}
    for line in reversed(text.splitlines()):  # the last JSON object printed (the Trainer prints Python dicts)
        if line.startswith("{"):
            try:
                output = json.loads(line)
                break
            except json.JSONDecodeError:
                continue
    return Child(seconds=output.get("seconds", wall), wall_s=wall, peak_rss_mb=usage.ru_maxrss / 1024, output=output)


def best(cmd: list[str], repeats: int, **kwargs: Any) -> Child:
    runs = [run_child(cmd, **kwargs) for _ in range(repeats)]
    fastest = min(runs, key=lambda c: c.seconds)
    fastest.peak_rss_mb = max(c.peak_rss_mb for c in runs)
    return fastest


def me(*args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "child", *args]


# ----------------------------------------------------------------------------------------------- shared set-up
class Workspace:
    """A temporary GFMBENCH_HOME with a local hub serving RGB's SSP_Archive2, SNMD and SNMR (real data) and the tiny
    model; with `setup` (a child's arguments), what that child publishes instead, and `model` the repo to fetch."""

    def __init__(self, root: Path, setup: list[str] | None = None, model: str = MODEL) -> None:
        self.root, self.setup, self.model = root, setup, model

    def __enter__(self) -> Workspace:
        from gfmbench.hub.server import LocalHub

        self.hub = LocalHub(root=self.root / "hub")
        self.hub.start()
        self.env = {**os.environ, "GFMBENCH_HOME": str(self.root / "home"), "HF_HOME": str(self.root / "hf"),
                    **self.hub.env()}
        setup = self.setup or ["setup", str(SAMPLES / "RGB")]
        done = subprocess.run(me(setup[0], str(self.hub.root), *setup[1:]), env=self.env, capture_output=True,
                              text=True, check=False)
        if done.returncode:
            raise RuntimeError(f"workspace set-up ({setup[0]}) failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
        result = run_child(me("snapshot", self.model), env=self.env)
        self.model_dir = Path(result.output["path"])
        return self

    def __exit__(self, *exc: object) -> None:
        self.hub.stop()


def child_setup(hub_root: str, rgb: str) -> None:
    from gfmbench.harness.tiny import publish_tiny_models
    from gfmbench.hub.publish import LocalGitBackend
    from gfmbench.loaders.build import build_suite

    backend = LocalGitBackend(Path(hub_root))
    build_suite("rgb", raw_dir=rgb, configs=["SSP_Archive2", "SNMD", "SNMR"], backend=backend, progress=False)
    publish_tiny_models(backend, [MODEL])


def child_snapshot(model: str) -> None:
    from huggingface_hub import snapshot_download

    print(json.dumps({"path": snapshot_download(model)}))


# --------------------------------------------------------------------------------------------- 1-2 end to end
def run_cmd(model: str, suite: str, task: str, epochs: int, batch: int, max_length: int, lr: float, out: Path,
            *extra: str) -> list[str]:
    """`gfmbench run` of one task and seed 0 (`max_length` in nucleotides, as the CLI takes it)."""
    return [sys.executable, "-m", "gfmbench", "run", "--model", model, "--suite", suite, "--tasks", task,
            "--epochs", str(epochs), "--batch-size", str(batch), "--max-length", str(max_length),
            "--learning-rate", str(lr), "--seeds", "0", "--overwrite", "--no-progress", "--output-dir", str(out),
            *extra]


def gfmbench_run_cmd(ws: Workspace, epochs: int, batch: int, max_tokens: int, lr: float, out: Path) -> list[str]:
    return run_cmd(MODEL, "rgb", "SSP_Archive2", epochs, batch, max_tokens - 2, lr, out)


def gfmbench_result(out: Path) -> dict[str, Any]:
    return json.loads(next(out.rglob("result.json")).read_text())


def gfmbench_score(out: Path, metric: str = "f1_macro") -> float:
    return gfmbench_result(out)["metrics"]["test"][metric]


def omnigenbench_python(venv: Path, log: Path) -> Path:
    """The throwaway OmniGenBench venv: torch==2.13.0 (CPU) first, then omnigenbench with the pins it needs."""
    python = venv / "bin" / "python"
    if python.is_file() and subprocess.run([python, "-c", "import omnigenbench"], capture_output=True,
                                           cwd=tempfile.gettempdir(), check=False).returncode == 0:
        return python
    with open(log, "w") as handle:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, stdout=handle, stderr=handle)
        for packages in (["torch==2.13.0"], [OMNIGENBENCH, *OMNI_PINS]):
            subprocess.run([python, "-m", "pip", "install", "-q", *packages], check=True, stdout=handle,
                           stderr=handle)
    return python


OMNI_CONFIG = '''import os

from omnigenbench import (AutoConfig, ClassificationMetric, OmniDatasetForTokenClassification,
                          OmniModelForTokenClassification)

label2id = {"(": 0, ")": 1, ".": 2}  # OmniGenBench needs len(label2id) == num_labels: pseudoknot brackets -> -100
here = os.path.dirname(__file__)
bench_config = AutoConfig({
    "task_name": "RNA-SSP-Archive2", "task_type": "token_classification", "label2id": label2id,
    "num_labels": len(label2id), "epochs": 1, "patience": 2, "learning_rate": 2e-5, "weight_decay": 0,
    "batch_size": 8, "max_length": 512, "seeds": [0],
    "compute_metrics": [ClassificationMetric(ignore_y=-100, average="macro").f1_score],
    "train_file": f"{here}/train.json", "valid_file": f"{here}/valid.json", "test_file": f"{here}/test.json",
    "dataset_cls": OmniDatasetForTokenClassification, "model_cls": OmniModelForTokenClassification,
})
'''


def omnigenbench_scratch(scratch: Path) -> Path:
    """OmniGenBench's documented benchmark layout (metadata.py + one folder per task with config.py and the JSON
    splits), below the working directory as it requires, plus an empty `multimolecule` module: OmniGenBench imports
    that undeclared package even for plain BERT models."""
    bench = scratch / "RGBbench"
    task = bench / "RNA-SSP-Archive2"
    task.mkdir(parents=True, exist_ok=True)
    for name in ("train.json", "valid.json", "test.json"):
        shutil.copy(SAMPLES / "RGB" / "RNA-SSP-Archive2" / name, task / name)
    (bench / "metadata.py").write_text('bench_list = ["RNA-SSP-Archive2"]\n')
    (task / "config.py").write_text(OMNI_CONFIG)
    stub = scratch / "stub" / "multimolecule"
    stub.mkdir(parents=True, exist_ok=True)
    (stub / "__init__.py").write_text('"""Empty stand-in for an undeclared import of OmniGenBench."""\n')
    return bench


def omnigenbench_side(args: argparse.Namespace, root: Path, scratch: Path, bench: str, model_dir: Path, epochs: int,
                      batch: int, max_tokens: int, lr: float, metric: str,
                      repeats: int | None = None) -> tuple[Child | None, float | None, str | None]:
    """OmniGenBench's AutoBench on the benchmark folder `bench` below `scratch` (after one warm-up run when repeats
    > 1): (the measurement, its test `metric`, None), or (None, None, why it did not run)."""
    repeats = args.repeats if repeats is None else repeats
    try:
        python = omnigenbench_python(Path(args.omnigenbench_venv), root / "omnigenbench-install.log")
        cmd = [str(python), str(SCRIPTS / "_omnigenbench_autobench.py"), bench, str(model_dir), str(epochs),
               str(batch), str(max_tokens), str(lr), "0"]
        env = {**os.environ, "PYTHONPATH": str(scratch / "stub"), "HF_HUB_OFFLINE": "1"}
        if repeats > 1:
            run_child(cmd, env=env, cwd=scratch)  # warm-up (page cache, .pyc)
        omni = best(cmd, repeats, env=env, cwd=scratch, log=root / f"omnigenbench-{bench}.log")
        return omni, float(next(iter(omni.output.values()))[metric]), None
    except (RuntimeError, subprocess.CalledProcessError, OSError, StopIteration, KeyError) as exc:
        lines = [line for line in str(exc).splitlines() if line.strip()]
        return None, None, (lines[-1] if lines else type(exc).__name__)[-300:]  # the error's last line


def bench_e2e_and_harness(ws: Workspace, args: argparse.Namespace, which: set[str]) -> list[Result]:
    epochs, batch, max_tokens, repeats = args.epochs, 8, 512, args.repeats
    results = []
    out = ws.root / "runs"
    lr = args.learning_rate
    ours_cmd = gfmbench_run_cmd(ws, epochs, batch, max_tokens, lr, out)
    run_child(ours_cmd, env=ws.env)  # warm-up: dataset cache, model snapshot (both sides read local files after)
    ours = best(ours_cmd, repeats, env=ws.env)
    ours_score = gfmbench_score(out)
    if "e2e" in which:
        detail: dict[str, Any] = {"gfmbench test macro F1": round(ours_score, 4)}
        if args.no_omnigenbench:
            results.append(Result("e2e AutoBench, SSP_Archive2", "gfmbench run", "OmniGenBench AutoBench",
                                  ours.wall_s, None, None, "<= 0.5", None, ours.peak_rss_mb, None,
                                  {**detail, "omnigenbench": "skipped (--no-omnigenbench)"}))
        else:
            scratch = ws.root / "omni-scratch"
            omnigenbench_scratch(scratch)
            omni, omni_score, error = omnigenbench_side(args, ws.root, scratch, "RGBbench", ws.model_dir, epochs, batch,
                                                        max_tokens, lr, "f1_score")
            if omni is None:
                results.append(Result("e2e AutoBench, SSP_Archive2", "gfmbench run", "OmniGenBench AutoBench",
                                      ours.wall_s, None, None, "<= 0.5", None, ours.peak_rss_mb, None,
                                      {**detail, "omnigenbench error": error}))
            else:
                detail["OmniGenBench test macro F1"] = round(omni_score, 4)
                results.append(Result("e2e AutoBench, SSP_Archive2", "gfmbench run", "OmniGenBench AutoBench",
                                      ours.wall_s, omni.wall_s, ours.wall_s / omni.wall_s, "<= 0.5",
                                      ours.wall_s / omni.wall_s <= 0.5, ours.peak_rss_mb, omni.peak_rss_mb, detail))
    if "harness" in which:
        bare_cmd = me("bare", str(epochs), str(batch), str(max_tokens), str(lr))
        run_child(bare_cmd, env=ws.env)
        bare = best(bare_cmd, repeats, env=ws.env)
        # the same procedure as the bare loop (shuffled batches, constant learning rate) beside the defaults
        plain_out = ws.root / "runs-plain"
        plain_cmd = gfmbench_run_cmd(ws, epochs, batch, max_tokens, lr, plain_out) + [
            "--batching", "random", "--lr-scheduler", "constant"]
        plain = best(plain_cmd, repeats, env=ws.env)
        plain_score = gfmbench_score(plain_out)
        for label, run_, score in (("gfmbench run (defaults: length-grouped batches, linear decay)", ours, ours_score),
                                   ("gfmbench run --batching random --lr-scheduler constant (the loop's recipe)",
                                    plain, plain_score)):
            results.append(Result("harness overhead, SSP_Archive2", label, "bare PyTorch loop (shuffled batches, "
                                  "constant lr)", run_.wall_s, bare.wall_s, run_.wall_s / bare.wall_s, "<= 1.05",
                                  run_.wall_s / bare.wall_s <= 1.05, run_.peak_rss_mb, bare.peak_rss_mb,
                                  {"gfmbench test macro F1": round(score, 4),
                                   "bare loop test macro F1": round(bare.output["f1"], 4),
                                   "score >= bare": score >= bare.output["f1"]}))
    return results


def child_bare(epochs: str, batch: str, max_tokens: str, lr: str) -> None:
    sys.path.insert(0, str(SCRIPTS))
    from bench_harness import bare_loop

    score = bare_loop(int(epochs), int(batch), float(lr), int(max_tokens), 0, validate=True)
    print(json.dumps({"f1": score}))


# ------------------------------------------------------------------------------------------------- 3 tokenise
def child_tokenise(model_dir: str, n: str, side: str) -> None:
    import random

    import datasets

    from gfmbench.harness.align import detect_input_format
    from gfmbench.harness.data import build_examples
    from gfmbench.harness.models import ResolvedModel, load_tokenizer
    from gfmbench.suites.registry import get_task

    _, task = get_task("rgb/SSP_Archive2")
    rng = random.Random(0)
    rows = {"id": [], "sequence": [], "label": [], "structure": []}
    for i in range(int(n)):
        length = rng.randint(50, 300)
        rows["id"].append(f"train-{i:06d}")
        rows["sequence"].append("".join(rng.choice("ACGU") for _ in range(length)))
        labels = [rng.randrange(3) for _ in range(length)]
        rows["label"].append(labels)
        rows["structure"].append("".join("().."[k] for k in labels))
    split = datasets.Dataset.from_dict(rows)
    tokenizer = load_tokenizer(ResolvedModel(model_id=model_dir, revision=None, sha="", path=Path(model_dir)))
    fmt = detect_input_format(tokenizer)
    start = time.perf_counter()
    if side == "ours":
        examples = build_examples(task, split, tokenizer, fmt, 514)
        count = len(examples)
    else:  # "offsets": the batch call asked for what alignment needs; "plain": ids only (no offsets computed)
        extra = {"return_offsets_mapping": True, "return_special_tokens_mask": True} if side == "offsets" else {}
        texts = [fmt.text(s) for s in split["sequence"]]  # the same input text (U/T as the vocabulary has it)
        encoded = tokenizer(texts, truncation=True, max_length=514, **extra)
        count = len(encoded["input_ids"])
    print(json.dumps({"seconds": time.perf_counter() - start, "count": count}))


def bench_tokenise(ws: Workspace, args: argparse.Namespace) -> list[Result]:
    n = str(2_000 if args.quick else 100_000)
    ours = best(me("tokenise", str(ws.model_dir), n, "ours"), args.repeats, env=ws.env)
    results = []
    for side, label, target in (("offsets", "tokenizer(batch, offsets + special mask)", "throughput >= 0.9"),
                                ("plain", "tokenizer(batch), ids only", "report")):
        base = best(me("tokenise", str(ws.model_dir), n, side), args.repeats, env=ws.env)
        ratio = base.seconds / ours.seconds  # throughput ratio: ours / the tokenizer's own batch call
        results.append(Result(f"tokenise + align, {int(n):,} sequences", "build_examples (alignment, labels)",
                              label, ours.seconds, base.seconds, ratio, target,
                              ratio >= 0.9 if target != "report" else None, ours.peak_rss_mb, base.peak_rss_mb,
                              {"ours seq/s": round(int(n) / ours.seconds),
                               "baseline seq/s": round(int(n) / base.seconds)}))
    # a slow tokenizer (Nucleotide Transformer's EsmTokenizer: no offsets, so alignment goes through its pieces)
    from gfmbench.harness.miniatures import build_miniature

    nt = build_miniature("nt_v2", ws.root / "nt-v2-tokenizer")
    n_slow = str(500 if args.quick else 10_000)
    ours = best(me("tokenise", str(nt), n_slow, "ours"), args.repeats, env=ws.env)
    base = best(me("tokenise", str(nt), n_slow, "plain"), args.repeats, env=ws.env)
    ratio = base.seconds / ours.seconds
    results.append(Result(f"tokenise + align (slow NT tokenizer), {int(n_slow):,} sequences",
                          "build_examples (token pieces)", "tokenizer(batch), ids only", ours.seconds, base.seconds,
                          ratio, "report", None, ours.peak_rss_mb, base.peak_rss_mb,
                          {"ours seq/s": round(int(n_slow) / ours.seconds),
                           "baseline seq/s": round(int(n_slow) / base.seconds)}))
    return results


# ------------------------------------------------------------------------------------------------- 4 builders
def child_convert(csv: str, out: str, side: str) -> None:
    sys.path.insert(0, str(SCRIPTS))
    from bench_builders import conversion_only, polars_baseline

    seconds = conversion_only(Path(csv), Path(out)) if side == "ours" else polars_baseline(Path(csv), Path(out))
    print(json.dumps({"seconds": seconds}))


def child_write_csv(path: str, rows: str) -> None:
    sys.path.insert(0, str(SCRIPTS))
    from bench_builders import write_gue_csv

    write_gue_csv(Path(path), int(rows))


def child_build_gue(raw: str, hub: str, shards: str) -> None:
    """Build the config into the hub, and copy its train shards out as plain files (the pyarrow baseline)."""
    from gfmbench.hub.publish import LocalGitBackend
    from gfmbench.loaders.build import build_suite

    backend = LocalGitBackend(Path(hub))
    build_suite("gue", raw_dir=raw, configs=["EMP_H3"], backend=backend, verification="no_checks", progress=False)
    Path(shards).mkdir(parents=True, exist_ok=True)
    for path in backend.list_files("gfmbench/gue"):
        if path.startswith("data/EMP_H3/train-"):
            (Path(shards) / Path(path).name).write_bytes(backend.read_file("gfmbench/gue", path))


def child_load(shards: str, side: str) -> None:
    if side == "ours":
        import datasets

        datasets.load_dataset("gfmbench/gue", "EMP_H3", revision="v1.0.0")  # first load fills the cache
        start = time.perf_counter()
        ds = datasets.load_dataset("gfmbench/gue", "EMP_H3", revision="v1.0.0")
        rows = ds["train"].num_rows
    else:
        import pyarrow.parquet as pq

        pq.read_table(shards)  # warm, as the datasets side
        start = time.perf_counter()
        rows = pq.read_table(shards).num_rows
    print(json.dumps({"seconds": time.perf_counter() - start, "rows": rows}))


def bench_builders(ws: Workspace, args: argparse.Namespace) -> list[Result]:
    rows = 20_000 if args.quick else 1_000_000
    csv = ws.root / "gue" / "EMP" / "H3" / "train.csv"
    subprocess.run(me("write-csv", str(csv), str(rows)), env=ws.env, check=True)
    ours = best(me("convert", str(csv), str(ws.root / "conv-ours"), "ours"), args.repeats, env=ws.env)
    base = best(me("convert", str(csv), str(ws.root / "conv-polars.parquet"), "polars"), args.repeats, env=ws.env)
    results = [Result(f"builder conversion, {rows:,} CSV rows", "validate + write shards", "polars read_csv + "
                      "write_parquet", ours.seconds, base.seconds, base.seconds / ours.seconds,
                      "throughput >= 0.5", base.seconds / ours.seconds >= 0.5, ours.peak_rss_mb, base.peak_rss_mb,
                      {"ours rows/s": round(rows / ours.seconds), "polars rows/s": round(rows / base.seconds)})]
    load_rows = 2_000 if args.quick else 100_000
    for name in ("train", "dev", "test"):
        subprocess.run(me("write-csv", str(ws.root / "gue-load" / "EMP" / "H3" / f"{name}.csv"),
                          str(load_rows if name == "train" else 1000)), env=ws.env, check=True)
    shards = ws.root / "gue-shards"
    subprocess.run(me("build-gue", str(ws.root / "gue-load"), str(ws.hub.root), str(shards)), env=ws.env, check=True)
    ours = best(me("load", str(shards), "ours"), args.repeats, env=ws.env)
    base = best(me("load", str(shards), "pyarrow"), args.repeats, env=ws.env)
    results.append(Result(f"warm load_dataset, {load_rows:,}-row config", "datasets.load_dataset (cached)",
                          "pyarrow read of the Parquet shards", ours.seconds, base.seconds,
                          ours.seconds / base.seconds, "report", None, ours.peak_rss_mb, base.peak_rss_mb))
    return results


# -------------------------------------------------------------------------------------------------- 5 metrics
def child_metric(positions: str, metric: str, side: str) -> None:
    import math

    import numpy as np

    rng = np.random.default_rng(0)
    length = 100
    n = max(1, int(positions) // length)
    valid = np.arange(length)[None, :] < rng.integers(length // 2, length + 1, n)[:, None]
    if metric == "f1":
        refs = rng.integers(0, 3, (n, length))
        refs[~valid] = -100
        preds = np.where(rng.random((n, length)) < 0.7, refs, rng.integers(0, 3, (n, length)))
        preds[~valid] = 0
        flat_refs, flat_preds = refs[valid], preds[valid]
        from sklearn.metrics import f1_score

        from gfmbench.metrics.functional import f1

        start = time.perf_counter()  # imports above: only the computation is timed
        if side == "ours":
            value = f1(refs, preds, average="macro")
        else:
            value = float(f1_score(flat_refs, flat_preds, average="macro"))
    else:
        targets = rng.normal(size=(n, length, 3))
        guesses = targets + rng.normal(scale=0.3, size=targets.shape)
        masked = targets.copy()
        masked[~valid] = np.nan
        flat_t, flat_g = targets[valid], guesses[valid]
        from sklearn.metrics import mean_squared_error

        from gfmbench.metrics.functional import mcrmse

        start = time.perf_counter()
        if side == "ours":
            value = mcrmse(masked, guesses)
        else:
            value = float(np.mean([math.sqrt(mean_squared_error(flat_t[:, j], flat_g[:, j])) for j in range(3)]))
    print(json.dumps({"seconds": time.perf_counter() - start, "value": value}))


def bench_metrics(ws: Workspace, args: argparse.Namespace) -> list[Result]:
    positions = str(100_000 if args.quick else 10_000_000)
    results = []
    for metric, label in (("f1", "masked token macro F1"), ("mcrmse", "MCRMSE, 3 targets, masked")):
        ours = best(me("metric", positions, metric, "ours"), args.repeats, env=ws.env)
        base = best(me("metric", positions, metric, "sklearn"), args.repeats, env=ws.env)
        same = abs(ours.output["value"] - base.output["value"]) <= 1e-9 * max(1.0, abs(base.output["value"]))
        results.append(Result(f"{label}, {int(positions):,} positions", "gfmbench.metrics", "scikit-learn",
                              ours.seconds, base.seconds, ours.seconds / base.seconds, "<= 1.0",
                              ours.seconds / base.seconds <= 1.0, ours.peak_rss_mb, base.peak_rss_mb,
                              {"same value": same}))
    return results


# -------------------------------------------------------------------------------------------------- 6 startup
def bench_startup(ws: Workspace, args: argparse.Namespace) -> list[Result]:
    repeats = max(3, args.repeats)
    env = {**ws.env}
    bare = best([sys.executable, "-c", "pass"], repeats, env=env)
    results = []
    for label, cmd in (("import gfmbench", [sys.executable, "-c", "import gfmbench"]),
                       ("gfmbench --help", [sys.executable, "-m", "gfmbench", "--help"])):
        ours = best(cmd, repeats, env=env)
        results.append(Result(label, label, "python -c pass", ours.wall_s, bare.wall_s, ours.wall_s / bare.wall_s,
                              "< 0.5 s", ours.wall_s < 0.5, ours.peak_rss_mb, bare.peak_rss_mb))
    return results


# ------------------------------------------------------------------------------------------------- 7 zero-shot
ZEROSHOT_SIDES = {"baseline": "per-sequence passes of <= 64 masked copies, no cache (the loop before)",
                  "ours": "masked copies packed across sequences (32k tokens per pass), base probabilities cached",
                  "wildtype": "--zeroshot-scoring wildtype: one unmasked pass per sequence (another estimator)"}


def child_zeroshot(n: str, side: str) -> None:
    """SNMD then SNMR (the same sequences) zero-shot on the first `n` test sequences, in a fresh cache; prints the
    work's seconds and each task's test metrics."""
    from gfmbench.harness import zeroshot
    from gfmbench.harness.data import load_task_data
    from gfmbench.harness.models import resolve_model
    from gfmbench.harness.zeroshot import BASELINE_BATCHING, Batching, zeroshot_unit
    from gfmbench.suites.registry import get_task

    likelihood_s = [0.0]  # the forward passes and base probabilities alone (the rest: loading, scoring, the CI)
    compute = zeroshot.base_probabilities

    def timed(*args: Any, **kwargs: Any) -> Any:
        begin = time.perf_counter()
        try:
            return compute(*args, **kwargs)
        finally:
            likelihood_s[0] += time.perf_counter() - begin

    zeroshot.base_probabilities = timed

    os.environ["GFMBENCH_HOME"] = tempfile.mkdtemp(prefix="gfmbench-zeroshot-cache-")  # nothing cached before
    model = resolve_model(MODEL)
    units = []
    for config in ("SNMD", "SNMR"):
        suite, task = get_task(config, "rgb")
        data = load_task_data(suite, task, need_train=False)
        data.splits["test"] = data.splits["test"].select(range(min(int(n), len(data.splits["test"]))))
        units.append((task, data))
    start = time.perf_counter()
    metrics = {}
    for task, data in units:
        batching = BASELINE_BATCHING if side == "baseline" else Batching()
        scoring = "wildtype" if side == "wildtype" else "masked"
        found = zeroshot_unit(task, model, data, 1024, progress=False, scoring=scoring, batching=batching).metrics
        metrics[task.config] = found["test"]
    print(json.dumps({"seconds": time.perf_counter() - start, "likelihood_s": likelihood_s[0], "metrics": metrics}))


def bench_zeroshot(ws: Workspace, args: argparse.Namespace) -> list[Result]:
    n = str(20 if args.quick else args.zeroshot_sequences)
    runs = {side: best(me("zeroshot", n, side), args.repeats, env=ws.env) for side in ZEROSHOT_SIDES}
    base = runs["baseline"]
    results = []
    for side in ("ours", "wildtype"):
        mine = runs[side]
        same = json.dumps(mine.output["metrics"], sort_keys=True) == json.dumps(base.output["metrics"],
                                                                                sort_keys=True)
        detail: dict[str, Any] = {"identical metrics": same} if side == "ours" else {
            "scores (another estimator)": json.dumps({k: round(v[m], 4) for k, v in mine.output["metrics"].items()
                                                      for m in ("roc_auc",) if m in v})}
        detail["baseline roc_auc"] = round(base.output["metrics"]["SNMD"]["roc_auc"], 6)
        detail["ours roc_auc"] = round(mine.output["metrics"]["SNMD"]["roc_auc"], 6)
        if side == "ours" and not same:
            detail["largest metric difference"] = max(
                abs(mine.output["metrics"][t][m] - v) for t, ms in base.output["metrics"].items()
                for m, v in ms.items() if v == v)
        detail["likelihood phase s (ours / baseline)"] = (f"{mine.output['likelihood_s']:.2f} / "
                                                          f"{base.output['likelihood_s']:.2f}")
        ratio = base.seconds / mine.seconds
        name = "zero-shot masked marginals" if side == "ours" else "zero-shot wild-type marginals"
        results.append(Result(f"{name}, SNMD + SNMR, {n} test sequences each", ZEROSHOT_SIDES[side],
                              ZEROSHOT_SIDES["baseline"], mine.seconds, base.seconds, mine.seconds / base.seconds,
                              "<= 0.1 (10x)" if side == "ours" else "—",
                              (ratio >= 10) if side == "ours" else None, mine.peak_rss_mb, base.peak_rss_mb, detail))
    return results


# -------------------------------------------------------------------------------------- 8 scale: NT-v2-50M shape
def child_setup_scale(hub_root: str, raw: str, shape: str, models: str, budget: str) -> None:
    sys.path.insert(0, str(SCRIPTS))
    from bench_scale import build_scale_hub, write_excerpts

    write_excerpts(SAMPLES, Path(raw), budget)
    build_scale_hub(Path(raw), Path(hub_root), shape, tuple(models.split(",")), ZOO)


def child_longest(raw: str, config: str, model_dir: str) -> None:
    sys.path.insert(0, str(SCRIPTS))
    from bench_scale import longest, scale_task

    nucleotides, tokens = longest(Path(raw), scale_task(config), model_dir)
    print(json.dumps({"nucleotides": nucleotides, "tokens": tokens}))


def child_bare_scale(model_dir: str, config: str, epochs: str, batch: str, lr: str, max_tokens: str, device: str,
                     precision: str) -> None:
    sys.path.insert(0, str(SCRIPTS))
    from bench_scale import bare_finetune, scale_task

    print(json.dumps(bare_finetune(model_dir, scale_task(config), int(epochs), int(batch), float(lr),
                                   int(max_tokens), 0, device, precision)))


def bench_scale(root: Path, args: argparse.Namespace) -> list[Result]:
    """gfmbench, OmniGenBench and the bare loop fine-tuning the NT-v2-50M-shaped random model on SSP_Archive2 and
    GUE prom_300_tata (real files cut to a fixed budget), same epochs, batch, max length, learning rate, fp32."""
    sys.path.insert(0, str(SCRIPTS))
    from bench_scale import SCALE_MODELS, SCALE_TASKS, omnigenbench_folder

    shape = "miniature" if args.quick else "nt-v2-50m"
    raw = root / "raw"
    epochs, batch, lr, repeats = 1, 8, args.scale_learning_rate, args.scale_repeats
    setup = ["setup-scale", str(raw), shape, "nt-v2-50m", "quick" if args.quick else "cpu"]
    results = []
    with Workspace(root, setup, model=SCALE_MODELS["nt-v2-50m"][1]) as ws:
        params = json.loads((ws.model_dir / "config.json").read_text())
        size = f"{params['num_hidden_layers']} layers, hidden {params['hidden_size']}"
        for task in SCALE_TASKS:
            lengths = run_child(me("longest", str(raw), task.config, str(ws.model_dir)), env=ws.env).output
            out = root / f"runs-{task.config}"
            ours = best(run_cmd(ws.model, task.suite, task.config, epochs, batch, lengths["nucleotides"], lr, out),
                        repeats, env=ws.env)
            found = gfmbench_result(out)
            score = found["metrics"]["test"][task.metric]
            bare = best(me("bare-scale", str(ws.model_dir), task.config, str(epochs), str(batch), str(lr),
                           str(lengths["tokens"]), "cpu", "fp32"), repeats, env=ws.env)
            rows = {name: raw.joinpath(task.folder, name).read_bytes().count(b"\n") - name.endswith(".csv")
                    for name in task.lines}
            common = {f"gfmbench test {task.metric}": round(score, 4),
                      f"bare loop test {task.metric}": round(bare.output["score"], 4),
                      "work": f"{size}, {'/'.join(map(str, rows.values()))} rows, 1 epoch, batch {batch}, "
                              f"{lengths['tokens']} tokens max, lr {lr}, fp32"}
            name = f"e2e at NT-v2-50M shape, {task.config}"
            if args.no_omnigenbench:
                omni, omni_score, error = None, None, "skipped (--no-omnigenbench)"
            else:
                scratch = root / f"omni-{task.config}"
                bench = omnigenbench_folder(raw, scratch, task).name
                omni, omni_score, error = omnigenbench_side(args, root, scratch, bench, ws.model_dir, epochs, batch,
                                                            lengths["tokens"], lr, task.omni_metric, repeats)
            detail = {**common, **({f"OmniGenBench test {task.metric}": round(omni_score, 4)} if omni else
                                   {"omnigenbench": error})}
            results.append(Result(name, "gfmbench run", "OmniGenBench AutoBench", ours.wall_s,
                                  omni.wall_s if omni else None, ours.wall_s / omni.wall_s if omni else None,
                                  "<= 0.5", ours.wall_s / omni.wall_s <= 0.5 if omni else None, ours.peak_rss_mb,
                                  omni.peak_rss_mb if omni else None, detail))
            results.append(Result(f"harness overhead at NT-v2-50M shape, {task.config}", "gfmbench run",
                                  "bare PyTorch loop (shuffled batches, constant lr)", ours.wall_s, bare.wall_s,
                                  ours.wall_s / bare.wall_s, "<= 1.05", ours.wall_s / bare.wall_s <= 1.05,
                                  ours.peak_rss_mb, bare.peak_rss_mb,
                                  {**common, "bare loop training s": round(bare.output["train_s"], 2),
                                   "gfmbench training s": round(found["cost"]["train_steps_s"], 2)}))
    return results


# ------------------------------------------------------------------------------------------------------ 9 GPU
# Dense bf16 tensor-core peaks from NVIDIA's data sheets (no sparsity), by a name torch reports.
GPU_BF16_PEAK_TFLOPS = {"H200": 989.4, "H100 NVL": 835.0, "H100 PCIe": 756.0, "H100": 989.4, "GH200": 989.4,
                        "A100": 312.0, "L40S": 362.1, "L4": 121.0, "A10G": 70.0, "RTX 4090": 165.2}


def bf16_peak(device_name: str) -> float | None:
    """The device's dense bf16 peak in FLOP/s, by the longest table name found in torch's device name."""
    found = [name for name in GPU_BF16_PEAK_TFLOPS if name in device_name]
    return GPU_BF16_PEAK_TFLOPS[max(found, key=len)] * 1e12 if found else None


def child_model_flops(model_dir: str, mean_tokens: str) -> None:
    sys.path.insert(0, str(SCRIPTS))
    from bench_scale import training_flops_per_token

    per_token, dense = training_flops_per_token(model_dir, float(mean_tokens))
    print(json.dumps({"flops_per_token": per_token, "non_embedding_parameters": dense}))


def child_device() -> None:
    import torch

    name = torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"
    print(json.dumps({"name": name, "bf16_peak": bf16_peak(name)}))


def bench_gpu(root: Path, args: argparse.Namespace) -> list[Result]:
    """Fine-tuning the NT-v2-50M and DNABERT-2-117M shapes on GUE prom_300_tata (all 4,904 training rows, one
    epoch, batch 32, bf16, SDPA attention) with `gfmbench run` and with the bare loop: tokens per second of the
    training loop, peak GPU memory, model FLOP utilisation against the device's bf16 peak. `--dry-run`: the same
    steps on the CPU with miniature shapes, a few rows and fp32 (checks the script, not the figures)."""
    sys.path.insert(0, str(SCRIPTS))
    from bench_scale import SCALE_MODELS, scale_task

    dry = args.dry_run
    device_info = run_child(me("device"), env=os.environ.copy()).output
    if not dry and device_info["name"] == "cpu":
        raise SystemExit("bench.py gpu: no CUDA device here (use --dry-run to check the steps on the CPU)")
    device, precision = ("cpu", "fp32") if dry else ("cuda", "bf16")
    task, epochs, batch, lr = scale_task("prom_300_tata"), 1, 32, args.scale_learning_rate
    raw = root / "raw"
    models = list(SCALE_MODELS)
    setup = ["setup-scale", str(raw), "miniature" if dry else "real", ",".join(models), "quick" if dry else "gpu"]
    results = []
    with Workspace(root, setup, model=SCALE_MODELS[models[0]][1]) as ws:
        for name in models:
            family, repo = SCALE_MODELS[name]
            model_dir = Path(run_child(me("snapshot", repo), env=ws.env).output["path"])
            remote = ["--trust-remote-code"] if family == "dnabert2" else []
            out = root / f"gpu-{name}"
            ours = run_child(run_cmd(repo, task.suite, task.config, epochs, batch, 300, lr, out,
                                     "--precision", precision, *remote), env=ws.env)
            found = gfmbench_result(out)
            cost = found["cost"]
            bare = run_child(me("bare-scale", str(model_dir), task.config, str(epochs), str(batch), str(lr), "512",
                                device, precision), env=ws.env)
            mean_tokens = bare.output["train_tokens"] / (epochs * bare.output["train_rows"])
            flops = run_child(me("model-flops", str(model_dir), str(mean_tokens)), env=ws.env).output
            sides = {"gfmbench": (cost["train_tokens"], cost["train_steps_s"], cost["peak_gpu_mb"]),
                     "bare": (bare.output["train_tokens"], bare.output["train_s"], bare.output["peak_gpu_mb"])}
            detail: dict[str, Any] = {"device": device_info["name"],
                                      "non-embedding parameters": flops["non_embedding_parameters"],
                                      "mean tokens per sequence": round(mean_tokens, 1)}
            for side, (tokens, seconds, peak_mb) in sides.items():
                per_second = tokens / seconds
                detail[f"{side} tokens/s"] = round(per_second)
                detail[f"{side} peak GPU MiB"] = None if peak_mb is None else round(peak_mb)
                peak = device_info["bf16_peak"]
                detail[f"{side} MFU"] = None if peak is None or dry else round(per_second * flops["flops_per_token"]
                                                                                / peak, 4)
            detail[f"gfmbench test {task.metric}"] = round(found["metrics"]["test"][task.metric], 4)
            detail[f"bare loop test {task.metric}"] = round(bare.output["score"], 4)
            ratio = sides["bare"][0] / sides["bare"][1] / (sides["gfmbench"][0] / sides["gfmbench"][1])
            results.append(Result(f"GPU fine-tune, {name} shape, {task.config}",
                                  f"gfmbench run --precision {precision}", f"bare PyTorch loop ({precision})",
                                  ours.wall_s, bare.wall_s, ratio, "<= 1.05 (training tokens/s, bare / ours)",
                                  ratio <= 1.05, ours.peak_rss_mb, bare.peak_rss_mb, detail))
    return results


# -------------------------------------------------------------------------------------------------- reporting
def _fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def table(results: list[Result]) -> tuple[list[str], list[list[str]]]:
    headers = ["benchmark", "ours", "baseline", "ours s", "baseline s", "ratio", "target", "met", "ours RSS MiB",
               "baseline RSS MiB", "notes"]
    rows = [[r.benchmark, r.ours, r.baseline, _fmt(r.ours_s), _fmt(r.baseline_s), _fmt(r.ratio), r.target,
             {True: "yes", False: "**no**", None: "—"}[r.met], _fmt(r.ours_rss_mb, 0), _fmt(r.baseline_rss_mb, 0),
             "; ".join(f"{k}: {v}" for k, v in r.detail.items())] for r in results]
    return headers, rows


def environment() -> dict[str, str]:
    from importlib.metadata import version

    info = {"python": platform.python_version(), "machine": f"{platform.machine()}, {os.cpu_count()} CPUs"}
    for package in ("torch", "transformers", "datasets", "tokenizers", "scikit-learn", "polars", "pyarrow"):
        try:
            info[package] = version(package)
        except Exception:
            pass
    return info


SECTIONS = {"report": "", "scale": "scale:", "gpu": "gpu:"}  # docs/performance.md: <!-- bench.py:{tag}begin -->


def write_doc(section: str, results: list[Result], command: str, env: dict[str, str]) -> None:
    """Regenerate one section of docs/performance.md in place (the others are left as they are)."""
    from gfmbench.atomic import atomic_write
    from gfmbench.table import markdown_table

    doc = ROOT / "docs" / "performance.md"
    text = doc.read_text()
    begin, end = f"<!-- bench.py:{SECTIONS[section]}begin -->", f"<!-- bench.py:{SECTIONS[section]}end -->"
    headers, rows = table(results)
    block = "\n".join([
        begin,
        f"Generated by `{command}` on {time.strftime('%Y-%m-%d')}; "
        + ", ".join(f"{k} {v}" for k, v in env.items()) + ".",
        "",
        markdown_table(headers, rows),
        end,
    ])
    if begin in text:
        before, rest = text.split(begin, 1)
        text = before + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + f"\n\n## `{command}`\n\n" + block + "\n"
    atomic_write(doc, text)


TINY_BENCHMARKS = {"e2e": bench_e2e_and_harness, "harness": bench_e2e_and_harness, "tokenise": bench_tokenise,
                   "builders": bench_builders, "metrics": bench_metrics, "startup": bench_startup,
                   "zeroshot": bench_zeroshot}  # on the tiny model, in one workspace
BENCHMARKS = (*TINY_BENCHMARKS, "scale", "gpu")
CHILDREN = {"setup": child_setup, "snapshot": child_snapshot, "bare": child_bare, "tokenise": child_tokenise,
            "convert": child_convert, "write-csv": child_write_csv, "build-gue": child_build_gue,
            "load": child_load, "metric": child_metric, "zeroshot": child_zeroshot,
            "setup-scale": child_setup_scale, "longest": child_longest, "bare-scale": child_bare_scale,
            "model-flops": child_model_flops, "device": child_device}


def main(argv: list[str] | None = None) -> list[Result]:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "child":
        CHILDREN[argv[1]](*argv[2:])
        return []
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["all", *BENCHMARKS], nargs="+")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repeat (CI smoke run)")
    parser.add_argument("--repeats", type=int, help="best of N per measurement (default 3; 1 with --quick)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--learning-rate", type=float, default=1e-3,
                        help="for all sides of e2e/harness; 1e-3 lets the tiny random model learn in one epoch, so "
                             "the test scores say something (time does not depend on it)")
    parser.add_argument("--no-omnigenbench", action="store_true", help="skip the OmniGenBench side of e2e")
    parser.add_argument("--omnigenbench-venv", default=str(Path(tempfile.gettempdir()) / "gfmbench-omnigenbench-venv"),
                        help="where the throwaway OmniGenBench venv is made (reused when it imports)")
    parser.add_argument("--zeroshot-sequences", type=int, default=200,
                        help="test sequences of SNMD and SNMR each in the zero-shot benchmark (the baseline costs "
                             "about 0.1 s per sequence per task on a quiet 2-core CPU)")
    parser.add_argument("--scale-learning-rate", type=float, default=1e-4,
                        help="for all sides of the scale benchmark (the 50M-parameter shape)")
    parser.add_argument("--scale-repeats", type=int, default=1,
                        help="best of N in the scale benchmark (each side takes minutes on a 2-core CPU)")
    parser.add_argument("--dry-run", action="store_true",
                        help="gpu: run its steps on the CPU with miniature shapes and a few rows (no CUDA needed)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument("--write-doc", action="store_true", help="regenerate the report section of "
                        "docs/performance.md")
    args = parser.parse_args(argv)
    args.repeats = args.repeats or (1 if args.quick else 3)
    which = set(BENCHMARKS) if "all" in args.what else set(args.what)
    by_section: dict[str, list[Result]] = {name: [] for name in SECTIONS}
    if which & set(TINY_BENCHMARKS):
        with tempfile.TemporaryDirectory(prefix="gfmbench-bench-") as tmp, Workspace(Path(tmp)) as ws:
            for name, bench in TINY_BENCHMARKS.items():
                if name in which and not (name == "harness" and "e2e" in which):
                    by_section["report"] += bench(ws, args, which) if name in ("e2e", "harness") else bench(ws, args)
    for name, bench in (("scale", bench_scale), ("gpu", bench_gpu)):
        if name in which and not (name == "gpu" and "all" in args.what):  # a GPU run is asked for by name
            with tempfile.TemporaryDirectory(prefix=f"gfmbench-bench-{name}-") as tmp:
                by_section[name] += bench(Path(tmp), args)
    results = [r for section in by_section.values() for r in section]
    from gfmbench.table import format_table

    env = environment()
    print(", ".join(f"{k} {v}" for k, v in env.items()))
    headers, rows = table(results)
    print(format_table(headers, rows))
    command = "python scripts/bench.py " + " ".join(argv)
    if args.json:
        args.json.write_text(json.dumps({"command": command, "environment": env,
                                         "results": [asdict(r) for r in results]}, indent=2) + "\n")
    if args.write_doc:
        for section, found in by_section.items():
            if found and not (section == "gpu" and args.dry_run):  # a dry run's figures mean nothing
                write_doc(section, found, command, env)
    return results


if __name__ == "__main__":
    main()
