"""``python -m benchmarks --only patterns --quick`` runs the pools and pipelines group and prints its tables.

No timing checks: only that every cell was measured (or skipped with its reason).
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import patterns

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    out = tmp_path_factory.mktemp("patterns")
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--only", "patterns", "--quick", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, out


def test_the_pool_table_has_a_row_per_task_and_worker_count_with_every_implementation(quick: tuple[str, Path]) -> None:
    stdout, _ = quick
    assert "Worker pools: tasks/s" in stdout
    header = next(line for line in stdout.splitlines() if line.startswith("| task | workers |"))
    for title in patterns.IMPLS.values():
        assert title in header
    rows = [line for line in stdout.splitlines() if re.match(r"\| (no-op|10 µs timer) \| \d+ \|", line)]
    assert len(rows) == len(patterns.CASES) * len(patterns.WORKERS)
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert re.fullmatch(r"[\d,]+", cells[2]), row  # the pool measured
        assert re.fullmatch(r"[\d.]+x", cells[-1]), row  # pool ÷ threads: both always run
        go = cells[2 + list(patterns.IMPLS).index("go")]
        if shutil.which("go") is None:
            assert go == "skipped: not installed (no `go` on PATH)"
        gevent = cells[2 + list(patterns.IMPLS).index("gevent")]
        if importlib.util.find_spec("gevent") is None:  # the test extra has no benchmark peers
            assert (gevent, cells[-2]) == ("skipped: not installed (pip install -e '.[bench]')", "-")
        else:
            assert re.fullmatch(r"[\d,]+", gevent) and re.fullmatch(r"[\d.]+x", cells[-2]), row


def test_the_pipeline_rate_and_the_json_are_written(quick: tuple[str, Path]) -> None:
    stdout, out = quick
    assert re.search(r"\| gochan.patterns generator \+ 2 x fan_out\(1\) \| [\d,]+ \|", stdout)
    doc = json.loads((out / "patterns.json").read_text())
    assert doc["schema"] == "gochan-benchmarks-patterns/1" and doc["quick"] is True
    measured = [c for c in doc["cells"] if c["impl"] != "go" and c["skipped"] is None]
    assert measured and all(c["error"] is None and c["per_s"] > 0 for c in measured)
    assert {c["impl"] for c in doc["cells"] if c["skipped"]} <= {"gevent"}


def test_one_measurement_runs_in_process() -> None:
    assert patterns.measure_one("pool", "noop", 2, 50) > 0
    assert patterns.measure_one("dispatcher", "timer", 2, 5) > 0
    assert patterns.measure_one("pool", "pipeline", 1, 50) > 0
