"""Seed 004 ("Go Concurrency 实战"), Work: a pool of goroutines ranging over an unbuffered work channel.

``work.New(2)`` starts two goroutines that ``range`` over ``work`` and run each ``Worker``'s
``Task``; ``Run`` sends on the *unbuffered* channel, so it returns only once a pool goroutine has
taken the task ("when Run returns we know it is being handled"); ``Shutdown`` closes the channel
and waits on the WaitGroup. Main submits each of five names 100 times, each from its own
goroutine; a task logs its name and sleeps a second. Printed: 500 names, two per second (250
seconds; the tests run it on virtual time), in an order set by the scheduler::

    steve
    bob
    ...
"""

from __future__ import annotations

from typing import Protocol

from gochan import Chan, go, run, sleep
from gochan.sync import WaitGroup

from ._common import Out, args, say

NAMES = ["steve", "bob", "mary", "therese", "jason"]  # a set of names to display


class Worker(Protocol):
    """Go's ``type Worker interface { Task() }``."""

    def task(self) -> None: ...


class Pool:
    """A pool of goroutines that can execute any Worker tasks that are submitted."""

    def __init__(self, max_goroutines: int) -> None:
        self.work: Chan[Worker] = Chan()
        self.wg = WaitGroup()
        self.wg.add(max_goroutines)
        for _ in range(max_goroutines):
            go(self._serve)

    def _serve(self) -> None:
        for w in self.work:
            w.task()
        self.wg.done()

    def run(self, w: Worker) -> None:
        """Submit work to the pool."""
        self.work.send(w)

    def shutdown(self) -> None:
        """Wait for all the goroutines to shut down."""
        self.work.close()
        self.wg.wait()


class NamePrinter:
    """Provides special support for printing names."""

    def __init__(self, name: str, out: Out, unit: float) -> None:
        self.name, self.out, self.unit = name, out, unit

    def task(self) -> None:
        self.out(self.name)
        sleep(1 * self.unit)


def main(out: Out = print, unit: float = 1.0, rounds: int = 100) -> None:
    p = Pool(2)  # a work pool with 2 goroutines
    wg = WaitGroup()
    wg.add(rounds * len(NAMES))
    for _ in range(rounds):
        for name in NAMES:  # iterate over the slice of names
            np = NamePrinter(name, out, unit)

            def submit(np: NamePrinter) -> None:
                p.run(np)  # when run returns we know it is being handled
                wg.done()

            go(submit, np)
    wg.wait()
    p.shutdown()  # shut the work pool down and wait for all existing work to be completed


if __name__ == "__main__":
    run(main, say, args(__doc__).unit)
