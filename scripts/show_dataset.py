"""Load configs of a suite repo from the hub at HF_ENDPOINT and print them (used by the README demo)."""

from __future__ import annotations

import argparse

import datasets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("repo", help="dataset repo id, e.g. gfmbench/rgb")
    parser.add_argument("configs", nargs="+", help="config names")
    parser.add_argument("--revision", default=None, help="tag, branch or commit (default: main)")
    args = parser.parse_args()
    datasets.disable_progress_bars()
    print(f"configs of {args.repo}: {', '.join(datasets.get_dataset_config_names(args.repo, revision=args.revision))}")
    for config in args.configs:
        ds = datasets.load_dataset(args.repo, config, revision=args.revision)
        print(f"\n== {args.repo} / {config} @ {args.revision or 'main'}")
        print(ds)
        split = next(iter(ds))
        row = ds[split][0]
        features = ds[split].features
        print(f"first {split} row:")
        for name, value in row.items():
            if isinstance(value, list) and name == "label" and hasattr(features[name], "feature"):
                names = features[name].feature.names
                if all(len(n) == 1 for n in names):
                    value = "".join(names[v] if v >= 0 else "-" for v in value)
            text = repr(value)
            print(f"  {name}: {text[:100]}{'...' if len(text) > 100 else ''}")


if __name__ == "__main__":
    main()
