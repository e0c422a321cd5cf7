"""Completions made by several threads at once share one script call, and each is fenced on its own."""

from __future__ import annotations

import threading
import time
from typing import Any

from gochan.jobs import State
from gochan.jobs.model import Outcome
from gochan.jobs.redis import RedisStore

from .procs import state, submit, until


def test_completions_made_at_once_share_one_call_and_each_is_fenced(store: RedisStore) -> None:
    ids = [submit(store, "noop", "null") for _ in range(8)]
    now = time.time()
    claimed = store.claim("w", {"noop"}, 8, now + 30, now)
    assert [c.id for c in claimed] == ids
    calls: list[int] = []  # completions per script call
    first_in, release = threading.Event(), threading.Event()
    call = store._call

    def held_call(script: str, args: list[Any], client: Any = None) -> Any:
        if script == "complete":
            calls.append(len(args) // 8)
            if len(calls) == 1:  # the first call holds until the seven others queued behind it
                first_in.set()
                release.wait(30)
        return call(script, args, client)

    store._call = held_call  # type: ignore[method-assign]  # wrapped to hold the first call
    results: dict[str, bool] = {}

    def complete(i: int) -> None:
        c = claimed[i]
        token = c.token + 1 if i == 7 else c.token  # the last one's lease was lost: fenced out
        results[c.id] = store.complete(c.id, token, Outcome(State.SUCCEEDED, result_json=str(i)), now + 1)

    threads = [threading.Thread(target=complete, args=(0,))]
    threads[0].start()
    assert first_in.wait(30)
    threads += [threading.Thread(target=complete, args=(i,)) for i in range(1, 8)]
    for t in threads[1:]:
        t.start()
    until("seven completions wait for the call in progress", lambda: len(store._queue) == 7)
    release.set()
    for t in threads:
        t.join(30)
    assert calls == [1, 7]
    assert results == {i: i != ids[7] for i in ids}
    assert [state(store, i) for i in ids] == [State.SUCCEEDED] * 7 + [State.RUNNING]
    assert [store.get(i).result_json for i in ids[:7]] == [str(i) for i in range(7)]  # type: ignore[union-attr]
