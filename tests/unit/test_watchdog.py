"""gochan.watchdog: a goroutine running past the threshold without yielding is reported, once per episode.

The watchdog measures real time, so these tests cannot run on a virtual clock. They never sleep
for it: a hogging goroutine spins (or blocks) *until the report arrives*, and a well-behaved or
idle program runs until the monitor has sampled it over several thresholds (``Watchdog.checks``).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator

import greenlet
import pytest

from gochan import Chan, go, gosched, run
from gochan._runtime import Scheduler, current_scheduler, to_thread
from gochan.watchdog import Watchdog, watchdog

HERE = re.escape(__file__)
MOD = re.escape(__name__)
THRESHOLD = 0.05
PATIENCE = 5.0  # seconds before a test gives up waiting for a report that should come


class Reports:
    """A report callback that records texts and lets the watched goroutine wait for them."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.times: list[float] = []
        self.arrived = threading.Event()

    def __call__(self, text: str) -> None:
        self.times.append(time.perf_counter())
        self.texts.append(text)
        self.arrived.set()


def spin_until(done: threading.Event) -> None:
    """Hog the thread (no yielding) until ``done`` is set — the one place real time passes."""
    deadline = time.perf_counter() + PATIENCE
    while not done.is_set():
        assert time.perf_counter() < deadline, "the watchdog never reported"


def spin_until_checks(wd: Watchdog, n: int) -> None:
    deadline = time.perf_counter() + PATIENCE
    while wd.checks < n:
        assert time.perf_counter() < deadline


@pytest.fixture(autouse=True)
def no_trace_left() -> Iterator[None]:
    assert greenlet.gettrace() is None
    yield
    assert greenlet.gettrace() is None


# -- reporting ------------------------------------------------------------------------------------------


def test_a_busy_goroutine_is_reported_once_with_its_stack() -> None:
    reports = Reports()
    started: list[float] = []

    def busy_loop(wd: Watchdog, done: Chan[None]) -> None:
        started.append(time.perf_counter())
        spin_until(reports.arrived)
        spin_until_checks(wd, wd.checks + 8)  # still the same episode: two thresholds more
        done.send(None)

    def main() -> None:
        with watchdog(THRESHOLD, reports) as wd:
            done: Chan[None] = Chan()
            go(busy_loop, wd, done)
            done.recv()

    run(main)
    assert len(reports.texts) == 1
    assert reports.times[0] - started[0] >= THRESHOLD
    text = reports.texts[0]
    assert re.match(
        r"^gochan\.watchdog: goroutine 2 has run for at least \d+\.\d{3}s without yielding \(threshold 0\.05s\); "
        r"no other goroutine on its thread can run meanwhile\. "
        r"Run blocking calls with gochan\.to_thread; call gosched\(\) in long loops\.\n\n"
        r"goroutine 2 \[running\]:\n",
        text,
    ), text
    assert re.search(rf"\n{MOD}\.test_a_busy_.*\.<locals>\.busy_loop\(\.\.\.\)\n", text)
    assert re.search(rf"\n{MOD}\.spin_until\(\.\.\.\)\n\t{HERE}:\d+\n", text)  # innermost frames first
    assert re.search(rf"\ncreated by {MOD}\..*main in goroutine 1\n\t{HERE}:\d+\n$", text)
    assert "gochan/_runtime" not in text


def test_each_blocking_episode_is_reported_once() -> None:
    reports = Reports()

    def main() -> int:
        with watchdog(THRESHOLD, reports):
            ping: Chan[None] = Chan()
            for _ in range(2):
                reports.arrived.clear()
                spin_until(reports.arrived)
                go(ping.send, None)
                ping.recv()  # a switch: the episode ends
        return len(reports.texts)

    assert run(main) == 2
    assert all(t.split("\n")[2] == "goroutine 1 [running]:" for t in reports.texts)


def test_a_blocking_call_on_the_scheduler_thread_is_reported() -> None:
    reports = Reports()

    def blocking_call() -> None:
        assert reports.arrived.wait(PATIENCE)  # blocks the whole thread, as time.sleep would

    def main() -> None:
        with watchdog(THRESHOLD, reports):
            done: Chan[None] = Chan()

            def goroutine() -> None:
                blocking_call()
                done.send(None)

            go(goroutine)
            done.recv()

    run(main)
    assert len(reports.texts) == 1
    assert re.search(rf"\n{MOD}\..*blocking_call\(\.\.\.\)\n", reports.texts[0])


def test_the_default_report_is_a_warning_on_the_gochan_watchdog_logger() -> None:
    records: list[logging.LogRecord] = []
    arrived = threading.Event()

    class Handler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)
            arrived.set()

    log = logging.getLogger("gochan.watchdog")
    handler = Handler()
    log.addHandler(handler)
    try:

        def main() -> None:
            with watchdog(THRESHOLD):
                spin_until(arrived)

        run(main)
    finally:
        log.removeHandler(handler)
    assert [(r.name, r.levelno) for r in records] == [("gochan.watchdog", logging.WARNING)]
    assert "goroutine 1 [running]:" in records[0].getMessage()


# -- not reporting --------------------------------------------------------------------------------------


def test_a_well_behaved_program_is_not_reported() -> None:
    reports = Reports()

    def main() -> None:
        with watchdog(THRESHOLD, reports) as wd:
            ping: Chan[int] = Chan()
            pong: Chan[int] = Chan()

            def echo() -> None:
                for v in ping:
                    pong.send(v)

            go(echo)
            target = wd.checks + 8  # two thresholds of sampling
            n = 0
            while wd.checks < target:
                ping.send(n)
                n = pong.recv() or 0
            ping.close()

    run(main)
    assert reports.texts == []


def test_a_goroutine_that_parks_and_runs_again_without_a_switch_is_not_reported() -> None:
    reports = Reports()

    def main() -> None:
        s = current_scheduler()
        with watchdog(THRESHOLD, reports) as wd:
            target = wd.checks + 8
            while wd.checks < target:
                s.sleep_until(s.clock())  # parks; the due timer readies it; no greenlet switch

    run(main)
    assert reports.texts == []


def test_idle_waiting_is_not_reported() -> None:
    reports = Reports()

    def main() -> None:
        with watchdog(THRESHOLD, reports) as wd:
            # The scheduler idles while a thread waits out two thresholds of sampling.
            assert to_thread(wd._wait_checks, wd.checks + 8)

    run(main)
    assert reports.texts == []


# -- lifecycle -------------------------------------------------------------------------------------------


def test_stop_restores_the_previous_greenlet_trace_function_and_ends_the_monitor() -> None:
    events: list[str] = []

    def mine(event: str, args: tuple[greenlet.greenlet, greenlet.greenlet]) -> None:
        events.append(event)

    def main() -> tuple[int, int]:
        wd = watchdog(THRESHOLD, Reports())
        go(lambda: None)
        gosched()  # switches to the new goroutine and back
        forwarded = len(events)
        wd.stop()
        wd.stop()  # idempotent
        assert greenlet.gettrace() is mine
        assert not wd._thread.is_alive()
        return forwarded, wd._switches

    greenlet.settrace(mine)
    try:
        forwarded, counted = run(main)
    finally:
        greenlet.settrace(None)
    assert forwarded >= 2  # the previous trace function still saw every switch
    assert counted >= 2


def test_stop_on_another_thread_raises(implicit_scheduler: Scheduler) -> None:
    wd = watchdog(THRESHOLD, Reports())
    errors: list[BaseException] = []

    def other() -> None:
        try:
            wd.stop()
        except BaseException as e:
            errors.append(e)

    t = threading.Thread(target=other)
    t.start()
    t.join()
    wd.stop()
    assert [str(e) for e in errors] == [
        "Watchdog.stop must be called on the thread that started the watchdog (greenlet trace functions are per thread)"
    ]


@pytest.mark.parametrize("threshold", [0.0, -1.0])
def test_threshold_must_be_positive(threshold: float) -> None:
    with pytest.raises(ValueError, match=rf"^watchdog: threshold must be positive, got {threshold}$"):
        watchdog(threshold)
