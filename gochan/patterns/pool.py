"""Worker pool: n goroutines ranging over one job channel (Go's work pool).

Go::

    jobs := make(chan Job, queue)
    for w := 0; w < n; w++ {
        go func() { for j := range jobs { j.result <- handle(ctx, j) } }()
    }
    jobs <- job            // submit: blocks until a worker or a queue slot takes it
    close(jobs)            // close: workers drain the queue, then exit

:class:`WorkerPool` is that loop, typed (``WorkerPool[T, R]``: jobs of type ``T``, results of
type ``R``), with a :class:`~gochan.patterns.future.Future` per job for its result or exception,
``try_submit`` (select with default), ``resize`` and ``shutdown(ctx)``. ``queue=0`` makes the
channel unbuffered: a job is accepted only by an idle worker, so it starts as soon as
``submit`` returns. Submission, close, wait and shutdown: see ``_executor``.

Resize. Growing starts workers at once. Shrinking blocks until the pool runs at most ``n``
workers: a worker checks the target before each receive and retires when the pool has too many;
idle workers, parked in that receive, are woken with a *pill* (a value that is not a job), sent
only with ``try_send`` and only while workers are idle — a parked receiver means an empty buffer,
so the pill reaches a worker at once instead of queueing behind jobs. A pill that finds no
surplus (another worker retired first) is ignored. So once ``resize`` returns, at most ``n``
jobs run at once; during a shrink, at most the old number.

Cost per job: one Future, one tuple, one channel hand-off (with idle workers and ``queue=0``,
a direct switch into the worker: Go's ``runnext``), one handler call.

Invariants (between operations):
  _live - _idle workers are running a job (or about to receive)
  _live > _n only while a shrinking resize waits (it returns once _live <= _n)
  a pill is sent only while _idle > 0
"""

from __future__ import annotations

from typing import Final, Generic, TypeVar, final

from gochan import Chan, go
from gochan.context import Context

from ._executor import Executor, Handler, check_workers
from .errors import POOL_CLOSED, PoolClosedError

__all__ = ["WorkerPool"]

T = TypeVar("T")
R = TypeVar("R")

_PILL: Final = object()  # sent to an idle worker so that it looks at the target again


@final
class WorkerPool(Executor[T, R], Generic[T, R]):
    """``workers`` goroutines running ``handler(ctx, job)`` for each submitted job (Go's work pool).

    ``queue`` is the job channel's capacity (0: unbuffered, a job is accepted by an idle worker
    only). ``ctx`` is the parent of the context every handler gets; that context is cancelled
    when a :meth:`shutdown` runs out of time or ``ctx`` is. A handler's Exception goes into its
    job's Future; one nobody reads is reported (see :mod:`gochan.patterns.future`).
    """

    __slots__ = ("_idle", "_retired")

    def __init__(self, workers: int, handler: Handler[T, R], *, queue: int = 0, ctx: Context | None = None) -> None:
        super().__init__(workers, handler, queue, ctx)
        self._idle = 0  # workers inside their receive
        self._retired: Chan[None] | None = None  # a shrinking resize waits here for retirements
        for _ in range(workers):
            self._start()

    def _start(self) -> None:
        self._live += 1
        go(self._work)

    def _work(self) -> None:
        """One worker: receive and run jobs until the channel is closed and drained, or it retires."""
        jobs = self._in
        run = self._run
        while self._live <= self._n:
            self._idle += 1
            item, ok = jobs.recv_ok()
            self._idle -= 1
            if not ok:
                break
            if item is _PILL:
                continue
            run(*item)  # type: ignore[misc]  # not a pill: a (future, job) pair
        else:  # retired by a shrinking resize
            self._exited()
            if self._retired is not None:
                self._retired.try_send(None)
            return
        self._exited()

    def resize(self, workers: int) -> None:
        """Run ``workers`` workers from now on; a shrink returns once the surplus has retired.

        Growing starts workers at once. Shrinking lets each surplus worker finish the job it runs
        (an idle one retires at once), so after this returns at most ``workers`` jobs run at once.
        Raises PoolClosedError after close, ValueError for ``workers < 1``.
        """
        check_workers("resize", workers)
        with self._resize_mu:
            if self._closed:
                raise PoolClosedError(POOL_CLOSED)
            self._n = workers
            while self._live < workers:
                self._start()
            if self._live > workers:
                self._shrink()

    def _shrink(self) -> None:
        surplus = self._live - self._n
        self._retired = done = Chan[None](surplus)
        try:
            for _ in range(min(self._idle, surplus)):
                if not self._in.try_send(_PILL):  # type: ignore[arg-type]  # a pill, never run
                    break  # no parked worker: the busy ones see the target after their job
            while self._live > self._n:
                done.recv()
        finally:
            self._retired = None
