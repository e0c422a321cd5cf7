"""Seed 004 ("Go Concurrency 实战"), Runner: tasks run in order under a timeout, stopped by an OS interrupt.

``Runner`` (from *Go in Action*) holds an ``interrupt`` channel notified of ``os.Interrupt``
(SIGINT) with a buffer of one (repeated Ctrl-C collapse into one), a ``complete`` channel and a
``timeout`` channel from ``time.After``. ``Start`` runs the tasks in a goroutine and selects on
``complete`` and ``timeout``; before each task, ``run`` polls ``interrupt`` with a
``select``/``default`` and, once interrupted, stops listening (``signal.Stop``). Task ``id``
sleeps ``id`` seconds. Printed with the default three-second timeout and three tasks::

    Starting work.
    Processor - Task #0.
    Processor - Task #1.
    Processor - Task #2.
    Terminating due to timeout.           (exit status 1)

or "Process ended." (exit status 0) if the tasks finish first, or "Terminating due to interrupt."
(exit status 2) after Ctrl-C. The default run is a race in Go too: the tasks sleep 0+1+2 seconds,
exactly the timeout. As Go's ``os.Exit`` does, ``sys.exit`` ends the program at once, with the
task goroutine still running. ``log.Println``'s timestamps are left out.

``main(signals=())`` leaves the interrupt out (the tests on virtual time use it: a gochan program
notified of a signal waits for it in real time, so its virtual clock would not advance).
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable

from gochan import Chan, RecvChan, after, go, recv, run, select, sleep
from gochan import signal as gosignal

from ._common import Out, args, say

ERR_TIMEOUT = Exception("received timeout")  # returned when a value is received on the timeout channel
ERR_INTERRUPT = Exception("received interrupt")  # returned when an event from the OS is received


class Runner:
    """Runs a set of tasks within a given timeout and can be shut down on an operating system interrupt."""

    def __init__(self, d: float, signals: tuple[int, ...] = (signal.SIGINT,)) -> None:
        self.signals = signals
        self.interrupt: Chan[gosignal.Signals] = Chan(1)  # reports a signal from the operating system
        self.complete: Chan[Exception | None] = Chan()  # reports that processing is done
        self.timeout: RecvChan[float] = after(d)  # reports that time has run out
        self.tasks: list[Callable[[int], None]] = []  # executed synchronously in index order

    def add(self, *tasks: Callable[[int], None]) -> None:
        self.tasks.extend(tasks)

    def start(self) -> Exception | None:
        """Run all tasks and monitor channel events."""
        if self.signals:
            gosignal.notify(self.interrupt, *self.signals)  # we want to receive all interrupt based signals
        go(lambda: self.complete.send(self.run()))  # run the tasks on a different goroutine
        match select(recv(self.complete), recv(self.timeout)):
            case (0, err, _):
                return err  # signaled when processing is done
            case _:
                return ERR_TIMEOUT  # signaled when we run out of time

    def run(self) -> Exception | None:
        for id, task in enumerate(self.tasks):
            if self.got_interrupt():  # check for an interrupt signal from the OS
                return ERR_INTERRUPT
            task(id)
        return None

    def got_interrupt(self) -> bool:
        match select(recv(self.interrupt), default=True):
            case (0, _, _):  # signaled when an interrupt event is sent
                gosignal.stop(self.interrupt)  # stop receiving any further signals
                return True
            case _:
                return False  # continue running as normal


def create_task(out: Out, unit: float) -> Callable[[int], None]:
    """A task that sleeps ``id`` seconds."""

    def task(id: int) -> None:
        out(f"Processor - Task #{id}.")
        sleep(id * unit)

    return task


def main(
    out: Out = print,
    unit: float = 1.0,
    timeout: float = 3.0,
    tasks: int = 3,
    signals: tuple[int, ...] = (signal.SIGINT,),
) -> None:
    """Run the tasks; exit with status 1 on timeout, 2 on interrupt (Go: ``os.Exit``)."""
    out("Starting work.")
    r = Runner(timeout * unit, signals)  # a new timer value for this run
    r.add(*(create_task(out, unit) for _ in range(tasks)))
    try:
        err = r.start()
    finally:
        gosignal.stop(r.interrupt)  # os.Exit needs no clean-up; a Python caller carries on after SystemExit
    if err is ERR_TIMEOUT:
        out("Terminating due to timeout.")
        sys.exit(1)
    if err is ERR_INTERRUPT:
        out("Terminating due to interrupt.")
        sys.exit(2)
    out("Process ended.")


if __name__ == "__main__":
    run(main, say, args(__doc__).unit)
