"""gochan through its public API only: ``Chan``, ``go``, ``select``/``recv``, ``gosched``, ``run``."""

from __future__ import annotations

from collections.abc import Callable
from time import perf_counter
from typing import cast

from gochan import Chan, go, gosched, num_goroutine, recv, run, select

from ..measure import rss_bytes
from .base import Msg, Pipe, SyncLib

__all__ = ["make"]


def _pipe(cap: int) -> Pipe:
    ch: Chan[int] = Chan(cap)
    # the benchmarks never close a channel, so recv never returns the closed channel's None
    return Pipe(ch.send, cast("Callable[[], int]", ch.recv), ch)


def _selector(pipes: list[Pipe]) -> Callable[[], Msg]:
    c0, c1, c2, c3 = (recv(cast("Chan[int]", p.chan)) for p in pipes)

    def pick() -> Msg:
        return select(c0, c1, c2, c3)[1]  # type: ignore[return-value]  # never closed: never None

    return pick


def _noop() -> None:
    pass


def _drain() -> None:
    """Let every goroutine run until only main is left (or the rest are parked)."""
    while num_goroutine() > 1:
        gosched()


def _spawn(n: int) -> float:
    def main() -> float:
        t0 = perf_counter()
        for _ in range(n):
            go(_noop)
        _drain()
        return perf_counter() - t0

    return run(main)


def _parked(n: int) -> tuple[int, int]:
    def main() -> tuple[int, int]:
        ch: Chan[int] = Chan()
        before = rss_bytes()
        for _ in range(n):
            go(ch.recv)
        gosched()  # every new goroutine runs before main and parks on ch
        grown = rss_bytes() - before
        assert num_goroutine() == n + 1
        return n, grown

    return run(main)


def make() -> SyncLib:
    return SyncLib(
        run=run,
        pipe=_pipe,
        go=go,
        yield_=gosched,
        spawn=_spawn,
        parked=_parked,
        selector=_selector,
    )
