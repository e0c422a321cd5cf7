"""WorkerPool and Dispatcher: one public face, so every test runs on both (table-driven, as Go's chanCap loops).

Programs run in a virtual-time bubble (``gochan.testing``): a test ends only when every goroutine
it started has exited, so a worker left behind fails the test as a leak. Concurrency is measured
by counting handlers inside a task at once; no test sleeps to let something happen.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gochan import CanceledError, Chan, DeadlineExceededError, go, num_goroutine, sleep
from gochan import testing as synctest
from gochan.context import Context, background, with_cancel, with_timeout
from gochan.patterns import Dispatcher, Future, PoolClosedError, WorkerPool
from gochan.patterns.future import set_unobserved_error_hook
from tests.properties import examples

T = TypeVar("T")
R = TypeVar("R")

Factory = Callable[..., Any]
KINDS: list[Factory] = [WorkerPool, Dispatcher]
kinds = pytest.mark.parametrize("kind", KINDS, ids=["pool", "dispatcher"])


def make(kind: Factory, workers: int, handler: Callable[[Context, T], R], **kw: Any) -> WorkerPool[T, R]:
    pool: WorkerPool[T, R] = kind(workers, handler, **kw)  # a Dispatcher has the same face
    return pool


class Boom(Exception):
    pass


def double(ctx: Context, x: int) -> int:
    return 2 * x


@kinds
@pytest.mark.parametrize("queue", [0, 1, 8])
def test_every_job_runs_once_and_its_future_holds_the_result(kind: Factory, queue: int) -> None:
    def main() -> list[int]:
        pool = make(kind, 3, double, queue=queue)
        futs = [pool.submit(i) for i in range(20)]
        pool.close()
        pool.wait()
        return [f.result() for f in futs]

    assert synctest.run(main) == [2 * i for i in range(20)]


@kinds
def test_a_task_exception_goes_to_its_future_and_the_program_goes_on(kind: Factory) -> None:
    def fail(ctx: Context, x: int) -> int:
        if x == 1:
            raise Boom("task 1")
        return x

    def main() -> tuple[int, str, int]:
        pool = make(kind, 2, fail)
        a, b, c = pool.submit(0), pool.submit(1), pool.submit(2)
        pool.close()
        pool.wait()
        with pytest.raises(Boom, match=r"^task 1$"):
            b.result()
        e = b.exception()
        return a.result(), str(e), c.result()

    assert synctest.run(main) == (0, "task 1", 2)


@kinds
def test_an_unobserved_task_error_is_reported_when_its_future_is_collected(kind: Factory) -> None:
    reported: list[str] = []

    def hook(exc: BaseException) -> None:
        reported.append(str(exc))

    def fail(ctx: Context, x: int) -> None:
        raise Boom(f"lost {x}")

    def main() -> None:
        pool = make(kind, 1, fail)
        pool.submit(7)  # its future is dropped at once
        seen = pool.submit(8)
        pool.close()
        pool.wait()
        assert isinstance(seen.exception(), Boom)

    prev = set_unobserved_error_hook(hook)
    try:
        synctest.run(main)
    finally:
        set_unobserved_error_hook(prev)
    assert reported == ["lost 7"]


def test_the_default_report_goes_to_sys_unraisablehook(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, str]] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append((u.err_msg or "", str(u.exc_value))))

    def fail(ctx: Context, x: int) -> None:
        raise Boom("nobody read me")

    def main() -> None:
        pool = WorkerPool(1, fail)
        pool.submit(1)
        pool.close()
        pool.wait()

    synctest.run(main)
    assert seen == [("Future exception was never retrieved", "nobody read me")]


@kinds
def test_unbuffered_submit_returns_only_once_a_worker_has_the_job(kind: Factory) -> None:
    def main() -> list[str]:
        events: list[str] = []
        release: Chan[None] = Chan()

        def task(ctx: Context, x: int) -> None:
            events.append(f"start {x}")
            release.recv()

        pool = make(kind, 1, task)
        pool.submit(1)
        synctest.wait()
        events.append("submitted 1")
        if kind is Dispatcher:
            assert pool.try_submit(2) is not None  # the dispatcher takes one job while it waits for a worker
        assert pool.try_submit(3) is None  # the only worker is busy and there is no queue
        release.close()
        pool.close()
        pool.wait()
        return events

    assert synctest.run(main)[:2] == ["start 1", "submitted 1"]


@kinds
def test_try_submit_refuses_when_the_queue_is_full_and_accepts_after(kind: Factory) -> None:
    def main() -> list[int]:
        gate: Chan[None] = Chan()

        def task(ctx: Context, x: int) -> int:
            gate.recv()
            return x

        pool = make(kind, 1, task, queue=2)
        accepted = []
        for i in range(6):
            if (f := pool.try_submit(i)) is not None:
                accepted.append(f)
            synctest.wait()  # let the worker (and dispatcher) take what they can
        n = len(accepted)
        for _ in range(n):
            gate.send(None)
        pool.close()
        pool.wait()
        return [f.result() for f in accepted]

    got = synctest.run(main)
    assert 3 <= len(got) <= 4  # 1 running + 2 queued (+1 held by the dispatcher)
    assert got == list(range(len(got)))


@kinds
def test_submit_with_a_context_gives_up_when_it_is_done(kind: Factory) -> None:
    def main() -> None:
        gate: Chan[None] = Chan()
        pool: WorkerPool[int, None] = make(kind, 1, lambda ctx, x: gate.recv())
        pool.submit(0)
        if kind is Dispatcher:
            pool.submit(1)  # the dispatcher holds one job while it waits for an idle worker
        ctx, cancel = with_timeout(background(), 5.0)
        with pytest.raises(DeadlineExceededError):
            pool.submit(2, ctx=ctx)
        cancel()
        gate.close()
        pool.close()
        pool.wait()

    synctest.run(main)


@kinds
def test_submit_after_close_raises_pool_closed(kind: Factory) -> None:
    def main() -> None:
        pool = make(kind, 1, double)
        pool.close()
        pool.close()  # closing twice does nothing
        with pytest.raises(PoolClosedError, match=r"^pool has been closed$"):
            pool.submit(1)
        with pytest.raises(PoolClosedError, match=r"^pool has been closed$"):
            pool.try_submit(1)
        with pytest.raises(PoolClosedError, match=r"^pool has been closed$"):
            pool.resize(2)
        pool.wait()

    synctest.run(main)


@kinds
def test_a_submit_blocked_when_the_pool_closes_raises_pool_closed(kind: Factory) -> None:
    def main() -> None:
        gate: Chan[None] = Chan()
        pool: WorkerPool[int, None] = make(kind, 1, lambda ctx, x: gate.recv())
        pool.submit(0)
        if kind is Dispatcher:
            pool.submit(1)
        errs: Chan[BaseException] = Chan(1)

        def blocked() -> None:
            try:
                pool.submit(2)
            except PoolClosedError as e:
                errs.send(e)

        go(blocked)
        synctest.wait()
        pool.close()
        assert isinstance(errs.recv(), PoolClosedError)
        gate.close()
        pool.wait()

    synctest.run(main)


@kinds
def test_close_drains_the_queue_before_the_workers_exit(kind: Factory) -> None:
    def main() -> list[int]:
        done: list[int] = []

        def slow(ctx: Context, x: int) -> None:
            sleep(1.0)
            done.append(x)

        pool = make(kind, 2, slow, queue=10)
        for i in range(10):
            pool.submit(i)
        pool.close()
        pool.wait()
        return sorted(done)

    assert synctest.run(main) == list(range(10))


@kinds
def test_shutdown_returns_when_drained_within_the_deadline(kind: Factory) -> None:
    def main() -> int:
        pool: WorkerPool[int, None] = make(kind, 2, lambda ctx, x: sleep(1.0), queue=4)
        futs = [pool.submit(i) for i in range(4)]
        with with_timeout(background(), 10.0) as (ctx, _):
            pool.shutdown(ctx)
        return sum(f.ready() for f in futs)

    assert synctest.run(main) == 4


@kinds
def test_shutdown_past_its_deadline_cancels_running_and_abandons_queued(kind: Factory) -> None:
    def main() -> tuple[list[str], int]:
        def long(ctx: Context, x: int) -> str:
            done = ctx.done()
            assert done is not None
            done.recv()  # only a cancelled context ends it
            return f"cancelled {x}"

        pool = make(kind, 2, long, queue=4)
        futs = [pool.submit(i) for i in range(5)]
        before = num_goroutine()
        with with_timeout(background(), 3.0) as (ctx, _), pytest.raises(DeadlineExceededError):
            pool.shutdown(ctx)
        pool.wait()
        ran = [f.result() for f in futs[:2]]
        for f in futs[2:]:
            with pytest.raises(CanceledError, match="shut down before the task started"):
                f.result()
        assert before > num_goroutine() == 1
        return ran, len(futs)

    assert synctest.run(main) == (["cancelled 0", "cancelled 1"], 5)


@kinds
def test_the_pool_context_is_a_child_of_the_given_one(kind: Factory) -> None:
    def main() -> str:
        parent, cancel = with_cancel(background())

        def task(ctx: Context, x: int) -> str:
            done = ctx.done()
            assert done is not None
            done.recv()
            return str(ctx.err())

        pool = make(kind, 1, task, ctx=parent)
        f = pool.submit(0)
        synctest.wait()
        cancel()
        pool.close()
        pool.wait()
        return str(f.result())

    assert synctest.run(main) == "context canceled"


@kinds
def test_bad_worker_counts_are_refused_with_the_remedy(kind: Factory) -> None:
    def main() -> None:
        with pytest.raises(ValueError, match=r"workers must be an int >= 1, got 0; use close\(\)"):
            make(kind, 0, double)
        pool = make(kind, 1, double)
        with pytest.raises(ValueError, match=r"^resize: workers must be an int >= 1, got -1"):
            pool.resize(-1)
        pool.close()
        pool.wait()

    synctest.run(main)


@kinds
def test_resize_grows_and_shrinks_the_number_of_workers(kind: Factory) -> None:
    def main() -> list[int]:
        extra = 1 if kind is Dispatcher else 0  # the dispatcher goroutine itself
        base = num_goroutine()
        pool = make(kind, 2, double)
        counts = [num_goroutine() - base - extra]
        pool.resize(5)
        counts.append(num_goroutine() - base - extra)
        pool.resize(1)
        synctest.wait()  # dismissed workers exit when they next run
        counts.append(num_goroutine() - base - extra)
        assert pool.workers == 1
        pool.close()
        pool.wait()
        synctest.wait()
        counts.append(num_goroutine() - base)
        return counts

    assert synctest.run(main) == [2, 5, 1, 0]


# -- properties ------------------------------------------------------------------------------------

ops = st.lists(
    st.one_of(
        st.tuples(st.just("submit"), st.integers(0, 3)),  # a job sleeping 0..3 virtual seconds
        st.tuples(st.just("try"), st.integers(0, 3)),
        st.tuples(st.just("resize"), st.integers(1, 6)),
        st.tuples(st.just("settle"), st.just(0)),
    ),
    max_size=40,
)


@kinds
@settings(max_examples=examples(60), deadline=None)
@given(workers=st.integers(1, 6), queue=st.sampled_from([0, 1, 4]), script=ops)
def test_every_job_runs_once_or_was_refused_and_concurrency_stays_in_bound(
    kind: Factory, workers: int, queue: int, script: list[tuple[str, int]]
) -> None:
    def main() -> None:
        runs: dict[int, int] = {}
        state = {"running": 0, "bound": workers, "peak_over": 0}

        def task(ctx: Context, job: tuple[int, int]) -> int:
            jid, secs = job
            runs[jid] = runs.get(jid, 0) + 1
            state["running"] += 1
            if state["running"] > state["bound"]:
                state["peak_over"] += 1
            sleep(float(secs))
            state["running"] -= 1
            return jid

        pool = make(kind, workers, task, queue=queue)
        accepted: dict[int, Future[int]] = {}
        refused: set[int] = set()
        for jid, (op, arg) in enumerate(script):
            if op == "submit":
                accepted[jid] = pool.submit((jid, arg))
            elif op == "try":
                f = pool.try_submit((jid, arg))
                if f is None:
                    refused.add(jid)
                else:
                    accepted[jid] = f
            elif op == "resize":
                state["bound"] = max(state["bound"], arg)  # during a shrink, the old size holds
                pool.resize(arg)
                state["bound"] = arg  # once resize returns, the new size holds
            else:
                synctest.wait()
        pool.close()
        pool.wait()
        assert state["peak_over"] == 0
        assert set(runs) == set(accepted)  # accepted jobs ran; refused ones never did
        assert all(n == 1 for n in runs.values())  # exactly once
        assert not refused & set(runs)
        assert all(f.result() == jid for jid, f in accepted.items())  # close drained them all

    synctest.run(main)
