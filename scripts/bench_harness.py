"""Benchmark: `gfmbench run` on one task and seed vs a bare transformers/PyTorch loop on the same work.

Same tiny model, same real data (SSP_Archive2), same epochs, batch size, learning rate and max length, in one run
on a local hub it sets up itself. The bare loop trains with per-batch padding and scores the test split once; a
second bare variant also evaluates the validation split every epoch (the work early stopping needs). Prints wall
times (best of N), the ratios and the test macro F1 of each, so speed is never bought with quality. The probe
regime (frozen backbone, linear model) is timed on the same task with its feature cache cold and warm, and compared
with the fine-tuning run.

    python scripts/bench_harness.py [--epochs 3] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = Path(os.environ.get("GFMBENCH_SAMPLES", ROOT.parent / "shared" / "samples"))
MODEL = "gfmbench/tiny-random-bert-nt"


def bare_loop(epochs: int, batch_size: int, lr: float, max_tokens: int, seed: int, validate: bool) -> float:
    """A plain loop: tokenise, shuffle, pad per batch, AdamW, then argmax on test. Returns test macro F1."""
    import datasets
    import numpy as np
    import torch
    from huggingface_hub import snapshot_download
    from sklearn.metrics import f1_score
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    torch.manual_seed(seed)
    path = snapshot_download(MODEL)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForTokenClassification.from_pretrained(path, num_labels=3)
    data = datasets.load_dataset("gfmbench/rgb", "SSP_Archive2", revision="v1.0.0")

    def encode(split):  # char tokenizer: token i+1 <-> nucleotide i
        enc = tokenizer(list(split["sequence"]), truncation=True, max_length=max_tokens)
        labels = [[-100] + lab[: len(ids) - 2] + [-100] for ids, lab in zip(enc["input_ids"], list(split["label"]),
                                                                            strict=True)]
        return list(zip(enc["input_ids"], labels, strict=True))

    def batches(items, shuffle):
        order = np.random.default_rng(seed).permutation(len(items)) if shuffle else np.arange(len(items))
        for start in range(0, len(items), batch_size):
            chunk = [items[i] for i in order[start:start + batch_size]]
            width = max(len(ids) for ids, _ in chunk)
            ids = torch.full((len(chunk), width), tokenizer.pad_token_id)
            labels = torch.full((len(chunk), width), -100)
            for row, (i, lab) in enumerate(chunk):
                ids[row, : len(i)] = torch.tensor(i)
                labels[row, : len(lab)] = torch.tensor([-100 if x < 0 else x for x in lab])
            yield ids, (ids != tokenizer.pad_token_id).long(), labels

    def predict(items) -> float:
        model.eval()
        refs, preds = [], []
        with torch.no_grad():
            for ids, mask, labels in batches(items, shuffle=False):
                out = model(input_ids=ids, attention_mask=mask).logits.argmax(-1)
                keep = labels != -100
                refs.append(labels[keep].numpy())
                preds.append(out[keep].numpy())
        model.train()
        return float(f1_score(np.concatenate(refs), np.concatenate(preds), average="macro"))

    train, valid, test = encode(data["train"]), encode(data["validation"]), encode(data["test"])
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()
    for _ in range(epochs):
        for ids, mask, labels in batches(train, shuffle=True):
            loss = torch.nn.functional.cross_entropy(model(input_ids=ids, attention_mask=mask).logits.reshape(-1, 3),
                                                     labels.reshape(-1), ignore_index=-100)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
        if validate:
            predict(valid)
    return predict(test)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=2e-5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    from gfmbench.hub.server import LocalHub

    with tempfile.TemporaryDirectory(prefix="gfmbench-bench-") as tmp:
        os.environ["GFMBENCH_HOME"] = tmp
        os.environ["HF_HOME"] = str(Path(tmp) / "hf")
        hub = LocalHub(root=Path(tmp) / "hub")
        hub.start()
        os.environ["HF_ENDPOINT"] = hub.endpoint  # before any Hugging Face library is imported
        try:
            from gfmbench.harness.run import RunConfig, run
            from gfmbench.harness.tiny import publish_tiny_models
            from gfmbench.hub.publish import LocalGitBackend
            from gfmbench.loaders.build import build_suite

            backend = LocalGitBackend(hub.root)
            build_suite("rgb", raw_dir=SAMPLES / "RGB", configs=["SSP_Archive2"], backend=backend, progress=False)
            publish_tiny_models(backend, [MODEL])
            timings: dict[str, list[float]] = {"gfmbench run": [], "bare loop": [], "bare loop + validation": [],
                                               "gfmbench probe, cold cache": [], "gfmbench probe, warm cache": []}
            scores: dict[str, float] = {}
            for _ in range(args.repeats):
                start = time.perf_counter()
                report = run(RunConfig.from_options(
                    model=MODEL, suite="rgb", tasks=["SSP_Archive2"], seeds=[0], epochs=args.epochs,
                    batch_size=args.batch_size, learning_rate=args.learning_rate, output_dir=Path(tmp) / "results",
                    overwrite=True, progress=False, command="bench"))
                timings["gfmbench run"].append(time.perf_counter() - start)
                scores["gfmbench run"] = report.units[0].result.metrics["test"]["f1_macro"]
                shutil.rmtree(Path(tmp) / "cache", ignore_errors=True)
                for name in ("gfmbench probe, cold cache", "gfmbench probe, warm cache"):
                    start = time.perf_counter()
                    report = run(RunConfig(model=MODEL, suite="rgb", tasks=["SSP_Archive2"], seeds=[0],
                                           regime="probe", output_dir=Path(tmp) / "results", overwrite=True,
                                           progress=False, command="bench"))
                    timings[name].append(time.perf_counter() - start)
                    scores[name] = report.units[0].result.metrics["test"]["f1_macro"]
                for name, validate in (("bare loop", False), ("bare loop + validation", True)):
                    start = time.perf_counter()
                    scores[name] = bare_loop(args.epochs, args.batch_size, args.learning_rate, 1024 + 2, 0, validate)
                    timings[name].append(time.perf_counter() - start)
        finally:
            hub.stop()
    base = min(timings["bare loop"])
    print(f"SSP_Archive2 (608 train / 76 validation / 82 test), {MODEL}, {args.epochs} epochs, batch "
          f"{args.batch_size}, lr {args.learning_rate}, best of {args.repeats}, torch threads "
          f"{__import__('torch').get_num_threads()}, python {sys.version.split()[0]}")
    print(f"{'':<28} {'wall s':>8} {'ratio':>7} {'test macro F1':>14}")
    for name, values in timings.items():
        print(f"{name:<28} {min(values):>8.2f} {min(values) / base:>7.2f} {scores[name]:>14.4f}")
    print("target: gfmbench run / bare loop <= 1.05")
    finetune = min(timings["gfmbench run"])
    for name in ("gfmbench probe, cold cache", "gfmbench probe, warm cache"):
        print(f"{name} / gfmbench run (fine-tuning, {args.epochs} epochs): {min(timings[name]) / finetune:.3f}")


if __name__ == "__main__":
    main()
