"""Go's ``time`` package for goroutines: sleep, after, after_func, Timer, Ticker, tick (Go 1.23 semantics).

Durations are float seconds. Times are *scheduler-clock* seconds (:func:`now`): ``time.monotonic``
in an ordinary program, the virtual clock inside a ``gochan.testing`` bubble (which starts at
946684800.0, midnight UTC 2000-01-01, as Go's synctest). A value received from a timer or ticker
channel is the time the tick was *due* on that clock, as Go sends ``Now()`` minus how late the
send is; on virtual time it is exact.

Design. Every timer is an entry in the scheduler's timer heap (``s.add_timer``, Go's per-P heap):
stopping one only marks it dead, so the usual timeout that never fires costs O(1) to cancel and
the heap compacts itself. A callback runs in scheduler context and never blocks: a channel timer
does a non-blocking send into its channel (Go's ``sendTime``), an ``after_func`` timer starts a
goroutine (Go's ``goFunc``), a ticker also re-arms itself.

Go 1.23 made timer channels synchronous: after ``stop`` or ``reset`` returns, no value from
before the call can be received. Here a timer channel is buffered 1 internally (so the callback
never blocks, and a ticker drops ticks for a slow receiver); ``stop``/``reset`` drain that buffer
and count a drained value as "the timer was still active", which gives Go 1.23's return values.
``cap(t.c)`` therefore reports 1 where Go reports 0, and ``len(t.c)`` may be 1.

Go 1.23 also collects a timer or ticker that the program no longer references, even if it was
never stopped (the classic ``select`` with ``time.After`` in a loop used to pile up timers). Here
a timer reaches its channel through a weak reference; when the channel is collected, the timer
is queued on its timer heap's orphan list and stopped when this scheduler next arms a timer
(weakref callbacks may run at any allocation, or on another thread during a cyclic collection,
so they never touch the heap themselves). A ticker whose channel is gone stops re-arming.

A ticker keeps its original schedule, ``start + n*period``: a tick that finds the buffer full
is dropped, and a tick delivered late (the scheduler was busy) skips the ticks it missed, as
Go's ``when += period * (1 + delay/period)`` does.

Invariants:
  a channel timer's _Fire.rt is its RTimer while armed, None once fired or stopped (no cycle)
  a timer channel holds at most one value, and only a timer callback puts it there
  a ticker's next due time is start + n*period, strictly later than the clock at re-arming
"""

from __future__ import annotations

import math
import numbers
import weakref
from collections.abc import Callable
from types import CodeType
from typing import Final, final

from ._chan import Chan, RecvChan
from ._runtime import RTimer, Scheduler, call_site, current_scheduler, tls

__all__ = [
    "Ticker",
    "Timer",
    "after",
    "after_func",
    "new_ticker",
    "new_timer",
    "now",
    "since",
    "sleep",
    "tick",
    "until",
]

MAX_DURATION: Final = (2**63 - 1) / 1e9  # Go's largest Duration, in seconds (about 292 years)

_TICKER_NONPOSITIVE: Final = "non-positive interval for NewTicker"
_RESET_NONPOSITIVE: Final = "non-positive interval for Ticker.Reset"
_SECONDS: Final = "a number of seconds"


def seconds_arg(fn: str, what: str, x: float, expected: str = _SECONDS) -> float:
    """Check argument ``what`` of public function ``fn``: a real number, not NaN; return it.

    Go's durations and times are typed, so a bad one cannot reach ``time.Sleep``; here a
    string, None or NaN would otherwise be read as "now" or fail deep inside a timer. ``bool``
    is refused although Python counts it as an int: ``sleep(True)`` is a mistake, not a second.
    Infinity is accepted: a duration is clamped to :data:`MAX_DURATION` (see ``_when``). Call
    this before creating anything, so a refused call leaves no timer or channel behind.
    """
    t = type(x)
    if t is float:
        if math.isnan(x):
            raise ValueError(f"{fn}: {what} is NaN; pass {expected}")
        return x
    if t is int:
        return x
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{fn}: {what} must be {expected}, got {x!r} ({t.__name__})")
    return seconds_arg(fn, what, float(x), expected)  # Fraction, numpy floats: one plain float


def _when(s: Scheduler, d: float) -> float:
    """Go's ``when(d)``: the scheduler-clock time ``d`` seconds from now; ``d <= 0`` means now."""
    t = s.clock()
    if d > 0:
        t += d if d < MAX_DURATION else MAX_DURATION
    return t


# -- the clock ----------------------------------------------------------------------------------


def now() -> float:
    """The scheduler clock, in seconds (Go: ``time.Now()``, but a float, not a wall-clock time).

    ``time.monotonic()`` in an ordinary program; inside a ``gochan.testing`` bubble, the virtual
    clock, which starts at 946684800.0 (midnight UTC 2000-01-01) and stands still while any
    goroutine can run. Only differences between two values are meaningful outside a bubble.
    """
    return (tls.sched or current_scheduler()).clock()


def since(t: float) -> float:
    """Seconds elapsed since scheduler-clock time ``t`` (Go: ``time.Since(t)``)."""
    return (tls.sched or current_scheduler()).clock() - t


def until(t: float) -> float:
    """Seconds until scheduler-clock time ``t`` (Go: ``time.Until(t)``); negative once passed."""
    return t - (tls.sched or current_scheduler()).clock()


def sleep(d: float) -> None:
    """Block the current goroutine for ``d`` seconds (Go: ``time.Sleep(d)``).

    ``d <= 0`` returns at once without yielding, as in Go; ``d`` longer than Go's largest
    Duration (``inf`` included) sleeps that long, about 292 years. Wait reason in dumps: "sleep".
    Raises TypeError if ``d`` is not a number (or is a bool), ValueError if it is NaN.
    """
    d = seconds_arg("sleep", "duration", d)
    if d > 0:
        s = tls.sched or current_scheduler()
        s.sleep_until(_when(s, d))


# -- timer records --------------------------------------------------------------------------------


_TimerChan = Chan[float]  # a timer's channel: an ordinary channel (channels can be weakly referenced)


@final
class _Fire(weakref.ref[_TimerChan]):
    """What a channel timer's heap entry holds: a weak link to the channel, and the schedule.

    ``rt`` is set while the timer is armed and cleared when it fires or is stopped, so that the
    RTimer -> _Fire -> RTimer cycle exists only while the heap references it anyway.
    """

    __slots__ = ("rt", "garbage", "sched", "start", "n", "period")

    rt: RTimer | None
    garbage: list[RTimer]  # the timer heap's orphans: where _collected queues this timer
    sched: Scheduler  # tickers only: the scheduler whose clock re-arms them
    start: float  # tickers only: due time of tick 0
    n: int  # tickers only: the armed tick is due at start + n * period
    period: float  # tickers only


def _collected(f: weakref.ref[_TimerChan]) -> None:
    """Weakref callback: the channel is gone; queue the timer to be stopped (may run on any thread)."""
    assert isinstance(f, _Fire)
    rt = f.rt
    if rt is not None:
        f.garbage.append(rt)  # the heap's orphans: list.append is atomic, safe from any thread


def _sched() -> tuple[Scheduler, list[RTimer]]:
    """The current scheduler and its timer heap's orphan list (the heap stops them on its next add)."""
    s = tls.sched or current_scheduler()
    return s, s.timer_orphans


def _send_time(f: _Fire) -> None:
    """A channel timer fired: non-blocking send of its due time (Go's ``sendTime``)."""
    rt = f.rt
    f.rt = None
    ch = f()
    if ch is not None and rt is not None:
        ch.try_send(rt.when)


def _send_tick(f: _Fire) -> None:
    """A ticker fired: non-blocking send of its due time, then re-arm on the original schedule."""
    rt = f.rt
    ch = f()
    if ch is None or rt is None:  # nobody can receive any more: let the ticker go (Go 1.23)
        f.rt = None
        return
    due = rt.when
    ch.try_send(due)  # a full buffer drops the tick: the receiver is slow
    now = f.sched.now  # the clock value the scheduler is firing timers for
    period = f.period
    n = f.n + 1 + int((now - due) // period)  # skip the ticks that were missed (Go: 1 + delay/period)
    nxt = f.start + n * period
    if nxt <= now:  # float rounding at an exact multiple
        n += 1
        nxt = f.start + n * period
    f.n = n
    f.sched.reset_timer(rt, nxt)


def _go_func(arg: tuple[Scheduler, Callable[[], object], tuple[CodeType, int], int]) -> None:
    """An after_func timer fired: start ``fn`` in its own goroutine (Go's ``goFunc``)."""
    s, fn, where, goid = arg
    s.spawn(fn, (), {}, 0, where, goid=goid)  # created by the after_func call, in the goroutine that made it


def _drain(ch: Chan[float] | None) -> bool:
    """Take a stale value out of a timer channel; return whether there was one."""
    if ch is not None and len(ch):
        ch.try_recv()
        return True
    return False


# -- Timer ------------------------------------------------------------------------------------------


@final
class Timer:
    """A single event: after a duration, send the time on ``c``, or run a function.

    Go: ``time.Timer``. Made by :func:`new_timer` (``c`` receives the due time) or
    :func:`after_func` (the function runs in its own goroutine; ``c`` is never sent on, as Go's
    nil ``C``, and a receive from it blocks forever). ``c`` works as a :func:`~gochan.select` case.
    A Timer belongs to the scheduler (OS thread) that made it.
    """

    __slots__ = ("c", "_s", "_rt", "_ch", "_fire")

    c: RecvChan[float]
    _s: Scheduler
    _rt: RTimer
    _ch: Chan[float] | None  # the channel a callback sends on; None for after_func
    _fire: _Fire | None  # None for after_func

    def __init__(self) -> None:
        raise TypeError("a Timer cannot be created directly: use new_timer(d) or after_func(d, fn)")

    def __repr__(self) -> str:
        state = "active" if self._rt.pending else "inactive"
        return f"<Timer {state} when={self._rt.when}>"

    def stop(self) -> bool:
        """Stop the timer; return True if this call stopped it, False if it had fired or been stopped.

        Go 1.23: a value the timer sent that nobody received yet is discarded, so no receive after
        ``stop`` returns gets a stale value, and ``stop`` returns True for it (the send had not
        happened, as far as the program can tell). For an ``after_func`` timer, False means the
        function has already been started in its own goroutine; ``stop`` does not wait for it.
        """
        pending = self._s.stop_timer(self._rt)
        if self._fire is not None:
            self._fire.rt = None
        if _drain(self._ch):
            pending = True
        return pending

    def reset(self, d: float) -> bool:
        """Re-arm the timer to fire ``d`` seconds from now; return whether it had been active.

        Go: ``t.Reset(d)``, with Go 1.23's guarantee that no value from before the reset can be
        received after it returns. ``d <= 0`` fires at once. An ``after_func`` timer runs its
        function again.
        """
        d = seconds_arg("Timer.reset", "duration", d)  # before stopping: a refused reset changes nothing
        s = self._s
        rt = self._rt
        pending = s.stop_timer(rt)
        if _drain(self._ch):
            pending = True
        if self._fire is not None:
            self._fire.rt = rt
        s.reset_timer(rt, _when(s, d))
        return pending


def _timer_chan(
    s: Scheduler, garbage: list[RTimer], d: float, fn: Callable[[_Fire], None]
) -> tuple[_TimerChan, _Fire, RTimer]:
    """A channel timer's parts, armed: its channel, the weak link the heap holds, its RTimer."""
    ch: Chan[float] = Chan(1, zero=0.0)
    f = _Fire(ch, _collected)
    f.garbage = garbage
    f.rt = rt = s.add_timer(_when(s, d), fn, f)
    return ch, f, rt


def new_timer(d: float) -> Timer:
    """A Timer that sends its due time on ``t.c`` after ``d`` seconds (Go: ``time.NewTimer(d)``)."""
    d = seconds_arg("new_timer", "duration", d)
    s, garbage = _sched()
    t: Timer = object.__new__(Timer)
    t._s = s
    ch, t._fire, t._rt = _timer_chan(s, garbage, d, _send_time)
    t.c = t._ch = ch
    return t


def after(d: float) -> RecvChan[float]:
    """A channel that receives the due time after ``d`` seconds (Go: ``time.After(d)``).

    The usual timeout: ``select(recv(ch), recv(after(1.0)))``. As in Go 1.23, the timer needs no
    stop: once the channel is unreachable, the timer is discarded.
    """
    d = seconds_arg("after", "duration", d)
    s, garbage = _sched()
    return _timer_chan(s, garbage, d, _send_time)[0]


def after_func(d: float, fn: Callable[[], object]) -> Timer:
    """Run ``fn()`` in its own goroutine after ``d`` seconds; return a Timer to stop or reset it.

    Go: ``time.AfterFunc(d, f)``. The goroutine's dump shows it was created by the ``after_func``
    call. The returned Timer's ``c`` is never sent on.
    """
    d = seconds_arg("after_func", "duration", d)
    if not callable(fn):
        raise TypeError(f"after_func: f must be a function to call, got {fn!r} ({type(fn).__name__})")
    s, _ = _sched()
    where = call_site()  # the after_func call: its goroutine is created there
    t: Timer = object.__new__(Timer)
    t._s = s
    t.c = Chan(0, zero=0.0)
    t._ch = None
    t._fire = None
    t._rt = s.add_timer(_when(s, d), _go_func, (s, fn, where, s.current.id))
    return t


# -- Ticker -----------------------------------------------------------------------------------------


@final
class Ticker:
    """Sends the time on ``c`` every period; drops ticks for a slow receiver (Go: ``time.Ticker``).

    Made by :func:`new_ticker`. Ticks stay on the original schedule: a receiver that falls behind
    gets the one tick the channel holds, then the next tick on schedule. A Ticker belongs to the
    scheduler (OS thread) that made it.
    """

    __slots__ = ("c", "_s", "_rt", "_ch", "_fire")

    c: RecvChan[float]
    _s: Scheduler
    _rt: RTimer
    _ch: _TimerChan
    _fire: _Fire

    def __init__(self) -> None:
        raise TypeError("a Ticker cannot be created directly: use new_ticker(d)")

    def __repr__(self) -> str:
        state = "active" if self._rt.pending else "stopped"
        return f"<Ticker {state} period={self._fire.period}>"

    def stop(self) -> None:
        """Turn the ticker off: no more ticks, and no tick from before the call is received (Go 1.23)."""
        self._s.stop_timer(self._rt)
        self._fire.rt = None
        _drain(self._ch)

    def reset(self, d: float) -> None:
        """Stop the ticker and restart it with period ``d``: the next tick is ``d`` seconds from now.

        Go: ``t.Reset(d)``. Raises ValueError("non-positive interval for Ticker.Reset") if ``d <= 0``.
        """
        d = seconds_arg("Ticker.reset", "interval", d)
        if not d > 0:
            raise ValueError(_RESET_NONPOSITIVE)
        self._s.stop_timer(self._rt)
        _drain(self._ch)
        self._s.reset_timer(self._rt, _schedule(self._s, self._fire, self._rt, d))


def _schedule(s: Scheduler, f: _Fire, rt: RTimer | None, d: float) -> float:
    """Start a ticker's schedule with period ``d`` now; return its first tick's due time."""
    f.period = d if d < MAX_DURATION else MAX_DURATION
    f.start = _when(s, d)
    f.n = 0
    f.rt = rt
    return f.start


def new_ticker(d: float) -> Ticker:
    """A Ticker that sends the time on ``t.c`` every ``d`` seconds (Go: ``time.NewTicker(d)``).

    Raises ValueError("non-positive interval for NewTicker") if ``d <= 0``. Stop it when done
    (Go: ``defer t.Stop()``); as in Go 1.23, an unreachable ticker is discarded anyway.
    """
    d = seconds_arg("new_ticker", "interval", d)
    if not d > 0:
        raise ValueError(_TICKER_NONPOSITIVE)
    s, garbage = _sched()
    t: Ticker = object.__new__(Ticker)
    t._s = s
    ch: Chan[float] = Chan(1, zero=0.0)
    t.c = t._ch = ch
    t._fire = f = _Fire(ch, _collected)
    f.garbage = garbage
    f.sched = s
    t._rt = f.rt = s.add_timer(_schedule(s, f, None, d), _send_tick, f)
    return t


def tick(d: float) -> RecvChan[float] | None:
    """The channel of a new ticker with period ``d``, or None if ``d <= 0`` (Go: ``time.Tick(d)``).

    Go returns a nil channel for ``d <= 0``; None is gochan's nil channel (a select case on it
    is never ready). As in Go 1.23, the ticker is discarded once the channel is unreachable.
    """
    d = seconds_arg("tick", "interval", d)
    if not d > 0:
        return None
    return new_ticker(d).c
