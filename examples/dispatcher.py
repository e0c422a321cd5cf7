"""Seed 004 ("Go Concurrency 实战"), 另一种worker的写法: a dispatcher and a ``WorkerPool chan chan Job``.

Two levels of channels: jobs go on the buffered ``JobQueue``; each idle ``Worker`` registers its
own ``JobChannel`` in the dispatcher's ``WorkerPool`` (a channel of job channels), then waits for a
job or ``quit``. The dispatcher takes each job from ``JobQueue`` and, in a goroutine, takes an idle
worker's channel from the pool (blocking until one is idle) and hands the job over. Here the
payload's ``UploadToS3`` is a one-second sleep. Main queues 20 jobs for 4 workers, waits for all
20 uploads, then stops the dispatcher and its workers. Printed (the order is the scheduler's)::

    worker 3: uploaded payload 0
    ...
    20 payloads uploaded by 4 workers

Adapted from the article: its ``Dispatcher`` uses ``d.maxWorkers`` and ``d.pool`` without
declaring them (it does not compile); here the dispatcher keeps ``max_workers`` and passes
``WorkerPool`` to the workers. ``MaxWorker``/``MaxQueue`` come from the environment in the
article and are arguments here; ``JobQueue`` belongs to the dispatcher instead of a global. The
article's dispatcher loops forever; this one also stops on ``quit`` (and ``Stop``s its workers).
"""

from __future__ import annotations

from dataclasses import dataclass

from gochan import Chan, go, recv, run, select, sleep
from gochan.sync import WaitGroup

from ._common import Out, args, say


@dataclass(frozen=True)
class Payload:
    id: int

    def upload_to_s3(self, worker: int, out: Out, unit: float) -> None:
        sleep(1 * unit)
        out(f"worker {worker}: uploaded payload {self.id}")


@dataclass(frozen=True)
class Job:
    """The job to be run."""

    payload: Payload
    done: WaitGroup


class Worker:
    """Executes the job; listens on a quit channel in case it must stop."""

    def __init__(self, id: int, worker_pool: Chan[Chan[Job]], out: Out, unit: float) -> None:
        self.id = id
        self.worker_pool = worker_pool
        self.job_channel: Chan[Job] = Chan()
        self.quit: Chan[bool] = Chan()
        self.out, self.unit = out, unit

    def start(self) -> None:
        def loop() -> None:
            while True:
                self.worker_pool.send(self.job_channel)  # register this worker in the pool
                match select(recv(self.job_channel), recv(self.quit)):
                    case (0, job, True):  # we have received a work request
                        job.payload.upload_to_s3(self.id, self.out, self.unit)
                        job.done.done()
                    case _:  # we have received a signal to stop
                        return

        go(loop)

    def stop(self) -> None:
        """Signal the worker to stop listening for work requests."""
        go(self.quit.send, True)


class Dispatcher:
    def __init__(self, max_workers: int, max_queue: int, out: Out, unit: float) -> None:
        self.worker_pool: Chan[Chan[Job]] = Chan(max_workers)  # the workers' channels
        self.job_queue: Chan[Job] = Chan(max_queue)  # a buffered channel to send work requests on
        self.max_workers = max_workers
        self.workers: list[Worker] = []
        self.quit: Chan[None] = Chan()
        self.out, self.unit = out, unit

    def run(self) -> None:
        for i in range(self.max_workers):  # start n workers
            worker = Worker(i, self.worker_pool, self.out, self.unit)
            worker.start()
            self.workers.append(worker)
        go(self.dispatch)

    def dispatch(self) -> None:
        while True:
            match select(recv(self.job_queue), recv(self.quit)):
                case (0, job, True):  # a job request has been received

                    def hand_over(job: Job) -> None:
                        job_channel = self.worker_pool.recv()  # blocks until a worker is idle
                        assert job_channel is not None
                        job_channel.send(job)  # dispatch the job to the worker's job channel

                    go(hand_over, job)
                case _:
                    for w in self.workers:
                        w.stop()
                    return

    def stop(self) -> None:
        self.quit.close()


def main(out: Out = print, unit: float = 1.0, jobs: int = 20, max_workers: int = 4) -> None:
    d = Dispatcher(max_workers, max_queue=100, out=out, unit=unit)
    d.run()
    wg = WaitGroup()
    for i in range(jobs):
        wg.add(1)
        d.job_queue.send(Job(Payload(i), wg))  # JobQueue <- work
    wg.wait()
    out(f"{jobs} payloads uploaded by {max_workers} workers")
    d.stop()


if __name__ == "__main__":
    run(main, say, args(__doc__).unit)
