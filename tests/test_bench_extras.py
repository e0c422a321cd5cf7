"""``python -m benchmarks.timers`` and ``python -m benchmarks.echo`` run and print their tables (no timing checks)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_module(*args: str) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    return proc.stdout.splitlines()


def test_timer_accuracy_prints_a_row_per_case() -> None:
    lines = run_module("benchmarks.timers", "20")
    rows = [line for line in lines if re.fullmatch(r"\| .+ \| -?\d+ µs \| -?\d+ µs \| -?\d+ µs \| -?\d+ µs \|", line)]
    assert len(rows) == 4
    assert rows[0].startswith("| `time.sleep(0.001)` (baseline")


def test_echo_throughput_prints_gochan_and_asyncio() -> None:
    lines = run_module("benchmarks.echo", "4", "5", "1024")
    rows = [line for line in lines if re.fullmatch(r"\| .+ \| [\d,]+ \| [\d.]+ \|", line)]
    assert [r.split(" | ")[0] for r in rows] == ["| gochan.net, goroutine per connection", "| asyncio streams"]


def test_wake_order_prints_fifo_reverse_and_random() -> None:
    lines = run_module("benchmarks.wakeorder", "200")
    rows = [line for line in lines if re.fullmatch(r"\| (fifo|reverse|random) \|( [\d.,]+ ?(ms|µs|x) \|){5}", line)]
    assert [r.split(" | ")[0] for r in rows] == ["| fifo", "| reverse", "| random"]
