"""Group commit: the calls a blocking store gets at once share one ``to_thread`` call.

``submit_many`` and ``complete_many`` do what as many ``submit`` and ``complete`` calls do, each
atomic on its own (every store); the runtime gathers the submits and completions made while one
call is in flight into the next (the blocking stores), and each caller still waits for its own."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from gochan import Chan, go, gosched, to_thread
from gochan.context import Context
from gochan.jobs import Job, Jobs, QueueFullError, State, Store, group, runtime
from gochan.jobs.model import NO_RETRY, JobInfo, Outcome
from gochan.testing import run

from .stores import STORES

N = 8


def info(job_id: str, key: str | None = None, payload: str = "null") -> JobInfo:
    return JobInfo(job_id, "echo", payload, State.QUEUED, key, None, NO_RETRY, created_at=1.0, run_after=1.0)


def test_submit_many_is_each_submit_in_turn(make_store: Callable[[], Store]) -> None:
    def main() -> None:
        store = make_store()
        batch = [info("a", "k"), info("a", payload="1"), info("b"), info("c", "k"), info("d"), info("e")]
        out = store.submit_many(batch, 3)
        assert isinstance(out[1], ValueError) and "already exists" in str(out[1])
        assert out[3] == "a"  # c supersedes a, still queued: c takes its slot
        assert isinstance(out[5], QueueFullError)  # b, c and d fill the queue
        assert [out[0], out[2], out[4]] == [None, None, None]
        states = {i: (j.state if (j := store.get(i)) else None) for i in "abcde"}
        assert states == {"a": State.SUPERSEDED, "b": State.QUEUED, "c": State.QUEUED, "d": State.QUEUED, "e": None}
        store.close()

    run(main)


def test_complete_many_is_each_complete_fenced_on_its_own(make_store: Callable[[], Store]) -> None:
    def main() -> None:
        store = make_store()
        store.submit_many([info("a"), info("b")], 10)
        claimed = {c.id: c.token for c in store.claim("w", {"echo"}, 2, 100.0, 1.0)}
        ok = Outcome(State.SUCCEEDED, result_json="1")
        assert store.complete_many([("a", claimed["a"], ok), ("b", claimed["b"] + 1, ok)], 2.0) == [True, False]
        a, b = store.get("a"), store.get("b")
        assert a is not None and (a.state, a.result) == (State.SUCCEEDED, 1)
        assert b is not None and b.state is State.RUNNING  # a wrong token records nothing
        assert store.complete_many([], 3.0) == [] and store.submit_many([], 10) == []
        store.close()

    run(main)


def spy(store: Store, monkeypatch: pytest.MonkeyPatch, method: str) -> tuple[list[int], threading.Event]:
    """Record the batch sizes of ``store.method``; hold its first call until the event is set."""
    sizes: list[int] = []
    release = threading.Event()
    inner: Callable[[Sequence[Any], Any], Any] = getattr(store, method)

    def call(items: Sequence[Any], arg: Any) -> Any:
        sizes.append(len(items))
        if len(sizes) == 1:
            assert release.wait(60), "the test never released the first call"
        return inner(items, arg)

    monkeypatch.setattr(store, method, call)
    return sizes, release


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_submits_made_during_a_call_share_the_next(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    store = STORES[kind]()
    sizes, release = spy(store, monkeypatch, "submit_many")

    def main() -> None:
        jobs = Jobs(store, capacity=N - 1, workers=0)
        submitting: Chan[None] = Chan(N)
        results: Chan[str | Exception] = Chan(N)

        def submit(i: int) -> None:
            submitting.send(None)  # buffered: the submit follows without a switch
            try:
                results.send(jobs.try_submit("echo", i, id=f"j{i}"))
            except QueueFullError as e:
                results.send(e)

        for i in range(N):
            go(submit, i)
        for _ in range(N):
            submitting.recv()
        release.set()
        got = [results.recv() for _ in range(N)]
        assert len({g for g in got if isinstance(g, str)}) == N - 1
        assert [type(g) for g in got if not isinstance(g, str)] == [QueueFullError]  # the last one in
        assert jobs.stats().counts[State.QUEUED] == N - 1

    run(main)
    assert sizes == [1, N - 1]
    store.close()


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_handlers_finishing_during_a_commit_share_the_next(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    store = STORES[kind]()
    sizes, release = spy(store, monkeypatch, "complete_many")

    def main() -> None:
        jobs = Jobs(store, capacity=N, workers=N)
        gate: Chan[None] = Chan()
        started: Chan[None] = Chan(N)
        returning: Chan[None] = Chan(N)

        @jobs.handler("gated")
        def gated(ctx: Context, job: Job) -> object:
            started.send(None)
            gate.recv()
            returning.send(None)  # buffered: the handler returns and reaches its commit without a switch
            return job.payload

        with jobs.serve():
            ids = [jobs.try_submit("gated", i) for i in range(N)]
            for _ in range(N):
                started.recv()
            gate.close()
            for _ in range(N):
                returning.recv()
            release.set()
            infos = [jobs.wait(i) for i in ids]
        assert [(info.state, info.result) for info in infos] == [(State.SUCCEEDED, i) for i in range(N)]

    run(main)
    assert sizes == [1, N - 1]
    store.close()


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_a_completion_batch_claims_the_jobs_that_take_its_slots(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    store = STORES[kind]()
    hops: list[list[tuple[str, int]]] = []  # per to_thread call of the runtime: [(store method, items or limit)]
    local = threading.local()

    def hop(fn: Callable[..., Any], /, *args: Any) -> Any:
        def call() -> Any:
            local.calls = []
            hops.append(local.calls)
            return fn(*args)

        return to_thread(call)

    def spied(method: str) -> None:
        inner = getattr(store, method)

        def call(*args: Any) -> Any:
            local.calls.append((method, len(args[0]) if method.endswith("_many") else args[2]))
            return inner(*args)

        monkeypatch.setattr(store, method, call)

    spied("complete_many")
    spied("claim")
    for module in (group, runtime):  # white box: what each of the runtime's calls on an OS thread did
        monkeypatch.setattr(module, "to_thread", hop)

    def main() -> None:
        jobs = Jobs(store, capacity=3 * N, workers=N)
        running = [0, 0]  # now, most at once

        @jobs.handler("echo")
        def echo(ctx: Context, job: Job) -> object:
            running[0] += 1
            running[1] = max(running)
            gosched()  # let the other handlers run (and finish) meanwhile
            running[0] -= 1
            return job.payload

        ids = [jobs.try_submit("echo", i) for i in range(3 * N)]
        with jobs.serve():
            infos = [jobs.wait(i) for i in ids]
        assert [(info.state, info.result) for info in infos] == [(State.SUCCEEDED, i) for i in range(3 * N)]
        assert running[1] <= N

    run(main)
    refills = [h for h in hops if [m for m, _ in h] == ["complete_many", "claim"]]
    assert refills, f"no completion batch claimed in its own call: {hops}"
    assert all(limit <= done for (_, done), (_, limit) in refills)
    store.close()
