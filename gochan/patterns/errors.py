"""The exceptions of :mod:`gochan.patterns`, and how they relate.

::

    Exception
     └── GochanError                  (gochan.errors)
          ├── PoolClosedError         "pool has been closed": a resource pool, worker pool or
          │                           dispatcher used after close()
          ├── RunnerTimeoutError      "received timeout": a Runner's tasks outlasted its timeout
          │                           (also a TimeoutError; Go's runner.ErrTimeout)
          └── RunnerInterruptError    "received interrupt": a Runner got SIGINT (Go's runner.ErrInterrupt)

A task's own exception is never wrapped: a pool puts it in the task's Future as raised.
"""

from __future__ import annotations

from typing import Final, final

from gochan.errors import GochanError

__all__ = ["POOL_CLOSED", "PoolClosedError", "RunnerInterruptError", "RunnerTimeoutError"]

POOL_CLOSED: Final = "pool has been closed"


@final
class PoolClosedError(GochanError):
    """A pool was used after ``close()`` (Go's ``ErrPoolClosed``: "pool has been closed")."""


@final
class RunnerTimeoutError(GochanError, TimeoutError):
    """A Runner ran out of time (Go: ``ErrTimeout``, "received timeout")."""


@final
class RunnerInterruptError(GochanError):
    """A Runner was interrupted by a signal (Go: ``ErrInterrupt``, "received interrupt")."""
