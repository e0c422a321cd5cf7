"""The shapes as blocking-call programs, for every ``SyncLib`` (gochan, gevent, goless, threads).

Each program binds the pipe's methods to locals before its loop (as a careful user would) and
times only the message traffic: the clock starts before the first goroutine is started, so a
producer that runs ahead (a thread) is inside the measurement, and stops when the consumer has
seen every end marker.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from time import perf_counter
from typing import final

from ..workload import PRODUCERS, WORKERS, Regime, regime, work
from .base import STOP, Msg, Pipe, SyncLib, Unsupported

__all__ = ["SyncBench"]


def produce(send: Callable[[Msg], object], yield_: Callable[[], None], n: int, r: Regime) -> None:
    """Send 0..n-1 then the end marker, doing the regime's producer work."""
    if r.burst:
        burst, pause = r.burst, r.pause
        for i in range(n):
            send(i)
            if i % burst == burst - 1:
                yield_()
                work(pause)
    elif r.producer_work:
        w = r.producer_work
        for i in range(n):
            work(w)
            send(i)
    else:
        for i in range(n):
            send(i)
    send(STOP)


def consume(recv: Callable[[], Msg], costs: list[int] | None) -> None:
    """Receive until the end marker, doing ``costs[i]`` units of work for message ``i``."""
    if costs is None:
        while recv() >= 0:
            pass
    else:
        while (v := recv()) >= 0:
            work(costs[v])


@final
class SyncBench:
    """The ``Bench`` of a ``SyncLib``."""

    def __init__(self, lib: SyncLib) -> None:
        self.lib = lib
        self.notes = lib.notes

    def pingpong(self, n: int) -> float:
        lib = self.lib

        def main() -> float:
            ping, pong = lib.pipe(lib.rendezvous), lib.pipe(lib.rendezvous)

            def echo() -> None:
                recv, send = ping.recv, pong.send
                while (v := recv()) >= 0:
                    send(v)

            send, recv = ping.send, pong.recv
            t0 = perf_counter()
            lib.go(echo)
            for i in range(n):
                send(i)
                recv()
            dt = perf_counter() - t0
            send(STOP)
            return dt

        return lib.run(main)

    def transfer(self, n: int, cap: int, regime_name: str) -> float:
        lib = self.lib
        r = regime(regime_name, n)

        def main() -> float:
            p = lib.pipe(cap)
            t0 = perf_counter()
            lib.go(partial(produce, p.send, lib.yield_, n, r))
            consume(p.recv, r.costs)
            return perf_counter() - t0

        return lib.run(main)

    def pool(self, n: int, cap: int) -> float:
        lib = self.lib
        costs = regime("pool", n).costs
        assert costs is not None

        def main() -> float:
            jobs, done = lib.pipe(cap), lib.pipe(WORKERS)

            def worker() -> None:
                recv = jobs.recv
                while (v := recv()) >= 0:
                    work(costs[v])
                done.send(0)

            t0 = perf_counter()
            for _ in range(WORKERS):
                lib.go(worker)
            send = jobs.send
            for i in range(n):
                send(i)
            for _ in range(WORKERS):
                send(STOP)
            for _ in range(WORKERS):
                done.recv()
            return perf_counter() - t0

        return lib.run(main)

    def _many_to_one(self, n: int, pipes: list[Pipe], pick: Callable[[], Msg]) -> float:
        """PRODUCERS goroutines, producer k sending n/PRODUCERS messages on ``pipes[k]``."""
        per = max(1, n // PRODUCERS)

        def producer(p: Pipe) -> None:
            send = p.send
            for i in range(per):
                send(i)
            send(STOP)

        t0 = perf_counter()
        for p in pipes:
            self.lib.go(partial(producer, p))
        stops = 0
        while stops < PRODUCERS:
            if pick() < 0:
                stops += 1
        return (perf_counter() - t0) * n / (per * PRODUCERS)

    def fanin(self, n: int) -> float:
        lib = self.lib

        def main() -> float:
            p = lib.pipe(lib.rendezvous)
            return self._many_to_one(n, [p] * PRODUCERS, p.recv)

        return lib.run(main)

    def select(self, n: int) -> float:
        lib = self.lib
        selector = lib.selector
        if selector is None:
            raise Unsupported("no select")

        def main() -> float:
            pipes = [lib.pipe(lib.rendezvous) for _ in range(PRODUCERS)]
            return self._many_to_one(n, pipes, selector(pipes))

        return lib.run(main)

    def spawn(self, n: int) -> float:
        return self.lib.spawn(n)

    def parked(self, n: int) -> tuple[int, int]:
        return self.lib.parked(n)
