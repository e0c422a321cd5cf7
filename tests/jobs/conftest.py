"""``make_store``: a fresh store of each kind in stores.STORES, on the virtual clock of the test's bubble;
``workers``: the worker processes a test started, killed if still running when it ends."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from typing import Protocol

import pytest

from gochan.jobs import Store

from .stores import STORES


@pytest.fixture(params=sorted(STORES))
def make_store(request: pytest.FixtureRequest) -> Callable[[], Store]:
    factory: Callable[[], Store] = STORES[request.param]
    return factory


class _Started(Protocol):
    proc: subprocess.Popen[str]


@pytest.fixture
def workers() -> Iterator[list[_Started]]:
    """Append each worker process the test starts; any still running at the end is killed."""
    started: list[_Started] = []
    yield started
    for w in started:
        if w.proc.poll() is None:
            w.proc.kill()
            w.proc.wait()
        if w.proc.stdout is not None:
            w.proc.stdout.close()
