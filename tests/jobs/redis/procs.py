"""Worker processes and the helpers the process tests share (waits bounded by a generous timeout)."""

from __future__ import annotations

import itertools
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from gochan.jobs import JobInfo, State
from gochan.jobs.redis import RedisStore

from ...lines import Lines

ROOT = Path(__file__).resolve().parents[3]
TIMEOUT = 60.0

_ids = itertools.count(1)


class Worker:
    def __init__(self, url: str, log: Path, workers: int = 4, lease: float = 30.0, grace: float = 10.0) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.jobs.redis.worker_app", url, str(log), str(workers), str(lease), str(grace)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.out = Lines(self.proc.stdout)
        line = self.line()
        assert line.startswith("ready "), line
        self.id = line.split()[1]

    def line(self) -> str:
        got = self.out.next(TIMEOUT, "the worker printed nothing in time")
        assert got is not None, f"the worker ended (exit {self.proc.wait(TIMEOUT)})"
        return got.strip()

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(TIMEOUT)


def submit(store: RedisStore, name: str, payload: str, key: str | None = None, capacity: int = 100_000) -> str:
    now = time.time()
    job_id = f"job-{next(_ids)}"
    store.submit(JobInfo(job_id, name, payload, State.QUEUED, key, created_at=now, run_after=now), capacity)
    return job_id


def until(what: str, pred: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.01)


def log_lines(log: Path) -> list[list[str]]:
    return [line.split() for line in log.read_text().splitlines()] if log.exists() else []


def state(store: RedisStore, job_id: str) -> State:
    info = store.get(job_id)
    assert info is not None, job_id
    return info.state
