"""Seeds 001 and 003 (Bo-Yi Wu), "Shutdown with SIGTERM handling" and "Graceful shutdown with worker".

The consumer of ``jobqueue_consumer`` grown into a service that stops cleanly:

- ``WithContextFunc(ctx, f)``: a context cancelled when SIGINT or SIGTERM arrives, after which
  ``f`` runs (the later slide's order: ``cancel()`` first, then ``f()``, which waits for the
  workers). Built here on ``gochan.signal.notify_context`` (Go 1.16's ``signal.NotifyContext``,
  which is what the slide's ``signal.Notify`` + ``select`` + ``signal.Stop`` became).
- ``startConsumer`` forwards ``inputChan`` to ``jobsChan`` and closes ``jobsChan`` on
  ``ctx.Done()``; the workers ``range`` over ``jobsChan``, so they finish every job already in it
  (a closed channel can still be read until drained), then call ``wg.Done()``.
- ``f`` waits on the WaitGroup and closes ``finished``; main ends on
  ``select { case <-finished: case err := <-errChannel: }``.

A producer offers job 1, 2, 3, ... every quarter second with the non-blocking ``queue``; a worker
takes a second per job, so the queue fills and refuses some ("max capacity reached"). Send SIGINT
(Ctrl-C) or SIGTERM to stop it::

    python -m examples.jobqueue_shutdown            # Ctrl-C after a few lines
    worker: 0  job value: 1
    ...
    received signal: shutting down, waiting for the workers
    worker: 1  job value: 7
    shutdown complete: 7 jobs done, 1 accepted but not started

``select`` picks among ready cases at random (the slide: "select does not guarantee the order in
which channels are read"), so a job accepted into ``inputChan`` when the context ends may never
reach a worker: it stays in ``inputChan``, or ``startConsumer`` takes it, sees ``ctx.Err()`` and
drops it. The program counts them.
"""

from __future__ import annotations

import signal
from collections.abc import Callable

from gochan import Chan, after, go, recv, run, select, send, sleep
from gochan import context as gocontext
from gochan import signal as gosignal
from gochan.context import Context
from gochan.sync import WaitGroup

from ._common import Out, args, say

POOL_SIZE = 2
WORKER_SIZE = 2


def with_context_func(ctx: Context, f: Callable[[], None]) -> Context:
    """A child of ``ctx`` cancelled on SIGINT or SIGTERM, after which ``f()`` runs (the slide's ``WithContextFunc``)."""
    sig_ctx, stop = gosignal.notify_context(ctx, signal.SIGINT, signal.SIGTERM)

    def watch() -> None:
        done = sig_ctx.done()
        assert done is not None  # a notify_context can always be cancelled
        done.recv()
        stop()  # defer signal.Stop(c)
        if ctx.err() is None:  # a signal, not the parent, ended it
            f()

    go(watch)
    return sig_ctx


class Consumer:
    def __init__(self, out: Out, unit: float) -> None:
        self.input_chan: Chan[int] = Chan(1)
        self.jobs_chan: Chan[int] = Chan(POOL_SIZE)
        self.out, self.unit = out, unit
        self.done: list[int] = []
        self.dropped: list[int] = []

    def queue(self, input: int) -> bool:
        """Offer a job without blocking: false means "max capacity reached" (HTTP 503)."""
        match select(send(self.input_chan, input), default=True):
            case (0, _, _):
                return True
            case _:
                return False

    def start_consumer(self, ctx: Context) -> None:
        while True:
            match select(recv(self.input_chan), recv(ctx.done())):
                case (0, job, True):
                    if ctx.err() is not None:
                        self.dropped.append(job)  # taken from inputChan, never handed on
                        self.jobs_chan.close()
                        return
                    self.jobs_chan.send(job)
                case _:
                    self.jobs_chan.close()
                    return

    def worker(self, num: int, wg: WaitGroup) -> None:
        try:  # defer wg.Done()
            for job in self.jobs_chan:
                sleep(1 * self.unit)  # handle the job event
                self.done.append(job)
                self.out(f"worker: {num}  job value: {job}")
        finally:
            wg.done()


def main(out: Out = print, unit: float = 1.0) -> list[int]:
    """Run until SIGINT or SIGTERM; return the jobs done, in the order they finished."""
    finished: Chan[None] = Chan()
    wg = WaitGroup()
    wg.add(WORKER_SIZE)

    def shutdown() -> None:
        out("received signal: shutting down, waiting for the workers")
        wg.wait()
        finished.close()

    consumer = Consumer(out, unit)
    ctx = with_context_func(gocontext.background(), shutdown)
    go(consumer.start_consumer, ctx)
    for i in range(WORKER_SIZE):
        go(consumer.worker, i, wg)

    def producer() -> None:
        i = 0
        while ctx.err() is None:
            i += 1
            if not consumer.queue(i):
                out(f"queue: job {i} refused: max capacity reached")
            select(recv(ctx.done()), recv(after(0.25 * unit)))

    go(producer)
    err_channel: Chan[BaseException] = Chan()  # nothing reports errors in this demo
    match select(recv(finished), recv(err_channel)):
        case (1, err, True):
            raise err
        case _:
            pass
    left = len(consumer.input_chan) + len(consumer.dropped)
    out(f"shutdown complete: {len(consumer.done)} jobs done, {left} accepted but not started")
    return consumer.done


if __name__ == "__main__":
    run(main, say, args(__doc__).unit)
