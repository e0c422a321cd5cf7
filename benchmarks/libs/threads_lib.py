"""OS threads with ``queue.Queue(maxsize)``; no unbuffered queue (maxsize=0 is unbounded), no select."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from time import perf_counter

from ..measure import rss_bytes
from .base import Pipe, SyncLib, Unsupported

__all__ = ["make"]

MAX_PARKED = 2000  # thousands of OS threads is as far as the comparison needs to go


def _noop() -> None:
    pass


def _pipe(cap: int) -> Pipe:
    if cap == 0:
        raise Unsupported("queue.Queue has no unbuffered mode (maxsize=0 means unbounded)")
    q: queue.Queue[int] = queue.Queue(cap)
    return Pipe(q.put, q.get, q)


def _go(fn: Callable[[], None]) -> None:
    threading.Thread(target=fn, daemon=True).start()


def _spawn(n: int) -> float:
    t0 = perf_counter()
    threads = [threading.Thread(target=_noop) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return perf_counter() - t0


def _parked(n: int) -> tuple[int, int]:
    n = min(n, MAX_PARKED)
    q: queue.Queue[None] = queue.Queue()
    started = threading.Semaphore(0)

    def wait() -> None:
        started.release()
        q.get()

    before = rss_bytes()
    for _ in range(n):
        threading.Thread(target=wait, daemon=True).start()
    for _ in range(n):
        started.acquire()
    grown = rss_bytes() - before
    for _ in range(n):
        q.put(None)
    return n, grown


def make() -> SyncLib:
    return SyncLib(
        run=lambda main: main(),
        pipe=_pipe,
        go=_go,
        yield_=lambda: time.sleep(0),
        spawn=_spawn,
        parked=_parked,
        rendezvous=1,
        notes={
            "pingpong": "Queue(maxsize=1): no unbuffered queue",
            "fanin": "Queue(maxsize=1): no unbuffered queue",
            "memory": f"at most {MAX_PARKED} threads",
        },
    )
