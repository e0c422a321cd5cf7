"""How a worker measures: a calibrated timed loop, and the process's resident memory.

Calibration: every library is asked for the same *time* (``target_s``), not the same number of
messages, since threads are ~100x slower than greenlets per message and a fixed count would
either take minutes for one or be lost in timer noise for the other. The first run (``n0`` ops)
is also the warm-up: it pays for lazy imports, first-use allocations and the greenlet pool.
"""

from __future__ import annotations

import gc
import os
import resource
import sys
from collections.abc import Callable

__all__ = ["calibrate", "rss_bytes"]

MAX_OPS = 20_000_000


def calibrate(timed: Callable[[int], float], n0: int, target_s: float, repeat: int) -> tuple[int, float]:
    """Run ``timed(n)`` (which returns seconds) long enough to be measured; return ``(n, seconds)``.

    Warm up with ``n0`` ops, grow tenfold while a run is too short to extrapolate from, then run
    ``repeat`` times with ``n`` chosen to take about ``target_s`` and report the fastest (as
    ``timeit`` does: on a shared machine a slower run measures the neighbours, not the code).
    """
    n = n0
    elapsed = timed(n)
    while elapsed < target_s / 20 and n < MAX_OPS:
        n *= 10
        elapsed = timed(n)
    n = max(n0, min(MAX_OPS, int(n * target_s / max(elapsed, 1e-9))))
    return n, min(timed(n) for _ in range(repeat))


def rss_bytes() -> int:
    """This process's resident set size now, after a full collection.

    Linux: ``/proc/self/statm``. Elsewhere the peak RSS (``ru_maxrss``), which is still right for a
    delta taken while memory only grows, as the memory shape does.
    """
    gc.collect()
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024
