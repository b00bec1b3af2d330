"""Train/test leakage audit of a built suite: exact and near-duplicate sequences across splits.

Why: a test sequence that also sits in train (or differs from a train sequence by a few bases) measures memory,
not generalisation, and GFM benchmarks inherit such overlaps from their sources. The audit counts them so that
users can judge a score, and records the counts in the dataset card.

* Exact duplicates: identical sequences after upper-casing and reading U as T; for DNA tasks a sequence also
  equals its reverse complement (the two strands are the same molecule).
* Near duplicates: k-mer sets (k = 7 by default; for DNA each k-mer and its reverse complement count as one) with
  Jaccard similarity >= `threshold` (0.5 by default). Candidates come from MinHash LSH (`datasketch`, 64
  permutations, tuned to the threshold minus 0.15 for recall) over the reference splits, and every candidate is
  verified with the exact Jaccard of the two k-mer sets, so no false positive is reported. A substitution changes
  at most k k-mers, so for a 150-nt sequence the default threshold catches every pair up to about 5 substitutions
  (7m changed k-mers of 144 leave a Jaccard of at least (144 - 7m) / (144 + 7m) = 0.61 at m = 5). Recall of
  planted pairs is measured by the tests and by `scripts/bench_audit.py`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_K = 7
DEFAULT_THRESHOLD = 0.5
NUM_PERM = 64
LSH_MARGIN = 0.15
CHUNK = 20_000  # sequences per MinHash batch: bounds memory beyond the LSH index itself
EXAMPLES = 5  # example pairs kept per kind and split pair
_COMPLEMENT = str.maketrans("ACGT", "TGCA")


def normalise(sequence: str) -> str:
    return sequence.upper().replace("U", "T")


def reverse_complement(sequence: str) -> str:
    return sequence.translate(_COMPLEMENT)[::-1]


def canonical(sequence: str, dna: bool) -> str:
    """The identity of a sequence: for DNA the smaller of it and its reverse complement."""
    seq = normalise(sequence)
    return min(seq, reverse_complement(seq)) if dna else seq


def kmers(sequence: str, k: int, dna: bool) -> set[str]:
    """The sequence's k-mer set (canonical k-mers for DNA); a sequence shorter than k is its own single k-mer."""
    seq = normalise(sequence)
    words = {seq[i:i + k] for i in range(len(seq) - k + 1)} or {seq}
    return {min(w, reverse_complement(w)) for w in words} if dna else words


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


@dataclass
class Overlap:
    """Test (or validation) sequences found in a reference split."""

    query: str
    reference: str
    queried: int
    exact: int = 0
    near: int = 0  # near but not exact
    exact_examples: list[dict[str, Any]] = field(default_factory=list)
    near_examples: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        n = max(self.queried, 1)
        return {"query": self.query, "reference": self.reference, "queried": self.queried,
                "exact": self.exact, "exact_fraction": self.exact / n, "near": self.near,
                "near_fraction": self.near / n, "any_fraction": (self.exact + self.near) / n,
                "exact_examples": self.exact_examples, "near_examples": self.near_examples}


def _band_key(band: bytes) -> int:
    """An 8-byte integer per LSH band instead of the band's bytes: the index is most of the audit's memory."""
    return int.from_bytes(hashlib.blake2b(band, digest_size=8).digest(), "little")


def _minhashes(sets: list[set[str]]) -> list[Any]:
    from datasketch import MinHash

    return MinHash.bulk([[w.encode() for w in s] for s in sets], num_perm=NUM_PERM)


def _chunks(items: list[str], size: int = CHUNK) -> Iterator[tuple[int, list[str]]]:
    for start in range(0, len(items), size):
        yield start, items[start:start + size]


def audit_pair(query: list[str], reference: list[str], names: tuple[str, str], dna: bool, k: int = DEFAULT_K,
               threshold: float = DEFAULT_THRESHOLD, query_ids: list[str] | None = None,
               reference_ids: list[str] | None = None, progress: bool = False) -> Overlap:
    """How many `query` sequences have an exact or a near duplicate in `reference`."""
    from datasketch import MinHashLSH
    from tqdm.auto import tqdm

    query_ids = query_ids or [str(i) for i in range(len(query))]
    reference_ids = reference_ids or [str(i) for i in range(len(reference))]
    result = Overlap(query=names[0], reference=names[1], queried=len(query))
    exact_index: dict[bytes, int] = {}
    # LSH is tuned below the verification threshold: more candidates (all checked exactly), fewer misses near it
    lsh = MinHashLSH(threshold=max(0.1, threshold - LSH_MARGIN), num_perm=NUM_PERM, hashfunc=_band_key)
    with lsh.insertion_session(buffer_size=CHUNK) as session:
        for start, chunk in tqdm(list(_chunks(reference)), desc=f"index {names[1]}", disable=not progress):
            sets = [kmers(s, k, dna) for s in chunk]
            for offset, (seq, mh) in enumerate(zip(chunk, _minhashes(sets), strict=True)):
                exact_index.setdefault(hashlib.blake2b(canonical(seq, dna).encode(), digest_size=16).digest(),
                                       start + offset)
                session.insert(start + offset, mh, check_duplication=False)
    for start, chunk in tqdm(list(_chunks(query)), desc=f"query {names[0]}", disable=not progress):
        sets = [kmers(s, k, dna) for s in chunk]
        for offset, (seq, mine, mh) in enumerate(zip(chunk, sets, _minhashes(sets), strict=True)):
            i = start + offset
            twin = exact_index.get(hashlib.blake2b(canonical(seq, dna).encode(), digest_size=16).digest())
            if twin is not None:
                result.exact += 1
                if len(result.exact_examples) < EXAMPLES:
                    result.exact_examples.append({names[0]: query_ids[i], names[1]: reference_ids[twin]})
                continue
            best, best_j = None, 0.0
            for candidate in lsh.query(mh):
                similarity = jaccard(mine, kmers(reference[candidate], k, dna))
                if similarity >= threshold and similarity > best_j:
                    best, best_j = candidate, similarity
            if best is not None:
                result.near += 1
                if len(result.near_examples) < EXAMPLES:
                    result.near_examples.append({names[0]: query_ids[i], names[1]: reference_ids[best],
                                                 "jaccard": round(best_j, 4)})
    return result


def audit_splits(splits: dict[str, list[str]], ids: dict[str, list[str]], dna: bool, k: int = DEFAULT_K,
                 threshold: float = DEFAULT_THRESHOLD, progress: bool = False) -> list[Overlap]:
    """test vs train, test vs validation, validation vs train (for the splits that exist)."""
    pairs = [("test", "train"), ("test", "validation"), ("validation", "train")]
    return [audit_pair(splits[q], splits[r], (q, r), dna, k, threshold, ids[q], ids[r], progress)
            for q, r in pairs if q in splits and r in splits]


def audit_suite(suite_name: str, configs: Iterable[str] | None = None, revision: str | None = None,
                k: int = DEFAULT_K, threshold: float = DEFAULT_THRESHOLD, progress: bool = True) -> dict[str, Any]:
    """Audit the built suite on the hub (at its release tag by default); returns the JSON-ready report."""
    import datasets

    from gfmbench.hub.revisions import dataset_sha
    from gfmbench.suites.registry import get_suite

    suite = get_suite(suite_name)
    revision = revision or suite.tag
    tasks = [suite.task(c) for c in configs] if configs else list(suite.tasks)
    report: dict[str, Any] = {
        "suite": suite.name, "dataset_repo": suite.dataset_repo, "revision": revision,
        "dataset_sha": dataset_sha(suite.dataset_repo, revision),
        "method": {"k": k, "jaccard_threshold": threshold, "minhash_permutations": NUM_PERM,
                   "exact": "identical after upper-casing and U->T; DNA also on the reverse complement",
                   "near": "k-mer Jaccard >= threshold, LSH candidates verified exactly; excludes exact"},
        "configs": {},
    }
    for task in tasks:
        ds = datasets.load_dataset(suite.dataset_repo, task.config, revision=revision)
        splits = {name: list(ds[name]["sequence"]) for name in ds}
        ids = {name: [str(x) for x in ds[name]["id"]] for name in ds}
        overlaps = audit_splits(splits, ids, task.alphabet == "DNA", k, threshold, progress)
        report["configs"][task.config] = {"sizes": {n: len(s) for n, s in splits.items()},
                                          "overlaps": [o.as_dict() for o in overlaps]}
        log.info("%s: %s", task.config, ", ".join(f"{o.query} in {o.reference}: {o.exact} exact, {o.near} near"
                                                  for o in overlaps))
    return report


CARD_START = "<!-- gfmbench-audit:start -->"
CARD_END = "<!-- gfmbench-audit:end -->"


def card_section(report: dict[str, Any]) -> str:
    """Markdown for the dataset card, between markers so that a new audit replaces the old one."""
    from gfmbench.table import markdown_table

    m = report["method"]
    rows = []
    for config, entry in report["configs"].items():
        for o in entry["overlaps"]:
            rows.append([config, f"{o['query']} in {o['reference']}", str(o["queried"]),
                         f"{o['exact']} ({o['exact_fraction']:.1%})", f"{o['near']} ({o['near_fraction']:.1%})"])
    table = markdown_table(["config", "splits", "queried", "exact duplicates", "near duplicates"], rows)
    return (f"{CARD_START}\n## Leakage audit\n\nSequences of the first split found in the second, by `gfmbench audit` "
            f"at revision `{report['dataset_sha'][:12]}`: exact duplicates ({m['exact']}) and near duplicates "
            f"({m['k']}-mer Jaccard >= {m['jaccard_threshold']}, verified; exact ones not counted again). Details "
            f"and examples: `audit/leakage.json`.\n\n{table}\n{CARD_END}\n")


def with_audit_section(card: str, report: dict[str, Any]) -> str:
    section = card_section(report)
    if CARD_START in card and CARD_END in card:
        before, rest = card.split(CARD_START, 1)
        after = rest.split(CARD_END, 1)[1].lstrip("\n")
        return before + section + after
    return card.rstrip("\n") + "\n\n" + section


def report_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2) + "\n"


def publish_audit(report: dict[str, Any], to_hub: bool = False, root: str | None = None) -> str:
    """Commit the card section and the JSON report to the dataset repo's main branch (release tags stay where they
    are: the audit describes the release, it does not change its data). Returns the commit."""
    from huggingface_hub import CommitOperationAdd

    from gfmbench.hub.publish import publish, select_backend

    backend = select_backend(to_hub=to_hub, root=root)
    repo = report["dataset_repo"]
    card = (backend.read_file(repo, "README.md", "dataset") or b"").decode("utf-8")
    operations = [CommitOperationAdd("README.md", with_audit_section(card, report).encode()),
                  CommitOperationAdd("audit/leakage.json", report_json(report).encode())]
    return publish(backend, repo, operations, f"Leakage audit of {report['revision']}").commit
