"""Seed 001 ("Job Queue in Golang", Bo-Yi Wu), slides 10-12 and 25-26: a job channel, Enqueue, a cancel channel.

- ``jobChan := make(chan Job, 1024)`` and one worker ranging over it.
- ``Enqueue``: a ``select`` with a ``default`` never blocks; it returns false when the buffer is
  full, and the HTTP handler answers ``503 Service Unavailable`` "max capacity reached". The
  handler is shown as a function returning ``(status, body)``; no server is needed to see it.
- "Canceling workers without context": a worker selects on its job channel and a cancel channel;
  closing the cancel channel stops it.

Printed::

    1024 jobs accepted
    job 1025: 503 max capacity reached
    worker processed 1024 jobs
    worker: job 1
    worker: job 2
    worker: job 3
    worker: cancelled
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus

from gochan import Chan, RecvChan, SendChan, go, recv, run, select, send

from ._common import Out, args, say

QUEUE_SIZE = 1024


@dataclass(frozen=True)
class Job:
    id: int


def enqueue(job: Job, job_chan: SendChan[Job]) -> bool:
    """Queue ``job`` if there is room; never block (Go: ``select { case jobChan <- job: ... default: }``)."""
    match select(send(job_chan, job), default=True):
        case (0, _, _):
            return True
        case _:
            return False


def submit(job: Job, job_chan: SendChan[Job]) -> tuple[int, str]:
    """The HTTP handler's answer: 202 when queued, 503 "max capacity reached" when the queue is full."""
    if not enqueue(job, job_chan):
        return HTTPStatus.SERVICE_UNAVAILABLE, "max capacity reached"
    return HTTPStatus.ACCEPTED, "accepted"


def worker(job_chan: RecvChan[Job], processed: list[Job]) -> None:
    for job in job_chan:
        processed.append(job)  # process(job)


def cancellable_worker(job_chan: RecvChan[Job], cancel_chan: RecvChan[None], out: Out) -> None:
    while True:
        match select(recv(cancel_chan), recv(job_chan)):
            case (0, _, _):
                out("worker: cancelled")
                return
            case (1, job, True):
                out(f"worker: job {job.id}")


def main(out: Out = print) -> None:
    # make a channel with a capacity of 1024; no worker yet, so the 1025th job finds it full.
    job_chan: Chan[Job] = Chan(QUEUE_SIZE)
    answers = [submit(Job(i), job_chan) for i in range(1, QUEUE_SIZE + 2)]
    out(f"{sum(status == HTTPStatus.ACCEPTED for status, _ in answers)} jobs accepted")
    for i, (status, body) in enumerate(answers, 1):
        if status != HTTPStatus.ACCEPTED:
            out(f"job {i}: {status:d} {body}")

    # start the worker; closing the channel lets it drain the queue and return.
    processed: list[Job] = []
    finished: Chan[None] = Chan()

    def run_worker() -> None:
        worker(job_chan, processed)
        finished.close()

    go(run_worker)
    job_chan.close()
    finished.recv()
    out(f"worker processed {len(processed)} jobs")

    # Canceling workers without context: close the cancel channel.
    jobs: Chan[Job] = Chan()  # unbuffered: each send returns once the worker has the job
    cancel_chan: Chan[None] = Chan()
    stopped: Chan[None] = Chan()

    def run_cancellable() -> None:
        cancellable_worker(jobs, cancel_chan, out)
        stopped.close()

    go(run_cancellable)
    for i in range(1, 4):
        jobs.send(Job(i))
    cancel_chan.close()  # to cancel the worker, close the cancel channel
    stopped.recv()


if __name__ == "__main__":
    args(__doc__, unit=False)
    run(main, say)
