"""The SQLite store with real worker processes: SIGTERM and restart, kill -9, cancel and latest wins
across processes; and, on a file, what several connections or threads share: the counts of a
database made before they were kept, writes committed together.

Workers are ``tests/jobs/worker_app.py`` processes; the test process talks to the same SQLite file
through its own store. Every wait is on a real event — a line a worker prints, the store's state,
the workers' log — bounded by a generous timeout; nothing asserts a duration.
"""

from __future__ import annotations

import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gochan.jobs import JobInfo, State
from gochan.jobs.sqlite import SCHEMA, SqliteStore

from ..lines import WorkerProcess

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60.0

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

_ids = itertools.count(1)


class Worker(WorkerProcess):
    def __init__(self, db: Path, log: Path, workers: int = 2, lease: float = 30.0, grace: float = 10.0) -> None:
        args = (str(db), str(log), str(workers), str(lease), str(grace))
        super().__init__(ROOT, "tests.jobs.worker_app", *args, timeout=TIMEOUT)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "jobs.db"


@pytest.fixture
def store(db: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(str(db))
    yield s
    s.close()


def submit(store: SqliteStore, seconds: float, key: str | None = None) -> str:
    now = time.time()
    job_id = f"job-{next(_ids)}"
    store.submit(JobInfo(job_id, "sleep", str(seconds), State.QUEUED, key, created_at=now, run_after=now), 10_000)
    return job_id


def until(what: str, pred: Callable[[], bool]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not pred():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.01)


def log_lines(log: Path) -> list[list[str]]:
    return [line.split() for line in log.read_text().splitlines()] if log.exists() else []


def test_sigterm_mid_load_then_restart_loses_nothing_and_reruns_no_success(
    db: Path, tmp_path: Path, store: SqliteStore, workers: list[Worker]
) -> None:
    log = tmp_path / "log"
    ids = [submit(store, 0.05) for _ in range(40)]
    workers.append(Worker(db, log, workers=4, grace=0.0))
    until("some jobs succeeded", lambda: store.counts()[State.SUCCEEDED] >= 5)
    assert workers[0].stop() == 0
    at_stop = {i: store.get(i) for i in ids}
    assert all(j is not None and (j.state.final or j.state is State.QUEUED) for j in at_stop.values())
    workers.append(Worker(db, log, workers=4))
    until("every job succeeded", lambda: store.counts()[State.SUCCEEDED] == len(ids))
    assert workers[1].stop() == 0
    done = Counter(parts[1] for parts in log_lines(log) if parts[0] == "done")
    assert set(done) == set(ids) and set(done.values()) == {1}  # each succeeded exactly once
    for i, j in at_stop.items():
        if j is not None and j.state is State.SUCCEEDED:
            starts = [p for p in log_lines(log) if p[0] == "start" and p[1] == i]
            assert len(starts) == 1  # a success is never run again


def test_kill_9_mid_job_runs_it_again_elsewhere_after_the_lease(
    db: Path, tmp_path: Path, store: SqliteStore, workers: list[Worker]
) -> None:
    log = tmp_path / "log"
    a = Worker(db, log, workers=1, lease=1.0)
    workers.append(a)
    job = submit(store, 2.0)
    until("the job runs on the first worker", lambda: (j := store.get(job)) is not None and j.worker == a.id)
    a.proc.send_signal(signal.SIGKILL)
    a.proc.wait(TIMEOUT)
    workers.append(Worker(db, log, workers=1, lease=1.0))
    until("the job succeeded", lambda: (j := store.get(job)) is not None and j.state.final)
    info = store.get(job)
    assert info is not None and info.state is State.SUCCEEDED
    assert info.attempts == 2 and info.worker == workers[1].id
    starts = [p for p in log_lines(log) if p[0] == "start" and p[1] == job]
    assert [p[2] for p in starts] == ["1", "2"]
    assert len([p for p in log_lines(log) if p[0] == "done"]) == 1
    assert workers[1].stop() == 0


def test_cancel_reaches_a_job_running_in_another_process(
    db: Path, tmp_path: Path, store: SqliteStore, workers: list[Worker]
) -> None:
    log = tmp_path / "log"
    workers.append(Worker(db, log))
    job = submit(store, 3600.0)
    until("the job runs", lambda: any(p[:2] == ["start", job] for p in log_lines(log)))
    assert store.cancel(job, time.time())
    until("its handler saw the cancel", lambda: any(p[:2] == ["stop", job] for p in log_lines(log)))
    assert [p[2] for p in log_lines(log) if p[:2] == ["stop", job]] == ["JobCancelledError"]
    assert store.get(job).state is State.CANCELLED  # type: ignore[union-attr]  # it exists
    assert workers[0].stop() == 0


def test_latest_wins_by_key_across_two_worker_processes(
    db: Path, tmp_path: Path, store: SqliteStore, workers: list[Worker]
) -> None:
    log = tmp_path / "log"
    workers.extend([Worker(db, log, workers=1), Worker(db, log, workers=1)])
    purple = submit(store, 3600.0, key="north-america")
    until("purple is being painted", lambda: any(p[:2] == ["start", purple] for p in log_lines(log)))
    blue = submit(store, 0.1, key="north-america")
    until("blue is painted", lambda: store.get(blue).state.final)  # type: ignore[union-attr]
    until("purple stopped", lambda: any(p[:2] == ["stop", purple] for p in log_lines(log)))
    assert store.get(blue).state is State.SUCCEEDED  # type: ignore[union-attr]
    assert store.get(purple).state is State.SUPERSEDED  # type: ignore[union-attr]
    assert [p[2] for p in log_lines(log) if p[:2] == ["stop", purple]] == ["JobSupersededError"]
    assert [p[1] for p in log_lines(log) if p[0] == "done"] == [blue]  # one colour painted
    for w in workers:
        assert w.stop() == 0


def test_capacity_holds_across_processes(db: Path, store: SqliteStore) -> None:
    code = (
        "import sys, time\n"
        "from gochan.jobs import JobInfo, State, QueueFullError\n"
        "from gochan.jobs.sqlite import SqliteStore\n"
        "s = SqliteStore(sys.argv[1]); ok = 0\n"
        "for i in range(50):\n"
        "    t = time.time()\n"
        "    try: s.submit(JobInfo(f'{sys.argv[2]}-{i}', 'sleep', '1', State.QUEUED, created_at=t, run_after=t), 30)\n"
        "    except QueueFullError: continue\n"
        "    ok += 1\n"
        "print(ok)\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(db), f"p{n}"], stdout=subprocess.PIPE, text=True, cwd=ROOT)
        for n in range(4)
    ]
    accepted = sum(int(p.communicate(timeout=TIMEOUT)[0]) for p in procs)
    assert accepted == 30
    assert store.counts()[State.QUEUED] == 30
    assert os.path.exists(db)


def test_a_database_from_before_the_counts_table_is_counted_once(db: Path) -> None:
    old = sqlite3.connect(db)
    old.execute(SCHEMA[0])
    rows = [("q1", "queued"), ("q2", "queued"), ("r", "running"), ("s", "succeeded")]
    insert = "INSERT INTO jobs (id, name, payload, state, retry, created_at, run_after)"
    insert += " VALUES (?, 'n', '1', ?, '', 0, 0)"
    old.executemany(insert, rows)
    old.commit()
    old.close()
    first, second = SqliteStore(str(db)), SqliteStore(str(db))  # the second finds the counts made
    try:
        counts = second.counts()
        assert (counts[State.QUEUED], counts[State.RUNNING], counts[State.SUCCEEDED]) == (2, 1, 1)
        submit(first, 1.0)
        assert first.cancel("q1", time.time())
        assert second.counts()[State.QUEUED] == 2 and second.counts()[State.CANCELLED] == 1
    finally:
        first.close()
        second.close()


def test_writes_committed_together_keep_their_own_results_and_errors(store: SqliteStore) -> None:
    dup = submit(store, 1.0)
    keyed = submit(store, 1.0, key="k")
    ids = [f"together-{n}" for n in range(4)]
    results: dict[str, object] = {}

    def write(job_id: str, key: str | None) -> None:
        t = time.time()
        rec = JobInfo(job_id, "sleep", "1", State.QUEUED, key, created_at=t, run_after=t)
        try:
            results[job_id] = store.submit(rec, 100)
        except ValueError as e:
            results[job_id] = str(e)

    store._mu.acquire()  # the writing connection is busy: the writes queue up behind it
    # the last supersedes `keyed`, then fails on its id: its savepoint undoes the supersede
    threads = [threading.Thread(target=write, args=(i, None)) for i in ids]
    threads.append(threading.Thread(target=write, args=(dup, "k")))
    for t in threads:
        t.start()
    until("every write is queued", lambda: len(store._queue) == len(threads))
    store._mu.release()  # the first thread to take it commits all five in one transaction
    for t in threads:
        t.join(TIMEOUT)
    assert results == {**dict.fromkeys(ids), dup: f"jobs: a job with id {dup!r} already exists"}
    assert store.counts()[State.QUEUED] == 6
    assert all(store.get(i) is not None for i in ids)
    assert store.get(keyed).state is State.QUEUED  # type: ignore[union-attr]  # it exists
