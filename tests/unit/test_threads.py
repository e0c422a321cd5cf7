"""OS threads: to_thread (Go's syscall hand-off), ThreadBridge (other threads into a scheduler), set_max_threads.

Threads and goroutines are synchronised with ``threading.Event``s and channels, never with sleeps.
Where a thread must act only once the scheduler has gone idle (to show that idling is not
reported as deadlock), it waits for ``s.idling``, the flag the scheduler sets around its idle wait.
"""

from __future__ import annotations

import contextvars
import re
import threading
import time
from collections.abc import Iterator

import pytest

from gochan import Chan, DeadlockError, go, gosched, run
from gochan._runtime import Scheduler, current_scheduler, dump_goroutines, set_max_threads, thread_bridge, to_thread

PATIENCE = 5.0  # seconds before a synchronisation that should happen is declared lost
DEADLOCK = r"^all goroutines are asleep - deadlock!\n"


def wait_idle(s: Scheduler) -> None:
    """From another thread: wait until scheduler ``s`` is idle (waiting, not reporting deadlock)."""
    deadline = time.monotonic() + PATIENCE
    while not s.idling:
        assert time.monotonic() < deadline, "the scheduler never went idle"
        time.sleep(0)  # yield the GIL


def wait(ev: threading.Event) -> None:
    assert ev.wait(PATIENCE), "lost synchronisation"


@pytest.fixture
def max_threads() -> Iterator[None]:
    """Tests that change the bound put the previous one back."""
    prev = set_max_threads(8)
    yield
    set_max_threads(prev)


# -- to_thread -------------------------------------------------------------------------------------------


def test_to_thread_returns_the_result_computed_on_another_thread() -> None:
    def main() -> tuple[int, int, int]:
        here = threading.get_ident()
        result, there = to_thread(lambda a, b: (a * b, threading.get_ident()), 6, b=7)
        return result, here, there

    result, here, there = run(main)
    assert result == 42
    assert here != there


def test_to_thread_raises_the_exception_of_the_thread() -> None:
    def fails() -> None:
        raise KeyError("from the thread")

    def main() -> str:
        try:
            to_thread(fails)
        except KeyError as e:
            assert e.__traceback__ is not None
            return repr(e)
        return "no exception"

    assert run(main) == "KeyError('from the thread')"


def test_other_goroutines_keep_running_while_a_thread_works() -> None:
    events: list[str] = []
    go_on = threading.Event()

    def blocking() -> str:
        events.append("thread started")
        wait(go_on)  # blocks this OS thread only
        events.append("thread done")
        return "result"

    def main() -> None:
        ch: Chan[int] = Chan()

        def other() -> None:
            for i in range(2):
                ch.send(i)  # goroutines trade values while main waits for the thread
            events.append("others done")
            go_on.set()

        def receiver() -> None:
            for v in ch:
                events.append(f"got {v}")

        go(other)
        go(receiver)
        events.append(f"main: {to_thread(blocking)}")
        ch.close()

    run(main)
    assert events.index("thread started") < events.index("thread done")
    events.remove("thread started")  # when the thread starts relative to the goroutines is the OS's choice
    assert events == ["got 0", "got 1", "others done", "thread done", "main: result"]


def test_outstanding_thread_work_keeps_the_deadlock_detector_quiet() -> None:
    def main() -> str:
        s = current_scheduler()

        def until_idle() -> str:
            wait_idle(s)  # every goroutine is blocked: only this thread can make progress
            return "woke"

        return to_thread(until_idle)

    assert run(main) == "woke"


def test_a_goroutine_in_to_thread_shows_syscall_in_the_dump() -> None:
    release = threading.Event()

    def main() -> str:
        done: Chan[None] = Chan()

        def worker() -> None:
            to_thread(wait, release)
            done.send(None)

        go(worker)
        gosched()  # worker runs and parks in to_thread
        dump = dump_goroutines()
        release.set()
        done.recv()
        return dump

    dump = run(main)
    assert re.search(r"^goroutine 2 \[syscall\]:\n.*worker\(\.\.\.\)\n", dump, re.M), dump


def test_to_thread_copies_the_goroutines_context_variables() -> None:
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")

    def main() -> str:
        var.set("from the goroutine")
        return to_thread(var.get)

    assert run(main) == "from the goroutine"


def test_a_goroutine_waiting_in_to_thread_is_discarded_when_main_returns() -> None:
    release = threading.Event()
    finished = threading.Event()
    after: list[str] = []

    def blocking() -> None:
        wait(release)
        finished.set()

    def main() -> str:
        def worker() -> None:
            to_thread(blocking)
            after.append("resumed")  # must never happen: the program has ended

        go(worker)
        gosched()
        return "main done"

    assert run(main) == "main done"  # does not wait for the thread, as a Go program exits
    release.set()
    wait(finished)
    assert after == []


def test_set_max_threads_bounds_how_many_calls_run_at_once(max_threads: None) -> None:
    lock = threading.Lock()
    active = peak = 0
    two_in = threading.Event()
    threads: set[int] = set()

    def blocking() -> None:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
            threads.add(threading.get_ident())
            if active == 2:
                two_in.set()
        wait(two_in)  # the first call waits for a second one to run beside it
        with lock:
            active -= 1

    def main() -> None:
        done: Chan[None] = Chan()

        def caller() -> None:
            to_thread(blocking)
            done.send(None)

        for _ in range(4):
            go(caller)
        for _ in range(4):
            done.recv()

    assert set_max_threads(2) == 8
    run(main)
    assert peak == 2
    assert len(threads) == 2


def test_set_max_threads_needs_at_least_one_thread(max_threads: None) -> None:
    with pytest.raises(ValueError, match=r"^set_max_threads: need at least one thread, got 0$"):
        set_max_threads(0)


# -- ThreadBridge ----------------------------------------------------------------------------------------


def test_bridge_go_from_another_thread_delivers_into_a_channel() -> None:
    def main() -> list[int]:
        ch: Chan[int] = Chan()
        with thread_bridge() as bridge:

            def producer() -> None:
                for v in (1, 2, 3):
                    bridge.go(ch.send, v)  # each send runs as a goroutine on the scheduler
                bridge.go(ch.close)

            t = threading.Thread(target=producer)
            t.start()
            got = sorted(v for v in ch)  # goroutines' order is the scheduler's; the values are all there
            t.join()
        return got

    assert run(main) == [1, 2, 3]


def test_bridge_call_soon_runs_on_the_scheduler_thread() -> None:
    def main() -> tuple[int, int, int | None]:
        here = threading.get_ident()
        ran_on: Chan[int] = Chan(1)
        there: list[int] = []
        with thread_bridge() as bridge:

            def other() -> None:
                there.append(threading.get_ident())
                bridge.call_soon(lambda: ran_on.try_send(threading.get_ident()))

            t = threading.Thread(target=other)
            t.start()
            v = ran_on.recv()
            t.join()
        return here, there[0], v

    here, other_thread, ran_on = run(main)
    assert ran_on == here
    assert other_thread != here


def test_a_closed_bridge_raises_its_text() -> None:
    def main() -> None:
        bridge = thread_bridge()
        bridge.close()
        bridge.close()  # idempotent
        bridge.call_soon(print)

    with pytest.raises(RuntimeError, match=r"^ThreadBridge is closed: open a new one with gochan\.thread_bridge\(\)$"):
        run(main)


def test_an_open_bridge_keeps_the_deadlock_detector_quiet_until_it_is_closed() -> None:
    idle_seen = threading.Event()

    def main() -> None:
        s = current_scheduler()
        bridge = thread_bridge()

        def closer() -> None:
            wait_idle(s)  # main is blocked for good, but the bridge is open: not a deadlock yet
            idle_seen.set()
            bridge.close()  # now it is

        t = threading.Thread(target=closer)
        t.start()
        try:
            Chan[int]().recv()
        finally:
            t.join()

    with pytest.raises(DeadlockError, match=DEADLOCK):
        run(main)
    assert idle_seen.is_set()


def test_a_bridge_closed_on_the_scheduler_thread_lets_deadlock_be_reported() -> None:
    def main() -> None:
        thread_bridge().close()
        Chan[int]().recv()

    with pytest.raises(DeadlockError, match=DEADLOCK):
        run(main)
