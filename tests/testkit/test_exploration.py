"""Schedule exploration: hypothesis over schedules() and PCT find real bugs; a failing schedule replays."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from benchmarks.exploration import BUGS
from gochan import Chan, gosched, recv, run, select
from gochan.sync import WaitGroup
from gochan.testing import Schedule, explore_pct, schedules

# hypothesis's default budget (100 examples), derandomized: the same search on every machine
DEFAULT_BUDGET = settings(
    max_examples=100,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.generate, Phase.shrink],
    suppress_health_check=list(HealthCheck),
)


def find_with_schedules(fn: Callable[[], None]) -> tuple[BaseException, Schedule]:
    """Run hypothesis over schedules() until fn fails; the shrunk failure and its schedule."""
    last: list[tuple[BaseException, Schedule]] = []

    @DEFAULT_BUDGET
    @given(schedules())
    def explore(schedule: Schedule) -> None:
        try:
            schedule.run(fn)
        except Exception as e:
            last.append((e, Schedule.replay(schedule.choices)))
            raise

    with pytest.raises(Exception):
        explore()
    return last[-1]  # hypothesis re-runs the shrunk example last


@pytest.mark.parametrize("fn", list(BUGS.values()), ids=list(BUGS))
def test_each_demo_bug_passes_under_the_default_schedule(fn: Callable[[], None]) -> None:
    run(fn)
    Schedule.replay([]).run(fn)  # every choice 0: the default schedule


@pytest.mark.parametrize("fn", list(BUGS.values()), ids=list(BUGS))
def test_schedules_find_each_demo_bug_within_the_default_budget_and_the_failure_replays(
    fn: Callable[[], None],
) -> None:
    err, schedule = find_with_schedules(fn)
    with pytest.raises(type(err)) as again:
        schedule.run(fn)
    assert str(again.value) == str(err)
    replayed = Schedule.replay(schedule.choices)  # the same choices, once more: the same run
    with pytest.raises(type(err)):
        replayed.run(fn)
    assert replayed.choices == schedule.choices


@pytest.mark.parametrize("fn", list(BUGS.values()), ids=list(BUGS))
def test_pct_finds_each_demo_bug_and_names_the_replay(fn: Callable[[], None]) -> None:
    with pytest.raises(Exception) as info:
        explore_pct(fn, runs=1000, depth=3)
    note = info.value.__notes__[-1]
    assert note.startswith("PCT run ")
    replay = eval(note.split("replay: ", 1)[1], {"Schedule": Schedule})
    with pytest.raises(type(info.value)):
        replay.run(fn)


def test_pct_runs_a_correct_program_every_time() -> None:
    def correct() -> None:
        wg = WaitGroup()
        out: Chan[int] = Chan(2)
        wg.go(out.send, 1)
        wg.go(out.send, 2)
        wg.wait()
        out.close()
        assert sorted(out) == [1, 2]

    assert explore_pct(correct, runs=50) == 50


def test_a_schedule_decides_which_runnable_goroutine_runs_next() -> None:
    def order() -> list[str]:
        events: list[str] = []
        wg = WaitGroup()
        wg.go(events.append, "a")
        wg.go(events.append, "b")
        wg.wait()
        return events

    seen = {tuple(Schedule.replay([c]).run(order)) for c in (0, 1)}
    assert seen == {("a", "b"), ("b", "a")}


def test_a_schedule_decides_selects_random_choice() -> None:
    def pick() -> int:
        a: Chan[int] = Chan(1)
        b: Chan[int] = Chan(1)
        a.send(0)
        b.send(1)
        idx, _, _ = select(recv(a), recv(b))
        return idx

    # the two sends are yield points (choice 0: no yield); then select's draw
    assert {Schedule.replay([0, 0, k], yields=True).run(pick) for k in (0, 255)} == {0, 1}
    assert {Schedule.replay([k], yields=False).run(pick) for k in (0, 255)} == {0, 1}


def test_channels_yield_only_during_a_controlled_run() -> None:
    send_before = Chan.send
    seen: list[bool] = []

    def main() -> None:
        seen.append(Chan.send is not send_before)
        gosched()

    Schedule.replay([]).run(main)
    assert seen == [True]
    assert Chan.send is send_before

