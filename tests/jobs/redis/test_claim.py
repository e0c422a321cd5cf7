"""The claim script: ready lists read in windows (stale ids beyond a window, oldest first across
names), and the notice of new work asked for only by the second claim in a row that found nothing."""

from __future__ import annotations

import time
from typing import Any

from gochan.jobs import State
from gochan.jobs.redis import RedisStore

from ..redis_server import RedisServer
from .procs import submit, until


def claim(store: RedisStore, names: set[str], limit: int) -> list[str]:
    now = time.time()
    return [c.id for c in store.claim("w", names, limit, now + 30, now)]


def test_a_claim_goes_past_more_stale_ids_than_its_limit_and_cuts_them(store: RedisStore) -> None:
    stale = [submit(store, "a", "null") for _ in range(5)]
    for job_id in stale:
        assert store.cancel(job_id, time.time())
    live = [submit(store, "a", "null") for _ in range(3)]
    assert claim(store, {"a"}, 2) == live[:2]
    assert store._r.lrange(store.prefix + "ready:a", 0, -1) == [live[2].encode()]
    counts = store.counts()
    assert (counts[State.QUEUED], counts[State.RUNNING], counts[State.CANCELLED]) == (1, 2, 5)


def test_a_claim_takes_the_oldest_jobs_across_its_names(store: RedisStore) -> None:
    ids = [submit(store, name, "null") for name in ("a", "b", "a", "b", "a")]
    assert claim(store, {"a", "b", "c"}, 2) == ids[:2]
    assert claim(store, {"a", "b", "c"}, 2) == ids[2:4]
    assert claim(store, {"a", "b", "c"}, 2) == ids[4:]


def test_only_the_second_empty_claim_in_a_row_asks_to_be_told_of_new_work(server: RedisServer) -> None:
    store = RedisStore(server.url, poll_interval=0.0)  # no wait after the first empty claim
    calls: list[str] = []
    call = store._call

    def counted(script: str, args: list[Any], client: Any = None) -> Any:
        calls.append(script)
        return call(script, args, client)

    store._call = counted  # type: ignore[method-assign]  # counts the script calls
    idle = store.prefix + "idle"
    try:
        assert claim(store, {"a"}, 8) == []
        assert not store._r.exists(idle)  # a busy node's empty claim: no PUBLISH for the next job
        assert claim(store, {"a"}, 8) == []
        assert store._r.exists(idle)
        until("the watcher listens", store._subscribed.is_set)
        assert claim(store, {"a"}, 8) == []  # idle: waits for the notice, no call
        assert calls.count("claim") == 2
        events = store._r.pubsub()  # type: ignore[no-untyped-call]  # untyped in redis-py
        events.subscribe(store.prefix + "events")
        assert events.get_message(timeout=10)["type"] == "subscribe"
        other = RedisStore(server.url)
        try:
            job_id = submit(other, "a", "null")
        finally:
            other.close()
        assert events.get_message(timeout=10)["data"] == b"work -"
        assert not store._r.exists(idle)
        until("the watcher hears it too", store._dirty.is_set)
        assert claim(store, {"a"}, 8) == [job_id]
        events.close()
    finally:
        store.close()
