"""What WorkerPool and Dispatcher share: submission, close, wait and shutdown over an input channel.

Both take jobs on one input channel (``_in``): ``submit`` is a send (blocking, or a select with
the caller's ``ctx.done()``), ``try_submit`` a select with default (Go's "max capacity reached"
idiom), ``close`` closes the channel, ``wait`` receives from a channel closed by the last worker
to exit. How a job travels from ``_in`` to a worker is each subclass's concept.

Shutdown: ``close``, then wait for the workers to finish, or for ``ctx`` to end: then every job
still queued fails with CanceledError (not reported as unobserved: it never ran) and the context
the running handlers were given is cancelled. ``shutdown`` then raises ``ctx.err()`` at once, as
Go's ``http.Server.Shutdown`` returns it; ``wait()`` tells when the cancelled handlers have returned.

Invariants (between operations):
  _closed                 iff  _in is closed
  _finished is closed     iff  _closed and _live == 0
  _abandon                implies  _closed and the handlers' context is cancelled
  _live >= 1 until close (resize refuses n < 1)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, Generic, TypeVar

from gochan import Chan, ClosedChannelError, recv, select, send
from gochan.context import Context, background, with_cancel
from gochan.errors import CanceledError
from gochan.sync import Mutex

from .errors import POOL_CLOSED, PoolClosedError
from .future import Future

T = TypeVar("T")
R = TypeVar("R")

ABANDONED: Final = "task abandoned: the pool was shut down before the task started"

Handler = Callable[[Context, T], R]
"""A pool's function: ``handler(ctx, job) -> result``; ``ctx`` is cancelled when a shutdown runs out of time."""

Item = tuple[Future[R], T]  # what travels on the input channel


def check_workers(fn: str, n: int) -> int:
    if n.__class__ is not int or n < 1:
        raise ValueError(f"{fn}: workers must be an int >= 1, got {n!r}; use close() to stop every worker")
    return n


class Executor(Generic[T, R]):
    """Submission, close, wait and shutdown over an input channel; subclasses supply the workers."""

    __slots__ = ("__weakref__", "_abandon", "_cancel", "_closed", "_ctx", "_finished", "_handler", "_in",
                 "_live", "_n", "_resize_mu")  # fmt: skip

    _in: Chan[Item[R, T]]

    def __init__(self, workers: int, handler: Handler[T, R], queue: int, ctx: Context | None) -> None:
        self._handler = handler
        self._in = Chan(queue)
        self._ctx, self._cancel = with_cancel(ctx if ctx is not None else background())
        self._n = check_workers(type(self).__name__, workers)  # the target number of workers
        self._live = 0  # workers started and not yet exited
        self._closed = False
        self._abandon = False  # shutdown ran out of time: queued jobs fail instead of running
        self._finished: Chan[None] = Chan()  # closed by the last worker to exit after close
        self._resize_mu = Mutex()  # one resize at a time

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<{type(self).__name__} {state} workers={self._live}/{self._n} queued={len(self._in)}>"

    @property
    def workers(self) -> int:
        """The number of workers the pool is sized for (:meth:`resize` changes it)."""
        return self._n

    def __len__(self) -> int:
        """Jobs accepted and not yet taken by a worker (Go: ``len(jobs)``)."""
        return len(self._in)

    # -- submission ------------------------------------------------------------------------------

    def submit(self, job: T, *, ctx: Context | None = None) -> Future[R]:
        """Hand ``job`` to the pool, blocking until a worker or a queue slot takes it; its Future.

        Go: ``jobs <- job``. With ``ctx``, give up when it is done: raises ``ctx.err()`` and
        the job is not submitted. Raises PoolClosedError("pool has been closed") after close.
        """
        if self._closed:
            raise PoolClosedError(POOL_CLOSED)
        fut: Future[R] = Future()
        try:
            if ctx is None:  # the hot path: one send
                self._in.send((fut, job))
            elif select(send(self._in, (fut, job)), recv(ctx.done()))[0] == 1:
                err = ctx.err()
                assert err is not None
                raise err
        except ClosedChannelError:
            raise PoolClosedError(POOL_CLOSED) from None  # closed while this submit waited
        return fut

    def try_submit(self, job: T) -> Future[R] | None:
        """Hand ``job`` to the pool only if that needs no waiting; its Future, or None if refused.

        Go: ``select { case jobs <- job: return true; default: return false }`` — the "max
        capacity reached" idiom (reply 503 on None). Raises PoolClosedError after close.
        """
        if self._closed:
            raise PoolClosedError(POOL_CLOSED)
        fut: Future[R] = Future()
        return fut if self._in.try_send((fut, job)) else None

    # -- the end -----------------------------------------------------------------------------------

    def close(self) -> None:
        """Accept no more jobs; the queued ones still run, then the workers exit. Closing twice does nothing.

        Go: ``close(jobs)``. A ``submit`` blocked at the time raises PoolClosedError.
        """
        if not self._closed:
            self._closed = True
            self._in.close()

    def wait(self) -> None:
        """Block until the pool is closed and every worker has exited (Go: ``wg.Wait()``).

        Call it after :meth:`close` (or while another goroutine will close the pool).
        """
        self._finished.recv()

    def shutdown(self, ctx: Context) -> None:
        """Close, and let the queued jobs run until ``ctx`` is done; then cancel what is left.

        Returns once every worker has exited. If ``ctx`` ends first: every job still queued fails
        with CanceledError (without running), the context the running handlers were given is
        cancelled, and ``ctx.err()`` is raised at once; :meth:`wait` returns when those handlers
        have returned. Go: ``srv.Shutdown(ctx)``.
        """
        self.close()
        cd = ctx.done()
        if cd is None:
            self.wait()
            return
        if select(recv(self._finished), recv(cd))[0] == 0:
            return
        self._abandon = True
        self._cancel()
        err = ctx.err()
        assert err is not None
        raise err

    # -- what workers share ------------------------------------------------------------------------

    def _run(self, fut: Future[R], job: T) -> None:
        """Run one job in the calling worker and resolve its future (an Exception goes into it)."""
        if self._abandon:
            fut._fail(CanceledError(ABANDONED), report=False)
            return
        try:
            v = self._handler(self._ctx, job)
        except Exception as e:  # noqa: BLE001 - the task's error belongs to its future, not the program
            fut._fail(e)
            del fut  # e's traceback keeps this frame: it must not keep the future too (a cycle delays its report)
        else:
            fut._resolve(v)

    def _exited(self) -> None:
        """A worker is exiting: the last one after close ends the pool."""
        self._live -= 1
        if self._live == 0 and self._closed:
            self._cancel()  # unregister the handlers' context from its parent
            self._finished.close()
