"""An opt-in watchdog for goroutines that hog their thread (what gevent's monitor thread does).

Go's ``sysmon`` notices a goroutine that has run 10 ms without yielding and preempts it.
gochan's goroutines cannot be preempted: one that loops without blocking, or makes a blocking call that
does not go through gochan (``time.sleep``, a blocking socket, a C library), stalls every other
goroutine on its thread until it is done. ``watchdog()`` starts a daemon monitor thread that
notices a goroutine running longer than ``threshold`` seconds without yielding and reports it,
once per episode, with its stack in the format of goroutine dumps::

    with watchdog(threshold=0.1):
        ...

The default report is a warning on the logger ``"gochan.watchdog"``; pass ``report=`` (any
callable taking the text) to collect reports elsewhere. The remedies are in the report:
``to_thread`` for blocking calls, ``gosched()`` in long loops.

Rules of use: start the watchdog on the thread whose goroutines it should watch, inside the
program (``run``) it should watch, and stop it on that thread (a context manager does both).
The watchdog watches the scheduler current when it starts.
"""
# Design. Progress is a greenlet switch: a greenlet trace function (``greenlet.settrace``, which is
# per thread; installed on the scheduler's thread) counts switches, so the cost exists only while a
# watchdog is on. The scheduler also makes progress without switching — a goroutine that parks
# and is the next to run again returns from ``park`` on its own greenlet — but it then refreshes
# its coarse clock ``s.now`` in ``_findrunnable``, so the monitor takes ``(switches, s.now)`` as the
# progress signature. Every ``threshold / 4`` seconds the monitor samples it: a signature that
# changed, or a scheduler that is idle (``s.idling``: waiting for timers, fds or threads is not
# hogging), starts a new episode; one unchanged for ``threshold`` seconds is reported, once.
#
# The stack is the scheduler thread's current frame (``sys._current_frames()``), which is the
# running goroutine's: a greenlet's frames are the thread's frames while it runs. The signature is
# read again after the frame: if the goroutine yielded meanwhile, nothing is reported.
#
# Known blind spots: callbacks queued with ``call_soon_threadsafe`` run while the scheduler is idle,
# so one of them hogging is not reported; on a virtual clock, a lone goroutine looping on gosched()
# neither switches nor moves the clock, so it is reported (it does starve timers there).
#
# Invariants:
#   _switches only grows, written on the scheduler's thread (by the trace function)
#   _checks only grows, written by the monitor thread; _cond is notified after each change
#   the monitor reports at most once per episode (an unchanged, non-idle signature)

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Final, final

from ._runtime import current_scheduler, get_switch_trace, set_switch_trace, tls

if TYPE_CHECKING:
    from ._runtime import G, Scheduler

__all__ = ["Watchdog", "watchdog"]

logger: Final = logging.getLogger("gochan.watchdog")

_SAMPLES_PER_THRESHOLD: Final = 4  # monitor samples per threshold: reports within 1.25 x threshold


def watchdog(threshold: float = 0.1, report: Callable[[str], object] | None = None) -> Watchdog:
    """Start watching this thread's goroutines for ones that run ``threshold`` seconds without yielding.

    Each blocking episode is reported once, by calling ``report(text)`` on the monitor thread
    (default: a warning on the logger ``"gochan.watchdog"``). Stop it with :meth:`Watchdog.stop`,
    or use it as a context manager.
    """
    if not threshold > 0:
        raise ValueError(f"watchdog: threshold must be positive, got {threshold}")
    return Watchdog(tls.sched or current_scheduler(), threshold, report or _log)


def _log(text: str) -> None:
    logger.warning("%s", text)


@final
class Watchdog:
    """A running watchdog: a monitor thread plus a greenlet trace function on the watched thread."""

    __slots__ = (
        "threshold",
        "_sched",
        "_tid",
        "_report",
        "_switches",
        "_checks",
        "_cond",
        "_stopped",
        "_trace_fn",
        "_prev_trace",
        "_thread",
    )

    def __init__(self, sched: Scheduler, threshold: float, report: Callable[[str], object]) -> None:
        self.threshold: Final = threshold
        self._sched: Final = sched
        self._tid: Final = threading.get_ident()
        self._report: Final = report
        self._switches = 0
        self._checks = 0
        self._cond: Final = threading.Condition()
        self._stopped: Final = threading.Event()
        self._trace_fn: Final = self._trace  # one bound method: gettrace() is compared with it
        self._prev_trace = set_switch_trace(self._trace_fn)
        self._thread: Final = threading.Thread(target=self._monitor, name="gochan-watchdog", daemon=True)
        self._thread.start()

    @property
    def checks(self) -> int:
        """How many times the monitor has sampled the scheduler so far."""
        return self._checks

    def stop(self) -> None:
        """Stop watching (idempotent); restores the greenlet trace function found at start.

        Must be called on the thread that started the watchdog (greenlet trace functions are
        per thread).
        """
        if threading.get_ident() != self._tid:
            raise RuntimeError(
                "Watchdog.stop must be called on the thread that started the watchdog "
                "(greenlet trace functions are per thread)"
            )
        if self._stopped.is_set():
            return
        self._stopped.set()
        # If another trace function was installed on top of ours, ours stays, only forwarding.
        if get_switch_trace() is self._trace_fn:
            set_switch_trace(self._prev_trace)
        self._thread.join()

    def __enter__(self) -> Watchdog:
        return self

    def __exit__(self, typ: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    # -- the watched thread ---------------------------------------------------------------------

    def _trace(self, event: str, args: tuple[object, object]) -> None:
        if not self._stopped.is_set():
            self._switches += 1
        prev = self._prev_trace
        if prev is not None:
            prev(event, args)

    # -- the monitor thread ---------------------------------------------------------------------

    def _monitor(self) -> None:
        s = self._sched
        interval = self.threshold / _SAMPLES_PER_THRESHOLD
        last: tuple[int, float] | None = None
        since = time.monotonic()
        reported = False
        while not self._stopped.wait(interval):
            now = time.monotonic()
            sig = (self._switches, s.now)
            if sig != last or s.idling or s.closed:
                last, since, reported = sig, now, False
            elif not reported and now - since >= self.threshold:
                reported = self._check(sig, now - since)
            with self._cond:
                self._checks += 1
                self._cond.notify_all()

    def _check(self, sig: tuple[int, float], elapsed: float) -> bool:
        """Report the goroutine running now, unless it yielded meanwhile; whether it reported."""
        s = self._sched
        g = s.current
        frame = sys._current_frames().get(self._tid)
        if frame is None or (self._switches, s.now) != sig or s.idling:
            return False
        text = self._format(s, g, frame, elapsed)
        try:
            self._report(text)
        except Exception:
            logger.exception("gochan.watchdog: the report function raised")
        return True

    def _format(self, s: Scheduler, g: G, frame: FrameType, elapsed: float) -> str:
        lines = [
            f"gochan.watchdog: goroutine {g.id} has run for at least {elapsed:.3f}s without yielding "
            f"(threshold {self.threshold}s); no other goroutine on its thread can run meanwhile. "
            "Run blocking calls with gochan.to_thread; call gosched() in long loops.",
            "",
            s.goroutine_block(g, frame, state="running"),
        ]
        return "\n".join(lines) + "\n"

    # -- for tests ------------------------------------------------------------------------------

    def _wait_checks(self, n: int, timeout: float = 5.0) -> bool:
        """Block (any thread but the watched one) until the monitor has sampled ``n`` times in all."""
        with self._cond:
            return self._cond.wait_for(lambda: self._checks >= n, timeout)
