"""Seed 003 ("Building a multi-machine scale architecture in Go", Bo-Yi Wu): limiting concurrency.

``jobCount = 100``, ``concurrencyProcesses = 10``; each job sends its value on ``found`` (here it
also works for a second first, so that jobs overlap). Three versions, each printing the most jobs
it saw running at once:

- ``limit_ch``: ``limitCh := make(chan struct{}, 10)``; main sends a token *before* starting each
  job goroutine and the job takes it back when done, so main blocks while ten jobs hold tokens.
  Max concurrency: 10.
- ``limit_ch_in_goroutine``: the slide's "cannot limit concurrency" (無法解決 Limit Concurrency):
  the token send moves into its own goroutine, ``go func() { limitCh <- struct{}{} }()``. Main no
  longer waits for anything, all 100 jobs start at once, and the blocked token senders only
  delay the jobs' *release* of a token. Max concurrency: 100.
- ``queue_workers``: a producer goroutine feeds an unbuffered ``queue`` and ten workers range over
  it. Max concurrency: 10.

Printed::

    limitCh: 100 jobs, max concurrency 10
    limitCh send in a goroutine: 100 jobs, max concurrency 100
    queue + 10 workers: 100 jobs, max concurrency 10

Adapted from the slide: the queue version's workers write ``defer wg.Done()`` inside the ``for``
loop, which in Go runs only when the worker returns; here each job calls ``wg.done()`` as it ends.
"""

from __future__ import annotations

from gochan import Chan, go, run, sleep
from gochan.sync import WaitGroup

from ._common import Out, args, say

JOB_COUNT = 100
CONCURRENCY_PROCESSES = 10


class Meter:
    """Counts jobs running now and the most seen at once (one scheduler: no lock needed)."""

    def __init__(self) -> None:
        self.running = 0
        self.max = 0

    def work(self, unit: float) -> None:
        self.running += 1
        self.max = max(self.max, self.running)
        sleep(1 * unit)
        self.running -= 1


def collector(found: Chan[int]) -> tuple[list[int], Chan[None]]:
    """Receive from ``found`` in a goroutine until it is closed; the second value is closed then."""
    got: list[int] = []
    collected: Chan[None] = Chan()

    def receive() -> None:
        got.extend(found)
        collected.close()

    go(receive)
    return got, collected


def finish(found: Chan[int], wg: WaitGroup, collected: Chan[None]) -> None:
    wg.wait()
    found.close()
    collected.recv()


def limit_ch(unit: float = 1.0) -> tuple[list[int], int]:
    meter = Meter()
    found: Chan[int] = Chan()
    limit_ch: Chan[None] = Chan(CONCURRENCY_PROCESSES)
    wg = WaitGroup()

    got, collected = collector(found)
    for i in range(JOB_COUNT):
        wg.add(1)
        limit_ch.send(None)  # blocks while ten jobs hold a token

        def job(val: int) -> None:
            try:
                meter.work(unit)
                found.send(val)
            finally:  # defer func() { wg.Done(); <-limitCh }()
                wg.done()
                limit_ch.recv()

        go(job, i)
    finish(found, wg, collected)
    return got, meter.max


def limit_ch_in_goroutine(unit: float = 1.0) -> tuple[list[int], int]:
    meter = Meter()
    found: Chan[int] = Chan()
    limit_ch: Chan[None] = Chan(CONCURRENCY_PROCESSES)
    wg = WaitGroup()
    got, collected = collector(found)
    for i in range(JOB_COUNT):
        wg.add(1)
        go(lambda: limit_ch.send(None))  # the send no longer holds main back

        def job(val: int) -> None:
            try:
                meter.work(unit)
                found.send(val)
            finally:  # defer func() { <-limitCh; wg.Done() }()
                limit_ch.recv()
                wg.done()

        go(job, i)
    finish(found, wg, collected)
    return got, meter.max


def queue_workers(unit: float = 1.0) -> tuple[list[int], int]:
    meter = Meter()
    found: Chan[int] = Chan()
    queue: Chan[int] = Chan()
    wg = WaitGroup()
    wg.add(JOB_COUNT)

    def producer() -> None:
        for i in range(JOB_COUNT):
            queue.send(i)
        queue.close()

    def worker() -> None:
        for val in queue:
            meter.work(unit)
            found.send(val)
            wg.done()  # the slide's ``defer wg.Done()`` would wait for the worker to return

    got, collected = collector(found)
    go(producer)
    for _ in range(CONCURRENCY_PROCESSES):
        go(worker)
    finish(found, wg, collected)
    return got, meter.max


def main(out: Out = print, unit: float = 1.0) -> None:
    for name, version in [
        ("limitCh", limit_ch),
        ("limitCh send in a goroutine", limit_ch_in_goroutine),
        ("queue + 10 workers", queue_workers),
    ]:
        found, most = version(unit)
        out(f"{name}: {len(found)} jobs, max concurrency {most}")


if __name__ == "__main__":
    run(main, say, args(__doc__).unit)
