"""Seeds 001 and 003 (Bo-Yi Wu), "How to cancel the current job?": close the subscriber, poll as a fallback.

The server side keeps, under a mutex, ``cancelled`` (job id → when the record expires, five
minutes on) and ``subscribers`` (a channel per agent watching a job). Cancelling job ``id`` records
it and closes every subscriber channel watching ``id``: the close is the broadcast. An agent's
``Watch`` selects on its context, its subscriber channel and ``time.After(time.Minute)``; every
minute it also looks at ``cancelled``, which catches a cancel it missed (made before it
subscribed). The runner gives each job ``ctx, cancel := context.WithCancel(...)`` and
``context.WithTimeout(ctx, 60*time.Minute)``, and a goroutine that calls ``cancel()`` when
``Watch`` reports the job cancelled.

Four jobs, started together (times in Go seconds; every event falls at a different instant)::

    job 2: cancel requested (nobody watching yet)          t=0s
    job 1: cancel requested                                t=10s
    job 1: cancelled after 10s (context canceled)          the close of its subscriber channel
    job 2: cancelled after 90s (context canceled)          its agent subscribed at 30s; the poll at 90s
    job 3: finished after 1200s                            20 minutes of work
    job 4: timed out after 3600s (context deadline exceeded)
"""

from __future__ import annotations

from gochan import Chan, after, go, now, recv, run, select, since, sleep
from gochan import context as gocontext
from gochan.context import Context
from gochan.sync import Mutex, WaitGroup

from ._common import Out, args, say

MINUTE = 60.0


class Manager:
    """The server's side: the cancelled set and the subscribers (the slide's ``c``)."""

    def __init__(self, unit: float) -> None:
        self.mu = Mutex()
        self.cancelled: dict[int, float] = {}  # id -> when the record may be forgotten
        self.subscribers: dict[Chan[None], int] = {}  # subscriber channel -> the job it watches
        self.unit = unit

    def cancel(self, id: int) -> None:
        """User cancel running job: record it, and close every subscriber watching it."""
        with self.mu:
            self.cancelled[id] = now() + 5 * MINUTE * self.unit
            for subscriber, build in self.subscribers.items():
                if id == build:
                    subscriber.close()

    def watch(self, ctx: Context, id: int) -> tuple[bool, BaseException | None]:
        """Agent subscribe the cancel event: (True, None) once job ``id`` is cancelled."""
        subscriber: Chan[None] = Chan()
        with self.mu:
            self.subscribers[subscriber] = id
        try:
            while True:
                match select(recv(ctx.done()), recv(after(MINUTE * self.unit)), recv(subscriber)):
                    case (0, _, _):
                        return False, ctx.err()
                    case (1, _, _):
                        with self.mu:
                            ok = id in self.cancelled
                        if ok:
                            return True, None
                    case (2, _, _):
                        return True, None
        finally:
            with self.mu:
                del self.subscribers[subscriber]


def run_job(m: Manager, id: int, work: float, watch_from: float, out: Out) -> None:
    """The runner: a job under WithCancel + WithTimeout(60 min), its agent watching for a cancel."""
    start = now()
    unit = m.unit
    with (  # defer cancel(), twice
        gocontext.with_cancel(gocontext.background()) as (ctx, cancel),
        gocontext.with_timeout(ctx, 60 * MINUTE * unit) as (timeout, _),
    ):

        def agent() -> None:  # Watch the cancel event
            sleep(watch_from * unit)
            done, _ = m.watch(ctx, id)
            if done:
                cancel()

        go(agent)
        match select(recv(timeout.done()), recv(after(work * unit))):
            case (0, _, _):
                verb = "timed out" if timeout.err() is gocontext.DEADLINE_EXCEEDED else "cancelled"
                out(f"job {id}: {verb} after {since(start) / unit:.0f}s ({timeout.err()})")
            case _:
                out(f"job {id}: finished after {since(start) / unit:.0f}s")


def main(out: Out = print, unit: float = 1.0) -> None:
    m = Manager(unit)
    wg = WaitGroup()
    # (id, seconds of work, when its agent starts watching)
    for id, work, watch_from in [(1, 1800.0, 0.0), (2, 1800.0, 30.0), (3, 1200.0, 0.0), (4, 5400.0, 0.0)]:
        wg.go(run_job, m, id, work, watch_from, out)
    out("job 2: cancel requested (nobody watching yet)")
    m.cancel(2)
    sleep(10 * unit)
    out("job 1: cancel requested")
    m.cancel(1)
    wg.wait()


if __name__ == "__main__":
    run(main, say, args(__doc__).unit)
