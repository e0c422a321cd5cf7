"""Retention: finished jobs are removed once older than ``retention`` or beyond ``keep_finished``, with
their place in ``list`` and their key's sequence (``counts`` still counts them); queued and running
jobs stay."""

from __future__ import annotations

from gochan.jobs import State
from gochan.jobs.model import Outcome
from gochan.jobs.redis import RedisStore

from ..redis_server import RedisServer
from .procs import submit

DONE = Outcome(State.SUCCEEDED, result_json="null")


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def run_one(store: RedisStore, name: str, key: str | None = None) -> str:
    """Submit a job, claim it and complete it now (on the store's clock)."""
    job_id = submit(store, name, "null", key)
    now = store.clock()
    [c] = store.claim("w", {name}, 1, now + 30, now)
    assert c.id == job_id and store.complete(c.id, c.token, DONE, now)
    return job_id


def test_finished_jobs_go_after_the_retention_and_live_ones_stay(server: RedisServer) -> None:
    clock = Clock(1000.0)
    store = RedisStore(server.url, clock=clock, retention=10.0, keep_finished=None)
    done = run_one(store, "a", key="k")
    clock.t = 1002.0
    cancelled = submit(store, "b", "null")
    assert store.cancel(cancelled, clock.t)
    running = submit(store, "r", "null")
    assert [c.id for c in store.claim("w", {"r"}, 1, clock.t + 30, clock.t)] == [running]
    queued = submit(store, "c", "null")
    assert store.reclaim(1010.0) == []  # the first finished 10 s ago: not older than the retention yet
    assert store.get(done) is not None
    store.reclaim(1010.5)
    assert store.get(done) is None and store.get(cancelled) is not None
    store.reclaim(1012.5)
    assert store.get(cancelled) is None
    assert [(j.id, j.state) for j in store.list()] == [(running, State.RUNNING), (queued, State.QUEUED)]
    removed = {State.SUCCEEDED: 1, State.CANCELLED: 1}  # still counted, as by the memory store
    assert store.counts() == {**dict.fromkeys(State, 0), State.RUNNING: 1, State.QUEUED: 1, **removed}
    assert not store._r.exists(store.prefix + "kseq:k")  # the key had no live job: its sequence went too
    clock.t = 1020.0
    again = run_one(store, "a", key="k")  # the key starts again, and its job runs and succeeds
    assert store.get(again).state is State.SUCCEEDED  # type: ignore[union-attr]
    store.close()


def test_completions_remove_the_oldest_beyond_keep_finished(server: RedisServer) -> None:
    clock = Clock(1000.0)
    store = RedisStore(server.url, clock=clock, retention=None, keep_finished=2)
    ids = []
    for i in range(4):
        clock.t = 1000.0 + i
        ids.append(run_one(store, "a"))
    assert [store.get(i) is not None for i in ids] == [False, False, True, True]
    assert store.counts()[State.SUCCEEDED] == 4
    assert [j.id for j in store.list()] == ids[2:]
    store.close()


def test_retention_from_the_url(server: RedisServer) -> None:
    store = RedisStore(server.url + "?retention=none&keep_finished=5")
    assert (store.retention, store.keep_finished) == (None, 5)
    store.close()
    store = RedisStore(server.url)
    assert (store.retention, store.keep_finished) == (86_400.0, 1_000_000)
    store.close()
