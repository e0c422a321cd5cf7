"""testing: Go's synctest — bubbles on virtual time, wait(), deadlocks and leaks inside a bubble.

Interleavings are asserted as transcripts; every clock value is virtual and exact.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from gochan import Chan, DeadlockError, dump_goroutines, go, gosched, num_goroutine, recv, select
from gochan import run as gorun
from gochan._runtime import current_scheduler, to_thread
from gochan._time import after, new_ticker, now, since, sleep
from gochan.errors import ProgramExit, SyncError
from gochan.testing import run, synctest, wait

T0 = 946684800.0  # midnight UTC 2000-01-01
BUBBLE_DEADLOCK = "deadlock: all goroutines in bubble are blocked"
EXITED_DEADLOCK = "deadlock: main bubble goroutine has exited but blocked goroutines remain"


def deadlock_of(fn: object) -> DeadlockError:
    """Run ``fn`` in a bubble expecting a deadlock; return the error."""
    with pytest.raises(DeadlockError) as ei:
        run(fn)  # type: ignore[arg-type]  # tests pass zero-argument functions
    return ei.value  # its text is pinned with == : match= would also see the dump note


def sleep_then(d: float, fn: Callable[[], object]) -> Callable[[], None]:
    """A goroutine body: sleep ``d`` seconds, then call ``fn``."""

    def body() -> None:
        sleep(d)
        fn()

    return body


# -- virtual time ------------------------------------------------------------------------------------


def test_a_one_hour_timeout_runs_in_milliseconds_and_sees_exactly_one_hour() -> None:
    def main() -> tuple[int, float]:
        reply: Chan[str] = Chan()  # a server that never answers
        start = now()
        idx, _, _ = select(recv(reply), recv(after(3600.0)))
        return idx, since(start)

    wall = time.perf_counter()
    assert run(main) == (1, 3600.0)
    assert time.perf_counter() - wall < 2.0  # generous: it takes about a millisecond


def test_the_clock_starts_at_midnight_utc_2000_01_01() -> None:
    assert run(now) == T0


def test_the_clock_stands_still_while_goroutines_can_run() -> None:
    def main() -> float:
        def spin() -> None:
            for _ in range(100):
                gosched()

        go(spin)
        spin()
        return since(T0)

    assert run(main) == 0.0


def test_time_advances_only_when_every_goroutine_is_blocked() -> None:
    def main() -> list[tuple[str, float]]:
        events: list[tuple[str, float]] = []
        go(sleep_then(1.0, lambda: events.append(("goroutine woke", since(T0)))))
        sleep(2.0)  # the goroutine above runs before this returns
        events.append(("main woke", since(T0)))
        return events

    assert run(main) == [("goroutine woke", 1.0), ("main woke", 2.0)]


def test_the_same_seed_replays_the_same_run() -> None:
    def main() -> list[tuple[int, float]]:
        a: Chan[int] = Chan(100)
        b: Chan[int] = Chan(100)
        for i in range(50):
            a.send(i)
            b.send(i)
        picks: list[tuple[int, float]] = []
        for _ in range(50):
            idx, _, _ = select(recv(a), recv(b))
            sleep(0.5)
            picks.append((idx, since(T0)))
        return picks

    assert run(main, seed=7) == run(main, seed=7)


def test_time_does_not_advance_while_a_goroutine_waits_for_a_thread() -> None:
    def main() -> tuple[float, list[str]]:
        events: list[str] = []
        go(sleep_then(1.0, lambda: events.append("sleeper woke")))
        to_thread(lambda: None)  # not durably blocked: the bubble waits for the thread
        seen = since(T0), list(events)
        sleep(1.0)
        return seen

    assert run(main) == (0.0, [])


# -- run -------------------------------------------------------------------------------------------


def test_run_returns_the_result_and_passes_arguments() -> None:
    def main(a: int, *, b: int) -> int:
        return a * b

    assert run(main, 6, b=7) == 42


def test_run_returns_only_after_every_goroutine_of_the_bubble_has_exited() -> None:
    events: list[str] = []

    def worker() -> None:
        for _ in range(3):
            gosched()
        events.append("worker done")

    def main() -> None:
        go(worker)
        events.append("main returns")

    run(main)
    assert events == ["main returns", "worker done"]


def test_goroutines_blocked_when_main_returns_are_a_leak() -> None:
    def main() -> None:
        go(lambda: Chan[int]().recv())

    err = deadlock_of(main)
    assert str(err) == EXITED_DEADLOCK
    assert "goroutine 2 [chan receive]:" in err.dump


def test_time_stops_when_main_returns_so_a_sleeping_goroutine_is_a_leak() -> None:
    def main() -> None:
        go(sleep, 1.0)

    err = deadlock_of(main)
    assert str(err) == EXITED_DEADLOCK
    assert "goroutine 2 [sleep]:" in err.dump


def test_an_unstopped_ticker_does_not_keep_the_bubble_alive_after_main_returns() -> None:
    def main() -> None:
        t = new_ticker(1.0)
        go(lambda: [t.c.recv() for _ in range(3)])

    err = deadlock_of(main)
    assert str(err) == EXITED_DEADLOCK


def test_main_returning_while_a_goroutine_is_in_wait_lets_that_wait_finish() -> None:
    events: list[str] = []
    ch: Chan[int] = Chan()

    def waiter() -> None:
        wait()
        events.append("wait returned")
        ch.send(1)

    def helper() -> None:
        events.append(f"helper got {ch.recv()}")

    def main() -> None:
        go(helper)
        go(waiter)
        gosched()  # waiter is now in wait(), helper blocked in recv

    run(main)
    assert events == ["wait returned", "helper got 1"]


def test_main_returning_while_a_goroutine_waits_again_and_again_lets_it_finish() -> None:
    events: list[str] = []

    def waiter() -> None:
        for i in range(3):
            wait()
            events.append(f"wait {i} returned")

    def main() -> None:
        go(waiter)
        gosched()  # waiter is in its first wait()

    run(main)
    assert events == ["wait 0 returned", "wait 1 returned", "wait 2 returned"]


def test_deadlock_inside_the_bubble_raises_with_gos_text_and_a_dump() -> None:
    def main() -> None:
        go(lambda: Chan[int]().recv())
        Chan[int]().recv()

    err = deadlock_of(main)
    assert str(err) == BUBBLE_DEADLOCK
    assert err.dump.startswith("goroutine 1 [chan receive]:")
    assert "goroutine 2 [chan receive]:" in err.dump


def test_deadlock_found_by_main_itself_raises_with_gos_text() -> None:
    err = deadlock_of(lambda: Chan[int]().recv())
    assert str(err) == BUBBLE_DEADLOCK


def test_deadlock_of_a_program_run_inside_the_bubble_keeps_its_own_text() -> None:
    def main() -> str:
        with pytest.raises(DeadlockError) as ei:
            to_thread(gorun, lambda: Chan[int]().recv())  # a program of its own, on its own thread
        return str(ei.value)

    assert run(main) == "all goroutines are asleep - deadlock!"


def test_an_exception_escaping_a_bubble_goroutine_is_raised_by_run() -> None:
    def main() -> None:
        go(lambda: 1 / 0)
        sleep(1.0)

    with pytest.raises(ZeroDivisionError) as ei:
        run(main)
    assert any("goroutine 2" in note for note in ei.value.__notes__)


def test_run_inside_a_bubble_raises_go_text() -> None:
    with pytest.raises(SyncError, match=r"^synctest.Run called from within a synctest bubble$"):
        run(run, lambda: None)


# -- wait -------------------------------------------------------------------------------------------


def test_wait_returns_once_every_other_goroutine_is_blocked() -> None:
    def main() -> list[str]:
        events: list[str] = []
        ch: Chan[int] = Chan()

        def worker() -> None:
            events.append("worker waits")
            events.append(f"worker got {ch.recv()}")
            events.append("worker exits")

        go(worker)
        events.append("main waits")
        wait()
        events.append("main sends")
        ch.send(1)
        wait()
        events.append("main done")
        return events

    assert run(main) == ["main waits", "worker waits", "main sends", "worker got 1", "worker exits", "main done"]


def test_wait_does_not_advance_time() -> None:
    def main() -> tuple[list[str], float]:
        events: list[str] = []
        go(sleep_then(5.0, lambda: events.append("sleeper woke")))
        wait()
        seen = list(events), since(T0)
        sleep(5.0)
        return seen

    assert run(main) == ([], 0.0)


def test_wait_with_no_other_goroutine_returns_at_once() -> None:
    def main() -> int:
        wait()
        return num_goroutine()

    assert run(main) == 1


def test_wait_parks_with_wait_reason_synctest_wait() -> None:
    def main() -> str:
        go(wait)
        gosched()
        return dump_goroutines()

    assert "goroutine 2 [synctest.Wait]:" in run(main)


def test_wait_outside_a_bubble_raises_go_text() -> None:
    with pytest.raises(SyncError, match=r"^goroutine is not in a bubble$"):
        gorun(wait)


def test_wait_while_another_goroutine_waits_raises_go_text() -> None:
    def main() -> None:
        quit: Chan[None] = Chan()
        go(quit.recv)
        go(wait)
        gosched()  # that goroutine is in wait() now
        with pytest.raises(SyncError, match=r"^wait already in progress$"):
            wait()
        quit.close()

    run(main)


def test_wait_is_undone_when_an_exception_is_thrown_into_it() -> None:
    seen: list[object] = []

    def main() -> None:
        def crash() -> None:
            gosched()
            raise KeyError("boom")

        go(crash)
        try:
            wait()  # the crash unwinds main while it waits
        except ProgramExit:
            seen.append(current_scheduler().syncwaiter)
            raise

    with pytest.raises(KeyError):
        run(main)
    assert seen == [None]


# -- the decorator -----------------------------------------------------------------------------------


@synctest
def test_decorated_test_runs_in_a_bubble() -> None:
    assert now() == T0
    sleep(3600.0)
    assert since(T0) == 3600.0


@pytest.fixture
def greeting() -> str:
    return "hello"


@synctest
def test_decorated_test_still_gets_its_fixtures(greeting: str, tmp_path: Path) -> None:
    assert greeting == "hello"
    assert tmp_path.is_dir()
    assert now() == T0


@synctest(seed=3)
def test_decorator_takes_a_seed() -> None:
    sleep(1.0)
    assert since(T0) == 1.0


def test_decorator_keeps_the_name_and_signature() -> None:
    import inspect

    def check(a: int, b: str = "x") -> str:
        return f"{a}{b}{since(T0)}"

    wrapped = synctest(check)
    assert wrapped.__name__ == "check"
    assert inspect.signature(wrapped) == inspect.signature(check)
    assert wrapped(1) == "1x0.0"
