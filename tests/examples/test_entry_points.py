"""Every example runs as ``python -m examples.NAME``; the signal-driven ones are stopped by a real signal."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FAST = ["--unit", "0.001"]  # one Go second is a millisecond: the runs are short, the checks are invariants

# module -> (extra arguments, the start of a line the output must hold)
RUNS: dict[str, tuple[list[str], str]] = {
    "workers_basics": (FAST, "quit"),
    "workers_v1": (FAST, "worker: ack north-america BLUE"),
    "workers_v2": (FAST, "worker-B: ack north-america BLUE"),
    "workers_v3": (FAST, "worker-A: ack T2 GREEN"),
    "jobqueue": ([], "job 1025: 503 max capacity reached"),
    "jobqueue_consumer": ([], "send input value: 4"),
    "jobqueue_cancel": (FAST, "job 3: finished after"),
    "limit_concurrency": (FAST, "limitCh send in a goroutine: 100 jobs, max concurrency 100"),
    "batching": (FAST, "499 users with a balance above 500"),
    "batching_metrics": (FAST, "metrics: 499 passed, 501 skipped"),
    "generator": ([], ""),
    "multiplex": ([], ""),
    "future": ([], "get select * from table"),
    "prime_sieve": ([], "29"),
    "shared_var": ([], "mutex: 100 increments -> 100"),
    "resource_pool": (FAST, "Shutdown Program."),
    "work_pool": (FAST, "jason"),
    "dispatcher": (FAST, "20 payloads uploaded by 4 workers"),
}


def python_m(module: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", f"examples.{module}", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=60)  # a bound on a hang, not a measure of speed
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"the program hung:\n{err}")
    return proc.returncode, out, err


@pytest.mark.parametrize("module", sorted(RUNS))
def test_python_m_runs_the_example(module: str) -> None:
    extra, wanted = RUNS[module]
    code, out, err = finish(python_m(module, *extra))
    assert code == 0, err
    assert out.strip() and any(line.startswith(wanted) for line in out.splitlines())


def test_every_example_module_is_run_by_a_test() -> None:
    modules = {p.stem for p in (ROOT / "examples").glob("*.py") if not p.stem.startswith("_")}
    assert modules == set(RUNS) | {"jobqueue_shutdown", "runner"}


def test_generator_prints_one_non_negative_int() -> None:
    code, out, _ = finish(python_m("generator"))
    assert code == 0 and 0 <= int(out) < 2**63


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_jobqueue_shutdown_drains_and_exits_0_on_a_real_signal(sig: signal.Signals) -> None:
    proc = python_m("jobqueue_shutdown", "--unit", "0.01")
    assert proc.stdout is not None
    while not proc.stdout.readline().endswith("job value: 2\n"):
        pass
    proc.send_signal(sig)
    code, out, err = finish(proc)
    assert code == 0, err
    lines = out.splitlines()
    assert "received signal: shutting down, waiting for the workers" in lines
    assert lines[-1].startswith("shutdown complete: ")


def test_runner_exits_2_on_ctrl_c() -> None:
    proc = python_m("runner", "--unit", "0.5")  # task 1 sleeps 0.5 s: the signal arrives during it
    assert proc.stdout is not None
    for expected in ["Starting work.", "Processor - Task #0.", "Processor - Task #1."]:
        assert proc.stdout.readline() == expected + "\n"
    proc.send_signal(signal.SIGINT)
    code, out, err = finish(proc)
    assert (code, out) == (2, "Terminating due to interrupt.\n"), err
