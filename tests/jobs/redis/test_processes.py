"""The Redis store with real worker processes on a real redis-server: kill -9 and SIGTERM mid-load,
a restart of redis-server mid-load, a CPU-bound handler keeping its lease, latest wins and cancel
across processes.

Workers are ``tests/jobs/redis/worker_app.py`` processes; the test process talks to the same server
through its own store. Every wait is on a real event (a line a worker prints, the store's state,
the workers' log), bounded by a generous timeout; nothing asserts a duration.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from gochan.jobs import State, open_store
from gochan.jobs.model import StoreUnavailableError
from gochan.jobs.redis import RedisStore

from ..redis_server import RedisServer
from .procs import ROOT, Worker, log_lines, state, submit, until

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

LOAD = 2_000


def running_on(store: RedisStore, worker: Worker) -> list[str]:
    return [j.id for j in store.list(state=State.RUNNING, limit=100_000) if j.worker == worker.id]


def test_kill_9_mid_load_reruns_the_dead_nodes_jobs_elsewhere_and_records_one_result_each(
    tmp_path: Path, store: RedisStore, server: RedisServer, workers: list[Worker]
) -> None:
    log = tmp_path / "log"
    ids = [submit(store, "sleep", "0.02") for _ in range(LOAD)]
    workers.extend(Worker(server.url, log, workers=8, lease=1.0) for _ in range(3))
    victim = workers[0]
    until("the victim runs jobs", lambda: len(running_on(store, victim)) >= 4)
    victim.proc.send_signal(signal.SIGKILL)
    victim.proc.wait()
    held = running_on(store, victim)  # it can change nothing any more: these were its jobs
    assert held
    until("every job is final", lambda: store.counts()[State.SUCCEEDED] == LOAD)
    infos = {i: store.get(i) for i in ids}
    assert all(j is not None and j.state is State.SUCCEEDED for j in infos.values())
    for i in held:
        j = infos[i]
        assert j is not None and j.attempts >= 2 and j.worker != victim.id  # re-run elsewhere, counted
    lines = log_lines(log)
    victim_pid = str(victim.proc.pid)
    survivors_done = Counter(p[1] for p in lines if p[0] == "done" and p[2] != victim_pid)
    victim_done = {p[1] for p in lines if p[0] == "done" and p[2] == victim_pid}
    for i, j in infos.items():
        assert j is not None
        recorded = str(j.result)  # the pid of the process whose success was recorded: exactly one
        assert survivors_done[i] + (i in victim_done) >= 1
        assert survivors_done[i] <= 1  # no job ran to success twice among the living
        if recorded != victim_pid:
            assert survivors_done[i] == 1
    for w in workers[1:]:
        assert w.stop() == 0


def test_sigterm_mid_load_stops_claiming_and_hands_back_none_failed(
    tmp_path: Path, store: RedisStore, server: RedisServer, workers: list[Worker]
) -> None:
    log = tmp_path / "log"
    ids = [submit(store, "sleep", "0.02") for _ in range(LOAD)]
    workers.extend(Worker(server.url, log, workers=8, lease=5.0, grace=0.0) for _ in range(3))
    leaving = workers[0]
    until("the leaving worker runs jobs", lambda: len(running_on(store, leaving)) >= 4)
    assert leaving.stop() == 0  # grace 0: its running jobs are cancelled and handed back at once
    report = json.loads(leaving.line().removeprefix("report "))
    assert report["ignored"] == []
    assert running_on(store, leaving) == []  # it holds nothing, and claims nothing more
    until("every job succeeded", lambda: store.counts()[State.SUCCEEDED] == LOAD)
    assert store.counts()[State.FAILED] == 0
    for i in report["handed_back"]:
        j = store.get(i)
        assert j is not None and j.state is State.SUCCEEDED and j.worker != leaving.id
    assert {j.id for j in store.list(state=State.SUCCEEDED, limit=100_000)} == set(ids)
    for w in workers[1:]:
        assert w.stop() == 0


def test_restart_of_redis_mid_load_loses_nothing_acknowledged_and_no_worker_crashes(
    tmp_path: Path, workers: list[Worker]
) -> None:
    log = tmp_path / "log"
    (tmp_path / "redis").mkdir()
    server = RedisServer(tmp_path / "redis", fsync="always")  # every acknowledged write is on disk
    store = RedisStore(server.url)
    workers.extend(Worker(server.url, log, workers=8, lease=5.0) for _ in range(2))
    ids = [submit(store, "sleep", "0.01") for _ in range(LOAD // 2)]
    until("the load is under way", lambda: store.counts()[State.SUCCEEDED] >= 50)
    assert server.proc is not None
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait()
    down = r"^jobs: the Redis store at redis://127\.0\.0\.1:\d+/0 is unreachable"
    with pytest.raises(StoreUnavailableError, match=down):
        submit(store, "sleep", "0.01")
    with pytest.raises(StoreUnavailableError):
        store.counts()
    server.start()
    ids += [submit(store, "sleep", "0.01") for _ in range(LOAD // 2)]
    until("every acknowledged job succeeded", lambda: store.counts()[State.SUCCEEDED] == len(ids))
    assert {j.id for j in store.list(state=State.SUCCEEDED, limit=100_000)} == set(ids)
    for w in workers:
        assert w.proc.poll() is None  # rode out the restart
        assert w.stop() == 0
    store.close()
    server.stop()


def test_a_cpu_bound_handler_longer_than_its_lease_runs_once(
    tmp_path: Path, store: RedisStore, server: RedisServer, workers: list[Worker]
) -> None:
    log = tmp_path / "log"
    workers.append(Worker(server.url, log, workers=1, lease=0.5))
    job = submit(store, "cpu", "3.0")  # six leases long, and the handler never yields
    until("it runs", lambda: state(store, job) is State.RUNNING)
    workers.append(Worker(server.url, log, workers=1, lease=0.5))  # would take it if the lease expired
    until("it finished", lambda: state(store, job).final)
    info = store.get(job)
    assert info is not None and info.state is State.SUCCEEDED and info.attempts == 1
    assert [p[1] for p in log_lines(log) if p[0] == "start"] == [job]
    for w in workers:
        assert w.stop() == 0


def test_latest_wins_by_key_across_two_worker_processes(
    tmp_path: Path, store: RedisStore, server: RedisServer, workers: list[Worker]
) -> None:
    log = tmp_path / "log"
    workers.extend([Worker(server.url, log, workers=1), Worker(server.url, log, workers=1)])
    purple = submit(store, "sleep", "3600", key="north-america")
    until("purple is being painted", lambda: any(p[:2] == ["start", purple] for p in log_lines(log)))
    blue = submit(store, "sleep", "0.1", key="north-america")
    until("blue is painted", lambda: state(store, blue).final)
    until("purple stopped", lambda: any(p[:2] == ["stop", purple] for p in log_lines(log)))
    assert state(store, blue) is State.SUCCEEDED
    assert state(store, purple) is State.SUPERSEDED
    assert [p[2] for p in log_lines(log) if p[:2] == ["stop", purple]] == ["JobSupersededError"]
    assert [p[1] for p in log_lines(log) if p[0] == "done"] == [blue]  # one colour painted
    for w in workers:
        assert w.stop() == 0


def test_cancel_reaches_a_job_running_in_another_process_and_is_final(
    tmp_path: Path, store: RedisStore, server: RedisServer, workers: list[Worker]
) -> None:
    log = tmp_path / "log"
    workers.append(Worker(server.url, log))
    job = submit(store, "sleep", "3600")
    until("the job runs", lambda: any(p[:2] == ["start", job] for p in log_lines(log)))
    assert store.cancel(job, time.time())
    until("its handler saw the cancel", lambda: any(p[:2] == ["stop", job] for p in log_lines(log)))
    assert [p[2] for p in log_lines(log) if p[:2] == ["stop", job]] == ["JobCancelledError"]
    assert workers[0].stop() == 0
    info = store.get(job)
    assert info is not None and info.state is State.CANCELLED and info.attempts == 1  # never retried


def test_open_store_gives_the_redis_store_and_a_cancel_from_the_cli_reaches_another_process(
    tmp_path: Path, store: RedisStore, server: RedisServer, workers: list[Worker]
) -> None:
    opened = open_store(server.url)
    assert isinstance(opened, RedisStore)
    opened.close()
    log = tmp_path / "log"
    workers.append(Worker(server.url, log))
    job = submit(store, "sleep", "3600")
    until("the job runs", lambda: any(p[:2] == ["start", job] for p in log_lines(log)))
    cmd = [sys.executable, "-m", "gochan.jobs", "cancel", job, "--store", server.url]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    until("its handler saw the cancel", lambda: any(p[:2] == ["stop", job] for p in log_lines(log)))
    assert [p[2] for p in log_lines(log) if p[:2] == ["stop", job]] == ["JobCancelledError"]
    assert state(store, job) is State.CANCELLED
    assert workers[0].stop() == 0
