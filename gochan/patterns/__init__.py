"""Go's concurrency patterns, ready-made: worker pool, dispatcher, futures, runner, resource pool,
pipelines, broadcast, rate limiter (DESIGN §6).

Built only on gochan's public API (``gochan``, ``gochan.sync``, ``gochan.context``,
``gochan.errgroup``, ``gochan.signal``, ``gochan.errors``): every pattern here could be written by a
user, which is the proof that the API below is enough. One module per concept; the cookbook,
with each pattern's Go original beside it, is ``docs/patterns.md``.
"""

from __future__ import annotations

from .broadcast import Broadcast, Policy
from .dispatcher import Dispatcher
from .errors import PoolClosedError, RunnerInterruptError, RunnerTimeoutError
from .future import Future, promise, set_unobserved_error_hook
from .limiter import Limiter
from .pipeline import batch, bridge, fan_out, generator, merge, or_done, parallel_map, take, tee
from .pool import WorkerPool
from .resources import Lease, ResourcePool
from .runner import Runner
from .stats import Stats, tally

__all__ = [
    "Broadcast",
    "Dispatcher",
    "Future",
    "Lease",
    "Limiter",
    "Policy",
    "PoolClosedError",
    "ResourcePool",
    "Runner",
    "RunnerInterruptError",
    "RunnerTimeoutError",
    "Stats",
    "WorkerPool",
    "batch",
    "bridge",
    "fan_out",
    "generator",
    "merge",
    "or_done",
    "parallel_map",
    "promise",
    "set_unobserved_error_hook",
    "take",
    "tally",
    "tee",
]
