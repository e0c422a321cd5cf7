"""Seed 000's programs (examples.workers_*): exact transcripts on virtual time, with the clock beside each line."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import pytest

from examples import workers_basics, workers_v1, workers_v2, workers_v3
from gochan import ClosedChannelError, now, run
from gochan.testing import run as bubble

EPOCH = 946684800.0  # a bubble's clock at start


def timed(main: Callable[..., object], *args: object) -> list[tuple[float, str]]:
    """Run ``main(out, *args)`` in a bubble; each printed line with the virtual time it was printed at."""
    lines: list[tuple[float, str]] = []

    def out(line: str) -> None:
        lines.append((round(now() - EPOCH, 6), line))

    bubble(main, out, *args)
    return lines


def test_basics_goroutine_channels_and_select_print_what_the_slides_print() -> None:
    assert timed(workers_basics.goroutines) == [(1.0, "Wait for 1 sec")]
    got = timed(workers_basics.channels)
    assert sorted(line for _, line in got) == [f"Number {n}" for n in range(6)]  # Go does not order them
    assert {t for t, _ in got} == {1.0}
    assert [line for _, line in timed(workers_basics.select_fibonacci)] == [
        *map(str, [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]),
        "quit",
    ]


def test_closing_under_blocked_senders_panics_them_once_they_run() -> None:
    out: list[str] = []
    run(workers_basics.channels_close, out.append, 0.0)  # main returns first: they die with the program
    assert len(out) == 3
    with pytest.raises(ClosedChannelError, match=r"^send on closed channel\n"):
        bubble(workers_basics.channels_close, out.append)  # a bubble waits for them: they panic


def test_v1_does_one_job_at_a_time_so_the_newer_job_waits() -> None:
    assert timed(workers_v1.main, 1.0, 3) == [
        (1.0, "worker: north-america PURPLE"),
        (2.0, "worker: north-america PURPLE"),
        (3.0, "worker: north-america PURPLE"),
        (3.0, "worker: ack north-america PURPLE"),
        (4.0, "worker: north-america BLUE"),
        (5.0, "worker: north-america BLUE"),
        (6.0, "worker: north-america BLUE"),
        (6.0, "worker: ack north-america BLUE"),
    ]


def test_v2_a_newer_job_on_another_worker_stops_the_running_one_by_closing_its_stop_channel() -> None:
    assert timed(workers_v2.main, 1.0, 5) == [
        (1.0, "worker-A: north-america PURPLE"),
        (2.0, "worker-A: north-america PURPLE"),
        (2.5, "worker-A: stop north-america (worker-B runs it now)"),
        (3.0, "worker-A: north-america PURPLE"),  # the step in progress ends; the select then sees the close
        (3.0, "worker-A: ack north-america PURPLE"),
        (3.5, "worker-B: north-america BLUE"),
        (4.5, "worker-B: north-america BLUE"),
        (5.5, "worker-B: north-america BLUE"),
        (6.5, "worker-B: north-america BLUE"),
        (7.5, "worker-B: north-america BLUE"),
        (7.5, "worker-B: ack north-america BLUE"),
    ]


def test_v3_runs_commands_side_by_side_and_the_newest_job_of_each_command_wins() -> None:
    a1 = [(t, "worker-A: T1 PURPLE") for t in (1.0, 2.0, 3.0)]
    a2 = [(t, "worker-A: T2 RED") for t in (1.5, 2.5, 3.5, 4.5, 5.5)]
    b1 = [(t, "worker-B: T1 BLUE") for t in (3.2, 4.2, 5.2, 6.2, 7.2)]
    a3 = [(t, "worker-A: T2 GREEN") for t in (5.7, 6.7, 7.7, 8.7, 9.7)]
    events = [
        (2.2, "worker-A: stop T1 (worker-B runs it now)"),
        (3.0, "worker-A: ack T1 PURPLE"),
        (4.7, "worker-A: stop T2 (a newer T2 job arrived)"),
        (5.5, "worker-A: ack T2 RED"),
        (7.2, "worker-B: ack T1 BLUE"),
        (9.7, "worker-A: ack T2 GREEN"),
    ]
    got = timed(workers_v3.main, 1.0, 5)
    # Every instant differs, except a job's last step and its ack, which print in that order.
    assert got == sorted(a1 + a2 + b1 + a3 + events, key=lambda e: (e[0], "ack" in e[1]))


@pytest.mark.parametrize("module", [workers_v2, workers_v3])
def test_every_job_is_acknowledged_exactly_once_with_the_talks_100_steps(module: ModuleType) -> None:
    got = [line for _, line in timed(module.main)]
    acks = [line for line in got if ": ack " in line]
    assert len(acks) == len(set(acks)) == (2 if module is workers_v2 else 4)
