"""``python -m benchmarks --only jobs-redis --quick`` runs the Redis group and prints its tables.

No timing is asserted: the figures go to the report, not to the test. A peer that is not installed
is named as such in the table (and nothing else of it runs); the installed ones must show a rate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks import jobs_redis

ROOT = Path(__file__).resolve().parent.parent


def test_jobs_redis_group_runs_in_quick_mode(tmp_path: Path) -> None:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--only", "jobs-redis", "--quick", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,  # the peers' worker commands (rq, arq, dramatiq, celery) live beside this interpreter
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((tmp_path / "jobs-redis.json").read_text())
    assert doc["schema"] == "gochan-benchmarks-jobs-redis/1" and doc["quick"] is True
    missing = {p for p in jobs_redis.PEERS if not jobs_redis.installed(p)}
    assert set(doc["missing"]) == missing
    assert set(doc["rates"]) == {"1", "4", "1, 8 submitters", "4, 8 submitters"}
    for label in doc["rates"]:
        row = doc["rates"][label]
        assert row["gochan"] > 0
        assert {p for p in jobs_redis.PEERS if row[p] is None} == missing
    for title in jobs_redis.TITLES.values():
        assert title in proc.stdout
    assert "not installed" in proc.stdout or not missing
    assert doc["cancel_ms"]["n"] == 5 and doc["rerun_after_kill_s"]["seconds"] > 0
    assert "ping-pong beside a goroutine submitting to Redis" in proc.stdout
