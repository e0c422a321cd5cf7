"""Dispatcher: idle workers register their own job channel; a dispatcher hands each job to one.

Go (the ``chan chan Job`` design)::

    type Worker struct { WorkerPool chan chan Job; JobChannel chan Job }
    func (w Worker) Start() {
        go func() { for {
            w.WorkerPool <- w.JobChannel      // register: "I am idle, here is my channel"
            job := <-w.JobChannel
            job.Do()
        } }()
    }
    func (d *Dispatcher) dispatch() {
        for job := range JobQueue {
            jobChannel := <-d.WorkerPool      // wait for an idle worker
            jobChannel <- job
        }
    }

:class:`Dispatcher` has the public face of :class:`~gochan.patterns.pool.WorkerPool` (``submit``,
``try_submit``, ``close``, ``wait``, ``shutdown``, ``resize``), so the two designs can be swapped
and measured side by side. It costs more per job — two hand-offs through the dispatcher goroutine
instead of one — and buys a place where jobs can be routed (to a chosen worker, by priority)
before a worker is picked. With ``queue=0`` a job is accepted when the dispatcher takes it, not
when a worker does: at most one job more than the workers is in flight.

Resize: growing starts workers; shrinking takes idle workers' channels from the registry and
closes them (the worker exits), blocking until enough workers are idle — a busy worker is never
interrupted, and a retired worker was idle, so at most ``n`` jobs run at once from then on.
Close: the dispatcher drains the job queue, then closes every registered worker's channel.

Invariants (between operations):
  _alive == workers not yet told to quit (their channel not closed) == _live - exiting ones
  len(_registry) <= _alive: a worker is in the registry only while idle
  a job is sent only on a channel taken from the registry, whose worker is parked receiving on it
"""

from __future__ import annotations

from typing import Final, Generic, TypeVar, final

from gochan import Chan, go
from gochan.context import Context

from ._executor import Executor, Handler, Item, check_workers
from .errors import POOL_CLOSED, PoolClosedError

__all__ = ["Dispatcher"]

T = TypeVar("T")
R = TypeVar("R")

_REGISTRY_CAP: Final = 1 << 48  # every worker registers without blocking (Go sizes it maxWorkers)


@final
class Dispatcher(Executor[T, R], Generic[T, R]):
    """A dispatcher goroutine handing each job to an idle worker's own channel (Go: ``chan chan Job``).

    Same arguments and methods as :class:`~gochan.patterns.pool.WorkerPool`.
    """

    __slots__ = ("_alive", "_registry")

    def __init__(self, workers: int, handler: Handler[T, R], *, queue: int = 0, ctx: Context | None = None) -> None:
        super().__init__(workers, handler, queue, ctx)
        self._registry: Chan[Chan[Item[R, T]]] = Chan(_REGISTRY_CAP)  # Go: WorkerPool chan chan Job
        self._alive = 0
        for _ in range(workers):
            self._start()
        go(self._dispatch)

    def _start(self) -> None:
        self._live += 1
        self._alive += 1
        ch: Chan[Item[R, T]] = Chan()
        go(self._work, ch)

    def _work(self, jobs: Chan[Item[R, T]]) -> None:
        """One worker: register as idle, take one job from its own channel, run it; until closed."""
        registry = self._registry
        run = self._run
        while True:
            registry.send(jobs)  # never blocks: the registry holds every worker
            match jobs.recv_ok():
                case (item, True):
                    run(*item)
                case _:
                    break
        self._exited()

    def _idle_worker(self) -> Chan[Item[R, T]]:
        ch, _ = self._registry.recv_ok()  # the registry is never closed
        assert ch is not None
        return ch

    def _dispatch(self) -> None:
        """The dispatcher: each job to an idle worker; after close and drain, dismiss every worker."""
        for item in self._in:
            self._idle_worker().send(item)
        while self._alive > 0:
            self._alive -= 1  # before blocking: a concurrent resize then counts it gone
            self._idle_worker().close()

    def resize(self, workers: int) -> None:
        """Run ``workers`` workers from now on; a shrink returns once enough workers were idle to dismiss.

        Raises PoolClosedError after close, ValueError for ``workers < 1``.
        """
        check_workers("resize", workers)
        with self._resize_mu:
            if self._closed:
                raise PoolClosedError(POOL_CLOSED)
            self._n = workers
            while self._alive < workers:
                self._start()
            while self._alive > workers:
                self._alive -= 1  # before blocking, as in _dispatch
                self._idle_worker().close()
