"""A worker process for the process tests: ``python -m tests.jobs.worker_app DB LOG WORKERS LEASE GRACE``.

Serves the SQLite store at DB until SIGTERM or SIGINT, then shuts down with GRACE seconds. Prints
``ready <worker id>`` once serving and ``report <json>`` after the shutdown. Its handlers append one
line per event to LOG (``start ID ATTEMPT PID``, ``done ID PID``, ``stop ID CAUSE PID``), so that a
test can tell how often each job ran and how each run ended.
"""

from __future__ import annotations

import json
import os
import signal
import sys

from gochan import after, recv, run, select
from gochan import context as gcontext
from gochan import signal as gsignal
from gochan.context import Context
from gochan.jobs import Job, Jobs
from gochan.jobs.sqlite import SqliteStore


def main(db: str, log: str, workers: int, lease: float, grace: float) -> None:
    jobs = Jobs(SqliteStore(db), capacity=10_000, workers=workers, lease=lease, grace=grace, hard_grace=0.5)
    pid = os.getpid()

    def note(line: str) -> None:
        with open(log, "a", encoding="utf-8") as f:
            f.write(line + "\n")

    @jobs.handler("sleep")
    def sleep_job(ctx: Context, job: Job) -> object:
        assert isinstance(job.payload, (int, float))
        note(f"start {job.id} {job.attempts} {pid}")
        if select(recv(ctx.done()), recv(after(job.payload)))[0] == 0:
            note(f"stop {job.id} {type(gcontext.cause(ctx)).__name__} {pid}")
            return None
        note(f"done {job.id} {pid}")
        return pid

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


if __name__ == "__main__":
    db, log, workers, lease, grace = sys.argv[1:6]
    main(db, log, int(workers), float(lease), float(grace))
