"""The store interface: every state change of a job is ONE atomic operation of a store.

A store is plain synchronous code that never uses gochan itself. A blocking store is safe to call
from several OS threads (the runtime runs its calls on threads with ``gochan.to_thread``); a
non-blocking one (the memory store) is called on its program's scheduler thread only. That is
what lets a store for many machines implement each operation as one server-side script (Redis:
one Lua script per operation) with no locking across calls. The rules each operation must keep are
in docs/jobs.md (*The store interface*); ``tests/jobs/`` runs the same conformance suite against
every store.

Times are seconds on the store's ``clock`` (wall time by default; a test passes ``gochan.now`` to
run on virtual time).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Final, Protocol

from .model import ClaimedJob, JobInfo, Outcome, State

__all__ = ["MAX_LOST", "Store", "open_store"]

MAX_LOST: Final = 5
"""A job whose worker was lost (lease expired) this many times ends failed ("worker lost")."""


class Store(Protocol):
    """Where jobs live. See docs/jobs.md for the exact effect of each operation."""

    clock: Callable[[], float]
    """The clock every time in this store is on."""

    durable: bool
    """True when jobs outlive the process (and other processes may change them): the runtime then
    polls (``poll_interval``) for changes it did not make, renews leases and reclaims expired ones."""

    blocking: bool
    """True when calls may block on I/O or locks: the runtime runs them with ``gochan.to_thread``."""

    poll_interval: float
    """How often a runtime polls a durable store for work, cancels and state changes."""

    def submit(self, rec: JobInfo, capacity: int) -> str | None:
        """Insert ``rec`` (state queued) if there is room, superseding the live job of its key.

        Returns the id of the superseded job, if any. Raises QueueFullError, changing nothing, when
        ``capacity`` jobs are queued and ``rec`` does not replace a queued job of its key.
        """
        ...

    def submit_many(self, recs: Sequence[JobInfo], capacity: int) -> list[str | Exception | None]:
        """:meth:`submit` for each of ``recs`` in order, each atomic on its own, in one go where the
        store can (one transaction, one round trip): the runtime's group commit of concurrent
        submits to a blocking store. Each result is what ``submit`` returns, or the exception it
        raises (QueueFullError, ValueError), returned in that job's place."""
        ...

    def claim(
        self, worker: str, names: Collection[str], limit: int, lease_until: float, now: float
    ) -> list[ClaimedJob]:
        """Claim up to ``limit`` due queued jobs whose name is in ``names``, oldest first."""
        ...

    def renew(self, worker: str, tokens: Mapping[str, int], lease_until: float | None) -> dict[str, State]:
        """Extend the leases of ``tokens`` still held (not when ``lease_until`` is None); return the
        current state of every job in ``tokens`` this worker no longer holds."""
        ...

    def complete(self, job_id: str, token: int, outcome: Outcome, now: float) -> bool:
        """Record how a run ended, fenced by ``state = running and version = token``."""
        ...

    def complete_many(self, done: Sequence[tuple[str, int, Outcome]], now: float) -> list[bool]:
        """:meth:`complete` for each ``(job_id, token, outcome)`` of ``done``, in one go where the store
        can (one transaction, one script call): the runtime's group commit of a blocking store."""
        ...

    def progress(self, job_id: str, token: int, fraction: float, message: str) -> bool:
        """Record a running job's progress, fenced like :meth:`complete`."""
        ...

    def cancel(self, job_id: str, now: float) -> bool:
        """Queued or running → cancelled. False when the job is unknown or already final."""
        ...

    def hand_back(self, worker: str, tokens: Mapping[str, int], now: float) -> list[str]:
        """Shutdown: give back the jobs in ``tokens`` (durable: queued, the attempt not counted;
        memory: abandoned, and every queued job too). Returns the ids handed back."""
        ...

    def reclaim(self, now: float) -> list[str]:
        """Running jobs whose lease expired → queued (failed after MAX_LOST losses). Returns their ids."""
        ...

    def on_notice(self, wake: Callable[[], None] | None) -> bool:
        """Call ``wake()`` (from any thread, without blocking it) whenever this store hears that new
        work may be due or that a job this worker holds was cancelled or superseded elsewhere; None
        stops it. Returns whether the store hears such things at all (Redis: pub/sub): if it does,
        the runtime polls it less often, since it is woken instead; a store that hears nothing
        (memory, SQLite) returns False and never calls ``wake``."""
        ...

    def get(self, job_id: str) -> JobInfo | None:
        """The job, or None."""
        ...

    def list(
        self, state: State | None = None, key: str | None = None, limit: int = 1000, offset: int = 0
    ) -> list[JobInfo]:
        """Jobs, oldest first, filtered by state and key: at most ``limit``, after skipping ``offset`` of them."""
        ...

    def counts(self) -> dict[State, int]:
        """The number of jobs in each state (every state present, zero included)."""
        ...

    def close(self) -> None:
        """Release the store's resources (connections); the jobs stay where they are."""
        ...


def open_store(url: str, *, clock: Callable[[], float] | None = None) -> Store:
    """Build a store from a URL: ``memory://``, ``sqlite:///relative/jobs.db``, ``sqlite:////abs/jobs.db``,
    ``redis://[:password@]host:port/db`` or ``rediss://`` (TLS)."""
    if url in ("memory", "memory://"):
        from .memory import MemoryStore  # the stores import this module

        return MemoryStore() if clock is None else MemoryStore(clock=clock)
    if url.startswith("sqlite:///"):
        from .sqlite import SqliteStore

        path = url.removeprefix("sqlite:///")  # SQLAlchemy's form: sqlite:///rel.db, sqlite:////abs.db
        if not path:
            raise ValueError(f"jobs: {url!r} names no file: write sqlite:///relative.db or sqlite:////abs/path.db")
        return SqliteStore(path) if clock is None else SqliteStore(path, clock=clock)
    if url.startswith(("redis://", "rediss://")):
        from .redis import RedisStore  # imports redis-py: only for a Redis URL

        return RedisStore(url, clock=clock)
    raise ValueError(f"jobs: unknown store URL {url!r}: use memory://, sqlite:///path.db or redis://host:port/db")
