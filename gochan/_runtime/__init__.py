"""The runtime: goroutines on greenlets, park/ready, deadlock detection (Go's ``runtime``).

This package is the only code in gochan that touches greenlet, and this module is its one door
(curio's ``traps``, Go's linknamed runtime functions): the layers above import from here, never
from a ``_runtime._module``, and use of a Scheduler is limited to the names in ``SCHEDULER_DOOR``
(``tests/test_layering.py`` holds both rules).

Layer map (data flows down; no layer imports one above it)::

    gochan.jobs · gochan.patterns             public API only
    context · errgroup · semaphore · signal · net · testing · watchdog
    sync · time (_time)                       the door: WaitQueue, timers, park/ready
    select (_select) → channels (_chan)       the door: park/ready, G and SelWaiter records
    runtime (this package)                    _sched, _g, _waitq, _timers, _poll, _threads, _dump, _trace
    errors

Glossary:
    G           one goroutine's record (Go's ``g``); a plain send/receive waits in a channel
                queue as its G, whose ``val``/``ok`` are the wait record
    SelWaiter   one case of a parked select, queued on that case's channel (Go's ``sudog``)
    park/ready  block the current goroutine / make a parked one runnable (``gopark``/``goready``)
    runnext     the goroutine readied last, run next in the readier's time slice (Go's runnext)
    hold        outside work that may still wake a goroutine (``outstanding``: a thread call, a
                bridge; ``listening``: a signal subscription), so idling is not deadlock
    WaitQueue   publish, park, undo on exception: the wait of every sync primitive (Go's sema)
    bubble      a scheduler on virtual time (``gochan.testing``, Go's synctest)
    tracing     a program whose scheduler records its goroutines' spans and wake-ups (_trace)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import greenlet

from ._dump import call_site, describe_creation
from ._g import DISCARDED, ORPHANED, G, SelWaiter
from ._sched import HANDOFF_LIMIT, Chooser, Scheduler, check_call, current_scheduler, run, run_in, tls
from ._threads import ThreadBridge, set_max_threads, thread_bridge, to_thread
from ._timers import RTimer
from ._trace import TRACE_ENV, trace_path, tracing
from ._waitq import WaitQueue, wake, wake_all

__all__ = [
    "DISCARDED",
    "HANDOFF_LIMIT",
    "ORPHANED",
    "SCHEDULER_DOOR",
    "Chooser",
    "G",
    "RTimer",
    "Scheduler",
    "SelWaiter",
    "TRACE_ENV",
    "ThreadBridge",
    "WaitQueue",
    "call_site",
    "check_call",
    "current_scheduler",
    "describe_creation",
    "dump_goroutines",
    "get_switch_trace",
    "go",
    "gosched",
    "num_goroutine",
    "run",
    "run_in",
    "set_max_threads",
    "set_switch_trace",
    "thread_bridge",
    "tls",
    "to_thread",
    "trace_path",
    "tracing",
    "wake",
    "wake_all",
]

# What code outside the runtime may use of a Scheduler. The fast accessor is
# ``tls.sched or current_scheduler()``: one attribute load on the hot path, where a call would
# cost 5-8% of a ping-pong round trip; so are ``s.current``, ``s.park`` and ``g.sched.ready``.
SCHEDULER_DOOR: Final = frozenset(
    {
        # the goroutines and the two doors
        "current", "park", "ready", "spawn", "gosched", "num_goroutine",
        # time: the coarse clock the scheduler fires timers at, the clock, the timer operations
        "now", "clock", "virtual", "sleep_until", "add_timer", "stop_timer", "reset_timer", "timer_orphans",
        # outside work, file descriptors, other threads
        "hold", "release", "wait_fd", "unblock_fd", "forget_fd", "call_soon_threadsafe",
        # select's random choices, replayable with run(seed=...); schedule exploration's control
        "rand", "control", "runnable",
        # program state, synctest.Wait, dumps
        "closed", "idling", "sync_wait", "sync_waiting", "take_sync_waiter", "dump", "goroutine_block", "wait_graph",
    }
)  # fmt: skip


def go(fn: Callable[..., object], /, *args: Any, **kwargs: Any) -> None:
    """Start ``fn(*args, **kwargs)`` in a new goroutine (Go: ``go fn(args)``).

    The new goroutine runs when the caller next blocks or yields. An exception escaping it
    ends the program like a Go panic: :func:`run` (or the main goroutine's next blocking
    call) raises it, with a note naming the goroutine and where it was started.
    """
    check_call("go", fn, args, kwargs)
    (tls.sched or current_scheduler()).spawn(fn, args, kwargs, 2)


def gosched() -> None:
    """Yield the processor: every goroutine runnable now runs before the caller resumes (Go: ``runtime.Gosched``).

    The caller goes to the tail of the run queue; due timers and ready file descriptors are let
    in first, so what they wake may run first too.
    """
    (tls.sched or current_scheduler()).gosched()


def num_goroutine() -> int:
    """How many goroutines exist, main included (Go: ``runtime.NumGoroutine``)."""
    return (tls.sched or current_scheduler()).num_goroutine()


def dump_goroutines() -> str:
    """Every goroutine's state and stack in Go's format (what Go prints on ``SIGQUIT``)."""
    return (tls.sched or current_scheduler()).dump()


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
