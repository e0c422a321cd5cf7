"""What a library implementation provides: the ``Bench`` protocol and the adapter records.

A library implements the shapes either directly (the greenlet floor) or by filling in a
``SyncLib`` (blocking calls: gochan, gevent, goless, threads) or an ``AsyncLib`` (coroutines:
trio, anyio, asyncio, aiochan) that a generic driver turns into a ``Bench``. The drivers run the
same program text for every library, so a difference in the numbers is a difference in the
libraries, not in how the benchmark was written for each.

Messages are non-negative ints; ``STOP`` (-1) is the end-of-stream marker every program uses
(not every library can close a channel, and aiochan refuses ``None``), so a loop reads
``while (v := recv()) >= 0``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Final, Protocol

__all__ = ["STOP", "AGo", "APipe", "AsyncLib", "Bench", "Msg", "Pipe", "SyncLib", "Unsupported"]

Msg = int
STOP: Final = -1


class Unsupported(Exception):
    """The library has no way to express this shape (or this buffer size); the message says why."""


class Bench(Protocol):
    """One library's implementation of every shape.

    Timed shapes take the op count ``n`` and return the seconds the ops took (setup excluded);
    ``parked`` returns ``(goroutines parked, RSS growth in bytes)``.
    """

    notes: dict[str, str]

    def pingpong(self, n: int) -> float: ...
    def transfer(self, n: int, cap: int, regime_name: str) -> float: ...
    def pool(self, n: int, cap: int) -> float: ...
    def fanin(self, n: int) -> float: ...
    def select(self, n: int) -> float: ...
    def spawn(self, n: int) -> float: ...
    def parked(self, n: int) -> tuple[int, int]: ...


@dataclass(frozen=True)
class Pipe:
    """A channel's two ends as bound methods, plus the library's own object (for select)."""

    send: Callable[[Msg], object]
    recv: Callable[[], Msg]
    chan: object


@dataclass(frozen=True)
class SyncLib:
    """A library whose blocking operations are plain calls (greenlets or threads).

    ``pipe(cap)`` raises ``Unsupported`` for a capacity the library cannot make; ``rendezvous``
    is the capacity used where the shape wants an unbuffered channel (1 for queue-only
    libraries, with a note). ``selector(pipes)`` returns a call that receives from whichever
    pipe is ready (None: the library has no select).
    """

    run: Callable[[Callable[[], float]], float]
    pipe: Callable[[int], Pipe]
    go: Callable[[Callable[[], None]], None]
    yield_: Callable[[], None]
    spawn: Callable[[int], float]
    parked: Callable[[int], tuple[int, int]]
    selector: Callable[[list[Pipe]], Callable[[], Msg]] | None = None
    rendezvous: int = 0
    notes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class APipe:
    """An async channel's two ends as bound coroutine methods, plus the library's object."""

    send: Callable[[Msg], Awaitable[object]]
    recv: Callable[[], Awaitable[Msg]]
    chan: object


AGo = Callable[[Callable[[], Awaitable[None]]], None]


@dataclass(frozen=True)
class AsyncLib:
    """A coroutine library; like ``SyncLib``, with ``run(main)`` passing main a task spawner.

    ``run`` must not return before every task spawned through the spawner has finished.
    """

    run: Callable[[Callable[[AGo], Awaitable[float]]], float]
    pipe: Callable[[int], APipe]
    yield_: Callable[[], Awaitable[object]]
    spawn: Callable[[int], float]
    parked: Callable[[int], tuple[int, int]]
    selector: Callable[[list[APipe]], Callable[[], Awaitable[Msg]]] | None = None
    rendezvous: int = 0
    notes: dict[str, str] = field(default_factory=dict)
