"""Stats: counters owned by one goroutine, updated by messages instead of a shared map.

Go ("Share memory by communicating")::

    // racy: many goroutines write metrics[k]++ on one map
    // fixed: one goroutine owns the map; the others send it updates
    updates := make(chan update, 64)
    go func() {
        for u := range updates { metrics[u.key] += u.n }
        done <- metrics
    }()

:class:`Stats` is that owner goroutine: :meth:`Stats.add` sends an update, :meth:`Stats.snapshot`
asks the owner for a copy (a request carrying its reply channel), :meth:`Stats.close` ends the
owner and returns the final counts. :func:`tally` is the pipeline stage: it passes values through
unchanged and counts each under ``key(v)``.

In gochan a goroutine is never preempted, so ``counts[k] += 1`` from many goroutines cannot
race; the pattern still matters — it is how the Go program is correct, it keeps the map out of
every stage's hands, and it is the shape that survives moving a stage to another thread or
process.

Invariants:
  only the owner goroutine reads or writes _counts until _final is resolved
  _updates is closed  iff  close() was called; the owner then resolves _final and exits
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar, final

from gochan import Chan, RecvChan, go, recv, select
from gochan.context import Context

from .errors import PoolClosedError
from .future import Future
from .pipeline import _recv, _send

__all__ = ["Stats", "tally"]

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")

_STATS_CLOSED = "stats have been closed"


@final
class Stats(Generic[K]):
    """Counters by key, owned by their own goroutine (Go: a stats goroutine ranging over updates).

    ``buffer`` is the update channel's capacity: how far senders may run ahead of the owner.
    Call :meth:`close` when done: it ends the owner goroutine.
    """

    __slots__ = ("_final", "_queries", "_updates")

    def __init__(self, *, buffer: int = 64) -> None:
        self._updates: Chan[tuple[K, int]] = Chan(buffer)
        self._queries: Chan[Chan[dict[K, int]]] = Chan()
        self._final: Future[dict[K, int]] = Future()
        go(self._own)

    def __repr__(self) -> str:
        return f"<Stats {'closed' if self._final.ready() else 'open'}>"

    def _own(self) -> None:
        counts: dict[K, int] = {}
        updates = self._updates
        while True:
            match select(recv(updates), recv(self._queries)):
                case (0, (key, n), True):
                    counts[key] = counts.get(key, 0) + n
                case (0, _, False):
                    break
                case (1, reply, _):
                    assert reply is not None
                    # select picks at random among ready cases: count what was sent before the query first
                    while (got := updates.try_recv()) is not None and got[1]:
                        key, n = got[0]
                        counts[key] = counts.get(key, 0) + n
                    reply.send(dict(counts))  # a reply channel of one: never blocks
        self._final._resolve(counts)

    def add(self, key: K, n: int = 1) -> None:
        """Add ``n`` to ``key``'s count (Go: ``updates <- update{key, n}``). Raises PoolClosedError after close."""
        if self._final.ready() or self._updates.closed:
            raise PoolClosedError(_STATS_CLOSED)
        self._updates.send((key, n))

    def snapshot(self) -> dict[K, int]:
        """A copy of the counts, including every update sent before this call; after close, the final counts."""
        if self._updates.closed:
            return dict(self._final.result())
        reply: Chan[dict[K, int]] = Chan(1)
        self._queries.send(reply)  # the owner serves queries only after the updates queued before
        got = reply.recv()
        assert got is not None
        return got

    def close(self) -> dict[K, int]:
        """Stop accepting updates, let the owner count the queued ones and exit; the final counts."""
        if not self._updates.closed:
            self._updates.close()
        return dict(self._final.result())


def tally(ctx: Context, src: RecvChan[T], stats: Stats[K], key: Callable[[T], K]) -> RecvChan[T]:
    """A pipeline stage: pass ``src``'s values on unchanged, counting each under ``key(v)`` in ``stats``."""
    out: Chan[T] = Chan()
    go(_tally, src, out, stats, key, ctx.done())
    return out


def _tally(src: RecvChan[T], out: Chan[T], stats: Stats[K], key: Callable[[T], K], done: RecvChan[None] | None) -> None:
    while True:
        v, ok = _recv(src, done)
        if not ok:
            break
        stats.add(key(v))
        if not _send(out, v, done):
            break
    out.close()
