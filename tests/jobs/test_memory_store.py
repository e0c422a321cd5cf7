"""What only the memory store does: it forgets the oldest finished jobs beyond ``keep_finished``."""

from __future__ import annotations

import pytest

from gochan import now
from gochan.jobs import Jobs, MemoryStore, State
from gochan.testing import run

from .apps import echo_and_hang


def echo_jobs(store: MemoryStore, workers: int = 1) -> Jobs:
    """One worker by default: jobs then end in the order they were submitted."""
    return echo_and_hang(Jobs(store, capacity=100_000, workers=workers))


def test_the_oldest_finished_jobs_are_forgotten_and_still_counted() -> None:
    def main() -> None:
        jobs = echo_jobs(MemoryStore(clock=now, keep_finished=3))
        with jobs.serve():
            ids = [jobs.try_submit("echo", i) for i in range(5)]
            for i in ids[2:]:
                jobs.wait(i)
            assert [jobs.get(i) is None for i in ids] == [True, True, False, False, False]
            assert [info.result for info in jobs.list()] == [2, 3, 4]
            assert jobs.stats().counts[State.SUCCEEDED] == 5

    run(main)


def test_jobs_not_finished_are_never_forgotten() -> None:
    def main() -> None:
        jobs = echo_jobs(MemoryStore(clock=now, keep_finished=1), workers=2)
        with jobs.serve():
            hanging = jobs.try_submit("hang")
            done = [jobs.wait(jobs.try_submit("echo", i)) for i in range(4)]
            assert [d.state for d in done] == [State.SUCCEEDED] * 4
            info = jobs.get(hanging)
            assert info is not None and info.state is State.RUNNING
            assert jobs.cancel(hanging)
            assert jobs.wait(hanging).state is State.CANCELLED  # kept: it ended last
            assert jobs.get(done[-1].id) is None

    run(main)


@pytest.mark.parametrize(("keep", "left"), [(1, 1), (None, 50)])
def test_keep_none_keeps_every_job_and_one_keeps_the_last(keep: int | None, left: int) -> None:
    def main() -> None:
        store = MemoryStore(clock=now, keep_finished=keep)
        jobs = echo_jobs(store)
        with jobs.serve():
            last = [jobs.try_submit("echo", i) for i in range(50)][-1]
            ch = jobs.watch(last)
            states = [info.state for info in ch]
            assert states[-1] is State.SUCCEEDED
        assert len(store.list(limit=1000)) == left
        assert store.counts()[State.SUCCEEDED] == 50

    run(main)


def test_a_long_run_holds_at_most_keep_finished_jobs() -> None:
    def main() -> None:
        store = MemoryStore(clock=now)
        jobs = echo_jobs(store, workers=8)
        with jobs.serve():
            for batch in range(3):
                ids = [jobs.try_submit("echo", i) for i in range(5_000)]
                for i in ids:
                    jobs.wait(i)  # a waiter is woken before its job can be forgotten
                assert len(store.list(limit=10**6)) == 10_000 if batch else 5_000, batch
        assert store.counts()[State.SUCCEEDED] == 15_000

    run(main)


def test_keeping_no_finished_job_is_refused() -> None:
    with pytest.raises(ValueError, match="keep_finished must be >= 1 or None"):
        MemoryStore(keep_finished=0)
