"""The work of the runner's benchmarks at a real model size: a random-weight model of NT-v2-50M's shape (or
DNABERT-2-117M's), the real upstream files cut to a fixed budget, OmniGenBench's benchmark folder for them, and the
bare transformers/PyTorch loop that is the floor.

Used by `scripts/bench.py scale` (CPU, gfmbench vs OmniGenBench vs the bare loop) and `scripts/bench.py gpu`
(`scripts/gpu_bench.sh`: bf16, tokens per second, peak GPU memory, model FLOP utilisation). Nothing here is timed
by a test; `tests/test_bench_runner.py` runs both at tiny sizes.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

SCALE_MODELS = {"nt-v2-50m": ("nt_v2", "gfmbench/random-nt-v2-50m-shape"),
                "dnabert-2-117m": ("dnabert2", "gfmbench/random-dnabert-2-117m-shape")}


@dataclass(frozen=True)
class ScaleTask:
    """One task of the scale benchmark: where its real files are, how many lines of each make the budget, and how
    each side is told what it is."""

    config: str
    suite: str
    folder: str  # below shared/samples
    lines: dict[str, int]  # upstream file -> lines kept (a CSV's header included)
    kind: Literal["token", "sequence"]
    metric: str  # gfmbench's name of the score shown (the task's primary metric)
    omni_metric: str  # the ClassificationMetric method OmniGenBench reports

    @property
    def revision(self) -> str:
        from gfmbench.suites.registry import get_suite

        return f"v{get_suite(self.suite).version}"


# SSP_Archive2: 64 / 16 / 32 sequences (8 optimizer steps at batch 8); prom_300_tata: 128 / 32 / 128 (16 steps).
SCALE_TASKS = (
    ScaleTask("SSP_Archive2", "rgb", "RGB/RNA-SSP-Archive2", {"train.json": 64, "valid.json": 16, "test.json": 32},
              "token", "f1_macro", "f1_score"),
    ScaleTask("prom_300_tata", "gue", "GUE/prom/prom_300_tata", {"train.csv": 129, "dev.csv": 33, "test.csv": 129},
              "sequence", "mcc", "matthews_corrcoef"),
)
QUICK_LINES = {"train.json": 8, "valid.json": 4, "test.json": 4, "train.csv": 9, "dev.csv": 5, "test.csv": 5}
Budget = Literal["cpu", "gpu", "quick"]  # SCALE_TASKS' lines; whole files (GPU); a few lines (dry and smoke runs)


def scale_task(config: str) -> ScaleTask:
    return next(task for task in SCALE_TASKS if task.config == config)


def write_excerpts(samples: Path, raw: Path, budget: Budget = "cpu") -> None:
    """The first lines of each real upstream file, byte for byte (CRLF kept), in the upstream layout below `raw`;
    `budget` says how many (SCALE_TASKS' counts, the whole files, or a few)."""
    for task in SCALE_TASKS:
        for name, lines in task.lines.items():
            target = raw / task.folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if budget == "gpu":
                shutil.copy(samples / task.folder / name, target)
                continue
            keep = QUICK_LINES[name] if budget == "quick" else lines
            with (samples / task.folder / name).open("rb") as source:
                target.write_bytes(b"".join(source.readline() for _ in range(keep)))


def build_scale_hub(raw: Path, hub_root: Path, shape_name: str, models: tuple[str, ...], zoo: Path) -> dict[str, Any]:
    """Build the excerpts as `gfmbench/rgb` and `gfmbench/gue` into the local hub (unverified: excerpts have other
    digests than the releases) and publish the random-weight models of `shape_name` ('miniature' for a dry run)."""
    from huggingface_hub import CommitOperationAdd

    from gfmbench.harness.miniatures import SHAPES, build_miniature
    from gfmbench.hub.publish import LocalGitBackend, publish
    from gfmbench.loaders.build import build_suite

    backend = LocalGitBackend(hub_root)
    for suite in ("rgb", "gue"):
        configs = [t.config for t in SCALE_TASKS if t.suite == suite]
        build_suite(suite, raw_dir=raw / suite.upper(), configs=configs, backend=backend, verification="no_checks",
                    progress=False)
    published = {}
    for name in models:
        family, repo_id = SCALE_MODELS[name]
        folder = build_miniature(family, raw.parent / "models" / name, zoo,
                                 shape=SHAPES["miniature" if shape_name == "miniature" else name])
        operations = [CommitOperationAdd(p.relative_to(folder).as_posix(), str(p))
                      for p in sorted(folder.rglob("*")) if p.is_file()]
        publish(backend, repo_id, operations, f"Random-weight {name} shape", repo_type="model")
        published[name] = repo_id
    return published


# ------------------------------------------------------------------------------------------ OmniGenBench side
OMNI_TASK_CONFIG = '''import os

from omnigenbench import (AutoConfig, ClassificationMetric, {dataset}, {model})

here = os.path.dirname(__file__)
label2id = {label2id}
bench_config = AutoConfig({{
    "task_name": "{name}", "task_type": "{task_type}", "label2id": label2id,
    "num_labels": len(label2id), "epochs": 1, "patience": 2, "learning_rate": 2e-5, "weight_decay": 0,
    "batch_size": 8, "max_length": 512, "seeds": [0],
    "compute_metrics": [ClassificationMetric(ignore_y=-100{average}).{metric}],
    "train_file": f"{{here}}/{train}", "valid_file": f"{{here}}/{valid}", "test_file": f"{{here}}/{test}",
    "dataset_cls": {dataset}, "model_cls": {model},
}})
'''


def omnigenbench_folder(raw: Path, scratch: Path, task: ScaleTask) -> Path:
    """OmniGenBench's documented benchmark layout for one task (metadata.py, a folder with config.py and the split
    files), below the working directory as it requires, plus the empty `multimolecule` stand-in it imports."""
    bench = scratch / f"{task.config}-bench"
    folder = bench / task.config
    folder.mkdir(parents=True, exist_ok=True)
    names = list(task.lines)
    for name in names:
        shutil.copy(raw / task.folder / name, folder / name)
    token = task.kind == "token"
    # OmniGenBench needs len(label2id) == num_labels: pseudoknot brackets -> -100 there (gfmbench maps them to ( / ))
    text = OMNI_TASK_CONFIG.format(
        dataset="OmniDatasetForTokenClassification" if token else "OmniDatasetForSequenceClassification",
        model="OmniModelForTokenClassification" if token else "OmniModelForSequenceClassification",
        label2id='{"(": 0, ")": 1, ".": 2}' if token else '{"0": 0, "1": 1}', name=task.config,
        task_type="token_classification" if token else "sequence_classification", metric=task.omni_metric,
        average=', average="macro"' if task.omni_metric == "f1_score" else "",  # sklearn's MCC takes no average
        train=names[0], valid=names[1], test=names[2])
    (folder / "config.py").write_text(text)
    (bench / "metadata.py").write_text(f'bench_list = ["{task.config}"]\n')
    stub = scratch / "stub" / "multimolecule"
    stub.mkdir(parents=True, exist_ok=True)
    (stub / "__init__.py").write_text('"""Empty stand-in for an undeclared import of OmniGenBench."""\n')
    return bench


# ------------------------------------------------------------------------------------------------- bare loop
def model_config(model_path: str, num_labels: int | None = None) -> tuple[Any, bool]:
    """(config, trust_remote_code) of a benchmark model. DNABERT-2's remote code (transformers 4.28) does not load on
    transformers 5 as published: the bare loop takes gfmbench's family adapter for that (load-time fixes only, the
    same as gfmbench's side gets), and writes the training loop itself."""
    from transformers import AutoConfig

    remote = (Path(model_path) / "bert_layers.py").is_file()
    config = AutoConfig.from_pretrained(model_path, trust_remote_code=remote)
    if remote:
        from gfmbench.harness.families import Dnabert2Adapter

        config = Dnabert2Adapter().prepare_config(config, Path(model_path))
    if num_labels is not None:
        config.num_labels = num_labels
    return config, remote


def training_flops_per_token(model_path: str, mean_tokens: float) -> tuple[float, int]:
    """(training FLOPs per token, non-embedding parameters): 6 x the non-embedding parameters plus 12 x layers x
    hidden x sequence length for attention, forward and backward (Kaplan et al. 2020; PaLM's MFU count)."""
    from transformers import AutoModel

    config, remote = model_config(model_path)
    model = AutoModel.from_config(config, trust_remote_code=remote)
    embedding = sum(p.numel() for n, p in model.named_parameters() if "embeddings" in n)
    dense = sum(p.numel() for p in model.parameters()) - embedding
    return 6 * dense + 12 * config.num_hidden_layers * config.hidden_size * mean_tokens, dense


def _token_spans(tokenizer: Any, ids: list[int]) -> list[tuple[int, int]]:
    """Nucleotide span of each token, from the token strings (non-overlapping vocabularies: single nucleotides,
    k-mers, BPE); special tokens get an empty span."""
    special = set(tokenizer.all_special_ids)
    spans, position = [], 0
    for token_id, piece in zip(ids, tokenizer.convert_ids_to_tokens(ids), strict=True):
        width = 0 if token_id in special else len(piece.lstrip("#").lstrip("\u2581"))
        spans.append((position, position + width))
        position += width
    return spans


def bare_finetune(model_path: str, task: ScaleTask, epochs: int, batch_size: int, lr: float, max_tokens: int,
                  seed: int, device: str = "cpu", precision: str = "fp32") -> dict[str, Any]:
    """The floor: tokenise (U -> T for a DNA vocabulary), shuffle, pad per batch, AdamW, then score the test split
    once (per nucleotide for token tasks, as gfmbench scores: a token's label is its first nucleotide's, each
    nucleotide takes its token's prediction). Returns the score, training seconds and tokens, peak GPU memory."""
    import datasets
    import numpy as np
    import torch
    from sklearn.metrics import f1_score, matthews_corrcoef
    from transformers import AutoModelForSequenceClassification, AutoModelForTokenClassification, AutoTokenizer

    torch.manual_seed(seed)
    token_level = task.kind == "token"
    num_labels = 3 if token_level else 2
    config, remote = model_config(model_path, num_labels)
    tokenizer = AutoTokenizer.from_pretrained(model_path, trust_remote_code=remote)
    model_class = AutoModelForTokenClassification if token_level else AutoModelForSequenceClassification
    model = model_class.from_pretrained(model_path, config=config, trust_remote_code=remote).to(device)
    data = datasets.load_dataset(f"gfmbench/{task.suite}", task.config, revision=task.revision)
    dna = "U" not in tokenizer.get_vocab() and "u" not in tokenizer.get_vocab()

    def encode(split: Any) -> list[tuple[list[int], Any, list[tuple[int, int]]]]:
        texts = [s.replace("U", "T") if dna else s for s in split["sequence"]]
        encoded = tokenizer(texts, truncation=True, max_length=max_tokens)["input_ids"]
        items = []
        for ids, label in zip(encoded, split["label"], strict=True):
            if not token_level:
                items.append((ids, int(label), []))
                continue
            spans = _token_spans(tokenizer, ids)
            token_labels = [label[a] if b > a and label[a] >= 0 else -100 for a, b in spans]
            items.append((ids, token_labels, spans))
        return items

    def batches(items: list[Any], shuffle: bool) -> Any:
        order = np.random.default_rng(seed).permutation(len(items)) if shuffle else np.arange(len(items))
        for start in range(0, len(items), batch_size):
            chunk = [items[i] for i in order[start:start + batch_size]]
            width = max(len(ids) for ids, _, _ in chunk)
            ids = torch.full((len(chunk), width), tokenizer.pad_token_id)
            labels = torch.full((len(chunk), width), -100) if token_level else torch.tensor([c[1] for c in chunk])
            for row, (i, lab, _) in enumerate(chunk):
                ids[row, : len(i)] = torch.tensor(i)
                if token_level:
                    labels[row, : len(lab)] = torch.tensor(lab)
            yield ids.to(device), (ids != tokenizer.pad_token_id).long().to(device), labels.to(device), chunk

    autocast = torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16, enabled=precision == "bf16")
    train, test = encode(data["train"]), encode(data["test"])
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for _ in range(epochs):
        for ids, mask, labels, _ in batches(train, shuffle=True):
            with autocast:
                logits = model(input_ids=ids, attention_mask=mask).logits
            loss = torch.nn.functional.cross_entropy(logits.float().reshape(-1, num_labels), labels.reshape(-1),
                                                     ignore_index=-100)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    train_s = time.perf_counter() - start
    model.eval()
    refs, preds = [], []
    with torch.inference_mode(), autocast:
        for ids, mask, _, chunk in batches(test, shuffle=False):
            out = model(input_ids=ids, attention_mask=mask).logits.argmax(-1).cpu().numpy()
            for row, (_, label, spans) in enumerate(chunk):
                if not token_level:
                    refs.append(label)
                    preds.append(int(out[row]))
                    continue
                for position, (a, b) in enumerate(spans):  # each covered nucleotide takes its token's prediction
                    preds.extend([int(out[row, position])] * (b - a))
    if token_level:
        refs, preds = _nucleotide_refs(data["test"]["label"], test, preds)
        score = float(f1_score(refs, preds, average="macro"))
    else:
        score = float(matthews_corrcoef(refs, preds))
    tokens = epochs * sum(len(ids) for ids, _, _ in train)
    peak = torch.cuda.max_memory_allocated() / 2**20 if device.startswith("cuda") else None
    return {"score": score, "train_s": train_s, "train_tokens": tokens, "train_rows": len(train), "peak_gpu_mb": peak}


def _nucleotide_refs(labels: list[list[int]], items: list[Any], flat_preds: list[int]) -> tuple[list[int], list[int]]:
    """Pair each covered, scored nucleotide's label with the prediction of its token (`flat_preds`: one per
    covered nucleotide, sequence by sequence, token by token)."""
    refs, preds, k = [], [], 0
    for label, (_, _, spans) in zip(labels, items, strict=True):
        for a, b in spans:
            for nucleotide in range(a, b):
                if label[nucleotide] >= 0:
                    refs.append(label[nucleotide])
                    preds.append(flat_preds[k])
                k += 1
    return refs, preds


def longest(raw: Path, task: ScaleTask, model_path: str) -> tuple[int, int]:
    """(nucleotides, tokens with specials) of the longest sequence in the task's excerpt: both sides get a max
    length that truncates nothing."""
    import csv

    from transformers import AutoTokenizer

    sequences = []
    for name in task.lines:
        path = raw / task.folder / name
        if name.endswith(".csv"):
            with path.open(newline="") as handle:
                sequences += [row["sequence"] for row in csv.DictReader(handle)]
        else:
            sequences += [json.loads(line)["seq"] for line in path.read_text().splitlines() if line.strip()]
    remote = (Path(model_path) / "bert_layers.py").is_file()
    tokenizer = AutoTokenizer.from_pretrained(model_path, trust_remote_code=remote)
    dna = "U" not in tokenizer.get_vocab()
    texts = [s.replace("U", "T") if dna else s for s in sequences]
    return max(map(len, sequences)), max(len(ids) for ids in tokenizer(texts)["input_ids"])
