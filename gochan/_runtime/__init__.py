"""The runtime: goroutines on greenlets, park/ready, deadlock detection (Go's ``runtime``).

This package is the only code in gochan that touches greenlet.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import greenlet

from ._dump import goroutine_block
from ._g import G, SelWaiter
from ._sched import HANDOFF_LIMIT, Scheduler, _tls, check_call, current_scheduler, run, run_in
from ._threads import ThreadBridge, set_max_threads, thread_bridge, to_thread

__all__ = [
    "HANDOFF_LIMIT",
    "G",
    "Scheduler",
    "SelWaiter",
    "ThreadBridge",
    "check_call",
    "current_scheduler",
    "get_switch_trace",
    "goroutine_block",
    "set_switch_trace",
    "dump_goroutines",
    "go",
    "gosched",
    "num_goroutine",
    "run",
    "run_in",
    "set_max_threads",
    "thread_bridge",
    "to_thread",
]


def go(fn: Callable[..., object], /, *args: Any, **kwargs: Any) -> None:
    """Start ``fn(*args, **kwargs)`` in a new goroutine (Go: ``go fn(args)``).

    The new goroutine runs when the caller next blocks or yields. An exception escaping it
    ends the program like a Go panic: :func:`run` (or the main goroutine's next blocking
    call) raises it, with a note naming the goroutine and where it was started.
    """
    check_call("go", fn, args, kwargs)
    (_tls.sched or current_scheduler()).spawn(fn, args, kwargs, 2)


def gosched() -> None:
    """Yield the processor: every goroutine runnable now runs before the caller resumes (Go: ``runtime.Gosched``).

    The caller goes to the tail of the run queue; due timers and ready file descriptors are let
    in first, so what they wake may run first too.
    """
    (_tls.sched or current_scheduler()).gosched()


def num_goroutine() -> int:
    """How many goroutines exist, main included (Go: ``runtime.NumGoroutine``)."""
    return len((_tls.sched or current_scheduler()).allg)


def dump_goroutines() -> str:
    """Every goroutine's state and stack in Go's format (what Go prints on ``SIGQUIT``)."""
    return (_tls.sched or current_scheduler()).dump()


SwitchTrace = Callable[..., object]  # called as fn(event, (origin, target)); event is "switch" or "throw"


def set_switch_trace(fn: SwitchTrace | None) -> SwitchTrace | None:
    """Install ``fn(event, (origin, target))`` to run on every greenlet switch of this thread.

    Returns the previous trace function. Used by the opt-in watchdog; costs nothing when unset.
    """
    prev: SwitchTrace | None = greenlet.settrace(fn)
    return prev


def get_switch_trace() -> SwitchTrace | None:
    """The switch trace function of this thread, or None."""
    fn: SwitchTrace | None = greenlet.gettrace()
    return fn
