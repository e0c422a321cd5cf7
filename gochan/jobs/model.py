"""The job model: states, retry policy, snapshots, outcomes, the causes a handler's context is cancelled
with, and the JSON codec (docs/jobs.md).

Payloads and results cross every store as JSON text: the codec refuses anything JSON cannot carry
at the call that supplied it, with the offending value named, so nothing is ever pickled and a job
reads the same in every process.

Exceptions::

    Exception
     ├── QueueFullError        "max capacity reached": try_submit on a full queue (HTTP 503)
     ├── ConnectionError
     │    └── StoreUnavailableError  a networked store (Redis) cannot be reached, or refused the credentials
     ├── GochanError
     │    ├── CanceledError
     │    │    ├── JobCancelledError     cause: cancel(id)
     │    │    ├── JobSupersededError    cause: a newer job with the same key
     │    │    ├── ShutdownError         cause: shutdown; also raised by submit after shutdown began
     │    │    └── LeaseLostError        cause: the worker's lease expired and the job was reclaimed
     │    └── DeadlineExceededError
     │         └── JobTimeoutError       cause: the job's timeout
"""

from __future__ import annotations

import functools
import json
import math
import random
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final, NamedTuple, final

from gochan.errors import CanceledError, DeadlineExceededError

__all__ = [
    "FINAL",
    "JSON",
    "ClaimedJob",
    "JobCancelledError",
    "JobInfo",
    "JobSupersededError",
    "JobTimeoutError",
    "LeaseLostError",
    "Outcome",
    "QueueFullError",
    "Retry",
    "ShutdownError",
    "State",
    "StoreUnavailableError",
    "decode_json",
    "encode_json",
]

JSON = None | bool | int | float | str | list["JSON"] | dict[str, "JSON"]
"""What a payload or a result may be."""

MAX_CAPACITY: Final = "max capacity reached"


class State(StrEnum):
    """A job's state (docs/jobs.md, *States*)."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SUPERSEDED = "superseded"
    TIMED_OUT = "timed_out"
    ABANDONED = "abandoned"

    @property
    def final(self) -> bool:
        """True for the states a job never leaves."""
        return self in FINAL


FINAL: Final = frozenset(
    {State.SUCCEEDED, State.FAILED, State.CANCELLED, State.SUPERSEDED, State.TIMED_OUT, State.ABANDONED}
)


class QueueFullError(Exception):
    """The queue holds ``capacity`` queued jobs: the seed's 503 "max capacity reached"."""

    def __init__(self, message: str = MAX_CAPACITY) -> None:
        super().__init__(message)


class StoreUnavailableError(ConnectionError):
    """A networked store (Redis) cannot be reached, or refused the credentials: nothing was changed.

    Raised by the calls a client makes (submit, cancel, reads) while the store is down; a worker's
    own calls (claim, lease renewal, completion) retry with backoff instead.
    """


class JobCancelledError(CanceledError):
    """The cause of a handler's context when its job was cancelled with ``cancel(id)``."""

    def __init__(self, message: str = "job cancelled") -> None:
        super().__init__(message)


class JobSupersededError(CanceledError):
    """The cause when a newer job with the same key superseded this one (latest wins)."""

    def __init__(self, message: str = "job superseded by a newer job with the same key") -> None:
        super().__init__(message)


class ShutdownError(CanceledError):
    """The cause when shutdown cancelled a running handler; raised by submit once shutdown began."""

    def __init__(self, message: str = "jobs: shutting down; no new jobs are accepted") -> None:
        super().__init__(message)


class LeaseLostError(CanceledError):
    """The cause when this worker's lease expired and the job was handed to another worker."""

    def __init__(self, message: str = "job lease lost: the job was reclaimed by another worker") -> None:
        super().__init__(message)


class JobTimeoutError(DeadlineExceededError):
    """The cause when the job's own timeout passed (a ``TimeoutError``, as Go's DeadlineExceeded)."""

    def __init__(self, message: str = "job timed out") -> None:
        super().__init__(message)


def encode_json(value: object, what: str = "payload") -> str:
    """Encode ``value`` as compact JSON text; refuse anything JSON cannot carry (no NaN, no objects)."""
    if value is None:  # the common no-payload, no-result case, without the encoder's setup
        return "null"
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as e:
        raise TypeError(
            f"jobs: the {what} must be JSON (dict with str keys, list, str, int, float, bool or None): {e}"
        ) from None


def decode_json(text: str | None) -> JSON:
    """Decode JSON text written by :func:`encode_json` (None stays None)."""
    return None if text is None else json.loads(text)


@final
@dataclass(frozen=True, slots=True)
class Retry:
    """How often a failed job runs in all, and how long it waits between runs.

    The wait before run ``n+1`` is ``min(max_backoff, backoff * factor**(n-1))``, moved by a random
    fraction of itself within ``± jitter`` (so that retries of many jobs do not stampede).
    """

    attempts: int = 1
    backoff: float = 1.0
    factor: float = 2.0
    max_backoff: float = 300.0
    jitter: float = 0.1

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"jobs: Retry.attempts must be at least 1 (one run, no retry), got {self.attempts}")
        if not (0.0 <= self.jitter <= 1.0) or self.backoff < 0 or self.factor < 1 or self.max_backoff < 0:
            raise ValueError("jobs: Retry needs backoff >= 0, factor >= 1, max_backoff >= 0 and 0 <= jitter <= 1")

    def delay(self, attempts: int, rng: random.Random) -> float:
        """Seconds to wait after the ``attempts``-th run failed."""
        base = min(self.max_backoff, self.backoff * self.factor ** max(0, attempts - 1))
        return max(0.0, base * (1.0 + self.jitter * (2.0 * rng.random() - 1.0)))

    def encode(self) -> str:
        """The policy as the text a store keeps (remembered: a program uses few policies, mostly one)."""
        return _encode_retry(self)

    @staticmethod
    def decode(text: str) -> Retry:
        """The policy :meth:`encode` wrote (one object per text: a store decodes one per claimed job)."""
        return _decode_retry(text)


@functools.lru_cache(maxsize=256)
def _encode_retry(r: Retry) -> str:
    return f"{r.attempts},{r.backoff!r},{r.factor!r},{r.max_backoff!r},{r.jitter!r}"


@functools.lru_cache(maxsize=256)
def _decode_retry(text: str) -> Retry:
    a, b, f, m, j = text.split(",")
    return Retry(int(a), float(b), float(f), float(m), float(j))


NO_RETRY: Final = Retry()


@final
@dataclass(frozen=True, slots=True)
class JobInfo:
    """A snapshot of one job, as a store holds it (docs/jobs.md, *A job*)."""

    id: str
    name: str
    payload_json: str
    state: State
    key: str | None = None
    timeout: float | None = None
    retry: Retry = NO_RETRY
    attempts: int = 0
    version: int = 0
    worker: str | None = None
    created_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None
    run_after: float = 0.0
    result_json: str | None = None
    error: str | None = None
    progress: float | None = None
    message: str | None = None

    @property
    def payload(self) -> JSON:
        return decode_json(self.payload_json)

    @property
    def result(self) -> JSON:
        return decode_json(self.result_json)

    def to_dict(self) -> dict[str, JSON]:
        """The snapshot as JSON-ready data (for a CLI or an HTTP API)."""
        return {
            "id": self.id,
            "name": self.name,
            "payload": self.payload,
            "state": str(self.state),
            "key": self.key,
            "timeout": self.timeout,
            "attempts": self.attempts,
            "max_attempts": self.retry.attempts,
            "worker": self.worker,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "run_after": self.run_after,
            "result": self.result,
            "error": self.error,
            "progress": self.progress,
            "message": self.message,
        }


@final
class ClaimedJob(NamedTuple):
    """What a claim hands a worker: the job and its lease token (the version after the claim).

    A named tuple, not a frozen dataclass: a worker builds one per run, and a tuple is built in a
    fraction of the time.
    """

    id: str
    name: str
    payload_json: str
    key: str | None
    timeout: float | None
    retry: Retry
    attempts: int
    token: int


@final
@dataclass(frozen=True, slots=True)
class Outcome:
    """How a run ended, as the worker reports it to ``complete``.

    ``retry_at`` set (with ``state`` FAILED) asks the store to queue the job again at that time,
    if the queue has room; otherwise it ends failed.
    """

    state: State
    result_json: str | None = None
    error: str | None = None
    retry_at: float | None = None
    capacity: int = field(default=0)

    def __post_init__(self) -> None:
        assert self.state.final, "an outcome is a final state"
        assert self.retry_at is None or (self.state is State.FAILED and math.isfinite(self.retry_at))
