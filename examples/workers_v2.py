"""Seed 000 ("Distributed workers in Golang"), code v2: multiple workers, one job goroutine each.

Each worker (a node of the talk) runs one loop goroutine: a job from its queue is announced on the
cancel broadcast (``CancelJob{cmd, consumerID}``) and started in a goroutine holding the one-slot
semaphore ``sem``; a cancel from *another* worker for the command this worker runs closes
``stopChan``, which stops the running ``dowork`` (closing a channel is a broadcast: every
receiver sees it), and a fresh ``stopChan`` is made for the next job.

The scenario: worker-A gets "north-america: PURPLE" at t=0; at t=2.5s worker-B gets the newer
"north-america: BLUE", and its broadcast stops worker-A, which finishes the step in progress (its
select runs between steps) and acknowledges. Printed (``steps=5``)::

    worker-A: north-america PURPLE             t=1s, 2s
    worker-A: stop north-america (worker-B runs it now)      t=2.5s
    worker-A: north-america PURPLE             t=3s
    worker-A: ack north-america PURPLE
    worker-B: north-america BLUE               t=3.5s ... 7.5s
    worker-B: ack north-america BLUE

Adapted from the slide: its ``dowork`` has no ``else`` after ``counter < 100``, so a finished job
spins in ``select``/``default`` until stopped (in Go, a CPU burnt; with no preemption here, a hung
scheduler); it stops when done, as v3's does. The talk's worker loop runs forever; here main
cancels a context once both jobs are acknowledged, and the loops return. v2's limit, which v3
lifts: ``sem <- true`` holds the loop while a job runs, so a worker does one job at a time.
"""

from __future__ import annotations

from gochan import Chan, RecvChan, go, recv, run, select, sleep
from gochan import context as gocontext
from gochan.sync import WaitGroup

from ._broker import Broadcaster, CancelJob, Job
from ._common import Out, args, say


def dowork(j: Job, stop_chan: Chan[bool], sem: Chan[bool], w: Worker) -> None:
    counter = 0
    while True:  # dowork: for { select { ... } }
        match select(recv(stop_chan), default=True):
            case (0, _, more):
                if not more:
                    break  # break dowork
            case _:
                if counter < w.steps:
                    counter += 1
                    sleep(1 * w.unit)
                    w.out(f"{w.consumer_id}: {j.body} {j.data}")
                else:
                    break  # the slide spins here; see the module docstring
    j.ack(w.out, w.consumer_id)
    sem.recv()


class Worker:
    """One node: its job queue, its cancel subscription, and the loop of the slide's ``main``."""

    def __init__(self, consumer_id: str, bus: Broadcaster, out: Out, unit: float, steps: int) -> None:
        self.consumer_id = consumer_id
        self.jobs: Chan[Job] = Chan()  # the channel attached to this node's RabbitMQ queue
        self.cancel_jobs = bus.subscribe()  # the channel attached to the pub/sub exchange
        self.cancel_broadcaster = bus
        self.out, self.unit, self.steps = out, unit, steps

    def run(self, done: RecvChan[None] | None) -> None:
        stop_chan: Chan[bool] = Chan()
        sem: Chan[bool] = Chan(1)
        current_command = ""
        while True:
            match select(recv(self.jobs), recv(self.cancel_jobs), recv(done)):
                case (0, j, True):
                    cmd = j.body
                    current_command = cmd
                    self.cancel_broadcaster.publish(CancelJob(cmd, self.consumer_id))
                    sem.send(True)
                    go(dowork, j, stop_chan, sem, self)
                case (1, cj, True):
                    if cj.consumer_id != self.consumer_id and cj.command == current_command:
                        # Stop (another worker is going to do it)
                        self.out(f"{self.consumer_id}: stop {cj.command} ({cj.consumer_id} runs it now)")
                        stop_chan.close()
                        stop_chan = Chan()
                case _:
                    return  # the demo is over (Go's loop runs forever)


def main(out: Out = print, unit: float = 1.0, steps: int = 100) -> None:
    bus = Broadcaster()
    a = Worker("worker-A", bus, out, unit, steps)
    b = Worker("worker-B", bus, out, unit, steps)
    acks: Chan[Job] = Chan(2)
    with gocontext.with_cancel(gocontext.background()) as (ctx, cancel):
        wg = WaitGroup()
        wg.go(a.run, ctx.done())
        wg.go(b.run, ctx.done())
        a.jobs.send(Job("north-america", "PURPLE", acks))
        sleep(2.5 * unit)  # "Changed my mind. I want everybody in North America to wear BLUE."
        b.jobs.send(Job("north-america", "BLUE", acks))
        for _ in range(2):
            acks.recv()
        cancel()
        wg.wait()


if __name__ == "__main__":
    run(main, say, args(__doc__).unit)
