"""``python -m benchmarks.tracing [N]``: what tracing costs, on a ping-pong round trip and on spawn.

Each shape runs N times (default 50 000) in a fresh program, untraced and then traced
(``run(main, trace=path)``; the file is written once the program ends, and writing it is not
counted): the best of 3 runs each, in ns per round trip / per goroutine, and on ÷ off. Tracing off
runs the plain scheduler, so its cost when off is the benchmark suite's own figures.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable

from gochan import Chan, go, run
from gochan.sync import WaitGroup


def pingpong(n: int) -> Callable[[], float]:
    def main() -> float:
        ping: Chan[int] = Chan()
        pong: Chan[int] = Chan()

        def echo() -> None:
            for v in ping:
                pong.send(v)

        go(echo)
        t0 = time.perf_counter()
        for i in range(n):
            ping.send(i)
            pong.recv()
        dt = time.perf_counter() - t0
        ping.close()
        return dt

    return main


def spawn(n: int) -> Callable[[], float]:
    def main() -> float:
        wg = WaitGroup()
        t0 = time.perf_counter()
        for _ in range(n):
            wg.add(1)
            go(wg.done)
        wg.wait()
        return time.perf_counter() - t0

    return main


def best(main: Callable[[], float], trace: str | None) -> float:
    return min(run(main, trace=trace) if trace else run(main) for _ in range(3))


def main(argv: list[str]) -> None:
    n = int(argv[0]) if argv else 50_000
    os.environ.pop("GOCHAN_TRACE", None)
    print(f"tracing cost, {n} operations per run, best of 3 (Python {sys.version.split()[0]})")
    print()
    print("| shape | off | on | on ÷ off |")
    print("|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "trace.json")
        for name, shape in (("ping-pong round trip", pingpong), ("spawn + finish", spawn)):
            off = best(shape(n), None) / n * 1e9
            on = best(shape(n), path) / n * 1e9
            print(f"| {name} | {off:,.0f} ns | {on:,.0f} ns | {on / off:.1f}x |")


if __name__ == "__main__":
    main(sys.argv[1:])
