"""Runner: tasks run in order under one timeout and an OS interrupt (Go's ``runner`` package, "Go in Action").

Go::

    r := runner.New(3 * time.Second)
    r.Add(createTask(), createTask(), createTask())
    if err := r.Start(); err != nil {
        switch err {
        case runner.ErrTimeout:   os.Exit(1)
        case runner.ErrInterrupt: os.Exit(2)
        }
    }

``start()`` returns normally when every task has run, or raises :class:`RunnerTimeoutError`
("received timeout") when the timeout passes first, or :class:`RunnerInterruptError` ("received
interrupt") when SIGINT (or another signal given at creation) arrives first.

Design, as Go's: ``signal.notify`` on a channel of one, the tasks in their own goroutine that
sends its outcome on ``complete``, and a ``select`` on completion, the timer, and the interrupt.
Go's ``Start`` selects only on completion and the timer and sees an interrupt between tasks; here
the interrupt is a case of that select too, so ``start`` answers a signal at once even during a
long task. Either way the running task is not stopped (Python cannot stop a goroutine): the task
goroutine checks a stop channel before each task, so it ends after the task it runs.

Invariants:
  the signals are notified on _interrupt only while start() runs (signal.stop on every exit)
  a Runner starts once
"""

from __future__ import annotations

import signal as _signal
from collections.abc import Callable
from typing import final

from gochan import Chan, go, new_timer, recv, select
from gochan.errors import SyncError
from gochan.signal import notify
from gochan.signal import stop as stop_notify

from .errors import RunnerInterruptError, RunnerTimeoutError

__all__ = ["ERR_INTERRUPT", "ERR_TIMEOUT", "Runner"]

ERR_TIMEOUT = "received timeout"  # Go: runner.ErrTimeout
ERR_INTERRUPT = "received interrupt"  # Go: runner.ErrInterrupt

Task = Callable[[int], object]
"""A task gets its index in the runner (Go: ``func(int)``)."""


@final
class Runner:
    """Run tasks one after another within ``timeout`` seconds, unless an interrupt arrives (Go: ``runner.Runner``).

    ``signals`` are the OS signals that interrupt it (default SIGINT, Go's ``os.Interrupt``; an
    empty tuple: none). Signals are handled on the main thread only, as ``gochan.signal``
    requires. While a signal is watched, the scheduler waits on the outside world, so a
    virtual-time bubble (``gochan.testing``) does not advance its clock: test timeouts there
    with ``signals=()``.
    """

    __slots__ = ("_signals", "_started", "_tasks", "_timeout")

    def __init__(self, timeout: float, *, signals: tuple[int, ...] = (_signal.SIGINT,)) -> None:
        self._timeout = timeout
        self._signals = signals
        self._tasks: list[Task] = []
        self._started = False

    def __repr__(self) -> str:
        return f"<Runner tasks={len(self._tasks)} timeout={self._timeout}>"

    def add(self, *tasks: Task) -> None:
        """Append tasks; they run in the order added (Go: ``r.Add(tasks...)``)."""
        self._tasks.extend(tasks)

    def start(self) -> None:
        """Run every task in order; return when all are done.

        Raises RunnerTimeoutError("received timeout") or RunnerInterruptError("received
        interrupt") when the timeout or a signal comes first (Go: ``r.Start()`` returning
        ``ErrTimeout`` / ``ErrInterrupt``). An exception raised by a task propagates from here.
        """
        if self._started:
            raise SyncError("runner: start called twice; make a new Runner for each run")
        self._started = True
        interrupt: Chan[_signal.Signals] = Chan(1)
        complete: Chan[BaseException | None] = Chan(1)
        stop: Chan[None] = Chan()
        if self._signals:  # notify() with no signals would relay every signal (Go's Notify(c))
            notify(interrupt, *self._signals)
        timer = new_timer(self._timeout)
        try:
            go(self._run, complete, stop)
            match select(recv(complete), recv(timer.c), recv(interrupt)):
                case (0, err, _):
                    if err is not None:
                        raise err
                case (1, _, _):
                    raise RunnerTimeoutError(ERR_TIMEOUT)
                case _:
                    raise RunnerInterruptError(ERR_INTERRUPT)
        finally:
            stop_notify(interrupt)
            timer.stop()
            stop.close()  # the task goroutine ends before its next task

    def _run(self, complete: Chan[BaseException | None], stop: Chan[None]) -> None:
        """The tasks, in order, until done or told to stop (Go: ``r.run``)."""
        err: BaseException | None = None
        try:
            for i, task in enumerate(self._tasks):
                if stop.try_recv() is not None:  # closed: start() has returned
                    return
                task(i)
        except Exception as e:  # handed to start(), which raises it
            if stop.try_recv() is not None:
                raise  # start() has already returned: nobody could see it, so it ends the program
            err = e
        complete.try_send(err)
