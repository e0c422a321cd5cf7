"""One module per library implementing the shapes; ``load(name)`` gives its ``Bench``.

A library module's ``make()`` imports the library (inside the function, so that importing this
package never needs a peer installed) and returns a ``SyncLib``/``AsyncLib`` for a generic
driver, or a ready ``Bench``.
"""

from __future__ import annotations

import importlib
from typing import Final

from .async_driver import AsyncBench
from .base import AsyncLib, Bench, SyncLib, Unsupported
from .sync_driver import SyncBench

__all__ = ["MODULES", "Bench", "Unsupported", "load"]

MODULES: Final = {
    "greenlet": "floor",
    "gochan": "gochan_lib",
    "gevent": "gevent_lib",
    "trio": "trio_lib",
    "anyio": "anyio_lib",
    "asyncio": "asyncio_lib",
    "threads": "threads_lib",
    "aiochan": "aiochan_lib",
    "goless": "goless_lib",
}


def load(name: str) -> Bench:
    """The ``Bench`` of library ``name``; ImportError when the library is not installed."""
    made: object = importlib.import_module(f"{__name__}.{MODULES[name]}").make()
    if isinstance(made, SyncLib):
        return SyncBench(made)
    if isinstance(made, AsyncLib):
        return AsyncBench(made)
    assert hasattr(made, "pingpong"), f"{name}: make() returned {made!r}"
    return made  # type: ignore[return-value]  # a module-provided Bench (the floor)
