"""A blocking store's completions are committed in groups: the handlers that finish while a
commit is in flight share the next ``complete_many`` call (one ``to_thread``), and each still
waits until its own completion is recorded."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from gochan import Chan
from gochan.context import Context
from gochan.jobs import Job, Jobs, State, Store
from gochan.jobs.model import Outcome
from gochan.testing import run

from .stores import STORES

N = 8


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_handlers_finishing_during_a_commit_share_the_next_one(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    store: Store = STORES[kind]()
    calls: list[list[str]] = []
    first_commit = threading.Event()  # holds the first commit on its OS thread until every handler finished
    inner = store.complete_many

    def complete_many(done: Sequence[tuple[str, int, Outcome]], now: float) -> list[bool]:
        calls.append([job_id for job_id, _token, _outcome in done])
        if len(calls) == 1:
            assert first_commit.wait(60), "the test never released the first commit"
        return inner(done, now)

    monkeypatch.setattr(store, "complete_many", complete_many)

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
            first_commit.set()
            infos = [jobs.wait(i) for i in ids]
        assert [(info.state, info.result) for info in infos] == [(State.SUCCEEDED, i) for i in range(N)]

    run(main)
    assert [len(c) for c in calls] == [1, N - 1]
    committed = [i for c in calls for i in c]
    assert len(committed) == len(set(committed)) == N
    store.close()
