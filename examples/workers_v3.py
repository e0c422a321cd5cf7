"""Seed 000 ("Distributed workers in Golang"), code v3: multiple workers, many job goroutines each.

Each worker's loop keeps ``runningRoutines``: command → the stop channel of the goroutine running
it. A job for command ``cmd`` is announced on the cancel broadcast; if this worker already runs
``cmd``, that goroutine is stopped by closing its channel ("cancelled same job in same machine");
then a new goroutine runs the job. A cancel from *another* worker for a command this one runs
closes that goroutine's channel ("another machine runs the newer job"). A goroutine that finishes
reports on ``doneChan``. Jobs for different commands run side by side (v2's limit, lifted).

The scenario (``steps=5``; the times never coincide, so the printed order is fixed by the clock):

====  ==========================  ===========================================================
t     delivered                   effect
====  ==========================  ===========================================================
0     worker-A: T1 PURPLE         A runs T1 (prints at 1, 2, 3)
0.5   worker-A: T2 RED            A runs T2 beside T1 (prints at 1.5, 2.5, 3.5, 4.5, 5.5)
2.2   worker-B: T1 BLUE           B's broadcast stops A's T1 (it acks at 3, after its step)
4.7   worker-A: T2 GREEN          A stops its own T2 (acks at 5.5) and runs the new one
====  ==========================  ===========================================================

B's T1 prints at 3.2 ... 7.2 and A's new T2 at 5.7 ... 9.7, each then acks. Every command's
newest job runs to the end; every older one stops at its next step.

Adapted from the slides: the worker's ``doneChan`` carries the finished goroutine's stop channel
with its command, and the loop forgets the command only if that channel is still the one running
it. The slide sends the bare command and then closes ``runningRoutines[cmd]``: when a job
finishes just as a newer job for the same command starts, that closes the *newer* job's channel,
and when a cancel has already deleted the entry it closes a nil channel (a panic). The talk's loop
runs forever; here main cancels a context once every job is acknowledged.
"""

from __future__ import annotations

from gochan import Chan, RecvChan, go, recv, run, select, sleep
from gochan import context as gocontext
from gochan.sync import WaitGroup

from ._broker import Broadcaster, CancelJob, Job
from ._common import Out, args, say

Done = tuple[str, Chan[bool]]  # (command, the stop channel of the goroutine that ran it)


class Worker:
    """One node: its job queue, its cancel subscription, and the loop of the slide's ``main``."""

    def __init__(self, consumer_id: str, bus: Broadcaster, out: Out, unit: float, steps: int) -> None:
        self.consumer_id = consumer_id
        self.jobs: Chan[Job] = Chan()  # the channel attached to this node's RabbitMQ queue
        self.cancel_jobs = bus.subscribe()  # the channel attached to the pub/sub exchange
        self.cancel_broadcaster = bus
        self.out, self.unit, self.steps = out, unit, steps

    def run(self, quit: RecvChan[None] | None) -> None:
        running_routines: dict[str, Chan[bool]] = {}
        done_chan: Chan[Done] = Chan()
        while True:
            match select(recv(done_chan), recv(self.jobs), recv(self.cancel_jobs), recv(quit)):
                case (0, (cmd, stop), True):
                    if running_routines.get(cmd) is stop:  # see the module docstring
                        stop.close()
                        del running_routines[cmd]
                case (1, j, True):
                    cmd = j.body
                    self.cancel_broadcaster.publish(CancelJob(cmd, self.consumer_id))
                    if (stop_chan := running_routines.get(cmd)) is not None:
                        # Cancelled same job in same machine
                        self.out(f"{self.consumer_id}: stop {cmd} (a newer {cmd} job arrived)")
                        stop_chan.close()
                    running_routines[cmd] = Chan()
                    go(self.dowork, j, running_routines[cmd], done_chan)
                case (2, cj, True):
                    if cj.consumer_id != self.consumer_id and (stop_chan := running_routines.get(cj.command)):
                        # Going to cancel the routine (the new job runs on another machine)
                        self.out(f"{self.consumer_id}: stop {cj.command} ({cj.consumer_id} runs it now)")
                        stop_chan.close()
                        del running_routines[cj.command]
                case _:
                    for stop_chan in running_routines.values():
                        stop_chan.close()
                    return  # the demo is over (Go's loop runs forever)

    def dowork(self, j: Job, stop_chan: Chan[bool], done_chan: Chan[Done]) -> None:
        counter = 0
        while True:  # dowork: for { select { ... } }
            match select(recv(stop_chan), default=True):
                case (0, _, more):
                    if not more:
                        break  # break dowork
                case _:
                    if counter < self.steps:
                        counter += 1
                        sleep(1 * self.unit)
                        self.out(f"{self.consumer_id}: {j.body} {j.data}")
                    else:
                        done_chan.send((j.body, stop_chan))
                        break
        j.ack(self.out, self.consumer_id)


def main(out: Out = print, unit: float = 1.0, steps: int = 100) -> None:
    bus = Broadcaster()
    a = Worker("worker-A", bus, out, unit, steps)
    b = Worker("worker-B", bus, out, unit, steps)
    acks: Chan[Job] = Chan(4)
    deliveries = [  # (when, to whom, what)
        (0.0, a, Job("T1", "PURPLE", acks)),
        (0.5, a, Job("T2", "RED", acks)),
        (2.2, b, Job("T1", "BLUE", acks)),
        (4.7, a, Job("T2", "GREEN", acks)),
    ]
    with gocontext.with_cancel(gocontext.background()) as (ctx, cancel):
        wg = WaitGroup()
        wg.go(a.run, ctx.done())
        wg.go(b.run, ctx.done())
        t = 0.0
        for when, w, job in deliveries:
            sleep((when - t) * unit)
            t = when
            w.jobs.send(job)
        for _ in deliveries:
            acks.recv()
        cancel()
        wg.wait()


if __name__ == "__main__":
    run(main, say, args(__doc__).unit)
