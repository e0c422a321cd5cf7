"""Seed 000 ("Distributed workers in Golang"), code v1: single node, single worker, single goroutine.

One goroutine ranges over the job queue and does each job to the end (``steps`` seconds, printing
the job's command and colour once a second), then acknowledges it. The problem the talk shows: a
newer job for the same command ("changed my mind: BLUE") waits behind the older one, and the
worker cannot scale. Printed (``steps=3``)::

    worker: north-america PURPLE      (t=1s, 2s, 3s)
    worker: ack north-america PURPLE
    worker: north-america BLUE        (t=4s, 5s, 6s)
    worker: ack north-america BLUE

The Go program blocks on ``<-forever`` while RabbitMQ's client keeps it alive; here the queue is
finite, so the consumer closes ``forever`` once ``jobs`` is closed and drained, and main returns.
"""

from __future__ import annotations

from gochan import Chan, go, run, sleep

from ._broker import Job
from ._common import Out, args, say

CONSUMER = "worker"


def dowork(j: Job, out: Out, unit: float, steps: int) -> None:
    for _ in range(steps):
        sleep(1 * unit)
        out(f"{CONSUMER}: {j.body} {j.data}")
    j.ack(out, CONSUMER)


def main(out: Out = print, unit: float = 1.0, steps: int = 100) -> None:
    acks: Chan[Job] = Chan(2)
    jobs: Chan[Job] = Chan()  # the channel attached to the RabbitMQ queue

    def publisher() -> None:  # the job producer: the president, changing his mind
        jobs.send(Job("north-america", "PURPLE", acks))
        sleep(2.5 * unit)
        jobs.send(Job("north-america", "BLUE", acks))
        jobs.close()

    forever: Chan[bool] = Chan()

    def consumer() -> None:
        for j in jobs:
            dowork(j, out, unit, steps)
        forever.close()

    go(publisher)
    go(consumer)
    forever.recv()


if __name__ == "__main__":
    run(main, say, args(__doc__).unit)
