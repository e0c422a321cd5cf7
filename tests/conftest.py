"""Shared fixtures, and the hypothesis profiles every property test runs under.

Profiles (pick one with the ``HYPOTHESIS_PROFILE`` environment variable, or pytest's
``--hypothesis-profile``; see docs/testing.md):

- ``dev`` (the default): random examples, failures saved in ``.hypothesis/`` and replayed first.
- ``ci``: derandomized, no example database: the same examples on every run and every machine,
  and a failure prints the blob that reproduces it (``@reproduce_failure``).
- ``explore``: ``EXPLORE_SCALE`` times the examples of every property test, random, for a long
  hunt for rare interleavings.

A property test states its example count relative to hypothesis's default of 100 through
``tests.properties.examples``, so that a profile scales it: a per-test ``max_examples`` would
override the profile's.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

from gochan._runtime import Scheduler, current_scheduler, tls

EXPLORE_SCALE = 20

# Loaded here, before pytest imports any test module: settings objects built at import take their
# defaults from the profile active then. (pytest's --hypothesis-profile, if given, loads later
# and wins.)
settings.register_profile("dev", derandomize=False, deadline=None)  # explicit: CI=true derandomizes the default
settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile("explore", derandomize=False, max_examples=100 * EXPLORE_SCALE, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def implicit_scheduler() -> Iterator[Scheduler]:
    """This thread's implicit scheduler, fresh for the test and unwound after it.

    Outside ``run()`` the test's own greenlet is the main goroutine of a per-thread scheduler that
    outlives the test; goroutines a test leaves blocked there would leak into the next test.
    """
    prev = tls.sched
    tls.sched = None
    s = current_scheduler()
    try:
        yield s
    finally:
        try:
            s.close()
        finally:
            tls.sched = prev
