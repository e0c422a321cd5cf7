"""Jobs: a bounded job queue whose handlers run as goroutines, cancelled by closing their context.

The job system of DESIGN §6 and docs/jobs.md: ``try_submit`` fails at once with "max capacity
reached"; each handler runs under its own context, cancelled — with a cause — on cancel, on
supersede (latest wins by key), on timeout and on shutdown; completion is fenced so that a
superseded or lost run can never record success. One semantics, several stores (memory, sqlite).

Built only on gochan's public API (``gochan``, ``gochan.context``, ``gochan.patterns``, ...)::

    jobs = Jobs(capacity=100, workers=4)

    @jobs.handler("paint")
    def paint(ctx, job): ...

    def main():
        with jobs.serve():
            job_id = jobs.try_submit("paint", {"colour": "blue"}, key="north-america")
            print(jobs.wait(job_id).state)

    run(main)
"""

from __future__ import annotations

from .memory import MemoryStore
from .model import (
    FINAL,
    JSON,
    JobCancelledError,
    JobInfo,
    JobSupersededError,
    JobTimeoutError,
    LeaseLostError,
    QueueFullError,
    Retry,
    ShutdownError,
    State,
    StoreUnavailableError,
)
from .runtime import Handler, Job, Jobs, JobStats, ShutdownReport
from .store import Store, open_store

__all__ = [
    "FINAL",
    "JSON",
    "Handler",
    "Job",
    "JobCancelledError",
    "JobInfo",
    "JobStats",
    "JobSupersededError",
    "JobTimeoutError",
    "Jobs",
    "LeaseLostError",
    "MemoryStore",
    "QueueFullError",
    "Retry",
    "ShutdownError",
    "ShutdownReport",
    "State",
    "Store",
    "StoreUnavailableError",
    "open_store",
]
