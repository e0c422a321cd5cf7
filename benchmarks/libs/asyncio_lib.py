"""asyncio with ``asyncio.Queue(maxsize)``; no unbuffered queue (maxsize=0 is unbounded), no select."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from time import perf_counter

from ..measure import rss_bytes
from .base import AGo, APipe, AsyncLib, Unsupported

__all__ = ["make", "run_in_task_group"]


async def _noop() -> None:
    pass


def run_in_task_group(main: Callable[[AGo], Awaitable[float]]) -> float:
    async def in_group() -> float:
        async with asyncio.TaskGroup() as tg:

            def go(fn: Callable[[], Awaitable[None]]) -> None:
                tg.create_task(fn())  # type: ignore[arg-type]  # fn() is a coroutine

            result = await main(go)
        return result

    return asyncio.run(in_group())


def _pipe(cap: int) -> APipe:
    if cap == 0:
        raise Unsupported("asyncio.Queue has no unbuffered mode (maxsize=0 means unbounded)")
    q: asyncio.Queue[int] = asyncio.Queue(cap)
    return APipe(q.put, q.get, q)


def _spawn(n: int) -> float:
    async def main() -> float:
        t0 = perf_counter()
        for _ in range(n):
            last = asyncio.create_task(_noop())
        while not last.done():
            await asyncio.sleep(0)
        return perf_counter() - t0

    return asyncio.run(main())


def _parked(n: int) -> tuple[int, int]:
    async def main() -> tuple[int, int]:
        q: asyncio.Queue[None] = asyncio.Queue()
        before = rss_bytes()
        waiting = [asyncio.create_task(q.get()) for _ in range(n)]
        await asyncio.sleep(0)
        grown = rss_bytes() - before
        assert not any(t.done() for t in waiting)
        for t in waiting:
            t.cancel()
        return n, grown

    return asyncio.run(main())


def make() -> AsyncLib:
    return AsyncLib(
        run=run_in_task_group,
        pipe=_pipe,
        yield_=lambda: asyncio.sleep(0),
        spawn=_spawn,
        parked=_parked,
        rendezvous=1,
        notes={
            "pingpong": "Queue(maxsize=1): no unbuffered queue",
            "fanin": "Queue(maxsize=1): no unbuffered queue",
        },
    )
