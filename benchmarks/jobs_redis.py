"""``python -m benchmarks.jobs_redis [--quick]`` (also ``python -m benchmarks --only jobs-redis``): the
Redis store beside the Redis job queues of the Python world, on one redis-server in the same run.

- no-op jobs, submit → done (the first submit to the last completion), 1 and 4 worker processes,
  each rate the median of 3 rounds (1 with ``--quick``) taken in turn, so that the load of a shared
  machine falls on every implementation alike:
  ``gochan.jobs`` on the Redis store (8 handlers per process), RQ (its default worker, which forks
  a work horse per job, and ``SimpleWorker``), arq, dramatiq (8 threads per process) and Celery
  (prefork, one child per process). Each peer's task increments a counter on the same Redis (they
  have no common completion signal); ours is counted by the store, which keeps each job's record
  and result (the peers run with results off: ``result_ttl=0``, ``keep_result=0``, ignored).
  Each with one submitter (jobs submitted one after another: the submitter's round trip to Redis
  bounds the rate) and with 8 submitters sharing the jobs (goroutines for ours, threads for the
  peers, asyncio tasks for arq), where the workers' side shows;
- cancel latency across processes (p50/p99): a job runs in a worker process, this process cancels
  it, the handler notes when its context's done channel closed;
- the time from ``kill -9`` of a worker to its job starting again on another (lease 2 s);
- ping-pong round trips beside a goroutine submitting to Redis as fast as it can, the store's calls
  on the scheduler's thread vs via ``to_thread`` (as the runtime makes them).

A peer that is not installed is shown as such in the table (``pip install -e '.[bench]'``).
Target (issue 12): >= 2x the fastest peer at the same worker count.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import queue
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gochan import Chan, go, run
from gochan import context as gcontext
from gochan import signal as gsignal
from gochan.context import Context
from gochan.jobs import Job, Jobs, State
from gochan.jobs.redis import RedisStore

from .jobs import SUBMITTERS, _shares, pct, stall_beside

GROUP = "jobs-redis"
ROOT = Path(__file__).resolve().parent.parent
PROCS = (1, 4)
PEERS = ("rq", "rq-simple", "arq", "dramatiq", "celery")
TITLES = {
    "gochan": "gochan.jobs (Redis store)",
    "rq": "RQ (default worker: fork per job)",
    "rq-simple": "RQ SimpleWorker",
    "arq": "arq",
    "dramatiq": "dramatiq",
    "celery": "Celery (prefork)",
}
_MODULE = {"rq": "rq", "rq-simple": "rq", "arq": "arq", "dramatiq": "dramatiq", "celery": "celery"}


def installed(peer: str) -> bool:
    return importlib.util.find_spec(_MODULE[peer]) is not None


# -- the server -----------------------------------------------------------------------------------


@contextmanager
def redis_server() -> Iterator[str]:
    """A redis-server on a free loopback port in a temporary directory (appendonly, fsync everysec)."""
    exe = shutil.which("redis-server")
    assert exe, "redis-server is not installed (apt-get install redis-server)"
    with tempfile.TemporaryDirectory(prefix="gochan-bench-redis-") as tmp, socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        proc = subprocess.Popen(
            [exe, "--port", str(port), "--bind", "127.0.0.1", "--dir", tmp, "--appendonly", "yes", "--save", ""],
            stdout=subprocess.DEVNULL,
        )
        import redis

        url = f"redis://127.0.0.1:{port}/0"
        client = redis.Redis.from_url(url)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.01)
        try:
            yield url
        finally:
            client.close()
            proc.terminate()
            proc.wait(30)


def _flush(url: str) -> None:
    import redis

    with redis.Redis.from_url(url) as r:
        r.flushdb()


def _counter(url: str) -> Callable[[], int]:
    import redis

    r = redis.Redis.from_url(url)

    def count() -> int:
        done: Any = r.get("bench:done")  # Any: redis-py's stubs differ between versions
        return int(done or 0)

    return count


# -- processes ------------------------------------------------------------------------------------


class Proc:
    """A worker process whose output is read until a marker line, then drained by a thread."""

    def __init__(self, args: list[str], marker: str, url: str, peer: str = "", markers: int = 1) -> None:
        env = dict(os.environ, GOCHAN_BENCH_REDIS=url, GOCHAN_BENCH_PEER=peer, PYTHONPATH=str(ROOT))
        self.p = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._drain, daemon=True).start()
        seen, tail = 0, list[str]()
        deadline = time.monotonic() + 60
        while seen < markers:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                line = ""
            assert line, f"{args[0]} did not start: {''.join(tail[-20:])}"
            tail.append(line)
            seen += marker in line

    def _drain(self) -> None:
        assert self.p.stdout is not None
        for line in self.p.stdout:
            self.lines.put(line)
        self.lines.put("")

    def stop(self) -> None:
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            self.p.wait(30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


def _ours(url: str, log: str = "-", lease: float = 30.0) -> Proc:
    args = [sys.executable, "-m", "benchmarks.jobs_redis", "--worker", url, "8", log, repr(lease)]
    return Proc(args, "ready", url)


def worker_main(url: str, workers: int, log: str, lease: float) -> None:
    """Our worker process: serve until SIGTERM; ``hang`` notes when its context closed, ``sleep``
    notes when it started."""
    jobs = Jobs(RedisStore(url), capacity=10**9, workers=workers, lease=lease, grace=1.0)

    def note(line: str) -> None:
        with open(log, "a", encoding="utf-8") as f:
            f.write(line + "\n")

    @jobs.handler("noop")
    def noop(ctx: Context, job: Job) -> object:
        return None

    @jobs.handler("hang")
    def hang(ctx: Context, job: Job) -> object:
        note(f"start {job.id} {time.time()!r}")
        done = ctx.done()
        assert done is not None
        done.recv()
        note(f"stop {job.id} {time.time()!r}")
        return None

    def program() -> None:
        with gsignal.notify_context(gcontext.background(), signal.SIGTERM) as (ctx, _), jobs.serve():
            print("ready", jobs.worker_id, flush=True)
            done = ctx.done()
            assert done is not None
            done.recv()

    run(program)


# -- throughput -------------------------------------------------------------------------------------


def _until(pred: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 600
    while not pred():
        assert time.monotonic() < deadline, "the benchmark did not finish in 10 minutes"
        time.sleep(0.002)


def _threads(n: int, k: int, send: Callable[[], object]) -> None:
    """Call ``send`` ``n`` times, from ``k`` threads between them (from this thread when ``k == 1``)."""
    if k == 1:
        for _ in range(n):
            send()
        return
    ts = [threading.Thread(target=lambda m=m: [send() for _ in range(m)]) for m in _shares(n, k)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def gochan_redis(url: str, n: int, procs: int, submitters: int = 1) -> float:
    ps = [_ours(url) for _ in range(procs)]
    store = RedisStore(url)
    try:

        def main() -> float:
            jobs = Jobs(store, capacity=10**9)
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
            _until(lambda: store.counts()[State.SUCCEEDED] >= n)
            return time.perf_counter() - t0

        return run(main)
    finally:
        for p in ps:
            p.stop()
        store.close()


def rq_run(url: str, n: int, procs: int, simple: bool, submitters: int = 1) -> float:
    import redis

    Queue: Any = importlib.import_module("rq").Queue  # Any: the peer may be missing when type-checked

    cls = ["--worker-class", "rq.worker.SimpleWorker"] if simple else []
    rq = [sys.executable, "-m", "rq.cli"]  # every peer by module: the venv's bin may not be on PATH
    ps = [Proc([*rq, "worker", "-u", url, *cls, "bench"], "Listening on", url) for _ in range(procs)]
    r = redis.Redis.from_url(url)
    count = _counter(url)
    try:
        q = Queue("bench", connection=r)
        from benchmarks.jobs_redis_peers import rq_noop

        t0 = time.perf_counter()
        _threads(n, submitters, lambda: q.enqueue(rq_noop, result_ttl=0))
        _until(lambda: count() >= n)
        return time.perf_counter() - t0
    finally:
        for p in ps:
            p.stop()


def arq_run(url: str, n: int, procs: int, submitters: int = 1) -> float:
    create_pool: Any = importlib.import_module("arq").create_pool  # Any: the peer may be missing when type-checked
    RedisSettings: Any = importlib.import_module("arq.connections").RedisSettings

    args = [sys.executable, "-m", "arq", "benchmarks.jobs_redis_peers.WorkerSettings"]
    ps = [Proc(args, "Starting worker", url, "arq") for _ in range(procs)]
    count = _counter(url)
    try:

        async def main() -> float:
            pool = await create_pool(RedisSettings.from_dsn(url))

            async def submit(m: int) -> None:
                for _ in range(m):
                    await pool.enqueue_job("arq_noop")

            t0 = time.perf_counter()
            await asyncio.gather(*(submit(m) for m in _shares(n, submitters)))
            while count() < n:
                await asyncio.sleep(0.002)
            elapsed = time.perf_counter() - t0
            await pool.aclose()
            return elapsed

        return asyncio.run(main())
    finally:
        for p in ps:
            p.stop()


def dramatiq_run(url: str, n: int, procs: int, submitters: int = 1) -> float:
    dramatiq: Any = importlib.import_module("dramatiq")  # Any: the peer may be missing when type-checked
    RedisBroker: Any = importlib.import_module("dramatiq.brokers.redis").RedisBroker

    args = [sys.executable, "-m", "dramatiq", "benchmarks.jobs_redis_peers"]
    args += ["--processes", str(procs), "--threads", "8"]
    p = Proc(args, "ready for action", url, "dramatiq", markers=procs)
    count = _counter(url)
    broker = RedisBroker(url=url)

    def dramatiq_noop() -> None: ...

    actor: Any = dramatiq.actor(dramatiq_noop, broker=broker, max_retries=0)
    try:
        t0 = time.perf_counter()
        _threads(n, submitters, actor.send)
        _until(lambda: count() >= n)
        return time.perf_counter() - t0
    finally:
        p.stop()
        broker.close()


def celery_run(url: str, n: int, procs: int, submitters: int = 1) -> float:
    Celery: Any = importlib.import_module("celery").Celery  # Any: the peer may be missing when type-checked

    args = [
        sys.executable, "-m", "celery", "-A", "benchmarks.jobs_redis_peers",
        "worker", "-c", str(procs), "--pool", "prefork",
        "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info",
    ]  # fmt: skip
    p = Proc(args, "ready.", url, "celery")
    count = _counter(url)
    app = Celery("gochan_bench", broker=url)
    try:
        t0 = time.perf_counter()
        _threads(n, submitters, lambda: app.send_task("noop"))
        _until(lambda: count() >= n)
        return time.perf_counter() - t0
    finally:
        p.stop()


def measure(url: str, impl: str, n: int, procs: int, submitters: int = 1) -> float:
    """Jobs per second, submit → done, on a flushed database; ``submitters`` goroutines (ours), threads
    or asyncio tasks (arq) submit the ``n`` jobs between them."""
    _flush(url)
    k = submitters
    fns: dict[str, Callable[[], float]] = {
        "gochan": lambda: gochan_redis(url, n, procs, k),
        "rq": lambda: rq_run(url, n, procs, False, k),
        "rq-simple": lambda: rq_run(url, n, procs, True, k),
        "arq": lambda: arq_run(url, n, procs, k),
        "dramatiq": lambda: dramatiq_run(url, n, procs, k),
        "celery": lambda: celery_run(url, n, procs, k),
    }
    return n / fns[impl]()


# -- cancel, re-run after kill -9, ping-pong ------------------------------------------------------------


def _log_times(log: Path, kind: str, job_id: str) -> list[float]:
    lines = [line.split() for line in log.read_text().splitlines()] if log.exists() else []
    return [float(p[2]) for p in lines if p[0] == kind and p[1] == job_id]


def cancel_latencies(url: str, k: int) -> list[float]:
    _flush(url)
    with tempfile.TemporaryDirectory(prefix="gochan-bench-") as tmp:
        log = Path(tmp) / "log"
        p = _ours(url, str(log))
        store = RedisStore(url)
        out = []
        try:

            def main() -> None:
                jobs = Jobs(store, capacity=10**9)
                for _ in range(k):
                    job_id = jobs.try_submit("hang")
                    _until(lambda i=job_id: bool(_log_times(log, "start", i)))  # type: ignore[misc]
                    t0 = time.time()
                    assert store.cancel(job_id, t0)
                    _until(lambda i=job_id: bool(_log_times(log, "stop", i)))  # type: ignore[misc]
                    out.append(_log_times(log, "stop", job_id)[0] - t0)

            run(main)
            return out
        finally:
            p.stop()
            store.close()


def rerun_after_kill(url: str, lease: float) -> float:
    """Seconds from kill -9 of the worker running a job to the job starting on another worker."""
    _flush(url)
    with tempfile.TemporaryDirectory(prefix="gochan-bench-") as tmp:
        log = Path(tmp) / "log"
        a = _ours(url, str(log), lease)
        store = RedisStore(url)
        try:

            def main() -> str:
                return Jobs(store, capacity=10).try_submit("hang")

            job_id = run(main)
            _until(lambda: bool(_log_times(log, "start", job_id)))
            b = _ours(url, str(log), lease)
            t0 = time.time()
            a.p.kill()
            a.p.wait()
            _until(lambda: len(_log_times(log, "start", job_id)) >= 2)
            b.stop()
            return _log_times(log, "start", job_id)[1] - t0
        finally:
            a.stop()
            store.close()


def stall(url: str, seconds: float, off_thread: bool) -> tuple[float, float]:
    """Ping-pong round trip (p50, p99 in µs) beside a goroutine submitting to Redis as fast as it can."""
    _flush(url)
    store = RedisStore(url)
    store.blocking = off_thread  # a class constant, overridden for the comparison
    try:
        return stall_beside(store, seconds)
    finally:
        store.close()


# -- the group ------------------------------------------------------------------------------------


def run_group(quick: bool, progress: Callable[[str], None]) -> tuple[str, dict[str, object]]:
    n = 200 if quick else 4_000
    n_fork = 30 if quick else 300  # RQ's default worker forks per job: fewer jobs, the same rate
    k_cancel = 5 if quick else 60
    doc: dict[str, object] = {"schema": "gochan-benchmarks-jobs-redis/1", "quick": quick}
    impls = ["gochan", *PEERS]
    missing = [p for p in PEERS if not installed(p)]
    lines = [
        f"### Redis job queues: no-op jobs, submit → done ({n} jobs, RQ default worker {n_fork}; "
        f"{os.cpu_count()} cores, one redis-server; the median of {1 if quick else 3} rounds). One submitter"
        f" (a goroutine, a thread) submits the jobs one after another, or {SUBMITTERS} share them (goroutines"
        " for ours, threads for the peers, asyncio tasks for arq)",
        "",
        "| worker processes | " + " | ".join(TITLES[i] for i in impls) + " | gochan / fastest peer |",
        "|--:|" + "--:|" * (len(impls) + 1),
    ]
    rates: dict[str, dict[str, float | None]] = {}
    rounds: dict[str, dict[str, list[float]]] = {}
    nrounds = 1 if quick else 3
    with redis_server() as url:
        for submitters in (1, SUBMITTERS):
            for procs in PROCS:
                label = str(procs) if submitters == 1 else f"{procs}, {submitters} submitters"
                runs: dict[str, list[float]] = {impl: [] for impl in impls if impl not in missing}
                for r in range(nrounds):
                    for impl, got in runs.items():
                        progress(f"jobs-redis: {TITLES[impl]}, {label} worker processes, round {r + 1} of {nrounds}")
                        got.append(measure(url, impl, n_fork if impl == "rq" else n, procs, submitters))
                row: dict[str, float | None] = {i: statistics.median(runs[i]) if i in runs else None for i in impls}
                rates[label] = row
                rounds[label] = runs
                peers = [v for k, v in row.items() if k != "gochan" and v is not None]
                ours = row["gochan"]
                assert ours is not None
                ratio = f"{ours / max(peers):.2f}x" if peers else "no peer installed"
                cells = " | ".join("not installed" if row[i] is None else f"{row[i]:,.0f} jobs/s" for i in impls)
                lines.append(f"| {label} | {cells} | {ratio} |")
        doc["rates"] = rates
        doc["rounds"] = rounds
        doc["missing"] = missing
        progress(f"jobs-redis: cancel latency across processes, {k_cancel} cancels")
        lat = cancel_latencies(url, k_cancel)
        doc["cancel_ms"] = {"p50": statistics.median(lat) * 1e3, "p99": pct(lat, 0.99) * 1e3, "n": len(lat)}
        progress("jobs-redis: re-run after kill -9 (lease 2 s)")
        rerun = rerun_after_kill(url, 2.0)
        doc["rerun_after_kill_s"] = {"lease": 2.0, "seconds": rerun}
        lines += [
            "",
            "| cancel a running job from another process (pub/sub + durable record) | p50 | p99 |",
            "|---|--:|--:|",
            f"| gochan.jobs, Redis store | {statistics.median(lat) * 1e3:.1f} ms | {pct(lat, 0.99) * 1e3:.1f} ms |",
            "",
            f"kill -9 of the node running a job → the job starts on another node: {rerun:.2f} s (lease 2 s)",
            "",
            "| ping-pong beside a goroutine submitting to Redis | p50 | p99 |",
            "|---|--:|--:|",
        ]
        stalls: dict[str, list[float]] = {}
        hows = ((False, "store calls on the scheduler's thread"), (True, "store calls via to_thread (as run)"))
        for off, how in hows:
            progress(f"jobs-redis: ping-pong beside a busy Redis store, {how}")
            p50, p99 = stall(url, 0.3 if quick else 2.0, off)
            stalls["to_thread" if off else "direct"] = [p50, p99]
            lines.append(f"| {how} | {p50:.0f} µs | {p99:.0f} µs |")
        doc["stall_us"] = stalls
    lines.append("")
    return "\n".join(lines), doc


def _missing() -> str | None:
    """Why this group cannot run here, or None."""
    if shutil.which("redis-server") is None:
        return "redis-server is not installed (apt-get install redis-server)"
    if importlib.util.find_spec("redis") is None:
        return "redis-py is not installed (pip install -e '.[bench]')"
    return None


def run_in_suite(quick: bool, rounds: int | None, out: Path) -> None:
    """The ``jobs-redis`` group of ``python -m benchmarks``: progress to stderr, tables to stdout, jobs-redis.json.

    Skipped, saying so, on a machine without redis-server or redis-py (the suite's other groups still run).
    """
    missing = _missing()
    if missing:
        sys.stdout.write(f"\nJobs on Redis: skipped: {missing}\n")
        return
    table, doc = run_group(quick, lambda s: print(s, file=sys.stderr))
    sys.stdout.write("\n" + table)
    out.mkdir(parents=True, exist_ok=True)
    (out / "jobs-redis.json").write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {out / 'jobs-redis.json'}", file=sys.stderr)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.jobs_redis", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small N (a smoke run)")
    p.add_argument("--out", type=Path, metavar="DIR", help="also write jobs-redis.json there")
    p.add_argument("--worker", nargs=4, metavar=("URL", "WORKERS", "LOG", "LEASE"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        url, w, log, lease = args.worker
        worker_main(url, int(w), log, float(lease))
        return 0
    table, doc = run_group(args.quick, lambda s: print(s, file=sys.stderr))
    sys.stdout.write(table)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "jobs-redis.json").write_text(json.dumps(doc, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
