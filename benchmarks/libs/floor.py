"""The raw-greenlet floor: the least machinery each shape can be built from.

pingpong        main and one greenlet switching to each other: a round trip is 2 switches
fanin, select   one switch per message: half a round trip, measured as such
transfer, pool  a hand-rolled bounded buffer (a deque of ``max(cap, 1)``): the producer (main)
                switches to a consumer greenlet when the buffer is full and at the end of a
                burst; a consumer drains the buffer and switches back. At capacity 0 or 1 that
                is 2 switches per message, at 1024 two per 1024 messages. No blocking queues,
                no wake-up records: what a channel costs beyond this is the channel.
spawn           ``greenlet(fn).switch()`` of a fresh greenlet that runs to completion
parked          a bare greenlet that switched back to main and waits there
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from itertools import cycle
from time import perf_counter
from typing import final

from greenlet import getcurrent, greenlet

from ..measure import rss_bytes
from ..workload import WORKERS, regime, work
from .base import STOP

__all__ = ["FloorBench", "make"]


def _noop() -> None:
    pass


@final
class FloorBench:
    """The ``Bench`` of raw greenlets."""

    notes: dict[str, str] = {  # noqa: RUF012 - read-only class data
        "fanin": "one raw switch per message",
        "select": "one raw switch per message",
        "oneway": "hand-rolled deque buffer + direct switches",
    }

    def pingpong(self, n: int) -> float:
        main = getcurrent()

        def echo(v: object) -> None:
            while True:
                v = main.switch(v)

        g = greenlet(echo)
        t0 = perf_counter()
        for i in range(n):
            g.switch(i)
        return perf_counter() - t0

    def transfer(self, n: int, cap: int, regime_name: str) -> float:
        return self._handoff(n, cap, regime_name, 1)

    def pool(self, n: int, cap: int) -> float:
        return self._handoff(n, cap, "pool", WORKERS)

    def _handoff(self, n: int, cap: int, regime_name: str, consumers: int) -> float:
        """Main produces into a bounded deque; ``consumers`` greenlets take turns draining it."""
        r = regime(regime_name, n)
        costs = r.costs
        size = max(cap, 1)
        buf: deque[int] = deque()
        main = getcurrent()

        def consumer() -> None:
            popleft = buf.popleft
            while True:
                while buf:
                    v = popleft()
                    if v < 0:
                        main.switch()
                    elif costs is not None:
                        work(costs[v])
                main.switch()

        turn = cycle([greenlet(consumer) for _ in range(consumers)])
        append = buf.append
        burst, pause, w = r.burst, r.pause, r.producer_work
        t0 = perf_counter()
        for i in range(n):
            if w:
                work(w)
            append(i)
            if len(buf) >= size:
                next(turn).switch()
            if burst and i % burst == burst - 1:
                if buf:
                    next(turn).switch()
                work(pause)
        append(STOP)
        while buf:
            next(turn).switch()
        return perf_counter() - t0

    def fanin(self, n: int) -> float:
        return self.pingpong(max(1, n // 2)) * n / (2 * max(1, n // 2))

    def select(self, n: int) -> float:
        return self.fanin(n)

    def spawn(self, n: int) -> float:
        t0 = perf_counter()
        for _ in range(n):
            greenlet(_noop).switch()
        return perf_counter() - t0

    def parked(self, n: int) -> tuple[int, int]:
        """Greenlets each parked inside a Python function: the least a goroutine can cost.

        A goroutine always runs Python code, and on CPython 3.11 a greenlet that has run Python
        code owns a frame data-stack chunk; so this, not a greenlet parked in C, is the floor.
        """
        main = getcurrent()

        def wait() -> None:
            main.switch()

        return n, _park_greenlets(n, wait)

    def parked_in_c(self, n: int) -> tuple[int, int]:
        """Greenlets whose run is a C method (``main.switch``): they never run Python code.

        Not a floor, a breakdown: no goroutine can park this cheaply, but it shows what the
        frame data-stack chunk of a Python-running greenlet costs.
        """
        return n, _park_greenlets(n, getcurrent().switch)


def _park_greenlets(n: int, run: Callable[[], object]) -> int:
    """RSS growth for ``n`` greenlets each started with ``run``, which switches back to main."""
    before = rss_bytes()
    parked = [greenlet(run) for _ in range(n)]
    for g in parked:
        g.switch()
    grown = rss_bytes() - before
    assert not any(g.dead for g in parked)
    return grown


def make() -> FloorBench:
    return FloorBench()
