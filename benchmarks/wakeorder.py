"""``python -m benchmarks.wakeorder [N]``: the cost of waking parked selects in FIFO, reverse and random order.

Also the ``wakeorder`` group of ``python -m benchmarks`` (``--only wakeorder``; ``--quick`` takes
N = 2 000 and one run per order), which writes ``wakeorder.json`` beside ``results.json``.

N goroutines (default 16 000) each park in ``select(recv(own), recv(done))``; ``done`` is shared and
never fires, so every select leaves a losing record in ``done``'s receive queue. Main then sends on
each ``own`` channel, in one of three orders, and waits until every goroutine has returned. Each
woken select must withdraw its record from ``done``: first in the queue (FIFO order), last
(reverse order) or anywhere (random order). The figure is the best of three runs per order.

The control gives every goroutine a ``done`` channel of its own, so withdrawing is trivially O(1)
whatever the order: what is left of the order's cost there (a random order touches goroutines
all over memory) is not the queue's doing. "shared / control" is the queue's share.
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

from gochan import Chan, go, gosched, recv, run, select, sync

__all__ = ["GROUP", "ORDERS", "main", "measure", "run_in_suite", "table"]

GROUP = "wakeorder"  # its name in ``python -m benchmarks --only``
ORDERS = ("fifo", "reverse", "random")
REPEAT = 3


def _waiter(own: Chan[int], done: Chan[int], got: list[int], wg: sync.WaitGroup) -> None:
    i, v, _ = select(recv(own), recv(done))
    assert i == 0 and v is not None, "done never fires"
    got.append(v)
    wg.done()


def _wake(n: int, order: str, shared: bool) -> float:
    """Park n selects, wake them in ``order``; seconds from the first wake to the last return."""
    done: Chan[int] = Chan()
    own: list[Chan[int]] = [Chan() for _ in range(n)]
    got: list[int] = []
    wg = sync.WaitGroup()
    wg.add(n)
    for ch in own:
        go(_waiter, ch, done if shared else Chan[int](), got, wg)
    gosched()  # every waiter runs once and parks, in spawn order
    idx = list(range(n))
    if order == "reverse":
        idx.reverse()
    elif order == "random":
        random.Random(n).shuffle(idx)
    t0 = time.perf_counter()
    for i in idx:
        own[i].send(i)  # a waiter is parked: the value is handed over, nothing blocks
    wg.wait()
    dt = time.perf_counter() - t0
    assert sorted(got) == list(range(n)), "every waiter woken exactly once"
    assert len(done._recvq) == 0, "no record left behind"
    return dt


def measure(n: int, shared: bool = True, repeat: int = REPEAT) -> dict[str, float]:
    """Best-of-``repeat`` seconds per order."""
    return {order: min(run(_wake, n, order, shared) for _ in range(repeat)) for order in ORDERS}


def table(n: int, repeat: int = REPEAT) -> tuple[str, dict[str, object]]:
    """Measure every order, shared and control; the markdown table and the JSON document."""
    best = measure(n, True, repeat)
    control = measure(n, False, repeat)
    lines = [
        f"waking {n:,} parked selects, each also queued on one shared channel "
        f"(best of {repeat}, Python {sys.version.split()[0]})",
        "",
        "| wake order | shared done | per waiter | ratio to FIFO | control: own done | shared / control |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for order in ORDERS:
        dt, c = best[order], control[order]
        lines.append(
            f"| {order} | {dt * 1e3:.1f} ms | {dt / n * 1e6:.2f} µs | {dt / best['fifo']:.2f}x "
            f"| {c * 1e3:.1f} ms | {dt / c:.2f}x |"
        )
    doc: dict[str, object] = {"waiters": n, "repeat": repeat, "shared_s": best, "control_s": control}
    return "\n".join(lines) + "\n", doc


def run_in_suite(quick: bool, rounds: int | None, out: Path) -> None:
    """The ``wakeorder`` group of ``python -m benchmarks``: the table to stdout, wakeorder.json."""
    text, doc = table(2_000 if quick else 16_000, rounds or (1 if quick else REPEAT))
    sys.stdout.write("\n" + text)
    out.mkdir(parents=True, exist_ok=True)
    (out / "wakeorder.json").write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {out / 'wakeorder.json'}", file=sys.stderr)


def main(argv: list[str]) -> None:
    sys.stdout.write(table(int(argv[0]) if argv else 16_000)[0])


if __name__ == "__main__":
    main(sys.argv[1:])
