"""Schedule exploration against three classic concurrency bugs: tries each needs to find the bug.

``python -m benchmarks.exploration``: for each bug, plain seeded runs (``run(main, seed=s)`` for
1 000 seeds), hypothesis over ``gochan.testing.schedules()`` (up to 1 000 examples) and PCT
(``explore_pct``, depth 3, 100 steps, up to 1 000 runs): how many runs until the first failure, or "not
found". The bugs (each passes under the default schedule):

- check-then-act: two goroutines fill a shared dict's missing key; between the check and the act
  each logs to a buffered channel (a channel operation that never blocks, so only a yield there
  lets the other goroutine in);
- lost wake-up: a waiter checks its condition without holding the Cond's lock, then waits; the
  signal can fall in between and the waiter sleeps forever;
- mis-ordered close: workers call ``wg.done()`` before their last send; the closer waiting on the
  WaitGroup can close the results channel before that send (send on closed channel).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from gochan import Chan, go, run
from gochan.sync import Cond, Mutex, WaitGroup

__all__ = ["BUGS", "check_then_act", "lost_wakeup", "misordered_close"]


def check_then_act() -> None:
    """Two goroutines create the same cache entry: the check and the act are not atomic."""
    cache: dict[str, int] = {}
    created: list[int] = []
    log: Chan[str] = Chan(16)
    wg = WaitGroup()

    def get_or_create(key: str, who: int) -> None:
        if key not in cache:
            log.send(f"{who} creates {key}")  # a buffered send: never blocks, a yield point only
            created.append(who)
            cache[key] = who

    wg.go(get_or_create, "k", 1)
    wg.go(get_or_create, "k", 2)
    wg.wait()
    assert len(created) == 1, f"the entry was created {len(created)} times"


def lost_wakeup() -> None:
    """A waiter checks its condition outside the lock: the signal can come before it waits."""
    mu = Mutex()
    cond = Cond(mu)
    state = {"ready": False}
    log: Chan[str] = Chan(16)
    wg = WaitGroup()

    def waiter() -> None:
        if not state["ready"]:  # the bug: checked without holding mu
            log.send("waiting")
            with mu:
                cond.wait()

    def signaller() -> None:
        with mu:
            state["ready"] = True
            cond.signal()

    wg.go(waiter)
    wg.go(signaller)
    wg.wait()  # DeadlockError when the wake-up was lost


def misordered_close() -> None:
    """Workers report done before their last send: the closer may close the channel under them."""
    results: Chan[int] = Chan(4)
    wg = WaitGroup()

    def worker(n: int) -> None:
        wg.done()  # the bug: done must come after the send
        results.send(n * n)

    def closer() -> None:
        wg.wait()
        results.close()

    wg.add(2)
    go(worker, 1)
    go(worker, 2)
    go(closer)
    assert sorted(results) == [1, 4]


BUGS: dict[str, Callable[[], None]] = {
    "check-then-act": check_then_act,
    "lost wake-up (Cond)": lost_wakeup,
    "mis-ordered close": misordered_close,
}


def tries_seeds(fn: Callable[[], None], budget: int) -> int | None:
    """Runs of ``run(fn, seed=s)``, s = 0, 1, ..., until one fails; None if none of ``budget`` does."""
    for s in range(budget):
        try:
            run(fn, seed=s)
        except Exception:  # noqa: BLE001 - any failure is the bug showing
            return s + 1
    return None


def tries_hypothesis(fn: Callable[[], None], budget: int) -> int | None:
    """Examples hypothesis (derandomized) runs under ``schedules()`` until the first failure."""
    from hypothesis import HealthCheck, Phase, given, settings

    from gochan.testing import Schedule, schedules

    count = [0]
    first: list[int] = []

    @settings(
        max_examples=budget,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(schedules())
    def explore(schedule: Schedule) -> None:
        count[0] += 1
        try:
            schedule.run(fn)
        except Exception:
            if not first:
                first.append(count[0])
            raise

    try:
        explore()
    except Exception:  # noqa: BLE001 - the bug, found
        return first[0] if first else None
    return None


def tries_pct(fn: Callable[[], None], budget: int) -> int | None:
    """PCT runs (depth 3, 100 steps, seeds 0, 1, ...) until the first failure."""
    from gochan.testing import explore_pct

    count = [0]

    def counted() -> None:
        count[0] += 1
        fn()

    try:
        explore_pct(counted, runs=budget, depth=3, steps=100)
    except Exception:  # noqa: BLE001 - the bug, found
        return count[0]
    return None


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.exploration", description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=1000, help="runs per method (default 1000)")
    budget = parser.parse_args().budget
    print(f"tries until the bug shows (budget {budget} runs each; '-' = not found)\n")
    print(f"| {'bug':<20} | {'seeded runs':>11} | {'schedules()':>11} | {'PCT (d=3)':>9} |")
    print(f"|{'-' * 22}|{'-' * 12}:|{'-' * 12}:|{'-' * 10}:|")
    for name, fn in BUGS.items():
        cells = [tries_seeds(fn, budget), tries_hypothesis(fn, budget), tries_pct(fn, budget)]
        shown = ["-" if c is None else str(c) for c in cells]
        print(f"| {name:<20} | {shown[0]:>11} | {shown[1]:>11} | {shown[2]:>9} |")


if __name__ == "__main__":
    main()
