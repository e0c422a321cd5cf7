"""The shapes as coroutine programs, for every ``AsyncLib`` (trio, anyio, asyncio, aiochan).

Line for line the programs of ``sync_driver`` with ``await`` added, so the async peers run the
same algorithm as the greenlet ones.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from time import perf_counter
from typing import final

from ..workload import PRODUCERS, WORKERS, Regime, regime, work
from .base import STOP, AGo, APipe, AsyncLib, Msg, Unsupported

__all__ = ["AsyncBench"]


async def produce(
    send: Callable[[Msg], Awaitable[object]], yield_: Callable[[], Awaitable[object]], n: int, r: Regime
) -> None:
    """Send 0..n-1 then the end marker, doing the regime's producer work."""
    if r.burst:
        burst, pause = r.burst, r.pause
        for i in range(n):
            await send(i)
            if i % burst == burst - 1:
                await yield_()
                work(pause)
    elif r.producer_work:
        w = r.producer_work
        for i in range(n):
            work(w)
            await send(i)
    else:
        for i in range(n):
            await send(i)
    await send(STOP)


async def consume(recv: Callable[[], Awaitable[Msg]], costs: list[int] | None) -> None:
    """Receive until the end marker, doing ``costs[i]`` units of work for message ``i``."""
    if costs is None:
        while await recv() >= 0:
            pass
    else:
        while (v := await recv()) >= 0:
            work(costs[v])


@final
class AsyncBench:
    """The ``Bench`` of an ``AsyncLib``."""

    def __init__(self, lib: AsyncLib) -> None:
        self.lib = lib
        self.notes = lib.notes

    def pingpong(self, n: int) -> float:
        lib = self.lib

        async def main(go: AGo) -> float:
            ping, pong = lib.pipe(lib.rendezvous), lib.pipe(lib.rendezvous)

            async def echo() -> None:
                recv, send = ping.recv, pong.send
                while (v := await recv()) >= 0:
                    await send(v)

            send, recv = ping.send, pong.recv
            t0 = perf_counter()
            go(echo)
            for i in range(n):
                await send(i)
                await recv()
            dt = perf_counter() - t0
            await send(STOP)
            return dt

        return lib.run(main)

    def transfer(self, n: int, cap: int, regime_name: str) -> float:
        lib = self.lib
        r = regime(regime_name, n)

        async def main(go: AGo) -> float:
            p = lib.pipe(cap)
            t0 = perf_counter()
            go(partial(produce, p.send, lib.yield_, n, r))
            await consume(p.recv, r.costs)
            return perf_counter() - t0

        return lib.run(main)

    def pool(self, n: int, cap: int) -> float:
        lib = self.lib
        costs = regime("pool", n).costs
        assert costs is not None

        async def main(go: AGo) -> float:
            jobs, done = lib.pipe(cap), lib.pipe(WORKERS)

            async def worker() -> None:
                recv = jobs.recv
                while (v := await recv()) >= 0:
                    work(costs[v])
                await done.send(0)

            t0 = perf_counter()
            for _ in range(WORKERS):
                go(worker)
            send = jobs.send
            for i in range(n):
                await send(i)
            for _ in range(WORKERS):
                await send(STOP)
            for _ in range(WORKERS):
                await done.recv()
            return perf_counter() - t0

        return lib.run(main)

    @staticmethod
    async def _many_to_one(go: AGo, n: int, pipes: list[APipe], pick: Callable[[], Awaitable[Msg]]) -> float:
        """PRODUCERS tasks, producer k sending n/PRODUCERS messages on ``pipes[k]``."""
        per = max(1, n // PRODUCERS)

        async def producer(p: APipe) -> None:
            send = p.send
            for i in range(per):
                await send(i)
            await send(STOP)

        t0 = perf_counter()
        for p in pipes:
            go(partial(producer, p))
        stops = 0
        while stops < PRODUCERS:
            if await pick() < 0:
                stops += 1
        return (perf_counter() - t0) * n / (per * PRODUCERS)

    def fanin(self, n: int) -> float:
        lib = self.lib

        async def main(go: AGo) -> float:
            p = lib.pipe(lib.rendezvous)
            return await self._many_to_one(go, n, [p] * PRODUCERS, p.recv)

        return lib.run(main)

    def select(self, n: int) -> float:
        lib = self.lib
        selector = lib.selector
        if selector is None:
            raise Unsupported("no select")

        async def main(go: AGo) -> float:
            pipes = [lib.pipe(lib.rendezvous) for _ in range(PRODUCERS)]
            return await self._many_to_one(go, n, pipes, selector(pipes))

        return lib.run(main)

    def spawn(self, n: int) -> float:
        return self.lib.spawn(n)

    def parked(self, n: int) -> tuple[int, int]:
        return self.lib.parked(n)
