"""Shared fixtures: a fresh implicit scheduler for tests of code that runs outside ``gochan.run``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gochan._runtime import Scheduler, current_scheduler
from gochan._runtime._sched import _tls


@pytest.fixture
def implicit_scheduler() -> Iterator[Scheduler]:
    """This thread's implicit scheduler, fresh for the test and unwound after it.

    Outside ``run()`` the test's own greenlet is the main goroutine of a per-thread scheduler that
    outlives the test; goroutines a test leaves blocked there would leak into the next test.
    """
    prev = _tls.sched
    _tls.sched = None
    s = current_scheduler()
    try:
        yield s
    finally:
        try:
            s.close()
        finally:
            _tls.sched = prev
