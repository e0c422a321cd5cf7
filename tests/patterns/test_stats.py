"""Stats: one goroutine owns the counters; updates are messages; tally counts a pipeline's values."""

from __future__ import annotations

import pytest

from gochan import go, num_goroutine
from gochan import testing as synctest
from gochan.context import background
from gochan.patterns import PoolClosedError, Stats, generator, tally
from gochan.sync import WaitGroup


@synctest.synctest
def test_updates_from_many_goroutines_are_all_counted() -> None:
    before = num_goroutine()
    stats: Stats[str] = Stats(buffer=4)
    wg = WaitGroup()
    for g in range(10):
        wg.add(1)

        def worker(g: int = g) -> None:
            for i in range(25):
                stats.add("even" if (g + i) % 2 == 0 else "odd")
            wg.done()

        go(worker)
    wg.wait()
    assert stats.snapshot() == {"even": 125, "odd": 125}  # every update sent before the snapshot
    stats.add("even", 5)
    assert stats.close() == {"even": 130, "odd": 125}
    assert stats.snapshot() == {"even": 130, "odd": 125}
    with pytest.raises(PoolClosedError, match="stats have been closed"):
        stats.add("odd")
    synctest.wait()
    assert num_goroutine() == before


@synctest.synctest
def test_tally_passes_values_through_and_counts_them() -> None:
    ctx = background()
    stats: Stats[bool] = Stats()
    out = tally(ctx, generator(ctx, range(10)), stats, lambda v: v % 3 == 0)
    assert list(out) == list(range(10))
    assert stats.close() == {True: 4, False: 6}
