"""``python -m benchmarks --only jobs --quick`` runs the job system's group and prints its tables.

No timing is asserted: the figures go to the report, not to the test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks import jobs, jobs_huey

ROOT = Path(__file__).resolve().parent.parent


def doc_go_ok(out: Path) -> bool:
    return bool(json.loads((out / "jobs.json").read_text())["go"] == "ok")


def test_jobs_group_runs_in_quick_mode(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--only", "jobs", "--quick", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    for title, _ in jobs.IMPLS.values():
        assert title in proc.stdout
    assert "| 4 worker processes |" in proc.stdout
    assert "Go consumer (chan + goroutines)" in proc.stdout and "Huey (SqliteHuey)" in proc.stdout
    # a peer that cannot run says why in its cells, never a blank or a made-up figure
    assert doc_go_ok(tmp_path) or "| not measured (" in proc.stdout
    assert jobs_huey.installed() or "not installed (pip install -e '.[bench]')" in proc.stdout
    assert "cancel a running job from another process" in proc.stdout
    doc = json.loads((tmp_path / "jobs.json").read_text())
    assert doc["schema"] == "gochan-benchmarks-jobs/1" and doc["quick"] is True
    assert set(doc["memory"]) == {str(w) for w in jobs.WORKERS} and set(doc["sqlite"]) == {"1", "4"}
    assert doc["cancel_ms"]["n"] == 5
