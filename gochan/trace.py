"""Execution traces (Go's ``runtime/trace`` and ``go tool trace``): where a program's time went.

``run(main, trace="out.json")`` (or ``GOCHAN_TRACE=out.json`` in the environment, or
``gochan.testing.run(fn, trace=...)`` on virtual time) writes the program's execution trace as
Chrome trace-event JSON, which Perfetto (https://ui.perfetto.dev) and ``chrome://tracing`` open:

- one track per goroutine, named ``goroutine N (fn)``, and track 0 for timers, I/O and other
  outside events;
- on each goroutine's track, ``running`` spans, blocked spans named by the wait reason (``chan
  receive``, ``select``, ``sleep``, ``sync.Mutex.Lock``, ``IO wait``, ...) and ``runnable`` spans
  (readied, waiting for its turn);
- flow arrows from waker to woken: a send to a parked receiver, a receive from a parked sender, a
  close, an unlock; from a goroutine to each goroutine it starts (``go``); from track 0 for a timer
  firing or a file descriptor becoming ready.

``python -m gochan.trace summary out.json`` prints, per wait reason, how often goroutines blocked
for it and for how long (total, p50, p99), and per goroutine its running, blocked and runnable
time. Tracing costs nothing when off; see ``benchmarks/tracing.py`` for its cost when on.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, final

from ._runtime import TRACE_ENV  # the environment variable run() reads: a path to write the trace to

__all__ = ["TRACE_ENV", "Summary", "format_duration", "load", "main", "summarize"]



def load(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The trace events of a trace file written by ``run(..., trace=path)``."""
    doc = json.loads(Path(path).read_text())
    events: list[dict[str, Any]] = doc["traceEvents"]
    return events


@final
@dataclass
class GoroutineTime:
    """One goroutine's time, in microseconds, by state."""

    name: str
    running: float = 0.0
    blocked: float = 0.0
    runnable: float = 0.0


@final
@dataclass
class Summary:
    """Where a program's time went: blocked time per wait reason, time per goroutine (microseconds)."""

    reasons: dict[str, list[float]] = field(default_factory=dict)  # wait reason -> each blocked span's length
    goroutines: dict[int, GoroutineTime] = field(default_factory=dict)

    def __str__(self) -> str:
        lines = [f"{'wait reason':<28}{'count':>7}{'total':>12}{'p50':>12}{'p99':>12}"]
        for reason, durs in sorted(self.reasons.items(), key=lambda kv: (-sum(kv[1]), kv[0])):
            s = sorted(durs)
            total, p50, p99 = sum(s), _percentile(s, 50), _percentile(s, 99)
            lines.append(
                f"{reason:<28}{len(s):>7}{format_duration(total):>12}{format_duration(p50):>12}"
                f"{format_duration(p99):>12}"
            )
        lines.append("")
        lines.append(f"{'goroutine':<40}{'running':>12}{'blocked':>12}{'runnable':>12}")
        for gid in sorted(self.goroutines):
            t = self.goroutines[gid]
            lines.append(
                f"{t.name:<40}{format_duration(t.running):>12}{format_duration(t.blocked):>12}"
                f"{format_duration(t.runnable):>12}"
            )
        return "\n".join(lines) + "\n"


def _percentile(sorted_durs: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of a sorted, non-empty sequence."""
    return sorted_durs[max(0, math.ceil(p / 100 * len(sorted_durs)) - 1)]


def format_duration(us: float) -> str:
    """A duration given in microseconds, written as Go's ``time.Duration`` prints (``1.5s``, ``250ms``, ``3µs``)."""
    if us == 0:
        return "0s"
    for unit, scale in (("s", 1e6), ("ms", 1e3), ("µs", 1.0)):
        if abs(us) >= scale:
            return f"{round(us / scale, 3):g}{unit}"
    return f"{round(us * 1e3):g}ns"


def summarize(events: Sequence[dict[str, Any]]) -> Summary:
    """The :class:`Summary` of a trace's events (see :func:`load`)."""
    out = Summary()
    for ev in events:
        if ev.get("ph") == "M" and ev.get("name") == "thread_name" and ev.get("tid", 0) != 0:
            out.goroutines.setdefault(ev["tid"], GoroutineTime(ev["args"]["name"]))
    for ev in events:
        if ev.get("ph") != "X" or ev.get("tid", 0) == 0:
            continue
        cat, dur = ev["cat"], float(ev["dur"])
        t = out.goroutines.setdefault(ev["tid"], GoroutineTime(f"goroutine {ev['tid']}"))
        if cat == "running":
            t.running += dur
        elif cat == "runnable":
            t.runnable += dur
        elif cat == "blocked":
            t.blocked += dur
            out.reasons.setdefault(ev["name"], []).append(dur)
    return out


_USAGE: Final = "usage: python -m gochan.trace summary TRACE.json"


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m gochan.trace summary PATH``: print where the traced program's time went."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or args[0] != "summary":
        print(_USAGE, file=sys.stderr)
        return 2
    try:
        events = load(args[1])
    except (OSError, ValueError, KeyError) as e:
        print(f"gochan.trace: cannot read {args[1]}: {e}", file=sys.stderr)
        return 1
    sys.stdout.write(str(summarize(events)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
