"""The stores the conformance suite runs against: a later store joins by adding a factory here."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable

from gochan import now
from gochan.jobs import MemoryStore, Store
from gochan.jobs.redis import RedisStore
from gochan.jobs.sqlite import SqliteStore

from . import redis_server

_prefixes = itertools.count(1)


def memory() -> Store:
    return MemoryStore(clock=now)


def sqlite() -> Store:
    return SqliteStore(":memory:", clock=now)


def redis() -> Store:
    """A store on the session's redis-server, under a prefix no other store of the session uses."""
    prefix = f"t{os.getpid()}-{next(_prefixes)}:"
    return RedisStore(redis_server.shared().url, prefix=prefix, clock=now, poll_interval=0.01)


STORES: dict[str, Callable[[], Store]] = {"memory": memory, "sqlite": sqlite, "redis": redis}
"""Each factory builds a fresh, empty store on the scheduler's (virtual) clock."""
