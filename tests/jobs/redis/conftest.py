"""Fixtures: a fresh redis-server per test (``server``), a store on it, worker processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gochan.jobs.redis import RedisStore

from ..redis_server import RedisServer


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of its own on a free loopback port, in tmp_path, appendonly on."""
    s = RedisServer(tmp_path)
    yield s
    s.stop()


@pytest.fixture
def store(server: RedisServer) -> Iterator[RedisStore]:
    s = RedisStore(server.url)
    yield s
    s.close()
