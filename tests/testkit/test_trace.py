"""Execution traces: Chrome trace-event JSON with goroutine tracks, spans, reasons and flows; the summary."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import gochan.testing
from gochan import Chan, DeadlockError, go, gosched, run, sleep
from gochan._runtime import Scheduler, current_scheduler
from gochan.trace import format_duration, load, summarize

Events = list[dict[str, Any]]


def producer_consumer() -> None:
    """A known program: goroutine 2 sleeps 1s, hands 0 and 1 to main, sleeps 0.5s, closes."""
    ch: Chan[int] = Chan()

    def producer() -> None:
        sleep(1)
        ch.send(0)
        ch.send(1)
        sleep(0.5)
        ch.close()

    go(producer)
    assert list(ch) == [0, 1]


def check_format(events: Events) -> None:
    """Every event is a valid trace event of the kinds the tracer writes."""
    required = {"M": {"name", "pid", "tid", "args"}, "X": {"name", "cat", "pid", "tid", "ts", "dur"}}
    required |= {"s": {"id", "name", "cat", "pid", "tid", "ts"}, "f": {"id", "name", "cat", "pid", "tid", "ts", "bp"}}
    for ev in events:
        assert ev["ph"] in required, ev
        assert required[ev["ph"]] <= set(ev), ev
        if ev["ph"] == "X":
            assert ev["dur"] >= 0, ev
    starts = {ev["id"] for ev in events if ev["ph"] == "s"}
    ends = [ev["id"] for ev in events if ev["ph"] == "f"]
    assert sorted(ends) == sorted(starts), "every flow arrow has one start and one end"


def track_names(events: Events) -> dict[int, str]:
    return {ev["tid"]: ev["args"]["name"] for ev in events if ev["ph"] == "M" and ev["name"] == "thread_name"}


def flows(events: Events) -> set[tuple[str, str, int, int]]:
    """(cat, name, from track, to track) of every flow arrow."""
    start = {ev["id"]: ev for ev in events if ev["ph"] == "s"}
    return {(ev["cat"], ev["name"], start[ev["id"]]["tid"], ev["tid"]) for ev in events if ev["ph"] == "f"}


def spans(events: Events, tid: int) -> list[tuple[str, str]]:
    """(cat, name) of a track's spans in time order."""
    track = sorted((ev for ev in events if ev["ph"] == "X" and ev["tid"] == tid), key=lambda ev: float(ev["ts"]))
    return [(ev["cat"], ev["name"]) for ev in track]


def test_trace_has_goroutine_tracks_spans_reasons_and_flows(tmp_path: Path) -> None:
    path = tmp_path / "trace.json"
    gochan.testing.run(producer_consumer, trace=path)
    events = load(path)
    check_format(events)
    names = track_names(events)
    assert names[1] == "goroutine 1 (producer_consumer)"
    assert names[2] == "goroutine 2 (producer_consumer.<locals>.producer)"
    assert 0 in names  # timers, I/O, outside events
    blocked_main = {name for cat, name in spans(events, 1) if cat == "blocked"}
    blocked_producer = {name for cat, name in spans(events, 2) if cat == "blocked"}
    assert blocked_main == {"chan receive"}
    assert blocked_producer == {"sleep", "chan send"}
    assert ("running", "running") in spans(events, 2)
    assert all(ev["args"] == {"reason": ev["name"]} for ev in events if ev["ph"] == "X" and ev["cat"] == "blocked")
    found = flows(events)
    assert ("go", "go", 1, 2) in found  # main started the producer
    assert ("timer", "sleep", 0, 2) in found  # the producer's sleeps ended by a timer
    assert ("handoff", "chan receive", 2, 1) in found  # a send to the parked receiver (and the close)
    assert ("handoff", "chan send", 1, 2) in found  # a receive from the parked sender
    assert any(ev["tid"] == 0 and ev["name"] == "timer fired" for ev in events if ev["ph"] == "X")


def test_summary_of_a_known_program_on_virtual_time(tmp_path: Path) -> None:
    path = tmp_path / "trace.json"
    gochan.testing.run(producer_consumer, trace=path)
    proc = subprocess.run(
        [sys.executable, "-m", "gochan.trace", "summary", str(path)], capture_output=True, text=True, check=True
    )
    assert proc.stdout == (
        "wait reason                   count       total         p50         p99\n"
        "chan receive                      2        1.5s       500ms          1s\n"
        "sleep                             2        1.5s       500ms          1s\n"
        "chan send                         1          0s          0s          0s\n"
        "\n"
        "goroutine                                    running     blocked    runnable\n"
        "goroutine 1 (producer_consumer)                   0s        1.5s          0s\n"
        "goroutine 2 (producer_consumer.<locals>.producer)          0s        1.5s          0s\n"
    )


def test_summary_counts_each_blocked_span_by_reason() -> None:
    events: Events = [
        {"ph": "M", "name": "thread_name", "pid": 1, "tid": 1, "args": {"name": "goroutine 1 (main)"}},
        {"ph": "X", "cat": "blocked", "name": "select", "pid": 1, "tid": 1, "ts": 0, "dur": 3.0},
        {"ph": "X", "cat": "running", "name": "running", "pid": 1, "tid": 1, "ts": 3, "dur": 2.0},
        {"ph": "X", "cat": "blocked", "name": "select", "pid": 1, "tid": 1, "ts": 5, "dur": 1.0},
        {"ph": "X", "cat": "runnable", "name": "runnable", "pid": 1, "tid": 1, "ts": 6, "dur": 4.0},
    ]
    s = summarize(events)
    assert s.reasons == {"select": [3.0, 1.0]}
    g = s.goroutines[1]
    assert (g.name, g.running, g.blocked, g.runnable) == ("goroutine 1 (main)", 2.0, 4.0, 4.0)


@pytest.mark.parametrize(
    ("us", "text"), [(0, "0s"), (1.5e6, "1.5s"), (250_000, "250ms"), (3, "3µs"), (0.25, "250ns")]
)
def test_durations_print_as_go_does(us: float, text: str) -> None:
    assert format_duration(us) == text


def test_environment_variable_names_the_trace_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "env.json"
    monkeypatch.setenv("GOCHAN_TRACE", str(path))
    run(producer_consumer)
    check_format(load(path))
    assert track_names(load(path))[2] == "goroutine 2 (producer_consumer.<locals>.producer)"


def test_tracing_off_runs_the_plain_scheduler(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOCHAN_TRACE", raising=False)
    assert run(lambda: type(current_scheduler())) is Scheduler


def test_a_crash_still_writes_the_trace_and_names_the_goroutine(tmp_path: Path) -> None:
    path = tmp_path / "crash.json"

    def main() -> None:
        def boom() -> None:
            raise ValueError("boom")

        go(boom)
        Chan[None]().recv()

    with pytest.raises(ValueError, match=r"^boom") as info:
        run(main, trace=path)
    assert any(re.match(r"^goroutine 2 \(.*main\.<locals>\.boom\) crashed", n) for n in info.value.__notes__)
    events = load(path)
    check_format(events)
    assert ("running", "running") in spans(events, 2)
    assert ("blocked", "chan receive") in spans(events, 1)


def test_a_deadlock_still_writes_the_trace(tmp_path: Path) -> None:
    path = tmp_path / "deadlock.json"
    with pytest.raises(DeadlockError):
        run(lambda: Chan[None]().recv(), trace=path)
    events = load(path)
    check_format(events)
    assert ("blocked", "chan receive") in spans(events, 1)


def test_io_wait_is_a_span_and_its_wake_up_comes_from_outside(tmp_path: Path) -> None:
    path = tmp_path / "io.json"

    def main() -> None:
        r, w = socket.socketpair()
        done: Chan[bytes] = Chan()

        def reader() -> None:
            current_scheduler().wait_fd(r.fileno(), False)
            done.send(r.recv(1))

        go(reader)
        gosched()  # the reader parks in wait_fd
        w.send(b"x")
        assert done.recv() == b"x"
        current_scheduler().forget_fd(r.fileno())
        r.close()
        w.close()

    run(main, trace=path)
    events = load(path)
    check_format(events)
    assert ("blocked", "IO wait") in spans(events, 2)
    assert ("io", "IO wait", 0, 2) in flows(events)
