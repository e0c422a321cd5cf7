"""aiochan (CSP channels on asyncio): ``Chan(buffer)`` (None: unbuffered), ``select``, ``go``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from time import perf_counter

from ..measure import rss_bytes
from .asyncio_lib import run_in_task_group
from .base import APipe, AsyncLib, Msg

__all__ = ["make"]


async def _noop() -> None:
    pass


def make() -> AsyncLib:
    import aiochan  # type: ignore[import-untyped]  # aiochan ships no type information

    def pipe(cap: int) -> APipe:
        c = aiochan.Chan(cap or None)
        return APipe(c.put, c.get, c)

    def selector(pipes: list[APipe]) -> Callable[[], Awaitable[Msg]]:
        chans = [p.chan for p in pipes]
        select = aiochan.select

        async def pick() -> Msg:
            value, _chan = await select(*chans)
            return value  # type: ignore[no-any-return]  # aiochan is untyped

        return pick

    def spawn(n: int) -> float:
        async def main() -> float:
            t0 = perf_counter()
            for _ in range(n):
                last = aiochan.go(_noop())
            while not last.done():
                await asyncio.sleep(0)
            return perf_counter() - t0

        return asyncio.run(main())

    def parked(n: int) -> tuple[int, int]:
        async def main() -> tuple[int, int]:
            c = aiochan.Chan()

            async def wait() -> None:
                await c.get()

            before = rss_bytes()
            waiting = [aiochan.go(wait()) for _ in range(n)]
            await asyncio.sleep(0)
            grown = rss_bytes() - before
            for t in waiting:
                t.cancel()
            return n, grown

        return asyncio.run(main())

    return AsyncLib(
        run=run_in_task_group,
        pipe=pipe,
        yield_=lambda: asyncio.sleep(0),
        spawn=spawn,
        parked=parked,
        selector=selector,
    )
