"""A worker goroutine runs job after job (docs/jobs.md, *Handlers*, *Workers*): each job still gets
its own context, and the runner's capacity still bounds what runs, against every store."""

from __future__ import annotations

from collections.abc import Callable

from gochan import Chan, sleep
from gochan import context as gcontext
from gochan.context import Context
from gochan.jobs import Job, JobCancelledError, Jobs, State, Store
from gochan.testing import run, wait

Make = Callable[[], Store]


def test_each_job_of_a_busy_worker_runs_under_its_own_fresh_context(make_store: Make) -> None:
    def main() -> None:
        jobs = Jobs(make_store(), workers=1)
        seen: list[tuple[str, Context, bool]] = []
        started: Chan[None] = Chan(1)

        @jobs.handler("hang")
        def hang(ctx: Context, job: Job) -> object:
            started.send(None)
            done = ctx.done()
            assert done is not None
            done.recv()
            seen.append((job.id, ctx, isinstance(gcontext.cause(ctx), JobCancelledError)))
            return None

        @jobs.handler("look")
        def look(ctx: Context, job: Job) -> object:
            seen.append((job.id, ctx, ctx.err() is None))
            return None

        with jobs.serve():
            first = jobs.try_submit("hang")
            rest = [jobs.try_submit("look") for _ in range(3)]
            started.recv()
            assert jobs.cancel(first)
            for i in rest:
                assert jobs.wait(i).state is State.SUCCEEDED
        assert jobs.wait(first).state is State.CANCELLED
        assert [i for i, _, _ in seen] == [first, *rest]
        assert all(ok for _, _, ok in seen)
        assert len({id(ctx) for _, ctx, _ in seen}) == len(seen)

    run(main)


def test_resize_down_bounds_a_worker_that_would_claim_its_next_job(make_store: Make) -> None:
    def main() -> None:
        jobs = Jobs(make_store(), workers=4, capacity=100)
        running = [0]
        most = [0]

        @jobs.handler("tick")
        def tick(ctx: Context, job: Job) -> object:
            running[0] += 1
            most[0] = max(most[0], running[0])
            sleep(1)
            running[0] -= 1
            return None

        with jobs.serve():
            first = [jobs.try_submit("tick") for _ in range(4)]
            wait()
            jobs.resize(1)
            most[0] = 0
            later = [jobs.try_submit("tick") for _ in range(6)]
            for i in first + later:
                assert jobs.wait(i).state is State.SUCCEEDED
        assert most[0] == 1

    run(main)
