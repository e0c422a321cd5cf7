"""``python -m benchmarks.timers [N]``: real-time accuracy of gochan's timers.

Overshoot of ``sleep(0.001)`` (and ``after(0.001).recv()``) beyond the millisecond asked for, over
N sleeps (default 2000): median, p90, p99 and max, beside plain ``time.sleep`` as the baseline, and
with a neighbour goroutine that yields in a loop (timers are then checked between switches instead
of by the idle poll).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

from gochan import after, go, gosched, run, sleep

D = 0.001


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


def _report(name: str, over: list[float]) -> None:
    us = [x * 1e6 for x in over]
    print(
        f"| {name} | {statistics.median(us):.0f} µs | {_pct(us, 0.9):.0f} µs | {_pct(us, 0.99):.0f} µs "
        f"| {max(us):.0f} µs |"
    )


def _overshoots(n: int, wait: Callable[[], object]) -> list[float]:
    over = []
    for _ in range(n):
        t0 = time.perf_counter()
        wait()
        over.append(time.perf_counter() - t0 - D)
    return over


def _with_busy_neighbour(n: int) -> list[float]:
    stop = [False]

    def spinner() -> None:
        while not stop[0]:
            gosched()

    go(spinner)
    try:
        return _overshoots(n, lambda: sleep(D))
    finally:
        stop[0] = True


def main(argv: list[str]) -> None:
    n = int(argv[0]) if argv else 2000
    print(f"overshoot beyond {D * 1e3:g} ms over {n} sleeps (2 cores, Python {sys.version.split()[0]})")
    print()
    print("| what | median | p90 | p99 | max |")
    print("|---|--:|--:|--:|--:|")
    _report("`time.sleep(0.001)` (baseline, no gochan)", _overshoots(n, lambda: time.sleep(D)))
    _report("gochan `sleep(0.001)`, scheduler idle", run(_overshoots, n, lambda: sleep(D)))
    _report("gochan `after(0.001).recv()`, scheduler idle", run(_overshoots, n, lambda: after(D).recv()))
    _report("gochan `sleep(0.001)` beside a goroutine looping on `gosched()`", run(_with_busy_neighbour, n))


if __name__ == "__main__":
    main(sys.argv[1:])
