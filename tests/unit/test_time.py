"""time: sleep, after, after_func, Timer, Ticker, tick — Go 1.23 semantics, on virtual time.

Every time-dependent test runs in a synctest bubble (``@synctest``): the clock starts at
946684800.0 and jumps from timer to timer, so timestamps are exact and nothing sleeps for real.
``at()`` is the bubble's virtual time since it started. Two tests use the real clock and only
check that a timer fires (no timing assertions).
"""

from __future__ import annotations

import functools
import gc
import re
import sys
import time
from collections.abc import Callable
from fractions import Fraction

import pytest

from gochan import Chan, dump_goroutines, go, gosched, recv, run, select
from gochan._runtime import Scheduler, current_scheduler, to_thread
from gochan._time import (
    MAX_DURATION,
    Ticker,
    Timer,
    after,
    after_func,
    new_ticker,
    new_timer,
    now,
    since,
    sleep,
    tick,
    until,
)
from gochan.testing import synctest, wait

T0 = 946684800.0  # a bubble's clock at start: midnight UTC 2000-01-01


def at() -> float:
    """Virtual seconds since the bubble started."""
    return since(T0)


def heap_size() -> int:
    return len(current_scheduler().timers.heap)


def sleep_then(d: float, fn: Callable[[], object]) -> Callable[[], None]:
    """A goroutine body: sleep ``d`` seconds, then call ``fn``."""

    def body() -> None:
        sleep(d)
        fn()

    return body


# -- the clock and sleep ----------------------------------------------------------------------------


@synctest
def test_now_since_until_read_the_scheduler_clock() -> None:
    assert now() == T0
    sleep(1.5)
    assert (now(), since(T0), until(T0 + 2.0)) == (T0 + 1.5, 1.5, 0.5)


@synctest
def test_sleepers_wake_in_due_order_at_their_due_times() -> None:
    woke: list[tuple[str, float]] = []
    for name, d in [("c", 3.0), ("a", 1.0), ("b", 2.0)]:
        go(sleep_then(d, functools.partial(lambda n: woke.append((n, at())), name)))
    sleep(4.0)
    assert woke == [("a", 1.0), ("b", 2.0), ("c", 3.0)]


@synctest
def test_sleepers_due_at_the_same_time_wake_in_the_order_they_slept() -> None:
    slept: list[int] = []
    woke: list[int] = []

    def sleeper(i: int) -> None:
        slept.append(i)
        sleep(1.0)
        woke.append(i)

    for i in range(5):
        go(sleeper, i)
    sleep(2.0)
    assert slept == [4, 0, 1, 2, 3]  # the last goroutine started runs first (Go's runnext)
    assert woke == slept


@synctest
def test_sleep_of_zero_or_less_returns_at_once_without_yielding() -> None:
    events: list[str] = []
    go(lambda: events.append("other ran"))
    sleep(0)
    sleep(-1.0)
    assert (events, at()) == ([], 0.0)  # Go's Sleep(d <= 0) does not even yield
    wait()
    assert events == ["other ran"]


@synctest
def test_sleep_longer_than_gos_largest_duration_is_clamped() -> None:
    sleep(float("inf"))
    assert at() == MAX_DURATION


@synctest
def test_sleep_parks_with_wait_reason_sleep() -> None:
    go(sleep, 1.0)
    wait()
    assert "goroutine 2 [sleep]:" in dump_goroutines()
    sleep(1.0)
    wait()  # woken at the same instant as main: not necessarily run before main
    assert "goroutine 2" not in dump_goroutines()


# -- after ------------------------------------------------------------------------------------------


@synctest
def test_after_sends_its_due_time_once_the_duration_has_passed() -> None:
    c = after(2.0)
    assert c.try_recv() is None
    assert c.recv() == T0 + 2.0
    assert at() == 2.0
    assert c.try_recv() is None  # one value only


@synctest
def test_timeout_pattern_select_takes_the_timer_case_when_nothing_else_is_ready() -> None:
    ch: Chan[int] = Chan()
    assert select(recv(ch), recv(after(1.0))) == (1, T0 + 1.0, True)
    assert at() == 1.0


@synctest
def test_timeout_pattern_select_takes_the_channel_when_it_is_ready_first() -> None:
    ch: Chan[int] = Chan()
    go(sleep_then(0.5, lambda: ch.send(7)))
    assert select(recv(ch), recv(after(1.0))) == (0, 7, True)
    assert at() == 0.5


@synctest
def test_a_timer_channel_works_in_select_with_default() -> None:
    t = new_timer(1.0)
    assert select(recv(t.c), default=True) == (-1, None, False)
    sleep(1.0)
    assert select(recv(t.c), default=True) == (0, T0 + 1.0, True)


# -- after_func -------------------------------------------------------------------------------------


@synctest
def test_after_func_runs_fn_in_its_own_goroutine_created_at_the_call() -> None:
    ch: Chan[str] = Chan()
    dumps: list[str] = []

    def fn() -> None:
        dumps.append(dump_goroutines())
        ch.send("from fn")  # blocks until main receives: only a goroutine can do that

    after_func(1.0, fn)
    assert ch.recv() == "from fn"
    assert at() == 1.0
    head, _, _ = dumps[0].partition("\n\n")  # the running goroutine's block comes first
    assert head.startswith("goroutine 2 [running]:")
    creator = f"{__name__}.test_after_func_runs_fn_in_its_own_goroutine_created_at_the_call"
    assert f"created by {creator} in goroutine 1" in head


@synctest
def test_after_func_stopped_before_it_fires_never_runs() -> None:
    ran: list[float] = []
    t = after_func(1.0, lambda: ran.append(at()))
    assert t.stop() is True
    sleep(5.0)
    assert ran == []
    assert t.stop() is False


@synctest
def test_after_func_stop_after_it_fired_returns_false() -> None:
    ran: list[float] = []
    t = after_func(1.0, lambda: ran.append(at()))
    sleep(2.0)
    assert (ran, t.stop()) == ([1.0], False)


@synctest
def test_after_func_reset_runs_fn_again() -> None:
    ran: list[float] = []
    t = after_func(1.0, lambda: ran.append(at()))
    sleep(2.0)
    assert t.reset(3.0) is False  # it had fired
    assert t.reset(1.0) is True  # it was active again: this replaces the 3 s arming
    sleep(10.0)
    assert ran == [1.0, 3.0]


@synctest
def test_after_func_timer_channel_is_never_sent_on() -> None:
    t = after_func(1.0, lambda: None)
    sleep(2.0)
    assert t.c.try_recv() is None  # Go: C is nil for an AfterFunc timer


# -- Timer.stop in every state (Go 1.23) ------------------------------------------------------------


@synctest
def test_stop_of_an_active_timer_returns_true_and_it_never_fires() -> None:
    t = new_timer(1.0)
    assert t.stop() is True
    sleep(2.0)
    assert t.c.try_recv() is None


@synctest
def test_stop_of_a_fired_unreceived_timer_returns_true_and_discards_the_stale_value() -> None:
    t = new_timer(1.0)
    sleep(2.0)  # fired: its value waits in the channel
    assert t.stop() is True  # Go 1.23: the send had not happened, as far as the program can tell
    assert t.c.try_recv() is None


@synctest
def test_stop_of_a_fired_received_timer_returns_false() -> None:
    t = new_timer(1.0)
    assert t.c.recv() == T0 + 1.0
    assert t.stop() is False


@synctest
def test_stop_of_a_stopped_timer_returns_false() -> None:
    t = new_timer(1.0)
    t.stop()
    assert t.stop() is False


@synctest
def test_stop_does_not_take_a_value_already_handed_to_a_blocked_receiver() -> None:
    t = new_timer(1.0)
    got: list[float | None] = []
    go(lambda: got.append(t.c.recv()))
    sleep(1.0)  # the timer fires into the parked receiver: that value is received
    assert t.stop() is False
    wait()
    assert got == [T0 + 1.0]


# -- Timer.reset in every state (Go 1.23) -----------------------------------------------------------


@synctest
def test_reset_of_an_active_timer_returns_true_and_moves_the_due_time() -> None:
    t = new_timer(1.0)
    assert t.reset(5.0) is True
    assert t.c.recv() == T0 + 5.0


@synctest
def test_reset_of_a_fired_unreceived_timer_returns_true_and_no_stale_value_is_received() -> None:
    t = new_timer(1.0)
    sleep(2.0)
    assert t.reset(3.0) is True
    assert t.c.try_recv() is None  # not the value due at 1.0
    assert t.c.recv() == T0 + 5.0
    assert at() == 5.0


@synctest
def test_reset_of_a_fired_received_timer_returns_false_and_rearms_it() -> None:
    t = new_timer(1.0)
    t.c.recv()
    assert t.reset(1.0) is False
    assert t.c.recv() == T0 + 2.0


@synctest
def test_reset_of_a_stopped_timer_returns_false_and_rearms_it() -> None:
    t = new_timer(1.0)
    t.stop()
    assert t.reset(2.0) is False
    assert t.c.recv() == T0 + 2.0


@synctest
def test_timer_of_zero_or_less_fires_at_once() -> None:
    assert new_timer(0).c.recv() == T0
    assert new_timer(-5.0).c.recv() == T0
    assert at() == 0.0


@synctest
def test_timer_channel_is_buffered_one_internally() -> None:
    t = new_timer(1.0)
    assert t.c.cap == 1  # Go 1.23 reports 0: see docs/time.md
    sleep(1.0)
    assert len(t.c) == 1


def test_timers_and_tickers_cannot_be_constructed_directly() -> None:
    timer_text = r"^a Timer cannot be created directly: use new_timer\(d\) or after_func\(d, fn\)$"
    with pytest.raises(TypeError, match=timer_text):
        Timer()
    with pytest.raises(TypeError, match=r"^a Ticker cannot be created directly: use new_ticker\(d\)$"):
        Ticker()


# -- Ticker -----------------------------------------------------------------------------------------


@synctest
def test_ticker_sends_on_its_schedule() -> None:
    tk = new_ticker(1.0)
    assert [tk.c.recv() for _ in range(3)] == [T0 + 1.0, T0 + 2.0, T0 + 3.0]
    tk.stop()


@synctest
def test_ticker_drops_ticks_for_a_slow_receiver_and_keeps_its_schedule() -> None:
    tk = new_ticker(1.0)
    assert tk.c.recv() == T0 + 1.0
    sleep(3.5)  # ticks due at 2, 3, 4 find the one-slot buffer: 2 is kept, 3 and 4 dropped
    assert at() == 4.5
    assert tk.c.recv() == T0 + 2.0  # at once: the buffered tick
    assert at() == 4.5
    assert tk.c.recv() == T0 + 5.0  # the schedule did not move
    assert at() == 5.0
    tk.stop()


@synctest
def test_ticker_delivered_late_skips_the_ticks_it_missed() -> None:
    s = current_scheduler()
    tk = new_ticker(1.0)
    s.vnow += 3.5  # as if a goroutine hogged the processor for 3.5 s (no preemption)
    gosched()  # the scheduler looks for work: the tick due at 1.0 fires 2.5 s late
    assert tk.c.try_recv() == (T0 + 1.0, True)  # its value is its due time
    assert tk.c.recv() == T0 + 4.0  # 2.0 and 3.0 were skipped (Go: when + period*(1+delay/period))
    assert at() == 4.0
    tk.stop()


@synctest
def test_ticker_stop_ends_the_ticks_and_discards_a_pending_one() -> None:
    tk = new_ticker(1.0)
    sleep(1.5)  # a tick waits in the channel
    tk.stop()
    assert tk.c.try_recv() is None  # Go 1.23: no stale tick after stop
    sleep(10.0)
    assert tk.c.try_recv() is None


@synctest
def test_ticker_reset_changes_the_period_from_now_and_discards_a_pending_tick() -> None:
    tk = new_ticker(1.0)
    sleep(1.5)  # the tick due at 1.0 waits in the channel
    tk.reset(2.0)
    assert tk.c.try_recv() is None
    assert [tk.c.recv() for _ in range(2)] == [T0 + 3.5, T0 + 5.5]
    tk.stop()


@synctest
def test_ticker_reset_after_stop_restarts_it() -> None:
    tk = new_ticker(1.0)
    tk.stop()
    sleep(5.0)
    tk.reset(0.5)
    assert tk.c.recv() == T0 + 5.5
    tk.stop()


@pytest.mark.parametrize("d", [0, -1.0])
def test_new_ticker_with_non_positive_interval_raises_go_text(d: float) -> None:
    with pytest.raises(ValueError, match=r"^non-positive interval for NewTicker$"):
        new_ticker(d)


@pytest.mark.parametrize("d", [0, -1.0])
@synctest
def test_ticker_reset_with_non_positive_interval_raises_go_text(d: float) -> None:
    tk = new_ticker(1.0)
    with pytest.raises(ValueError, match=r"^non-positive interval for Ticker.Reset$"):
        tk.reset(d)
    assert tk.c.recv() == T0 + 1.0  # the ticker is unchanged
    tk.stop()


@pytest.mark.parametrize("d", [0, -1.0])
def test_tick_of_non_positive_duration_is_none(d: float) -> None:
    assert tick(d) is None  # Go: Tick returns nil


@synctest
def test_tick_returns_a_ticker_channel() -> None:
    c = tick(2.0)
    assert c is not None
    assert [c.recv(), c.recv()] == [T0 + 2.0, T0 + 4.0]


# -- the heap stays bounded; unreachable timers are discarded (Go 1.23) --------------------------


@synctest
def test_many_timers_started_and_stopped_keep_the_heap_bounded() -> None:
    peak = 0
    for _ in range(10_000):
        t = new_timer(3600.0)
        t.stop()
        peak = max(peak, heap_size())
    assert peak < 200


@synctest
def test_a_timer_reset_again_and_again_keeps_the_heap_bounded() -> None:
    t = new_timer(60.0)
    peak = 0
    for _ in range(10_000):
        t.reset(60.0)  # a heartbeat timeout pushed back on every message
        peak = max(peak, heap_size())
    assert peak < 200


@synctest
def test_after_in_a_select_loop_keeps_the_heap_bounded() -> None:
    ch: Chan[int] = Chan(1)
    peak = 0
    for i in range(10_000):
        ch.send(i)
        assert select(recv(ch), recv(after(3600.0))) == (0, i, True)
        peak = max(peak, heap_size())
    assert peak < 200  # Go 1.23 collects the unreferenced timers; Go 1.22 kept 10 000


@synctest
def test_an_unreachable_ticker_is_discarded() -> None:
    s = current_scheduler()
    tick(1.0)  # the channel is dropped at once
    new_timer(0).stop()  # creating a timer sweeps the discarded ones
    assert s.timers.next_when() is None


@synctest
def test_a_timer_whose_object_is_dropped_still_sends_on_its_channel() -> None:
    c = new_timer(1.0).c
    assert c.recv() == T0 + 1.0


# -- timers fire while goroutines never idle --------------------------------------------------------


def ping_pong_until(flag: list[bool]) -> int:
    """Ping-pong between main and an echo goroutine until ``flag[0]``; return the round trips."""
    ping: Chan[int] = Chan()
    pong: Chan[int] = Chan()

    def echo() -> None:
        for v in ping:
            pong.send(v)

    go(echo)
    n = 0
    while not flag[0]:
        ping.send(n)
        pong.recv()
        n += 1
        assert n < 5_000_000, "the timer never fired"
    ping.close()
    return n


@synctest
def test_a_due_timer_fires_while_two_goroutines_ping_pong() -> None:
    fired = [False]
    after_func(0, lambda: fired.__setitem__(0, True))  # due now; virtual time cannot move here
    assert ping_pong_until(fired) > 0
    assert at() == 0.0


def test_a_real_time_timer_fires_while_two_goroutines_ping_pong_without_idling() -> None:
    def main() -> int:
        fired = [False]
        after_func(0.002, lambda: fired.__setitem__(0, True))
        return ping_pong_until(fired)

    assert run(main) > 0


def test_a_real_time_sleep_and_after_fire_on_the_implicit_scheduler(implicit_scheduler: Scheduler) -> None:
    start = now()  # outside run(): the test's own greenlet is the main goroutine
    sleep(0.001)
    due = after(0.001).recv()
    assert due is not None
    assert due > start


# -- far-future timers under real time -------------------------------------------------------------


def test_a_timer_due_in_months_does_not_break_the_idle_poll() -> None:
    def main() -> None:
        go(sleep, 1e7)  # 116 days
        to_thread(time.sleep, 0.05)  # keeps the scheduler idle in its poll, due time 116 days away

    run(main)


# -- bad arguments: refused at the call, in the caller's terms, before anything is created ----------

NAN = float("nan")


def _reset_timer(d: object) -> None:
    new_timer(1.0).reset(d)  # type: ignore[arg-type]  # the point: a bad argument at run time


def _reset_ticker(d: object) -> None:
    new_ticker(1.0).reset(d)  # type: ignore[arg-type]  # the point: a bad argument at run time


BAD_DURATION_CALLS: list[tuple[str, str, Callable[[object], object]]] = [
    ("sleep", "duration", sleep),  # type: ignore[list-item]  # called with bad arguments on purpose
    ("new_timer", "duration", new_timer),  # type: ignore[list-item]
    ("after", "duration", after),  # type: ignore[list-item]
    ("after_func", "duration", lambda d: after_func(d, lambda: None)),  # type: ignore[arg-type]
    ("Timer.reset", "duration", _reset_timer),
    ("new_ticker", "interval", new_ticker),  # type: ignore[list-item]
    ("Ticker.reset", "interval", _reset_ticker),
    ("tick", "interval", tick),  # type: ignore[list-item]
]


@pytest.mark.parametrize(("name", "what", "call"), BAD_DURATION_CALLS, ids=[c[0] for c in BAD_DURATION_CALLS])
@pytest.mark.parametrize(
    ("arg", "shown"), [("1", r"'1' \(str\)"), (None, r"None \(NoneType\)"), (True, r"True \(bool\)")]
)
@synctest
def test_a_duration_that_is_not_a_number_raises_type_error_naming_the_call(
    name: str, what: str, call: Callable[[object], object], arg: object, shown: str
) -> None:
    with pytest.raises(TypeError, match=rf"^{re.escape(name)}: {what} must be a number of seconds, got {shown}$"):
        call(arg)


@pytest.mark.parametrize(("name", "what", "call"), BAD_DURATION_CALLS, ids=[c[0] for c in BAD_DURATION_CALLS])
@synctest
def test_a_nan_duration_raises_value_error_naming_the_call(
    name: str, what: str, call: Callable[[object], object]
) -> None:
    with pytest.raises(ValueError, match=rf"^{re.escape(name)}: {what} is NaN; pass a number of seconds$"):
        call(NAN)


@synctest
def test_a_refused_timer_leaves_no_timer_and_nothing_for_the_collector_to_complain_about() -> None:
    unraisable: list[object] = []
    old_hook = sys.unraisablehook
    sys.unraisablehook = unraisable.append
    try:
        before = heap_size()
        for make in (new_timer, after, new_ticker):
            with pytest.raises(TypeError):
                make("x")  # type: ignore[arg-type]  # the point: a bad argument at run time
        gc.collect()
        assert heap_size() == before
    finally:
        sys.unraisablehook = old_hook
    assert unraisable == []


@synctest
def test_a_refused_reset_leaves_the_timer_and_the_ticker_as_they_were() -> None:
    t = new_timer(1.0)
    tk = new_ticker(2.0)
    with pytest.raises(TypeError):
        t.reset("5")  # type: ignore[arg-type]  # the point: a bad argument at run time
    with pytest.raises(ValueError):
        tk.reset(NAN)
    assert t.c.recv() == T0 + 1.0
    assert tk.c.recv() == T0 + 2.0
    tk.stop()


def test_after_func_refuses_a_function_that_is_not_callable() -> None:
    with pytest.raises(TypeError, match=r"^after_func: f must be a function to call, got 'go' \(str\)$"):
        after_func(1.0, "go")  # type: ignore[arg-type]  # the point: a bad argument at run time


@synctest
def test_any_real_number_is_a_duration() -> None:
    sleep(Fraction(1, 2))  # type: ignore[arg-type]  # a Fraction is a real number
    assert at() == 0.5
    assert after(Fraction(1, 4)).recv() == T0 + 0.75  # type: ignore[arg-type]  # a Fraction is a real number


@synctest
def test_an_infinite_duration_is_gos_largest_and_minus_infinity_is_now() -> None:
    t = new_timer(float("inf"))
    assert t.c.try_recv() is None
    assert new_timer(float("-inf")).c.recv() == T0  # fires at once, as any d <= 0
    assert t.c.recv() == T0 + MAX_DURATION  # about 292 years: forever, for a running program
