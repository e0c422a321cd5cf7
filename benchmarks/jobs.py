"""``python -m benchmarks.jobs [--quick]`` (also ``python -m benchmarks --only jobs``): the job system.

No-op jobs, submit → succeeded, measured end to end (the first submit to the last success):

- ``gochan.jobs`` with the memory store, 1/8/64 workers, beside ``concurrent.futures``'
  ThreadPoolExecutor, an asyncio queue with worker tasks and the seeds' Go consumer
  (``jobs_go.go``: a buffered job channel, N worker goroutines, a context per job; built when
  ``go`` is on PATH) — the same N no-op jobs, the same workers;
- ``gochan.jobs`` with the SQLite store and 1 or 4 worker processes (8 handlers each), the jobs
  submitted by this process while the workers run — by one goroutine, then by 8 at once (as a
  job server's clients would) — beside Huey's SQLite storage with 1 or 4 consumer processes (8
  worker threads each; benchmarks/jobs_huey.py), measured the same way (one submitting thread,
  then 8);
- cancel latency across processes: a job runs in a worker process, this process cancels it in
  the store, the worker's handler notes when its context's done channel closed; p50 and p99.

Targets (docs/jobs.md): memory >= 50 000 jobs/s and >= 5x ThreadPoolExecutor; SQLite >= 3 000
jobs/s and ahead of Huey; cancel p99 < 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

from gochan import Chan, go, gosched, run
from gochan import context as gcontext
from gochan import signal as gsignal
from gochan.context import Context
from gochan.jobs import Job, Jobs, State, Store
from gochan.jobs.sqlite import SqliteStore

from . import jobs_huey
from .golang import build

GROUP = "jobs"
WORKERS = (1, 8, 64)
ROOT = Path(__file__).resolve().parent.parent
GO_SOURCE = Path(__file__).with_name("jobs_go.go")
SUBMITTERS = 8  # the second SQLite table's submitting goroutines (ours) or threads (Huey's)


# -- memory store and its peers --------------------------------------------------------------------


def gochan_memory(n: int, workers: int) -> float:
    def main() -> float:
        jobs = Jobs(capacity=n, workers=workers)
        left = [n]
        all_done: Chan[None] = Chan(1)

        @jobs.handler("noop")
        def noop(ctx: Context, job: Job) -> object:
            left[0] -= 1
            if left[0] == 0:
                all_done.send(None)
            return None

        with jobs.serve():
            t0 = time.perf_counter()
            for _ in range(n):
                jobs.try_submit("noop")
            all_done.recv()
            elapsed = time.perf_counter() - t0
        assert jobs.stats().counts[State.SUCCEEDED] == n
        return elapsed

    return run(main)


def thread_pool(n: int, workers: int) -> float:
    def noop() -> None:
        return None

    with ThreadPoolExecutor(workers) as pool:
        t0 = time.perf_counter()
        futures = [pool.submit(noop) for _ in range(n)]
        wait(futures)
        return time.perf_counter() - t0


def asyncio_queue(n: int, workers: int) -> float:
    async def main() -> float:
        q: asyncio.Queue[int] = asyncio.Queue()

        async def worker() -> None:
            while True:
                await q.get()
                q.task_done()

        tasks = [asyncio.create_task(worker()) for _ in range(workers)]
        t0 = time.perf_counter()
        for i in range(n):
            q.put_nowait(i)
        await q.join()
        elapsed = time.perf_counter() - t0
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return elapsed

    return asyncio.run(main())


IMPLS: dict[str, tuple[str, Callable[[int, int], float]]] = {
    "gochan": ("gochan.jobs (memory store)", gochan_memory),
    "threads": ("ThreadPoolExecutor", thread_pool),
    "asyncio": ("asyncio.Queue + worker tasks", asyncio_queue),
}

GO_TITLE = "Go consumer (chan + goroutines)"


def prepare_go(workdir: Path) -> tuple[Path | None, str]:
    """Build jobs_go.go in ``workdir``: (the binary, "") or (None, why it is not measured)."""
    binary, why = build(GO_SOURCE, workdir, "jobs_go")
    return binary, f"not measured ({why})" if why else ""


def go_consumer(binary: Path, n: int, workers: int) -> float:
    """The seeds' Go consumer in its own process; the seconds it reports (first submit to last done)."""
    out = subprocess.run([str(binary), str(workers), str(n)], capture_output=True, text=True, timeout=300, check=True)
    seconds: float = json.loads(out.stdout)["seconds"]
    return seconds


# -- sqlite: worker processes -----------------------------------------------------------------------


def worker_main(db: str, workers: int, log: str) -> None:
    """A worker process: serve ``db`` until SIGTERM; "hang" jobs note when their context closed."""
    jobs = Jobs(SqliteStore(db), capacity=1_000_000, workers=workers, grace=1.0)

    @jobs.handler("noop")
    def noop(ctx: Context, job: Job) -> object:
        return None

    @jobs.handler("hang")
    def hang(ctx: Context, job: Job) -> object:
        done = ctx.done()
        assert done is not None
        done.recv()
        with open(log, "a", encoding="utf-8") as f:
            f.write(f"{job.id} {time.time()!r}\n")
        return None

    def program() -> None:
        with gsignal.notify_context(gcontext.background(), signal.SIGTERM) as (ctx, _), jobs.serve():
            print("ready", flush=True)
            done = ctx.done()
            assert done is not None
            done.recv()

    run(program)


def _start_workers(db: Path, procs: int, log: Path) -> list[subprocess.Popen[str]]:
    return _start([sys.executable, "-m", "benchmarks.jobs", "--worker", str(db), "8", str(log)], procs)


def _start(cmd: list[str], procs: int) -> list[subprocess.Popen[str]]:
    """``procs`` processes running ``cmd``, each having printed "ready"."""
    ps = [subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True) for _ in range(procs)]
    for p in ps:
        assert p.stdout is not None
        ready, _, _ = select.select([p.stdout], [], [], 60)
        assert ready and p.stdout.readline().strip() == "ready", "a worker did not start"
    return ps


def _stop_workers(ps: list[subprocess.Popen[str]]) -> None:
    for p in ps:
        p.send_signal(signal.SIGTERM)
    for p in ps:
        p.wait(60)
        if p.stdout is not None:
            p.stdout.close()


def _submitter(db: Path) -> Jobs:
    return Jobs(SqliteStore(str(db)), capacity=1_000_000)


def _shares(n: int, k: int) -> list[int]:
    """``n`` jobs split between ``k`` submitters."""
    return [n // k + (i < n % k) for i in range(k)]


def sqlite_throughput(n: int, procs: int, submitters: int = 1) -> float:
    """Seconds from the first submit to the last success: ``procs`` worker processes serve while
    ``submitters`` goroutines of this process submit ``n`` no-op jobs between them."""
    with tempfile.TemporaryDirectory(prefix="gochan-jobs-") as tmp:
        db, log = Path(tmp) / "jobs.db", Path(tmp) / "log"
        ps = _start_workers(db, procs, log)
        try:

            def main() -> float:
                jobs = _submitter(db)
                done: Chan[None] = Chan(submitters)

                def submit(m: int) -> None:
                    for _ in range(m):
                        jobs.try_submit("noop")
                    done.send(None)

                t0 = time.perf_counter()
                for m in _shares(n, submitters):
                    go(submit, m)
                for _ in range(submitters):
                    done.recv()
                while jobs.stats().counts[State.SUCCEEDED] < n:
                    time.sleep(0.005)
                return time.perf_counter() - t0

            return run(main)
        finally:
            _stop_workers(ps)


def huey_throughput(n: int, procs: int, submitters: int = 1) -> float:
    """Huey's SQLite storage, measured as :func:`sqlite_throughput`: ``procs`` consumer processes
    (8 worker threads each) run; ``submitters`` threads of this process enqueue ``n`` no-op tasks
    and this process polls Huey's stored results (as the other polls our counts) until all are done."""
    with tempfile.TemporaryDirectory(prefix="gochan-huey-") as tmp:
        db = str(Path(tmp) / "huey.db")
        huey, noop = jobs_huey.make(db)  # creates the tables before the consumers race to
        ps = _start([sys.executable, "-m", "benchmarks.jobs_huey", db, "8"], procs)
        try:

            def submit(m: int) -> None:
                for _ in range(m):
                    noop()

            threads = [threading.Thread(target=submit, args=(m,)) for m in _shares(n, submitters)]
            t0 = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            while huey.result_count() < n:
                time.sleep(0.005)
            return time.perf_counter() - t0
        finally:
            _stop_workers(ps)


def cancel_latencies(k: int) -> list[float]:
    with tempfile.TemporaryDirectory(prefix="gochan-jobs-") as tmp:
        db, log = Path(tmp) / "jobs.db", Path(tmp) / "log"
        ps = _start_workers(db, 1, log)
        store = SqliteStore(str(db))
        try:

            def main() -> list[float]:
                jobs = _submitter(db)
                out = []
                for _ in range(k):
                    job_id = jobs.try_submit("hang")
                    while store.get(job_id).state is not State.RUNNING:  # type: ignore[union-attr]  # it exists
                        time.sleep(0.002)
                    t0 = time.time()
                    assert store.cancel(job_id, t0)
                    while True:
                        seen = [line.split() for line in log.read_text().splitlines()] if log.exists() else []
                        stops = [float(t) for i, t in seen if i == job_id]
                        if stops:
                            out.append(stops[0] - t0)
                            break
                        time.sleep(0.001)
                return out

            return run(main)
        finally:
            store.close()
            _stop_workers(ps)


def sqlite_stall(seconds: float, off_thread: bool) -> tuple[float, float]:
    """Ping-pong round trip (p50, p99 in µs) beside a goroutine submitting to a SQLite store as fast
    as it can: with the store's calls made on the scheduler's thread, or with ``to_thread``."""
    with tempfile.TemporaryDirectory(prefix="gochan-jobs-") as tmp:
        store = SqliteStore(str(Path(tmp) / "jobs.db"))
        store.blocking = off_thread  # a class constant, overridden for the comparison
        try:
            return stall_beside(store, seconds)
        finally:
            store.close()


def stall_beside(store: Store, seconds: float) -> tuple[float, float]:
    """Ping-pong round trip (p50, p99 in µs) for ``seconds`` beside a goroutine submitting to ``store``."""

    def main() -> tuple[float, float]:
        jobs = Jobs(store, capacity=10**9)
        stop = [False]

        def hammer() -> None:
            while not stop[0]:
                jobs.try_submit("noop")
                gosched()  # direct calls never park: let the others run between them

        go(hammer)
        ping: Chan[int] = Chan()
        pong: Chan[int] = Chan()

        def echo() -> None:
            for v in ping:
                pong.send(v)

        go(echo)
        lat = []
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            t0 = time.perf_counter()
            ping.send(1)
            pong.recv()
            lat.append(time.perf_counter() - t0)
        stop[0] = True
        ping.close()
        return statistics.median(lat) * 1e6, pct(lat, 0.99) * 1e6

    return run(main)


# -- the group ------------------------------------------------------------------------------------


def pct(xs: list[float], p: float) -> float:
    """The ``p`` quantile of ``xs`` (nearest rank)."""
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


def run_group(quick: bool, rounds: int | None, progress: Callable[[str], None]) -> tuple[str, dict[str, object]]:
    rounds = rounds or (1 if quick else 3)
    n_mem = 2_000 if quick else 50_000
    n_sql = 300 if quick else 6_000
    k_cancel = 5 if quick else 60
    titles = [title for title, _ in IMPLS.values()] + [GO_TITLE]
    lines = [
        f"### gochan.jobs: no-op jobs, submit → succeeded (best of {rounds}; {os.cpu_count()} cores)",
        "",
        f"| workers | {' | '.join(titles)} | gochan / ThreadPoolExecutor |",
        "|--:|" + "--:|" * (len(titles) + 1),
    ]
    doc: dict[str, object] = {"schema": "gochan-benchmarks-jobs/1", "quick": quick, "rounds": rounds}
    memory: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="gochan-jobs-go-") as tmp:
        gobin, go_reason = prepare_go(Path(tmp))
        doc["go"] = go_reason or "ok"
        for w in WORKERS:
            row: dict[str, float] = {}
            for name, (title, fn) in IMPLS.items():
                progress(f"jobs: {title}, {w} workers, {n_mem} jobs")
                row[name] = n_mem / min(fn(n_mem, w) for _ in range(rounds))
            if gobin is not None:
                progress(f"jobs: {GO_TITLE}, {w} workers, {n_mem} jobs")
                row["go"] = n_mem / min(go_consumer(gobin, n_mem, w) for _ in range(rounds))
            memory[str(w)] = row
            cells = [f"{row[name]:,.0f} jobs/s" for name in IMPLS]
            cells.append(f"{row['go']:,.0f} jobs/s" if "go" in row else go_reason)
            lines.append(f"| {w} | {' | '.join(cells)} | {row['gochan'] / row['threads']:.1f}x |")
    doc["memory"] = memory
    huey_reason = "" if jobs_huey.installed() else "not installed (pip install -e '.[bench]')"
    lines += [
        "",
        "| SQLite, 8 handlers/threads per process | gochan.jobs (SQLite store) | Huey (SqliteHuey) | gochan ÷ Huey |",
        "|---|--:|--:|--:|",
    ]
    for submitters, key in ((1, ""), (SUBMITTERS, f"_{SUBMITTERS}_submitters")):
        sqlite: dict[str, float] = {}
        huey: dict[str, float | None] = {}
        for procs in (1, 4):
            label = f"{procs} worker process{'es' if procs > 1 else ''}"
            if submitters > 1:
                label += f", {submitters} submitters"
            progress(f"jobs: sqlite, {label}, {n_sql} jobs")
            ours = sqlite[str(procs)] = n_sql / min(sqlite_throughput(n_sql, procs, submitters) for _ in range(rounds))
            theirs = huey[str(procs)] = None
            if not huey_reason:
                progress(f"jobs: Huey (SqliteHuey), {label}, {n_sql} jobs")
                theirs = min(huey_throughput(n_sql, procs, submitters) for _ in range(rounds))
                theirs = huey[str(procs)] = n_sql / theirs
            cells = [f"{ours:,.0f} jobs/s", huey_reason or f"{theirs:,.0f} jobs/s"]
            cells.append(f"{ours / theirs:.1f}x" if theirs else "-")
            lines.append(f"| {label} | {' | '.join(cells)} |")
        doc["sqlite" + key] = sqlite
        doc["huey" + key] = huey
    progress(f"jobs: cancel latency across processes, {k_cancel} cancels")
    lat = cancel_latencies(k_cancel)
    doc["cancel_ms"] = {"p50": statistics.median(lat) * 1e3, "p99": pct(lat, 0.99) * 1e3, "n": len(lat)}
    lines += [
        "",
        "| cancel a running job from another process | p50 | p99 |",
        "|---|--:|--:|",
        f"| SQLite store (durable cancel record, watched by the worker) | {statistics.median(lat) * 1e3:.1f} ms "
        f"| {pct(lat, 0.99) * 1e3:.1f} ms |",
        "",
    ]
    lines += ["| ping-pong beside a goroutine submitting to SQLite | p50 | p99 |", "|---|--:|--:|"]
    stall: dict[str, list[float]] = {}
    for off, how in ((False, "store calls on the scheduler's thread"), (True, "store calls via to_thread (as run)")):
        progress(f"jobs: ping-pong beside a busy SQLite store, {how}")
        p50, p99 = sqlite_stall(0.3 if quick else 2.0, off)
        stall["to_thread" if off else "direct"] = [p50, p99]
        lines.append(f"| {how} | {p50:.0f} µs | {p99:.0f} µs |")
    doc["stall_us"] = stall
    lines.append("")
    return "\n".join(lines), doc


def run_in_suite(quick: bool, rounds: int | None, out: Path) -> None:
    """The ``jobs`` group of ``python -m benchmarks``: progress to stderr, tables to stdout, jobs.json."""
    table, doc = run_group(quick, rounds, lambda s: print(s, file=sys.stderr))
    sys.stdout.write("\n" + table)
    out.mkdir(parents=True, exist_ok=True)
    (out / "jobs.json").write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {out / 'jobs.json'}", file=sys.stderr)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.jobs", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small N, one round (a smoke run)")
    p.add_argument("--rounds", type=int, metavar="N")
    p.add_argument("--out", type=Path, metavar="DIR", help="also write jobs.json there")
    p.add_argument("--worker", nargs=3, metavar=("DB", "WORKERS", "LOG"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        db, w, log = args.worker
        worker_main(db, int(w), log)
        return 0
    table, doc = run_group(args.quick, args.rounds, lambda s: print(s, file=sys.stderr))
    sys.stdout.write(table)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "jobs.json").write_text(json.dumps(doc, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
