"""``store``: a fresh store of each kind in stores.STORES, on the virtual clock of the test's bubble."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gochan.jobs import Store

from .stores import STORES


@pytest.fixture(params=sorted(STORES))
def make_store(request: pytest.FixtureRequest) -> Callable[[], Store]:
    factory: Callable[[], Store] = STORES[request.param]
    return factory
