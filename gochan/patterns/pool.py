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
workers: a worker checks the target after each job and retires when the pool has too many; idle
workers, parked in their receive, are woken with *pills* (values that are not jobs), sent with
``try_send`` and only when the queue is empty — so a pill goes straight to a parked worker, or
waits alone at the head of the queue for the next worker to receive. A pill that finds no
surplus (another worker retired first) is ignored; while it waits it holds a queue slot. So
once ``resize`` returns, at most ``n`` jobs run at once; during a shrink, at most the old number.

Cost per job: one Future, one tuple, one channel hand-off (with idle workers and ``queue=0``,
a direct switch into the worker: Go's ``runnext``), one handler call.

Invariants (between operations):
  _live > _n only while a shrinking resize waits (it returns once _live <= _n)
  pills in the queue <= the surplus of the last shrink; a pill is never run
"""

from __future__ import annotations

from typing import Final, Generic, TypeVar, final

from gochan import Chan, go
from gochan.context import Context
from gochan.errors import CanceledError

from ._executor import ABANDONED, Executor, Handler, check_workers
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

    __slots__ = ("_retired",)

    def __init__(self, workers: int, handler: Handler[T, R], *, queue: int = 0, ctx: Context | None = None) -> None:
        super().__init__(workers, handler, queue, ctx)
        self._retired: Chan[None] | None = None  # a shrinking resize waits here for retirements
        for _ in range(workers):
            self._start()

    def _start(self) -> None:
        self._live += 1
        go(self._work)

    def _work(self) -> None:
        """One worker: receive and run jobs until the channel is closed and drained, or it retires.

        The hot loop: ``for`` over the channel (its buffered fast path is inlined in ``Chan``),
        and ``Executor._run`` inlined, with the future's resolution — most of a no-op job's cost.
        """
        if self._live > self._n:  # started, then shrunk before it ran: no pill reaches it
            self._retire()
            return
        handler = self._handler
        ctx = self._ctx
        for item in self._in:
            if item is not _PILL:
                fut, job = item
                del item
                if self._abandon:
                    fut._fail(CanceledError(ABANDONED), report=False)
                    continue
                try:
                    v = handler(ctx, job)
                except Exception as e:  # noqa: BLE001 - the task's error belongs to its future
                    fut._fail(e)
                    del fut  # see Executor._run: no cycle through e's traceback
                else:
                    fut._value = v  # Future._resolve, inlined
                    if fut._done is not None:
                        fut._done.close()
                    del fut  # a parked worker must not keep the last future alive (its report)
            if self._live > self._n:  # a shrinking resize: retire after the job in hand
                self._retire()
                return
        self._exited()

    def _retire(self) -> None:
        self._exited()
        if self._retired is not None:
            self._retired.try_send(None)

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
            if not len(self._in):  # idle workers are parked in their receive: wake them with pills
                for _ in range(surplus):
                    if not self._in.try_send(_PILL):  # type: ignore[arg-type]  # a pill, never run
                        break  # nobody parked and no room: the busy ones see the target after their job
            while self._live > self._n:
                done.recv()
        finally:
            self._retired = None
