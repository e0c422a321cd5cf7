"""The job system against a model: hypothesis drives submit, try_submit, supersede, cancel, handlers
that succeed, fail or hang, timeouts, the passing of (virtual) time and shutdown, for every store.

The whole machine runs inside one bubble (``gochan.testing.run``), so time only moves when a rule
sleeps, and after every rule ``wait()`` lets the runtime settle. The model knows what each job's
handler does (finish or fail after ``d`` seconds, or hang until its context is done), its timeout,
which jobs were cancelled and which keys were reused; the checks are the guarantees of
docs/jobs.md:

- the queue never holds more than ``capacity`` jobs (until a durable store's shutdown hands jobs
  back), nor the runner more than ``workers`` handlers;
  at most one job per key is live; a runner with a free slot leaves no due job queued (at rest);
- try_submit raises QueueFullError exactly when the model says the queue is full; cancel acts
  exactly on live jobs; a superseded job's key was reused by a later accepted job;
- a final state never changes, and it is the one the model allows: succeeded only for a finishing
  handler after exactly ``d`` seconds, failed only for a failing one, timed_out exactly ``timeout``
  seconds after the start, cancelled only if cancelled, abandoned only after shutdown;
- after shutdown every job is final (memory) or final or queued (durable).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from gochan import now, sleep
from gochan.context import Context
from gochan.jobs import Job, JobInfo, Jobs, QueueFullError, ShutdownError, State, Store
from gochan.testing import run, wait

from ..properties import examples
from .stores import STORES
from .test_rules import hold

CAPACITY = 3
WORKERS = 2


@dataclass
class Spec:
    kind: str
    d: int
    timeout: float | None
    key: str | None
    cancelled: bool = False
    superseded_by: str | None = None


class JobsMachine(RuleBasedStateMachine):
    factory: Callable[[], Store]

    def __init__(self) -> None:
        super().__init__()
        self.jobs = Jobs(type(self).factory(), capacity=CAPACITY, workers=WORKERS, seed=0)
        self.spec: dict[str, Spec] = {}
        self.finals: dict[str, State] = {}
        self.closed = False

        # A handler knows its job from the job alone (d is the payload): with a store whose calls
        # run on OS threads, a claim in flight may start the job before submit() returns to the rule
        # that records its spec.
        @self.jobs.handler("ok")
        def ok(ctx: Context, job: Job) -> object:
            assert isinstance(job.payload, int)
            hold(ctx, job.payload)
            return job.id

        @self.jobs.handler("fail")
        def fail(ctx: Context, job: Job) -> object:
            assert isinstance(job.payload, int)
            hold(ctx, job.payload)
            raise RuntimeError(job.id)

        @self.jobs.handler("hang")
        def hang(ctx: Context, job: Job) -> object:
            done = ctx.done()
            assert done is not None
            done.recv()
            return job.id

        self.jobs.start()
        wait()  # every rule starts at rest: the runtime's first claims are made

    def snapshot(self) -> dict[str, JobInfo]:
        return {j.id: j for j in self.jobs.list(limit=10_000)}

    @rule(
        kind=st.sampled_from(["ok", "fail", "hang"]),
        d=st.integers(1, 4),
        timeout=st.sampled_from([None, None, 1.5, 2.5]),
        key=st.sampled_from([None, "k1", "k2"]),
        blocking=st.booleans(),
    )
    def submit(self, kind: str, d: int, timeout: float | None, key: str | None, blocking: bool) -> None:
        before = self.snapshot()
        queued = [j for j in before.values() if j.state is State.QUEUED]
        live = [j.id for j in before.values() if key is not None and j.key == key and not j.state.final]
        replaces_queued = any(before[i].state is State.QUEUED for i in live)
        full = len(queued) >= CAPACITY and not replaces_queued
        try:
            if blocking and not full:
                job_id = self.jobs.submit(kind, d, key=key, timeout=timeout)
            else:
                job_id = self.jobs.try_submit(kind, d, key=key, timeout=timeout)
        except ShutdownError:
            assert self.closed
            return
        except QueueFullError:
            assert full and not self.closed
            return
        assert not full and not self.closed
        self.spec[job_id] = Spec(kind, d, timeout, key)
        for old in live:
            self.spec[old].superseded_by = job_id
            assert self.jobs.get(old).state is State.SUPERSEDED  # type: ignore[union-attr]  # it exists
        wait()

    @precondition(lambda self: bool(self.spec))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        job_id = data.draw(st.sampled_from(sorted(self.spec)))
        before = self.jobs.get(job_id)
        assert before is not None
        acted = self.jobs.cancel(job_id)
        assert acted == (not before.state.final)
        if acted:
            self.spec[job_id].cancelled = True
            assert self.jobs.get(job_id).state is State.CANCELLED  # type: ignore[union-attr]
        wait()

    @rule(dt=st.sampled_from([0.5, 1, 2, 3]))
    def advance(self, dt: float) -> None:
        sleep(dt)
        wait()

    @precondition(lambda self: not self.closed)
    @rule(grace=st.sampled_from([0.0, 1.0, 5.0]))
    def shutdown(self, grace: float) -> None:
        self.closed = True
        report = self.jobs.shutdown(grace)
        assert report.ignored == []  # every handler here obeys its context
        self.check_at_rest_after_shutdown()

    def check_at_rest_after_shutdown(self) -> None:
        for j in self.snapshot().values():
            assert j.state.final or (self.jobs.store.durable and j.state is State.QUEUED), j

    @invariant()
    def bounds_and_keys(self) -> None:
        jobs = self.snapshot()
        queued = [j for j in jobs.values() if j.state is State.QUEUED]
        running = [j for j in jobs.values() if j.state is State.RUNNING]
        assert len(running) <= WORKERS
        if not self.closed:  # a durable store's hand-back re-queues admitted jobs beyond the bound
            assert len(queued) <= CAPACITY
        live_keys = [j.key for j in jobs.values() if j.key is not None and not j.state.final]
        assert len(live_keys) == len(set(live_keys))
        if not self.closed and len(running) < WORKERS:
            assert not [j for j in queued if j.run_after <= now()]  # work-conserving at rest

    @invariant()
    def final_states_follow_the_model(self) -> None:
        for j in self.snapshot().values():
            if not j.state.final:
                assert j.id not in self.finals, f"{j.id} left its final state {self.finals.get(j.id)}"
                continue
            assert self.finals.setdefault(j.id, j.state) is j.state
            self.check_final(j, self.spec[j.id])

    def check_final(self, j: JobInfo, s: Spec) -> None:
        ran = None if j.started_at is None or j.finished_at is None else j.finished_at - j.started_at
        match j.state:
            case State.SUCCEEDED:
                assert s.kind == "ok" and ran == s.d and (s.timeout is None or s.timeout > s.d)
                assert j.result == j.id and not s.cancelled and s.superseded_by is None
            case State.FAILED:
                assert s.kind == "fail" and ran == s.d and (s.timeout is None or s.timeout > s.d)
                assert j.error == f"RuntimeError: {j.id}"
            case State.TIMED_OUT:
                assert s.timeout is not None and ran == s.timeout
                assert s.kind == "hang" or s.timeout < s.d
            case State.CANCELLED:
                assert s.cancelled
            case State.SUPERSEDED:
                assert s.superseded_by is not None
                assert j.attempts in (0, 1)
            case State.ABANDONED:
                assert self.closed and not self.jobs.store.durable

    def teardown(self) -> None:
        try:
            if not self.closed:
                self.closed = True
                self.jobs.shutdown(0.0)
            self.check_at_rest_after_shutdown()
        finally:
            self.jobs.store.close()


@pytest.mark.parametrize("store", sorted(STORES))
def test_jobs_against_the_model(store: str) -> None:
    machine = type(f"JobsMachine_{store}", (JobsMachine,), {"factory": staticmethod(STORES[store])})
    config = settings(max_examples=examples(25), stateful_step_count=30, deadline=None)
    run(run_state_machine_as_test, machine, settings=config)
