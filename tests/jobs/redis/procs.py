"""Worker processes and the helpers the process tests share (waits bounded by a generous timeout)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from pathlib import Path

from gochan.jobs import JobInfo, State
from gochan.jobs.redis import RedisStore

from ...lines import WorkerProcess

ROOT = Path(__file__).resolve().parents[3]
TIMEOUT = 60.0

_ids = itertools.count(1)


class Worker(WorkerProcess):
    def __init__(self, url: str, log: Path, workers: int = 4, lease: float = 30.0, grace: float = 10.0) -> None:
        args = (str(url), str(log), str(workers), str(lease), str(grace))
        super().__init__(ROOT, "tests.jobs.redis.worker_app", *args, timeout=TIMEOUT)


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
