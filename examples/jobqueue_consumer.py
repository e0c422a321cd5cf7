"""Seed 001 ("Job Queue in Golang"), slides 16-20 (and seed 003's same consumer): a pool of two workers.

``Consumer{inputChan: make(chan int, 1), jobsChan: make(chan int, PoolSize)}`` with
``PoolSize = 2``; two workers range over ``jobsChan``; main queues 1, 2, 3, 4.

Blocking ``queue`` (``c.jobsChan <- input``). The slide's Go run printed::

    send input value: 1
    send input value: 2
    send input value: 3
    worker: 0  job value: 1
    send input value: 4
    worker: 0  job value: 2
    worker: 0  job value: 3
    worker: 0  job value: 4

Why: 1 and 2 fill the buffer of 2; sending 3 blocks main until a worker takes 1; in Go, main then
runs in parallel with worker 0, so "send input value: 4" lands among worker 0's lines. gochan
does not preempt: the worker that takes 1 runs until it blocks, so it prints 1, 2 and 3 (3 entered
the buffer when 1 left it) before main prints "send input value: 4" (that worker is worker 1 here:
as in Go, the goroutine started last runs next). Neither order is promised by
Go; what both guarantee (and the tests check) is that the "send" lines come in order, each job is
handled exactly once, and job ``k`` is handled after "send input value: k".

Non-blocking ``queue`` (``select`` with ``default``). The slide printed the four sends and then
only jobs 1 and 2: main queued all four before a worker ran, and the full buffer refused 3 and 4.
Only 1 and 2 are certain to fit; this port also prints what it refused ("queue full: 3").

The slide's main ends with ``time.Sleep``; here main closes ``jobsChan`` and waits on a WaitGroup,
as the later slides do, so the workers drain the channel and return.
"""

from __future__ import annotations

from gochan import Chan, go, run, select, send
from gochan.sync import WaitGroup

from ._common import Out, args, say

POOL_SIZE = 2


class Consumer:
    def __init__(self, out: Out) -> None:
        self.input_chan: Chan[int] = Chan(1)
        self.jobs_chan: Chan[int] = Chan(POOL_SIZE)
        self.out = out

    def queue(self, input: int) -> None:
        self.out(f"send input value: {input}")
        self.jobs_chan.send(input)

    def try_queue(self, input: int) -> bool:
        """The rewritten ``queue``: refuse instead of blocking when ``jobsChan`` is full."""
        self.out(f"send input value: {input}")
        match select(send(self.jobs_chan, input), default=True):
            case (0, _, _):
                return True
            case _:
                return False

    def worker(self, num: int, wg: WaitGroup) -> None:
        try:  # defer wg.Done()
            for job in self.jobs_chan:
                self.out(f"worker: {num}  job value: {job}")
        finally:
            wg.done()


def blocking(out: Out) -> None:
    consumer = Consumer(out)
    wg = WaitGroup()
    wg.add(POOL_SIZE)
    for i in range(POOL_SIZE):
        go(consumer.worker, i, wg)
    for i in range(1, 5):
        consumer.queue(i)
    consumer.jobs_chan.close()
    wg.wait()


def non_blocking(out: Out) -> None:
    consumer = Consumer(out)
    wg = WaitGroup()
    wg.add(POOL_SIZE)
    for i in range(POOL_SIZE):
        go(consumer.worker, i, wg)
    for i in range(1, 5):
        if not consumer.try_queue(i):
            out(f"queue full: {i}")
    consumer.jobs_chan.close()
    wg.wait()


def main(out: Out = print) -> None:
    out("== blocking queue ==")
    blocking(out)
    out("== queue with select/default ==")
    non_blocking(out)


if __name__ == "__main__":
    args(__doc__, unit=False)
    run(main, say)
