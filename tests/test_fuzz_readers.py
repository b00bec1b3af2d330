"""Fuzzing every raw-format reader and the result-card validation with hypothesis (1000 generated cases each,
derandomized so CI is reproducible): whatever the bytes, a reader either yields rows or raises a `DataFormatError`
naming the file (and the line or record when one is to blame); the card validator never raises, it refuses."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gfmbench.errors import DataFormatError
from gfmbench.suites.registry import get_task

FUZZ = settings(max_examples=1000, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SCRATCH = Path(tempfile.mkdtemp(prefix="gfmbench-fuzz-"))

bases = st.text(alphabet="ACGTUNacgtu", min_size=0, max_size=40)
junk = st.text(max_size=40)  # any unicode, control characters included
scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=True), bases, junk)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(junk, inner, max_size=3),
                      max_leaves=8)


CASES: dict[str, int] = {}  # generated cases per reader (the figures in docs/reliability.md)


def count(name: str) -> None:
    CASES[name] = CASES.get(name, 0) + 1


def assert_cases(name: str) -> None:
    assert CASES.get(name, 0) >= 1000, CASES
    print(f"{name}: {CASES[name]} generated cases")


def write(name: str, data: bytes) -> Path:
    path = SCRATCH / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def drain(rows) -> int:
    return sum(getattr(r, "num_rows", 1) for r in rows)


def check_error(exc: DataFormatError, path: Path) -> None:
    assert exc.file == str(path), exc
    assert str(path) in str(exc)


def fuzz_reader(name: str, inputs, filename: str, read) -> None:
    """Feed 1000 generated files to `read(path)`: rows, or a DataFormatError naming the file."""

    @FUZZ
    @given(data=inputs)
    def fuzz(data: bytes) -> None:
        count(name)
        path = write(filename, data)
        try:
            drain(read(path))
        except DataFormatError as exc:
            check_error(exc, path)

    fuzz()
    assert_cases(name)


# --------------------------------------------------------------------------------------------- RGB JSON lines
def rgb_records(fields: list[str]):
    record = st.fixed_dictionaries({}, optional={f: st.one_of(bases, values) for f in fields})
    line = st.one_of(record.map(json.dumps), values.map(json.dumps), junk)
    text = st.lists(line, max_size=6).map(lambda lines: "\n".join(lines).encode("utf-8", "surrogatepass"))
    return text | st.binary(max_size=120)


@pytest.mark.parametrize("task_name,fields", [
    ("SNMD", ["seq", "mut", "ratio"]),
    ("SSP_Archive2", ["seq", "label"]),
    ("mRNA_degrade", ["id", "sequence", "seq_scored", "reactivity", "deg_Mg_pH10", "deg_Mg_50C", "structure"]),
    ("TE_Rice", ["seq", "label"]),
])
def test_rgb_json_lines_reader(task_name: str, fields: list[str]) -> None:
    from datasets import Features

    from gfmbench.loaders.parquet import task_features
    from gfmbench.loaders.rgb import SOURCE

    suite, task = get_task(task_name, "rgb")
    features = Features(task_features(task, SOURCE.extra_columns(task)))

    fuzz_reader(f"rgb/{task.config}", rgb_records(fields), f"rgb/{task.config}.json",
                lambda path: SOURCE.read([path], suite, task, "train", features))


# --------------------------------------------------------------------------------------------- GUE CSV
csv_cells = st.one_of(bases, st.sampled_from(["0", "1", "2", "-1", "", "x", '"', ",", "0.5"]), junk)
csv_text = st.tuples(
    st.sampled_from(["sequence,label", "label,sequence", "sequence", "seq,label", "", "sequence,label,extra"]),
    st.lists(st.lists(csv_cells, min_size=0, max_size=3).map(",".join), max_size=6),
).map(lambda hr: ("\n".join([hr[0], *hr[1]]) + "\n").encode("utf-8", "surrogatepass"))


def test_gue_csv_reader() -> None:
    from gfmbench.loaders.csvtable import read_sequence_label_csv

    _, task = get_task("EMP_H3", "gue")

    fuzz_reader("gue csv", csv_text | st.binary(max_size=120), "gue/train.csv",
                lambda path: read_sequence_label_csv(path, task))


# --------------------------------------------------------------------------------------------- PGB FASTA
header = st.one_of(st.tuples(junk, st.sampled_from(["|", " ", "|0", "|1", "|0 1 0", "|x", ""]), junk).map("".join),
                   st.just("s1|1"))
fasta_text = st.lists(st.tuples(header, bases), max_size=5).map(
    lambda records: "".join(f">{h}\n{s}\n" for h, s in records).encode("utf-8", "surrogatepass"))


@pytest.mark.parametrize("task_name", ["poly_a_arabidopsis_thaliana", "chromatin_access_arabidopis_thaliana"])
def test_pgb_fasta_reader(task_name: str) -> None:
    from gfmbench.loaders.pgb import SOURCE

    try:
        _, task = get_task(task_name, "pgb")
    except KeyError:
        pytest.skip(f"{task_name} not in the registry")

    fuzz_reader(f"pgb/{task.config}", fasta_text | st.binary(max_size=120), f"pgb/{task.config}.fa",
                lambda path: SOURCE._rows(path, task))


# --------------------------------------------------------------------------------------------- GB coordinates
coordinate = st.one_of(st.integers(-10, 10**6).map(str), junk, st.just(""))
gb_text = st.tuples(
    st.sampled_from(["id,region,start,end,strand", "id,region,start,end", "region,id,end,start,strand", ""]),
    st.lists(st.tuples(junk, st.sampled_from(["chr1", "chrX", "", "1"]), coordinate, coordinate,
                       st.sampled_from(["+", "-", "", "*"])).map(lambda r: ",".join(r)), max_size=5),
).map(lambda hr: ("\n".join([hr[0], *hr[1]]) + "\n").encode("utf-8", "surrogatepass"))


def test_gb_coordinate_reader() -> None:
    from gfmbench.loaders.gb import read_intervals

    fuzz_reader("gb coordinates", gb_text | st.binary(max_size=120), "gb/positive.csv", read_intervals)


# --------------------------------------------------------------------------------------------- result cards
def test_result_card_validation_never_raises() -> None:
    from gfmbench.harness.validity import validate_card
    from gfmbench.leaderboard.fixtures import make_card

    valid = json.loads(make_card("m/a", "rgb", "SSP_Archive2", 0, 0.5).model_dump_json())
    paths = [("schema_version",), ("key", "task"), ("key", "seed"), ("key", "suite"), ("key", "regime"),
             ("metrics", "test", "f1_macro"), ("primary_metric",), ("direction",), ("cost", "wall_time_s"),
             ("key",), ("metrics",)]

    def mutate(path: tuple[str, ...], value: object) -> bytes:
        card = json.loads(json.dumps(valid))
        target = card
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
        return json.dumps(card).encode()

    cards = st.one_of(st.tuples(st.sampled_from(paths), values).map(lambda pv: mutate(*pv)),
                      st.binary(max_size=200), values.map(lambda v: json.dumps(v).encode()))

    @FUZZ
    @given(raw=cards)
    def fuzz(raw: bytes) -> None:
        count("result cards")
        card, reason, _ = validate_card("fuzz", raw)
        assert (card is None) != (reason is None)  # accepted, or refused with a reason
        if card is not None:
            assert 0.0 <= card.primary_value <= 1.0  # F1: an impossible value is never accepted

    fuzz()
    assert_cases("result cards")
