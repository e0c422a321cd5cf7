"""The stores the conformance suite runs against: a later store joins by adding a factory here."""

from __future__ import annotations

from collections.abc import Callable

from gochan import now
from gochan.jobs import MemoryStore, Store
from gochan.jobs.sqlite import SqliteStore


def memory() -> Store:
    return MemoryStore(clock=now)


def sqlite() -> Store:
    return SqliteStore(":memory:", clock=now)


STORES: dict[str, Callable[[], Store]] = {"memory": memory, "sqlite": sqlite}
"""Each factory builds a fresh, empty store on the scheduler's (virtual) clock."""
