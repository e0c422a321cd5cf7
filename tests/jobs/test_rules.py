"""Every rule of docs/jobs.md, one test each, against every store, on virtual time."""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Callable
from typing import Any

import pytest

from gochan import Chan, after, go, gosched, now, recv, select, sleep, to_thread
from gochan import context as gcontext
from gochan.context import Context
from gochan.jobs import (
    Job,
    JobCancelledError,
    Jobs,
    JobSupersededError,
    JobTimeoutError,
    QueueFullError,
    Retry,
    ShutdownError,
    ShutdownReport,
    State,
    Store,
)
from gochan.testing import run, wait

Make = Callable[[], Store]


def hold(ctx: Context, seconds: float) -> bool:
    """Wait ``seconds`` unless ctx is done first; True when the time passed."""
    return select(recv(ctx.done()), recv(after(seconds)))[0] == 1


def new_jobs(make_store: Make, **kw: int | float) -> tuple[Jobs, dict[str, BaseException | None]]:
    """A Jobs with handlers: sleep (payload seconds), fail, hang (until its context is done)."""
    jobs = Jobs(make_store(), **kw)  # type: ignore[arg-type]  # only ints and floats are passed
    causes: dict[str, BaseException | None] = {}

    @jobs.handler("sleep")
    def _sleep(ctx: Context, job: Job) -> object:
        assert isinstance(job.payload, (int, float))
        done = hold(ctx, job.payload)
        causes[job.id] = None if done else gcontext.cause(ctx)
        return {"slept": job.payload}

    @jobs.handler("fail")
    def _fail(ctx: Context, job: Job) -> object:
        raise RuntimeError("boom")

    @jobs.handler("hang")
    def _hang(ctx: Context, job: Job) -> object:
        done = ctx.done()
        assert done is not None
        done.recv()
        causes[job.id] = gcontext.cause(ctx)
        return "too late"

    return jobs, causes


def test_try_submit_on_a_full_queue_raises_max_capacity_reached(make_store: Make) -> None:
    def main() -> None:
        jobs, _ = new_jobs(make_store, capacity=2, workers=1)
        with jobs.serve():
            jobs.try_submit("sleep", 10)
            wait()  # the first is running: it no longer counts
            jobs.try_submit("sleep", 10)
            jobs.try_submit("sleep", 10)
            with pytest.raises(QueueFullError, match=r"^max capacity reached$"):
                jobs.try_submit("sleep", 10)
            assert jobs.stats().counts[State.QUEUED] == 2
            jobs.shutdown(0.0)

    run(main)


@pytest.mark.parametrize("payload", [{1, 2}, math.nan, object(), {"when": now}])
def test_payload_that_is_not_json_is_refused_at_submit(make_store: Make, payload: object) -> None:
    def main() -> None:
        jobs, _ = new_jobs(make_store)
        with pytest.raises(TypeError, match=r"^jobs: the payload must be JSON"):
            jobs.try_submit("sleep", payload)
        assert jobs.list() == []

    run(main)


def test_cancel_a_queued_job_it_never_starts(make_store: Make) -> None:
    def main() -> None:
        jobs, _ = new_jobs(make_store, workers=1)
        with jobs.serve():
            jobs.try_submit("sleep", 5)
            b = jobs.try_submit("sleep", 5)
            assert jobs.cancel(b)
            info = jobs.wait(b)
            assert info.state is State.CANCELLED
            assert info.attempts == 0
            assert not jobs.cancel(b)
            assert not jobs.cancel("no-such-job")

    run(main)


def test_cancel_a_running_job_cancels_its_context_at_once(make_store: Make) -> None:
    def main() -> None:
        jobs, causes = new_jobs(make_store)
        with jobs.serve():
            a = jobs.try_submit("hang")
            wait()
            t0 = now()
            assert jobs.cancel(a)
            info = jobs.wait(a)
            assert info.state is State.CANCELLED
            assert now() == t0  # at once: no time passed
            wait()  # the handler has seen its context done and returned
            assert isinstance(causes[a], JobCancelledError)
            assert info.result is None  # the handler's late return was discarded

    run(main)


def test_latest_wins_replaces_a_queued_job_in_place_even_when_full(make_store: Make) -> None:
    def main() -> None:
        jobs, _ = new_jobs(make_store, capacity=1, workers=1)
        with jobs.serve():
            jobs.try_submit("sleep", 5)
            wait()
            a = jobs.try_submit("sleep", 1, key="north-america")
            b = jobs.try_submit("sleep", 2, key="north-america")  # the queue is full, yet b replaces a
            assert jobs.wait(a).state is State.SUPERSEDED
            assert jobs.get(a).attempts == 0  # type: ignore[union-attr]  # a exists
            assert jobs.wait(b).result == {"slept": 2}

    run(main)


def test_latest_wins_supersedes_a_running_job_and_discards_its_result(make_store: Make) -> None:
    def main() -> None:
        jobs, causes = new_jobs(make_store)
        with jobs.serve():
            purple = jobs.try_submit("hang", key="shirts")
            wait()
            blue = jobs.try_submit("sleep", 1, key="shirts")
            assert jobs.wait(purple).state is State.SUPERSEDED
            wait()
            assert isinstance(causes[purple], JobSupersededError)
            assert jobs.wait(blue).state is State.SUCCEEDED
            painted = [j.id for j in jobs.list(key="shirts") if j.state is State.SUCCEEDED]
            assert painted == [blue]  # the bug path (two colours painted) is impossible

    run(main)


def test_supersede_of_a_running_job_needs_room_and_changes_nothing_without_it(make_store: Make) -> None:
    def main() -> None:
        jobs, _ = new_jobs(make_store, capacity=1, workers=2)
        with jobs.serve():
            a = jobs.try_submit("hang", key="k")
            wait()
            jobs.resize(1)
            jobs.try_submit("sleep", 1)  # fills the queue: the one worker is busy with a
            with pytest.raises(QueueFullError):
                jobs.try_submit("sleep", 1, key="k")
            assert jobs.get(a).state is State.RUNNING  # type: ignore[union-attr]
            jobs.cancel(a)

    run(main)


def test_timeout_counts_from_the_start_and_ends_timed_out(make_store: Make) -> None:
    def main() -> None:
        jobs, causes = new_jobs(make_store, workers=1)
        with jobs.serve():
            jobs.try_submit("sleep", 10)
            a = jobs.try_submit("hang", timeout=3)
            info = jobs.wait(a)
            assert info.state is State.TIMED_OUT
            assert isinstance(causes[a], JobTimeoutError)
            assert info.started_at is not None and info.finished_at is not None
            assert info.finished_at - info.started_at == 3.0
            assert info.attempts == 1  # timed out jobs are not retried

    run(main)


def test_a_handler_that_returns_after_cancel_ends_as_its_cause_says(make_store: Make) -> None:
    def main() -> None:
        jobs, _ = new_jobs(make_store)
        with jobs.serve():
            a = jobs.try_submit("sleep", 10, timeout=1)  # returns normally once its context is done
            assert jobs.wait(a).state is State.TIMED_OUT

    run(main)


def test_failure_is_recorded_and_retried_with_backoff(make_store: Make) -> None:
    def main() -> None:
        jobs, _ = new_jobs(make_store, seed=1)
        starts: list[float] = []

        @jobs.handler("flaky")
        def flaky(ctx: Context, job: Job) -> object:
            starts.append(now())
            if job.attempts < 3:
                raise ValueError(f"attempt {job.attempts}")
            return job.attempts

        with jobs.serve():
            a = jobs.try_submit("flaky", retry=Retry(attempts=3, backoff=10.0, factor=2.0, jitter=0.1))
            info = jobs.wait(a)
            assert info.state is State.SUCCEEDED and info.result == 3 and info.attempts == 3
            gaps = [b - a for a, b in itertools.pairwise(starts)]
            assert 9.0 <= gaps[0] <= 11.0 and 18.0 <= gaps[1] <= 22.0
            b = jobs.try_submit("fail", retry=Retry(attempts=2, backoff=1.0))
            info = jobs.wait(b)
            assert info.state is State.FAILED and info.attempts == 2
            assert info.error == "RuntimeError: boom"

    run(main)


def test_cancelled_and_superseded_jobs_are_never_retried(make_store: Make) -> None:
    def main() -> None:
        jobs, _ = new_jobs(make_store)
        with jobs.serve():
            a = jobs.try_submit("hang", retry=Retry(attempts=5))
            wait()
            jobs.cancel(a)
            sleep(1000)
            info = jobs.get(a)
            assert info is not None and info.state is State.CANCELLED and info.attempts == 1

    run(main)


def test_at_most_workers_handlers_run_and_resize_changes_it(make_store: Make) -> None:
    def main() -> None:
        jobs, _ = new_jobs(make_store, workers=2)
        with jobs.serve():
            ids = [jobs.try_submit("hang") for _ in range(5)]
            wait()
            assert jobs.stats().counts[State.RUNNING] == 2
            jobs.resize(4)
            wait()
            assert jobs.stats().counts[State.RUNNING] == 4
            for i in ids:
                jobs.cancel(i)

    run(main)


def test_submit_waits_for_room_and_gives_up_with_its_context(make_store: Make) -> None:
    def main() -> None:
        jobs, _ = new_jobs(make_store, capacity=1, workers=1)
        with jobs.serve():
            jobs.try_submit("sleep", 5)
            wait()
            jobs.try_submit("sleep", 5)
            t0 = now()
            jobs.submit("sleep", 1)  # room once the first finishes and the second starts
            assert now() - t0 == 5.0
            with gcontext.with_timeout(gcontext.background(), 1.0) as (ctx, _), pytest.raises(TimeoutError):
                jobs.submit("sleep", 1, ctx=ctx)

    run(main)


def test_watch_sends_each_state_and_closes_at_the_final_one(make_store: Make) -> None:
    def main() -> None:
        jobs, _ = new_jobs(make_store, workers=1)
        with jobs.serve():
            jobs.try_submit("sleep", 1)
            a = jobs.try_submit("sleep", 1)
            states = [info.state for info in jobs.watch(a)]
            assert states == [State.QUEUED, State.RUNNING, State.SUCCEEDED]

    run(main)


def test_progress_is_visible_while_running(make_store: Make) -> None:
    def main() -> None:
        jobs, _ = new_jobs(make_store)
        step: Chan[None] = Chan()

        @jobs.handler("steps")
        def steps(ctx: Context, job: Job) -> object:
            job.progress(0.5, "half way")
            step.recv()
            return None

        with jobs.serve():
            a = jobs.try_submit("steps")
            wait()
            info = jobs.get(a)
            assert info is not None and (info.progress, info.message) == (0.5, "half way")
            step.send(None)
            jobs.wait(a)

    run(main)


def test_handler_exceptions_are_recorded_not_raised(make_store: Make) -> None:
    def main() -> None:
        jobs, _ = new_jobs(make_store)

        @jobs.handler("bad_result")
        def bad_result(ctx: Context, job: Job) -> object:
            return {1, 2}

        with jobs.serve():
            assert jobs.wait(jobs.try_submit("fail")).error == "RuntimeError: boom"
            info = jobs.wait(jobs.try_submit("bad_result"))
            assert info.state is State.FAILED and info.error is not None
            assert info.error.startswith("TypeError: jobs: the result must be JSON")

    run(main)


def test_shutdown_refuses_submissions_and_reports(make_store: Make) -> None:
    def main() -> None:
        jobs, causes = new_jobs(make_store, workers=1)
        jobs.start()
        a = jobs.try_submit("hang")
        b = jobs.try_submit("sleep", 1)
        wait()
        report = jobs.shutdown(10.0)
        with pytest.raises(ShutdownError):
            jobs.try_submit("sleep", 1)
        assert isinstance(causes[a], ShutdownError)
        assert report.ignored == []
        states = {i: jobs.get(i).state for i in (a, b)}  # type: ignore[union-attr]
        if jobs.store.durable:  # handed back: queued again, the attempt not counted
            assert states == {a: State.QUEUED, b: State.QUEUED}
            assert jobs.get(a).attempts == 0  # type: ignore[union-attr]
        else:  # drained during the grace? no: the one worker was held by a; both abandoned
            assert states == {a: State.ABANDONED, b: State.ABANDONED}
        assert sorted(report.handed_back) == sorted([a, b]) or jobs.store.durable

    run(main)


def test_memory_shutdown_drains_queued_jobs_within_the_grace(make_store: Make) -> None:
    def main() -> None:
        jobs, _ = new_jobs(make_store, workers=1)
        jobs.start()
        ids = [jobs.try_submit("sleep", 1) for _ in range(3)]
        jobs.shutdown(10.0)
        states = [jobs.get(i).state for i in ids]  # type: ignore[union-attr]
        if jobs.store.durable:  # stops claiming at once; the running one finishes
            assert states == [State.SUCCEEDED, State.QUEUED, State.QUEUED]
        else:
            assert states == [State.SUCCEEDED] * 3

    run(main)


def test_a_handler_ignoring_its_context_is_reported_and_cannot_record(make_store: Make) -> None:
    def main() -> None:
        jobs, _ = new_jobs(make_store)
        release: Chan[None] = Chan()

        @jobs.handler("stubborn")
        def stubborn(ctx: Context, job: Job) -> object:
            release.recv()
            return "late"

        jobs.start()
        a = jobs.try_submit("stubborn")
        wait()
        report = jobs.shutdown(1.0)
        assert report.ignored == [a]
        release.send(None)
        wait()
        assert jobs.get(a).state in (State.ABANDONED, State.QUEUED)  # type: ignore[union-attr]

    run(main)


def test_stats_count_per_state_and_totals(make_store: Make) -> None:
    def main() -> None:
        jobs, _ = new_jobs(make_store)
        with jobs.serve():
            for _ in range(3):
                jobs.wait(jobs.try_submit("sleep", 1))
            jobs.wait(jobs.try_submit("fail"))
            s = jobs.stats()
            assert s.counts[State.SUCCEEDED] == 3 and s.counts[State.FAILED] == 1
            assert s.totals["submitted"] == 4 and s.totals["started"] == 4

    run(main)


def test_unknown_handler_refused_by_a_local_store() -> None:
    def main() -> None:
        jobs = Jobs()
        with pytest.raises(ValueError, match=r"no handler named 'x'"):
            jobs.try_submit("x")

    run(main)


def test_many_concurrent_submitters_never_exceed_capacity(make_store: Make) -> None:
    def main() -> None:
        jobs, _ = new_jobs(make_store, capacity=5, workers=0)
        accepted: list[str] = []
        refused = [0]
        with jobs.serve(grace=0.0):
            done: Chan[None] = Chan()

            def submitter() -> None:
                for _ in range(5):
                    try:
                        accepted.append(jobs.try_submit("sleep", 1))
                    except QueueFullError:
                        refused[0] += 1
                done.send(None)

            for _ in range(4):
                go(submitter)
            for _ in range(4):
                done.recv()
            assert len(accepted) == 5 and refused[0] == 15
            assert jobs.stats().counts[State.QUEUED] == 5

    run(main)


def test_durable_shutdown_lets_a_job_whose_claim_was_in_flight_finish_within_the_grace() -> None:
    from gochan.jobs.sqlite import SqliteStore

    class GatedClaims(SqliteStore):  # type: ignore[misc]  # a test double: only its claim differs
        """Holds the first claim made while ``gate`` is set until ``release`` (on the claim's thread)."""

        def __init__(self) -> None:
            super().__init__(":memory:", clock=now)
            self.gate = False
            self.entered = threading.Event()
            self.release = threading.Event()

        def claim(self, *args: Any) -> Any:
            if self.gate:
                self.gate = False
                self.entered.set()
                self.release.wait(60)
            return super().claim(*args)

    def main() -> None:
        store = GatedClaims()
        jobs, _ = new_jobs(lambda: store, workers=1)
        jobs.start()
        a = jobs.try_submit("sleep", 1)
        store.gate = True  # the dispatcher's next claim (for a) stops in flight
        to_thread(store.entered.wait, 60)
        reports: Chan[ShutdownReport] = Chan(1)
        go(lambda: reports.send(jobs.shutdown(60.0)))
        gosched()  # shutdown begins while the claim is in flight
        store.release.set()
        report = reports.recv()
        assert report is not None
        assert jobs.get(a).state is State.SUCCEEDED  # type: ignore[union-attr]
        assert report.handed_back == []

    run(main)


def test_list_pages_with_limit_and_offset(make_store: Make) -> None:
    def main() -> None:
        jobs, _ = new_jobs(make_store, workers=0)  # never served: every job stays queued
        ids = [jobs.try_submit("sleep", 1) for _ in range(5)]
        assert [i.id for i in jobs.list(limit=2)] == ids[:2]
        assert [i.id for i in jobs.list(limit=2, offset=2)] == ids[2:4]
        assert [i.id for i in jobs.list(offset=4)] == ids[4:]
        assert jobs.list(offset=5) == []
        assert [i.id for i in jobs.list(state="queued", limit=10, offset=1)] == ids[1:]
        assert jobs.list(state="running", offset=1) == []
        with pytest.raises(ValueError, match="limit and offset must be >= 0"):
            jobs.list(offset=-1)
        jobs.store.close()

    run(main)
