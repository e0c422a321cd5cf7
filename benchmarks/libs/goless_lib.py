"""goless (on its gevent backend): ``goless.chan(size)``, ``goless.go``, ``goless.select``."""

from __future__ import annotations

from collections.abc import Callable
from time import perf_counter

from ..measure import rss_bytes
from .base import Msg, Pipe, SyncLib

__all__ = ["make"]


def _noop() -> None:
    pass


def make() -> SyncLib:
    import goless  # type: ignore[import-untyped]  # goless ships no type information
    from goless.backends import current as backend  # type: ignore[import-untyped]  # idem

    def pipe(cap: int) -> Pipe:
        c = goless.chan(cap)
        return Pipe(c.send, c.recv, c)

    def selector(pipes: list[Pipe]) -> Callable[[], Msg]:
        cases = [goless.rcase(p.chan) for p in pipes]
        select = goless.select

        def pick() -> Msg:
            return select(cases)[1]  # type: ignore[no-any-return]  # goless is untyped

        return pick

    def spawn(n: int) -> float:
        done: list[None] = []
        t0 = perf_counter()
        for _ in range(n - 1):
            goless.go(_noop)
        goless.go(done.append, None)  # the last one started: every earlier one has run
        while not done:
            backend.yield_()
        return perf_counter() - t0

    def parked(n: int) -> tuple[int, int]:
        c = goless.chan()
        before = rss_bytes()
        for _ in range(n):
            goless.go(c.recv)
        backend.yield_()
        return n, rss_bytes() - before

    return SyncLib(
        run=lambda main: main(),
        pipe=pipe,
        go=goless.go,
        yield_=backend.yield_,
        spawn=spawn,
        parked=parked,
        selector=selector,
        notes={"select": "goless.select polls its cases and yields to gevent between polls"},
    )
