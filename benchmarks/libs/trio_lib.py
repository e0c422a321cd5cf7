"""trio: ``open_memory_channel(cap)`` (0 is a rendezvous), nurseries; no select."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from time import perf_counter

from ..measure import rss_bytes
from .base import AGo, APipe, AsyncLib

__all__ = ["make"]


async def _noop() -> None:
    pass


def make() -> AsyncLib:
    import trio
    import trio.lowlevel
    import trio.testing

    def run(main: Callable[[AGo], Awaitable[float]]) -> float:
        async def in_nursery() -> float:
            async with trio.open_nursery() as nursery:
                result = await main(nursery.start_soon)
            return result

        return trio.run(in_nursery)

    def pipe(cap: int) -> APipe:
        tx, rx = trio.open_memory_channel[int](cap)
        return APipe(tx.send, rx.receive, (tx, rx))

    def spawn(n: int) -> float:
        async def main() -> float:
            t0 = perf_counter()
            async with trio.open_nursery() as nursery:
                for _ in range(n):
                    nursery.start_soon(_noop)
            return perf_counter() - t0

        return trio.run(main)

    def parked(n: int) -> tuple[int, int]:
        async def main() -> tuple[int, int]:
            _tx, rx = trio.open_memory_channel[None](0)
            async with trio.open_nursery() as nursery:
                before = rss_bytes()
                for _ in range(n):
                    nursery.start_soon(rx.receive)
                await trio.testing.wait_all_tasks_blocked()
                grown = rss_bytes() - before
                nursery.cancel_scope.cancel()
            return n, grown

        return trio.run(main)

    return AsyncLib(run=run, pipe=pipe, yield_=trio.lowlevel.checkpoint, spawn=spawn, parked=parked)
