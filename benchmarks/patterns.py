"""``python -m benchmarks.patterns [--quick]`` (also ``python -m benchmarks --only patterns``): pools and pipelines.

Throughput, in tasks per second, of submitting N tasks to a pool of 1, 8 or 64 workers and waiting
for all of them, for two tasks: a no-op, and a task that blocks 10 µs on a timer. Side by side:
gochan's WorkerPool and Dispatcher, ``concurrent.futures.ThreadPoolExecutor``, an asyncio queue
with worker tasks, ``gevent.pool.Pool``, and Go's work pool (``gopatterns.go``; skipped, with the
reason, when no ``go`` toolchain is on PATH). Every queue holds 1024 jobs where the design has a
queue (gochan, asyncio, Go; gevent's pool blocks ``spawn`` at its size; the executor's queue is
unbounded). Then a 3-stage gochan pipeline (generator → map → map → reader) in messages per second.

Each measurement runs in a fresh process (``--one IMPL CASE WORKERS N``), as the main suite's
workers do; a round measures every cell once, the rounds are interleaved, the median is reported.
The ratios the targets speak of (pool ÷ gevent.pool and pool ÷ ThreadPoolExecutor, no-op tasks)
are computed from the medians.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .golang import build

__all__ = ["GROUP", "IMPLS", "main", "measure_one", "run_group", "run_in_suite"]

GROUP = "patterns"  # its name in ``python -m benchmarks --only``

ROOT = Path(__file__).resolve().parent.parent
GO_SOURCE = Path(__file__).with_name("gopatterns.go")
WORKERS = (1, 8, 64)
CASES = ("noop", "timer")
QUEUE = 1024
BLOCK_S = 10e-6  # the timer task's sleep

IMPLS = {
    "pool": "gochan WorkerPool",
    "dispatcher": "gochan Dispatcher",
    "threads": "ThreadPoolExecutor",
    "asyncio": "asyncio Queue + worker tasks",
    "gevent": "gevent.pool.Pool",
    "go": "Go work pool (chan + goroutines)",
}


# -- one measurement, in this process ----------------------------------------------------------------


def _gochan(kind: str, case: str, workers: int, n: int) -> float:
    from gochan import run, sleep
    from gochan.context import Context
    from gochan.patterns import Dispatcher, WorkerPool

    def noop(ctx: Context, job: int) -> None:
        return None

    def blocks(ctx: Context, job: int) -> None:
        sleep(BLOCK_S)

    handler = noop if case == "noop" else blocks
    cls = WorkerPool if kind == "pool" else Dispatcher

    def main() -> float:
        t0 = time.perf_counter()
        pool = cls(workers, handler, queue=QUEUE)
        submit = pool.submit
        for i in range(n):
            submit(i)
        pool.close()
        pool.wait()
        return time.perf_counter() - t0

    return run(main)


def _threads(case: str, workers: int, n: int) -> float:
    from concurrent.futures import ThreadPoolExecutor, wait

    def noop() -> None:
        return None

    def blocks() -> None:
        time.sleep(BLOCK_S)

    task = noop if case == "noop" else blocks
    t0 = time.perf_counter()
    with ThreadPoolExecutor(workers) as ex:
        wait([ex.submit(task) for _ in range(n)])
    return time.perf_counter() - t0


def _asyncio(case: str, workers: int, n: int) -> float:
    import asyncio

    async def main() -> float:
        q: asyncio.Queue[int] = asyncio.Queue(QUEUE)
        noop = case == "noop"

        async def worker() -> None:
            while True:
                await q.get()
                if not noop:
                    await asyncio.sleep(BLOCK_S)
                q.task_done()

        t0 = time.perf_counter()
        tasks = [asyncio.create_task(worker()) for _ in range(workers)]
        for i in range(n):
            await q.put(i)
        await q.join()
        dt = time.perf_counter() - t0
        for t in tasks:
            t.cancel()
        return dt

    return asyncio.run(main())


def _gevent(case: str, workers: int, n: int) -> float:
    import gevent
    import gevent.pool

    def noop() -> None:
        return None

    def blocks() -> None:
        gevent.sleep(BLOCK_S)

    task = noop if case == "noop" else blocks
    t0 = time.perf_counter()
    pool = gevent.pool.Pool(workers)
    for _ in range(n):
        pool.spawn(task)
    pool.join()
    return time.perf_counter() - t0


def _pipeline(n: int) -> float:
    from gochan import run
    from gochan.context import background
    from gochan.patterns import fan_out, generator

    def inc(x: int) -> int:
        return x + 1

    def main() -> float:
        ctx = background()
        t0 = time.perf_counter()
        (a,) = fan_out(ctx, generator(ctx, range(n)), inc, 1)
        (b,) = fan_out(ctx, a, inc, 1)
        for _ in b:
            pass
        return time.perf_counter() - t0

    return run(main)


def measure_one(impl: str, case: str, workers: int, n: int) -> float:
    """Seconds for ``n`` tasks of ``case`` on ``impl`` with ``workers`` (``case`` "pipeline": n messages)."""
    if case == "pipeline":
        return _pipeline(n)
    if impl in ("pool", "dispatcher"):
        return _gochan(impl, case, workers, n)
    runners: dict[str, Callable[[str, int, int], float]] = {"threads": _threads, "asyncio": _asyncio, "gevent": _gevent}
    return runners[impl](case, workers, n)


# -- the group: every cell in fresh processes ------------------------------------------------------------


@dataclass
class _Cell:
    impl: str
    case: str
    workers: int
    n: int
    seconds: list[float] = field(default_factory=list)
    error: str | None = None
    skipped: str | None = None  # why the cell was not measured (a peer not installed)

    def rate(self) -> float | None:
        return self.n / statistics.median(self.seconds) if self.seconds else None


def _prepare_go(workdir: Path) -> tuple[Path | None, str]:
    """Build gopatterns.go; (binary, "") or (None, why not)."""
    binary, why = build(GO_SOURCE, workdir, "gopatterns")
    return binary, f"skipped: {why}" if why else ""


def _command(cell: _Cell, gobin: Path | None) -> list[str]:
    if cell.impl == "go":
        assert gobin is not None
        return [str(gobin), cell.case, str(cell.workers), str(cell.n)]
    return [sys.executable, "-m", "benchmarks.patterns", "--one", cell.impl, cell.case, str(cell.workers), str(cell.n)]


def _run_cell(cell: _Cell, gobin: Path | None) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    try:
        proc = subprocess.run(
            _command(cell, gobin), cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
        )
    except subprocess.TimeoutExpired:
        cell.error = "timed out"
        return
    if proc.returncode != 0 or not proc.stdout.strip():
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        cell.error = f"exit {proc.returncode}: {tail}"
        return
    cell.seconds.append(float(json.loads(proc.stdout.strip().splitlines()[-1])["seconds"]))


def _sizes(quick: bool) -> dict[str, int]:
    return (
        {"noop": 2000, "timer": 500, "pipeline": 2000} if quick else {"noop": 50000, "timer": 5000, "pipeline": 100000}
    )


def _fmt(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:,.0f}"


def run_group(
    quick: bool, rounds: int | None = None, progress: Callable[[str], None] | None = None
) -> tuple[str, dict[str, object]]:
    """Measure the whole group; (the markdown tables, the JSON document)."""
    rounds = rounds or (1 if quick else 3)
    sizes = _sizes(quick)
    with tempfile.TemporaryDirectory(prefix="gochan-patterns-") as tmp:
        gobin, goreason = _prepare_go(Path(tmp))
        cells = [_Cell(impl, case, w, sizes[case]) for case in CASES for w in WORKERS for impl in IMPLS]
        cells.append(_Cell("pool", "pipeline", 1, sizes["pipeline"]))
        for cell in cells:
            if cell.impl == "gevent" and importlib.util.find_spec("gevent") is None:
                cell.skipped = "skipped: not installed (pip install -e '.[bench]')"
        for r in range(rounds):
            for i, cell in enumerate(cells):
                if (cell.impl == "go" and gobin is None) or cell.error is not None or cell.skipped:
                    continue
                _run_cell(cell, gobin)
                if progress:
                    where = f"round {r + 1}/{rounds} {i + 1}/{len(cells)}"
                    progress(f"[patterns {where}] {cell.impl} {cell.case} x{cell.workers}")
    return _render(cells, goreason, rounds), _document(cells, goreason, rounds, quick)


def _get(cells: list[_Cell], impl: str, case: str, w: int) -> _Cell:
    return next(c for c in cells if (c.impl, c.case, c.workers) == (impl, case, w))


def _render(cells: list[_Cell], goreason: str, rounds: int) -> str:
    out = [f"Worker pools: tasks/s (median of {rounds} round(s), higher is better; submit N tasks, wait for all)", ""]
    impls = list(IMPLS)
    out.append("| task | workers | " + " | ".join(IMPLS[i] for i in impls) + " | pool ÷ gevent | pool ÷ threads |")
    out.append("|---|--:|" + "--:|" * (len(impls) + 2))
    for case in CASES:
        for w in WORKERS:
            row = [_get(cells, i, case, w) for i in impls]
            texts = []
            for c in row:
                if c.impl == "go" and goreason:
                    texts.append(goreason)
                elif c.skipped:
                    texts.append(c.skipped)
                elif c.error:
                    texts.append(f"error: {c.error}")
                else:
                    texts.append(_fmt(c.rate()))
            pool, gev, thr = (_get(cells, i, case, w).rate() for i in ("pool", "gevent", "threads"))
            r1 = f"{pool / gev:.1f}x" if pool and gev else "-"
            r2 = f"{pool / thr:.1f}x" if pool and thr else "-"
            label = "no-op" if case == "noop" else "10 µs timer"
            out.append(f"| {label} | {w} | " + " | ".join(texts) + f" | {r1} | {r2} |")
    out += ["", "Targets (no-op tasks): pool ≥ 2x gevent.pool, ≥ 10x ThreadPoolExecutor.", ""]
    p = _get(cells, "pool", "pipeline", 1)
    out.append("3-stage gochan pipeline (generator → map → map → reader, unbuffered, background context)")
    out.append("")
    out.append("| pipeline | messages/s |")
    out.append("|---|--:|")
    out.append(
        f"| gochan.patterns generator + 2 x fan_out(1) | {_fmt(p.rate()) if not p.error else 'error: ' + p.error} |"
    )
    return "\n".join(out) + "\n"


def _document(cells: list[_Cell], goreason: str, rounds: int, quick: bool) -> dict[str, object]:
    return {
        "schema": "gochan-benchmarks-patterns/1",
        "quick": quick,
        "rounds": rounds,
        "go": goreason or "ok",
        "cells": [
            {"impl": c.impl, "case": c.case, "workers": c.workers, "n": c.n, "seconds": c.seconds,
             "per_s": c.rate(), "error": c.error, "skipped": c.skipped}
            for c in cells
        ],
    }  # fmt: skip


def run_in_suite(quick: bool, rounds: int | None, out: Path) -> None:
    """The ``patterns`` group of ``python -m benchmarks``: progress to stderr, tables to stdout, patterns.json."""
    table, doc = run_group(quick, rounds, lambda s: print(s, file=sys.stderr))
    sys.stdout.write("\n" + table)
    out.mkdir(parents=True, exist_ok=True)
    (out / "patterns.json").write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {out / 'patterns.json'}", file=sys.stderr)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.patterns", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small N, one round (a smoke run)")
    p.add_argument("--rounds", type=int, metavar="N")
    p.add_argument("--out", type=Path, metavar="DIR", help="also write patterns.json there")
    p.add_argument("--one", nargs=4, metavar=("IMPL", "CASE", "WORKERS", "N"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.one:
        impl, case, w, n = args.one
        print(json.dumps({"seconds": measure_one(impl, case, int(w), int(n)), "n": int(n)}))
        return 0
    table, doc = run_group(args.quick, args.rounds, lambda s: print(s, file=sys.stderr))
    sys.stdout.write(table)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "patterns.json").write_text(json.dumps(doc, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
