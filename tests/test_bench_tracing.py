"""``python -m benchmarks.tracing`` runs and prints its table (no timing checks)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_tracing_benchmark_prints_off_and_on_per_shape() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.tracing", "200"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    rows = [
        line
        for line in proc.stdout.splitlines()
        if re.fullmatch(r"\| .+ \| [\d,]+ ns \| [\d,]+ ns \| [\d.]+x \|", line)
    ]
    assert [r.split(" | ")[0] for r in rows] == ["| ping-pong round trip", "| spawn + finish"]
