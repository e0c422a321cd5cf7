"""The execution tracer: a program's goroutines as Chrome trace events (Go's ``runtime/trace``).

Design. Tracing must cost nothing when it is off, so no hot path tests for it: a traced program's
scheduler has its class swapped for :class:`TracingScheduler` (same layout, no new slots), whose
``park``, ``ready`` and ``spawn`` record and then call the base, and whose ``_events``/``_idle``
mark the wake-ups they cause as coming from outside the goroutines (timers, fds, other threads).
The timer door ``add_timer`` (an instance slot) is rebound so each firing is recorded. A goroutine's
start and exit are seen by wrapping its function at spawn (the record gets the function back as
soon as it starts, so crash notes and dumps name it). An ordinary run executes exactly the
untraced code.

What is recorded, per goroutine (one track each, ``goroutine N (fn)``): ``running`` spans (resumed
to parked), blocked spans named by the wait reason (parked to readied), ``runnable`` spans (readied
to resumed); a flow arrow from the waker to the woken for every wake-up (the waker's track at the
``ready``, the woken's at its resume), from the creator to every new goroutine, and from track 0
(timers, I/O and other outside events) for wake-ups that no goroutine caused.

Timestamps are microseconds since the program started, on the scheduler's clock: real time, or a
bubble's virtual time (then rounded to whole microseconds, so durations are exact).

Invariants:
  every live goroutine of a traced program has exactly one open span in ``Recorder.open``
  a flow started for a goroutine (``Recorder.flows``) ends when that goroutine next runs
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import CodeType
from typing import Any, Final

from ._g import G
from ._sched import Scheduler
from ._timers import RTimer

__all__ = ["TRACE_ENV", "Recorder", "TracingScheduler", "tracing"]

TRACE_ENV: Final = "GOCHAN_TRACE"  # a path: run() writes every program's trace there (the last one wins)
OUTSIDE: Final = 0  # the track of timers, I/O and other outside events

Event = dict[str, Any]


def _name_of(fn: object) -> str:
    return str(getattr(fn, "__qualname__", None) or repr(fn))


class Recorder:
    """The trace events of one program, and each goroutine's open span."""

    __slots__ = ("sched", "clock", "t0", "virtual", "events", "open", "flows", "nflows", "source", "pid")

    def __init__(self, s: Scheduler, main_name: str) -> None:
        self.sched: Final = s
        self.virtual: Final = s.virtual
        self.clock: Final[Callable[[], float]] = s.clock if s.virtual else time.perf_counter
        self.t0: Final = self.clock()
        self.pid: Final = os.getpid()
        self.events: Final[list[Event]] = []
        self.open: Final[dict[int, tuple[str, str, float]]] = {}  # goroutine id -> (cat, name, start)
        self.flows: Final[dict[int, list[tuple[int, str, str]]]] = {}  # goroutine id -> (id, cat, name) to end
        self.nflows = 0
        self.source: str | None = None  # while the runtime itself readies goroutines: "timer" or "event"
        self._meta(OUTSIDE, "runtime: timers, I/O, outside events")
        self._meta(1, f"goroutine 1 ({main_name})")
        self.open[1] = ("running", "running", self.now())

    def now(self) -> float:
        t = (self.clock() - self.t0) * 1e6
        return float(round(t)) if self.virtual else round(t, 3)

    def _meta(self, tid: int, name: str) -> None:
        ev = self.events
        ev.append({"ph": "M", "name": "thread_name", "pid": self.pid, "tid": tid, "args": {"name": name}})
        ev.append({"ph": "M", "name": "thread_sort_index", "pid": self.pid, "tid": tid, "args": {"sort_index": tid}})

    def span(self, gid: int, cat: str, name: str, t: float) -> None:
        """End goroutine ``gid``'s open span at ``t`` and open the next (cat ``running``, ``blocked``, ``runnable``)."""
        prev = self.open.get(gid)
        if prev is not None:
            pcat, pname, start = prev
            ev: Event = {"ph": "X", "cat": pcat, "name": pname, "pid": self.pid, "tid": gid, "ts": start}
            ev["dur"] = round(t - start, 3)
            if pcat == "blocked":
                ev["args"] = {"reason": pname}
            self.events.append(ev)
        if cat:
            self.open[gid] = (cat, name, t)
        else:
            self.open.pop(gid, None)

    def flow_from(self, g: G, cat: str, name: str, t: float) -> None:
        """Start a flow arrow from the waker (the running goroutine, or track 0) to ``g``'s next run."""
        if self.source is None:
            tid = self.sched.current.id
        else:
            tid = OUTSIDE
            label = {"timer": "timer fired", "io": "I/O ready", "go": "timer fired"}.get(cat, "outside event")
            self.events.append(
                {"ph": "X", "cat": cat, "name": label, "pid": self.pid, "tid": OUTSIDE, "ts": t, "dur": 0,
                 "args": {"wakes": f"goroutine {g.id}", "reason": name}}
            )  # fmt: skip
        self.nflows += 1
        fid = self.nflows
        self.events.append({"ph": "s", "id": fid, "cat": cat, "name": name, "pid": self.pid, "tid": tid, "ts": t})
        self.flows.setdefault(g.id, []).append((fid, cat, name))

    def resumed(self, g: G) -> None:
        t = self.now()
        self.span(g.id, "running", "running", t)
        for fid, cat, name in self.flows.pop(g.id, ()):
            self.events.append(
                {"ph": "f", "bp": "e", "id": fid, "cat": cat, "name": name, "pid": self.pid, "tid": g.id, "ts": t}
            )

    def readied(self, g: G) -> None:
        t = self.now()
        reason = g.waitreason
        if reason is not None:
            self.span(g.id, "runnable", "runnable", t)
        if self.source is None:
            cat = "handoff"
        elif self.source == "timer":
            cat = "timer"
        else:
            cat = "io" if reason == "IO wait" else "event"
        self.flow_from(g, cat, reason or "runnable", t)

    def spawned(self, g: G, fn: object) -> None:
        t = self.now()
        self._meta(g.id, f"goroutine {g.id} ({_name_of(fn)})")
        self.open[g.id] = ("runnable", "runnable", t)
        self.flow_from(g, "go" if self.source is None else "timer", "go", t)

    def fire(self, arg: tuple[Callable[[Any], None], Any]) -> None:
        """A traced timer fires: what its callback readies or starts is the timer's doing."""
        fn, a = arg
        prev, self.source = self.source, "timer"
        try:
            fn(a)
        finally:
            self.source = prev

    def add_timer(self, when: float, fn: Callable[[Any], None], arg: Any) -> RTimer:
        """The traced scheduler's ``add_timer``: the timer fires through :meth:`fire`."""
        return self.sched.timers.add(when, self.fire, (fn, arg))

    def finish(self) -> None:
        """Close every open span (goroutines discarded or never started, main) at the program's end."""
        t = self.now()
        for gid in list(self.open):
            self.span(gid, "", "", t)

    def write(self, path: str | os.PathLike[str]) -> None:
        other = {"clock": "virtual" if self.virtual else "real", "format": "gochan trace 1"}
        doc = {"traceEvents": self.events, "displayTimeUnit": "ms", "otherData": other}
        Path(path).write_text(json.dumps(doc, separators=(",", ":")) + "\n")


_recorders: dict[Scheduler, Recorder] = {}  # the traced schedulers (TracingScheduler has no slot of its own)


class TracingScheduler(Scheduler):
    """A Scheduler that records (see the module docstring); only ever made by swapping ``__class__``."""

    __slots__ = ()

    def park(self, reason: str | None) -> Any:
        rec = _recorders[self]
        g = self.current
        if reason is None:
            rec.span(g.id, "runnable", "runnable", rec.now())
        else:
            rec.span(g.id, "blocked", reason, rec.now())
        try:
            return Scheduler.park(self, reason)
        finally:
            rec.resumed(g)  # also when an exception is thrown in: the goroutine runs its undo

    def ready(self, g: G, param: object = None) -> None:
        rec = _recorders.get(self)
        if rec is not None:
            rec.readied(g)
        Scheduler.ready(self, g, param)

    def spawn(  # noqa: PLR0917 - the base's signature
        self,
        fn: Callable[..., object],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        depth: int,
        where: tuple[CodeType, int] | None = None,
        goid: int = 0,
    ) -> G:
        g = Scheduler.spawn(self, fn, args, kwargs, depth + 1, where, goid)
        rec = _recorders[self]
        rec.spawned(g, fn)

        def traced(*a: Any, **kw: Any) -> object:
            g.fn = fn  # started: the record names the goroutine's own function again
            rec.resumed(g)
            try:
                return fn(*a, **kw)
            finally:
                rec.span(g.id, "", "", rec.now())  # goexit

        traced.__qualname__ = _name_of(fn)
        g.fn = traced
        return g

    def _events(self) -> None:
        rec = _recorders[self]
        prev, rec.source = rec.source, rec.source or "event"
        try:
            Scheduler._events(self)
        finally:
            rec.source = prev

    def _idle(self) -> G | None:
        rec = _recorders[self]
        prev, rec.source = rec.source, rec.source or "event"
        try:
            return Scheduler._idle(self)
        finally:
            rec.source = prev


def trace_path(trace: str | os.PathLike[str] | None) -> str | os.PathLike[str] | None:
    """The path a program's trace goes to: ``trace`` if given, else ``$GOCHAN_TRACE`` if set."""
    if trace is None:
        return os.environ.get(TRACE_ENV) or None
    return trace


@contextlib.contextmanager
def tracing(s: Scheduler, trace: str | os.PathLike[str] | None, main: object) -> Iterator[None]:
    """Trace the program run on fresh scheduler ``s`` into ``trace`` (a path; None: no tracing).

    The file is written when the program ends, however it ends (a crash, a deadlock, Ctrl-C).
    """
    if trace is None:
        yield
        return
    rec = Recorder(s, _name_of(main))
    _recorders[s] = rec
    s.__class__ = TracingScheduler
    setattr(s, "add_timer", rec.add_timer)  # noqa: B010 - a Final slot, rebound for this traced program only
    try:
        yield
    finally:
        rec.finish()
        s.__class__ = Scheduler
        del _recorders[s]
        rec.write(trace)
