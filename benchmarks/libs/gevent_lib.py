"""gevent: ``gevent.queue.Channel`` for unbuffered, ``Queue(maxsize)`` for buffered; no select."""

from __future__ import annotations

from time import perf_counter

from ..measure import rss_bytes
from .base import Pipe, SyncLib

__all__ = ["make"]


def _noop() -> None:
    pass


def make() -> SyncLib:
    import gevent  # type: ignore[import-untyped]  # gevent ships no type information
    import gevent.queue  # type: ignore[import-untyped]  # idem

    def pipe(cap: int) -> Pipe:
        q = gevent.queue.Channel() if cap == 0 else gevent.queue.Queue(cap)
        return Pipe(q.put, q.get, q)

    def go(fn: object) -> None:
        gevent.spawn(fn)

    def spawn(n: int) -> float:
        t0 = perf_counter()
        for _ in range(n):
            last = gevent.spawn(_noop)
        while not last.dead:
            gevent.sleep(0)  # spawned greenlets start from the hub's callback queue, in order
        return perf_counter() - t0

    def parked(n: int) -> tuple[int, int]:
        ch = gevent.queue.Channel()
        before = rss_bytes()
        waiting = [gevent.spawn(ch.get) for _ in range(n)]
        gevent.sleep(0)
        grown = rss_bytes() - before
        assert not any(g.dead for g in waiting)
        return n, grown

    return SyncLib(run=lambda main: main(), pipe=pipe, go=go, yield_=gevent.sleep, spawn=spawn, parked=parked)
