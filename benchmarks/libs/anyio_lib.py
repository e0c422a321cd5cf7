"""anyio (asyncio backend): ``create_memory_object_stream(cap)``, task groups; no select."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from time import perf_counter

from ..measure import rss_bytes
from .base import AGo, APipe, AsyncLib

__all__ = ["make"]


async def _noop() -> None:
    pass


def make() -> AsyncLib:
    import anyio
    import anyio.lowlevel

    def run(main: Callable[[AGo], Awaitable[float]]) -> float:
        async def in_group() -> float:
            async with anyio.create_task_group() as tg:

                def go(fn: Callable[[], Awaitable[None]]) -> None:
                    tg.start_soon(fn)  # type: ignore[arg-type]  # fn() is a coroutine

                result = await main(go)
            return result

        return anyio.run(in_group)

    def pipe(cap: int) -> APipe:
        tx, rx = anyio.create_memory_object_stream[int](cap)
        return APipe(tx.send, rx.receive, (tx, rx))

    def spawn(n: int) -> float:
        async def main() -> float:
            t0 = perf_counter()
            async with anyio.create_task_group() as tg:
                for _ in range(n):
                    tg.start_soon(_noop)
            return perf_counter() - t0

        return anyio.run(main)

    def parked(n: int) -> tuple[int, int]:
        async def main() -> tuple[int, int]:
            _tx, rx = anyio.create_memory_object_stream[None](0)
            async with anyio.create_task_group() as tg:
                before = rss_bytes()
                for _ in range(n):
                    tg.start_soon(rx.receive)
                await anyio.wait_all_tasks_blocked()
                grown = rss_bytes() - before
                tg.cancel_scope.cancel()
            return n, grown

        return anyio.run(main)

    return AsyncLib(run=run, pipe=pipe, yield_=anyio.lowlevel.checkpoint, spawn=spawn, parked=parked)
