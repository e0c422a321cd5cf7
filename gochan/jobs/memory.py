"""The memory store: jobs live in this process, the embedded default and the fastest path.

Design: a dict of mutable records; the queue as a FIFO deque of records, from which cancel and
supersede remove lazily (a record popped in another state is skipped: removing from a deque's
middle, or from the front of a dict, costs O(n)); jobs waiting to retry in a heap by ``run_after``,
moved to the deque when due; and a map from key to its live job. Every operation
is a plain Python function that never blocks and never yields, so on its scheduler's thread each is
atomic with no lock: goroutines are never preempted. The store belongs to the program whose
runtime uses it; it is not for other OS threads (a lock taken three times per job cost 11% of a
job's instructions). Jobs are never leased (they die with the process):
``renew`` only reports what changed and ``reclaim`` has nothing to do.

Retention: the store keeps the last ``keep_finished`` jobs that ended (in the order they ended)
and forgets older ones, so a long-lived process does not grow without bound; ``counts`` still
counts the forgotten ones (a count per state is a running total, as a Go program's expvar). A
waiter (``wait``, ``watch``) reads its job's final state before ``keep_finished`` more jobs can end:
it is woken at the job's end, and a worker yields after a bounded run of jobs (see the runtime).

Invariants (between operations):
  r.state is QUEUED       iff  r is in _fifo (with r.run_after <= the time it was put there) or in _later
  _counts[QUEUED]         is the number of queued jobs (the deque may also hold stale records)
  _live[k] is r           iff  r.key == k and r.state in (QUEUED, RUNNING)
  _counts[s] == number of records in state s, plus (final s) the forgotten jobs that ended in s
  _ended                  holds the records of _jobs in a final state, in the order they ended
"""

from __future__ import annotations

import heapq
import time
from collections import deque
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import final

from .model import FINAL, ClaimedJob, JobInfo, Outcome, QueueFullError, Retry, State

__all__ = ["MemoryStore"]

_QUEUED = State.QUEUED
_RUNNING = State.RUNNING
_new_claim = tuple.__new__  # ClaimedJob(...) without the named tuple's Python-level __new__: one per run


@final
class _Rec:
    """One job's mutable record (JobInfo's fields)."""

    __slots__ = (
        "attempts",
        "created_at",
        "error",
        "finished_at",
        "id",
        "key",
        "message",
        "name",
        "payload_json",
        "progress",
        "result_json",
        "retry",
        "run_after",
        "started_at",
        "state",
        "timeout",
        "version",
        "worker",
    )

    def __init__(  # noqa: PLR0917 - a new job's fields, positional: built once per submit
        self,
        job_id: str,
        name: str,
        payload_json: str,
        key: str | None,
        timeout: float | None,
        retry: Retry,
        now: float,
    ) -> None:
        self.id = job_id
        self.name = name
        self.payload_json = payload_json
        self.state = _QUEUED
        self.key = key
        self.timeout = timeout
        self.retry = retry
        self.attempts = 0
        self.version = 0
        self.worker: str | None = None
        self.created_at = now
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self.run_after = now
        self.result_json: str | None = None
        self.error: str | None = None
        self.progress: float | None = None
        self.message: str | None = None

    def info(self) -> JobInfo:
        return JobInfo(
            self.id,
            self.name,
            self.payload_json,
            self.state,
            self.key,
            self.timeout,
            self.retry,
            self.attempts,
            self.version,
            self.worker,
            self.created_at,
            self.started_at,
            self.finished_at,
            self.run_after,
            self.result_json,
            self.error,
            self.progress,
            self.message,
        )


@final
class MemoryStore:
    """Jobs in this process's memory (``memory://``). See :class:`gochan.jobs.store.Store`."""

    durable = False
    blocking = False
    poll_interval = 0.0

    def __init__(self, *, clock: Callable[[], float] = time.time, keep_finished: int | None = 10_000) -> None:
        if keep_finished is not None and keep_finished < 1:
            raise ValueError(f"jobs: keep_finished must be >= 1 or None (keep all), got {keep_finished}")
        self.clock = clock
        self.keep_finished = keep_finished
        self._ended: deque[_Rec] = deque()
        self._jobs: dict[str, _Rec] = {}
        self._fifo: deque[_Rec] = deque()
        self._later: list[tuple[float, int, _Rec]] = []  # (run_after, tie-break, record) of retries
        self._tie = 0
        self._live: dict[str, _Rec] = {}
        self._counts: dict[State, int] = dict.fromkeys(State, 0)

    def __repr__(self) -> str:
        return f"MemoryStore({len(self._jobs)} jobs, {self._counts[_QUEUED]} queued)"

    # -- state changes ---------------------------------------------------------------------------------

    def _move(self, r: _Rec, to: State, now: float) -> None:
        c = self._counts
        c[r.state] -= 1
        c[to] += 1
        r.state = to  # a record leaving QUEUED stays in _fifo/_later until popped, then is skipped
        if to is _QUEUED:
            if r.run_after <= now:
                self._fifo.append(r)
            else:
                self._tie += 1
                heapq.heappush(self._later, (r.run_after, self._tie, r))
        elif to in FINAL:
            r.finished_at = now
            if r.key is not None and self._live.get(r.key) is r:
                del self._live[r.key]
            ended = self._ended
            ended.append(r)
            if self.keep_finished is not None and len(ended) > self.keep_finished:
                del self._jobs[ended.popleft().id]  # forgotten: get() now returns None

    # -- the store interface ----------------------------------------------------------------------

    def submit(self, rec: JobInfo, capacity: int) -> str | None:
        return self.add(rec.id, rec.name, rec.payload_json, rec.key, rec.timeout, rec.retry, rec.created_at, capacity)

    def submit_many(self, recs: Sequence[JobInfo], capacity: int) -> list[str | Exception | None]:
        out: list[str | Exception | None] = []
        for rec in recs:
            try:
                out.append(self.submit(rec, capacity))
            except (QueueFullError, ValueError) as e:
                out.append(e)
        return out

    def add(  # noqa: PLR0917 - the submit arguments, positional: the runtime's one call per submit
        self,
        job_id: str,
        name: str,
        payload_json: str,
        key: str | None,
        timeout: float | None,
        retry: Retry,
        now: float,
        capacity: int,
    ) -> str | None:
        """:meth:`submit` from the fields of a new job, with no snapshot built for it (the runtime's path)."""
        jobs = self._jobs
        if job_id in jobs:
            raise ValueError(f"jobs: a job with id {job_id!r} already exists")
        counts = self._counts
        if key is None:
            old = None
            if counts[_QUEUED] >= capacity:
                raise QueueFullError
        else:
            old = self._live.get(key)
            if (old is None or old.state is not _QUEUED) and counts[_QUEUED] >= capacity:
                raise QueueFullError
            if old is not None:
                old.version += 1
                self._move(old, State.SUPERSEDED, now)
        r = jobs[job_id] = _Rec(job_id, name, payload_json, key, timeout, retry, now)
        self._fifo.append(r)
        counts[_QUEUED] += 1
        if key is not None:
            self._live[key] = r
        return None if old is None else old.id

    def claim(
        self, worker: str, names: Collection[str], limit: int, lease_until: float, now: float
    ) -> list[ClaimedJob]:
        fifo, later = self._fifo, self._later
        while later and later[0][0] <= now:
            fifo.append(heapq.heappop(later)[2])
        if limit == 1:  # a worker claiming its next job: the head is almost always it
            while fifo and fifo[0].state is not _QUEUED:
                fifo.popleft()  # cancelled or superseded while queued
            if fifo and fifo[0].name in names:
                return [self._run(fifo.popleft(), worker, now)]
        picked: list[_Rec] = []
        unhandled: list[_Rec] = []
        while fifo and len(picked) < limit:
            r = fifo.popleft()
            if r.state is not _QUEUED:
                continue  # cancelled or superseded while queued
            (picked if r.name in names else unhandled).append(r)
        fifo.extendleft(reversed(unhandled))
        return [self._run(r, worker, now) for r in picked]

    def _run(self, r: _Rec, worker: str, now: float) -> ClaimedJob:
        """Move a queued record, just taken from the queue, to running."""
        c = self._counts
        c[_QUEUED] -= 1
        c[_RUNNING] += 1
        r.state = _RUNNING
        r.version += 1
        r.attempts += 1
        r.worker = worker
        r.started_at = now
        r.progress = r.message = None
        return _new_claim(ClaimedJob, (r.id, r.name, r.payload_json, r.key, r.timeout, r.retry, r.attempts, r.version))

    def renew(self, worker: str, tokens: Mapping[str, int], lease_until: float | None) -> dict[str, State]:
        gone: dict[str, State] = {}
        for i, tok in tokens.items():
            r = self._jobs.get(i)
            if r is None:
                gone[i] = State.CANCELLED  # it ended (cancelled, or superseded) and was forgotten since
            elif r.state is not _RUNNING or r.version != tok:
                gone[i] = r.state
        return gone

    def _held(self, job_id: str, token: int) -> _Rec | None:
        r = self._jobs.get(job_id)
        return r if r is not None and r.state is _RUNNING and r.version == token else None

    def complete(self, job_id: str, token: int, outcome: Outcome, now: float) -> bool:
        r = self._held(job_id, token)
        if r is None:
            return False
        r.result_json = outcome.result_json
        r.error = outcome.error
        if outcome.retry_at is not None:
            if self._counts[_QUEUED] < outcome.capacity:
                r.run_after = outcome.retry_at
                self._move(r, _QUEUED, now)
                return True
            r.error = f"{r.error}; not retried: max capacity reached"
        self._move(r, outcome.state, now)
        return True

    def complete_many(self, done: Sequence[tuple[str, int, Outcome]], now: float) -> list[bool]:
        return [self.complete(job_id, token, outcome, now) for job_id, token, outcome in done]

    def progress(self, job_id: str, token: int, fraction: float, message: str) -> bool:
        r = self._held(job_id, token)
        if r is None:
            return False
        r.progress = fraction
        r.message = message
        return True

    def cancel(self, job_id: str, now: float) -> bool:
        r = self._jobs.get(job_id)
        if r is None or r.state in FINAL:
            return False
        r.version += 1
        self._move(r, State.CANCELLED, now)
        return True

    def hand_back(self, worker: str, tokens: Mapping[str, int], now: float) -> list[str]:
        back = [r for i, tok in tokens.items() if (r := self._held(i, tok)) is not None]
        back.extend(r for r in self._jobs.values() if r.state is _QUEUED)
        for r in back:
            r.version += 1
            self._move(r, State.ABANDONED, now)
        return [r.id for r in back]

    def reclaim(self, now: float) -> list[str]:
        return []

    # -- reads --------------------------------------------------------------------------------------

    def on_notice(self, wake: Callable[[], None] | None) -> bool:
        return False  # its only writer is this process's runtime, which wakes itself

    def get(self, job_id: str) -> JobInfo | None:
        r = self._jobs.get(job_id)
        return None if r is None else r.info()

    def state(self, job_id: str) -> State | None:
        """The job's state alone (cheaper than :meth:`get`)."""
        r = self._jobs.get(job_id)
        return None if r is None else r.state

    def list(
        self, state: State | None = None, key: str | None = None, limit: int = 1000, offset: int = 0
    ) -> list[JobInfo]:
        out: list[JobInfo] = []
        if limit <= 0:
            return out
        for r in self._jobs.values():
            if (state is None or r.state is state) and (key is None or r.key == key):
                if offset > 0:
                    offset -= 1
                    continue
                out.append(r.info())
                if len(out) >= limit:
                    break
        return out

    def counts(self) -> dict[State, int]:
        return dict(self._counts)

    def close(self) -> None:
        pass
