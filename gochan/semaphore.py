"""Go's ``golang.org/x/sync/semaphore``: a weighted semaphore for goroutines.

``Semaphore(size)`` is ``semaphore.NewWeighted(size)``: ``acquire(n, ctx)`` blocks until weight
``n`` is free (or ``ctx`` is done), ``release(n)`` gives it back, ``try_acquire(n)`` never blocks.
Acquirers are served strictly in arrival order. ``with sem:`` acquires and releases a weight of 1.

Misuse raises ``SyncError`` with Go's panic text "semaphore: released more than held".

Wait reasons: ``acquire`` without a context shows "sync.Semaphore.Acquire", also for a weight
larger than the semaphore (Go, given ``context.Background()``, whose ``Done()`` is nil, shows
"select" and "chan receive (nil chan)": its implementation, not the operation). With a context it
waits as Go does: "select" on the grant and ``ctx.done()``, or "chan receive" on ``ctx.done()``
alone for a weight larger than the semaphore, which only the context can end.
"""

# Design: as in Go, a module above sync, next to errgroup. Without a context an acquire parks in
# the runtime's wait queue (publish, park, undo); with one it queues a ready channel in the same
# FIFO and selects on it and ctx.done(), as Go's does.

from __future__ import annotations

from functools import partial
from typing import Final, Protocol, final

from ._chan import Chan, RecvChan
from ._runtime import G, WaitQueue, current_scheduler, tls
from ._select import recv, select
from .errors import SyncError

__all__ = ["Semaphore"]

_SEM_OVER_RELEASE: Final = "semaphore: released more than held"
_SEM_ACQUIRE: Final = "sync.Semaphore.Acquire"  # kept from when it lived in gochan.sync


class _Context(Protocol):
    """What :meth:`Semaphore.acquire` needs from a context: a :class:`gochan.context.Context` is one.

    ``done()`` returns a channel that is closed when the context is cancelled, or ``None`` for a
    context that can never be cancelled (Go's ``Background().Done()`` is nil); ``err()`` returns
    the exception to raise once ``done()`` is closed.
    """

    def done(self) -> RecvChan[object] | None: ...

    def err(self) -> BaseException | None: ...


@final
class _SemWaiter:
    """One blocked acquire: its weight, and how to wake it (park path: g; select path: ready)."""

    __slots__ = ("n", "g", "ready")

    def __init__(self, n: int, g: G | None, ready: Chan[None] | None) -> None:
        self.n = n
        self.g = g
        self.ready = ready


@final
class Semaphore:
    """A weighted semaphore (Go: ``semaphore.NewWeighted(size)`` from ``golang.org/x/sync``).

    Acquirers are served strictly in arrival order: a large request at the head of the queue
    blocks later small ones even when they would fit, so large requests cannot starve.
    ``with sem:`` acquires and releases a weight of 1.
    """

    __slots__ = ("_size", "_cur", "_waiters")

    _size: int
    _cur: int  # weight currently held (granted to waiters too, before they run): 0 <= _cur <= _size
    _waiters: WaitQueue[_SemWaiter]  # blocked acquires in arrival order; the head's n > _size - _cur

    def __init__(self, size: int) -> None:
        if size < 0:
            raise ValueError(f"semaphore: size {size} is negative; a semaphore's size must be >= 0")
        self._size = size
        self._cur = 0
        self._waiters = WaitQueue()

    def __repr__(self) -> str:
        return f"<Semaphore size={self._size} held={self._cur} waiters={len(self._waiters)}>"

    def acquire(self, n: int = 1, ctx: _Context | None = None) -> None:
        """Acquire weight ``n``, blocking until it is available or ``ctx`` is done.

        Go: ``sem.Acquire(ctx, n)``. On success returns None; if ``ctx`` is done first (or
        already), raises ``ctx.err()`` and acquires nothing. A weight larger than the semaphore's
        size can never be granted: it blocks until ``ctx`` is done — without a context, forever
        (a deadlock if nothing else can run). Wait reasons: see the module docstring.
        """
        _check_weight(n)
        done = ctx.done() if ctx is not None else None
        if done is not None and done.try_recv() is not None:
            raise _ctx_err(ctx)  # Go: a done ctx fails even if the weight is free
        if self._size - self._cur >= n and not self._waiters:
            self._cur += n
            return
        if done is None:
            self._acquire_park(n)
            return
        assert ctx is not None
        if n > self._size:
            done.recv()  # don't make other acquirers queue behind a request that cannot succeed
            raise _ctx_err(ctx)
        self._acquire_select(n, ctx, done)

    def _acquire_park(self, n: int) -> None:
        s = tls.sched or current_scheduler()
        if n > self._size:
            s.park(_SEM_ACQUIRE)  # published nowhere: nothing can ever grant it
            raise AssertionError("unreachable: an oversized acquire was readied")
        # Returns holding n: _notify granted it. Undo: give the grant back; left the queue: if
        # it was the head, smaller requests behind it may fit now.
        self._waiters.park_rec(_SemWaiter(n, s.current, None), _SEM_ACQUIRE, partial(self._ungrant, n), self._notify)

    def _ungrant(self, n: int) -> None:
        """Undo a grant its acquirer never saw (Go: "pretend we didn't and put the tokens back")."""
        self._cur -= n
        self._notify()

    def _acquire_select(self, n: int, ctx: _Context, done: RecvChan[object]) -> None:
        # Go's own acquire: queue a ready channel, select on it and ctx.done(). Published in the
        # same queue as park's records (one FIFO), withdrawn by _cancel.
        ready: Chan[None] = Chan()
        w = _SemWaiter(n, None, ready)
        self._waiters.q.append(w)
        try:
            i, _, _ = select(recv(done), recv(ready))
        except BaseException:
            self._cancel(w)
            raise
        if i == 0:
            self._cancel(w)
            raise _ctx_err(ctx)
        if done.try_recv() is not None:  # granted, but ctx is done too: Go prefers to fail
            self.release(n)
            raise _ctx_err(ctx)

    def _cancel(self, w: _SemWaiter) -> None:
        """Undo a blocked acquire: dequeue ``w``, or give back its weight if it was granted."""
        try:
            self._waiters.q.remove(w)
        except ValueError:
            self._cur -= w.n  # granted after all (Go: "pretend we didn't and put the tokens back")
        self._notify()  # if w was the head, it may have been blocking smaller requests that now fit

    def try_acquire(self, n: int = 1) -> bool:
        """Acquire weight ``n`` if that can be done without blocking (Go: ``sem.TryAcquire(n)``).

        Fails while others are waiting, even if ``n`` would fit: it does not jump the queue.
        """
        _check_weight(n)
        if self._size - self._cur >= n and not self._waiters:
            self._cur += n
            return True
        return False

    def release(self, n: int = 1) -> None:
        """Release weight ``n`` and grant queued acquires that now fit, in order (Go: ``sem.Release(n)``).

        Raises SyncError("semaphore: released more than held") if ``n`` exceeds the weight
        held; nothing is released then.
        """
        _check_weight(n)
        if n > self._cur:
            raise SyncError(_SEM_OVER_RELEASE)
        self._cur -= n
        self._notify()

    def _notify(self) -> None:
        """Grant queued acquires from the head while they fit; stop at the first that does not."""
        q = self._waiters
        while q:
            w = q[0]
            if self._size - self._cur < w.n:
                break  # later, smaller requests wait too: no starving large ones
            q.popleft()
            self._cur += w.n
            if w.ready is not None:
                w.ready.close()
            else:
                assert w.g is not None
                w.g.sched.ready(w.g)

    def __enter__(self) -> None:
        self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _check_weight(n: int) -> None:
    if n < 0:
        raise ValueError(f"semaphore: weight {n} is negative; acquire and release take a weight >= 0")


def _ctx_err(ctx: _Context | None) -> BaseException:
    err = ctx.err() if ctx is not None else None
    if err is None:
        return RuntimeError("semaphore: ctx.done() is closed but ctx.err() is None; a context must report its error")
    return err
