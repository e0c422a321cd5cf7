"""A worker process on the Redis store: ``python -m tests.jobs.redis.worker_app URL LOG WORKERS LEASE GRACE``.

Serves until SIGTERM or SIGINT, then shuts down with GRACE seconds. Prints ``ready <worker id>``
once serving and ``report <json>`` after the shutdown. Handlers append one line per event to LOG
(``start ID ATTEMPT PID``, ``done ID PID``, ``stop ID CAUSE PID``):

- ``sleep``: waits ``payload`` seconds on its context (a well-behaved handler);
- ``cpu``: spins ``payload`` seconds without ever yielding (a CPU-bound handler: only the store's
  watcher thread can keep its lease alive);
- ``echo``: returns its payload (decoding it: a payload that is not JSON fails the job).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time

from gochan import after, recv, run, select
from gochan import context as gcontext
from gochan import signal as gsignal
from gochan.context import Context
from gochan.jobs import Job, Jobs
from gochan.jobs.redis import RedisStore


def main(url: str, log: str, workers: int, lease: float, grace: float) -> None:
    jobs = Jobs(RedisStore(url), capacity=100_000, workers=workers, lease=lease, grace=grace, hard_grace=0.5)
    pid = os.getpid()
    out = open(log, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 - open for the process's life; a line per write

    def note(line: str) -> None:
        out.write(line + "\n")

    @jobs.handler("sleep")
    def sleep_job(ctx: Context, job: Job) -> object:
        assert isinstance(job.payload, (int, float))
        note(f"start {job.id} {job.attempts} {pid}")
        if select(recv(ctx.done()), recv(after(job.payload)))[0] == 0:
            note(f"stop {job.id} {type(gcontext.cause(ctx)).__name__} {pid}")
            return None
        note(f"done {job.id} {pid}")
        return pid

    @jobs.handler("cpu")
    def cpu_job(ctx: Context, job: Job) -> object:
        assert isinstance(job.payload, (int, float))
        note(f"start {job.id} {job.attempts} {pid}")
        end = time.monotonic() + job.payload
        while time.monotonic() < end:  # never yields to the scheduler
            pass
        note(f"done {job.id} {pid}")
        return pid

    @jobs.handler("echo")
    def echo(ctx: Context, job: Job) -> object:
        return job.payload

    def program() -> None:
        with (
            gsignal.notify_context(gcontext.background(), signal.SIGTERM, signal.SIGINT) as (ctx, _),
            jobs.serve(),
        ):
            print("ready", jobs.worker_id, flush=True)
            done = ctx.done()
            assert done is not None
            done.recv()
        report = jobs.last_report
        assert report is not None
        print("report", json.dumps({"handed_back": report.handed_back, "ignored": report.ignored}), flush=True)

    run(program)
    jobs.store.close()
    out.close()


if __name__ == "__main__":
    url, log, workers, lease, grace = sys.argv[1:6]
    main(url, log, int(workers), float(lease), float(grace))
