"""The benchmark suite runs end to end and writes what it promises (no timing assertions).

One quick run of ``python -m benchmarks`` (gochan and the greenlet floor only, to stay well
under a minute on 2 cores) is shared by the tests that check its table, JSON and PNG; smaller
tests pin how a missing or incapable peer is reported: as a skip with a reason, never a crash.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from benchmarks import catalog, golang, runner
from benchmarks.stats import Stat

ROOT = Path(__file__).resolve().parent.parent
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Run:
    out: Path
    stdout: str
    stderr: str


def _bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "benchmarks", *args], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    out = tmp_path_factory.mktemp("bench")
    proc = _bench("--quick", "--only", "gochan,greenlet", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    yield Run(out, proc.stdout, proc.stderr)


def _results(run: Run) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((run.out / "results.json").read_text())
    return doc


def test_quick_run_prints_the_tables(quick_run: Run) -> None:
    out = quick_run.stdout
    assert "gochan against the raw-greenlet floor" in out
    for row in catalog.SUMMARY:
        assert f"| {row.label}" in out
    for shape in ("oneway", "balanced", "bursty", "jitter", "pool"):
        assert catalog.SHAPE_BY_NAME[shape].title in out
    assert "| greenlet" in out and "| gochan" in out


def test_quick_run_shows_progress_on_stderr(quick_run: Run) -> None:
    assert "round 1/1  gochan" in quick_run.stderr
    assert "results.json" in quick_run.stderr


def test_results_json_has_every_shape_with_positive_numbers(quick_run: Run) -> None:
    doc = _results(quick_run)
    assert doc["schema"] == "gochan-benchmarks/1"
    assert doc["mode"]["quick"] is True
    assert {k: v["status"] for k, v in doc["libraries"].items()} == {"gochan": "ok", "greenlet": "ok"}
    got = {(r["lib"], r["shape"], r["buffer"]) for r in doc["results"]}
    for lib in ("gochan", "greenlet"):
        for shape in catalog.SHAPES:
            buffers = doc["mode"]["buffers"] if shape.buffered else [None]
            for b in buffers:
                assert (lib, shape.name, b) in got, f"{lib} {shape.name} buffer={b} missing"
    for r in doc["results"]:
        assert r["unit"] in ("ns", "bytes")
        assert r["samples"] and all(x > 0 for x in r["samples"]), r
        assert 0 < r["stat"]["min"] <= r["stat"]["median"] <= r["stat"]["max"], r
        assert r["ratio"] is None or r["ratio"] > 0
        if r["op"] == "msg":
            assert r["msgs_per_s"]["median"] > 0
    assert all(v > 0 for v in doc["floors"].values())
    assert set(doc["floors"]) == {"roundtrip", "switch", "spawn", "parked"}
    assert doc["skipped"] == []


def test_results_json_summary_has_gochan_ratio_and_target(quick_run: Run) -> None:
    summary = _results(quick_run)["summary"]
    assert [s["label"] for s in summary] == [row.label for row in catalog.SUMMARY]
    for s, row in zip(summary, catalog.SUMMARY, strict=True):
        assert s["ratio"] > 0 and s["floor"] > 0 and s["gochan"]["median"] > 0
        assert s["target"] == row.target
        assert s["meets"] in ((True, False) if row.target is not None else (None,))


def test_buffer_study_png_is_a_png_or_the_run_says_why_not(quick_run: Run) -> None:
    # matplotlib comes with the bench extra; the test extra runs the suite without it.
    png = quick_run.out / "buffer-study.png"
    if importlib.util.find_spec("matplotlib") is None:
        assert "no plot: No module named 'matplotlib' (pip install -e '.[bench]')" in quick_run.stderr
        assert not png.exists()
        return
    assert png.read_bytes()[:8] == PNG_MAGIC
    assert png.stat().st_size > 10_000


def _table_rows(stdout: str, title: str) -> list[list[str]]:
    """The cells of the markdown table printed under the line starting with ``title``, header first."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title)) + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip("|").split("|")])
    return [rows[0], *rows[2:]]  # without the alignment rule


def test_every_ratio_names_what_it_divides_by(quick_run: Run) -> None:
    what = {
        "roundtrip": "2 switches",
        "switch": "1 switch",
        "spawn": "fresh greenlet",
        "parked": "greenlet parked in Python",
    }
    header, *rows = _table_rows(quick_run.stdout, "gochan against the raw-greenlet floor")
    assert header == ["shape", "floor (raw greenlet)", "gochan", "gochan ÷ floor", "target (÷ floor)", ""]
    header2, *rows2 = _table_rows(quick_run.stdout, "Every library on the same shapes")
    assert "in parentheses median ÷ the row's floor" in quick_run.stdout
    assert header2 == ["shape", "floor (raw greenlet)", "greenlet", "gochan"]
    for row, cells, cells2 in zip(catalog.SUMMARY, rows, rows2, strict=True):
        floor = f"({what[catalog.SHAPE_BY_NAME[row.shape].floor]})"
        assert cells[0] == cells2[0] == row.label
        assert cells[1].endswith(floor) and cells2[1] == cells[1]
        assert not cells2[2].endswith("x)"), "the greenlet column is not always the floor: no ratio"
        assert cells2[3].endswith("x)")
    assert "The greenlet column is raw greenlet running the shape itself (no ratio)" in quick_run.stdout


def test_only_rejects_an_unknown_name_and_lists_the_choices() -> None:
    proc = _bench("--only", "gochan,nosuchlib", "--out", "/nonexistent")
    assert proc.returncode == 2
    assert "unknown library or shape 'nosuchlib'" in proc.stderr
    assert "gochan" in proc.stderr and "pingpong" in proc.stderr


def test_only_always_keeps_the_floor_and_the_switch_measurement() -> None:
    libs, shapes = catalog.select_names("gevent,select")
    assert [lib.name for lib in libs] == ["greenlet", "gevent"]
    assert [s.name for s in shapes] == ["pingpong", "select"]


def test_missing_library_is_reported_not_installed() -> None:
    ghost = catalog.Library("ghost", "no_such_module_for_gochan_benchmarks", "ghost")
    status = runner.library_status([ghost], None)
    assert status["ghost"].status == "not installed"
    outcomes = runner.run_plan(
        [ghost],
        [catalog.Config("pingpong")],
        mode=catalog.Mode.of(True, None),
        go=None,
        status=status,
        progress=sys.stderr,
        timeout=60,
    )
    assert outcomes == []


def test_go_without_toolchain_is_a_skip_with_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    peer = golang.prepare(tmp_path)
    assert peer.binary is None
    assert peer.reason == "not installed (no `go` on PATH)"


def test_worker_reports_a_shape_the_library_cannot_express() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.worker", "threads", "oneway", '{"target_s": 0.001, "buffer": 0}'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"unsupported": "queue.Queue has no unbuffered mode (maxsize=0 means unbounded)"}


def test_rate_of_a_time_stat_swaps_min_and_max() -> None:
    assert Stat(200.0, 100.0, 400.0).rate() == Stat(5e6, 2.5e6, 1e7)


def test_ratio_is_the_median_of_per_round_ratios_to_the_floor() -> None:
    from benchmarks.stats import Stat, _ratio

    samples = [2.0, 8.0, 3.0]  # a round in which the whole machine was four times slower ...
    rounds = {"switch": [1.0, 4.0, 1.0]}  # ... slowed the floor of the same round too
    stat = Stat.of(samples)
    assert _ratio(samples, stat, "switch", {"switch": 1.0}, rounds) == 2.0  # median of 2, 2, 3
    # a failed round: the lists do not line up, so the medians are divided instead
    assert _ratio([2.0, 3.0], Stat.of([2.0, 3.0]), "switch", {"switch": 1.0}, rounds) == 2.5
    assert _ratio(samples, stat, "switch", {}, rounds) is None
