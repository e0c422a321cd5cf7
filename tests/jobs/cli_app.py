"""The app the command-line tests serve: ``python -m gochan.jobs worker tests.jobs.cli_app:jobs``.

``sleep`` reports progress "sleeping", then sleeps ``payload`` seconds unless its context is done
first; ``echo`` returns its payload; ``fail`` raises.
"""

from __future__ import annotations

from gochan import after, recv, select
from gochan.context import Context
from gochan.jobs import Job, Jobs

jobs = Jobs(workers=2, hard_grace=0.5)


@jobs.handler("sleep")
def sleep_job(ctx: Context, job: Job) -> object:
    assert isinstance(job.payload, (int, float))
    job.progress(0.0, "sleeping")  # tells a test that the handler runs (the store shows it)
    if select(recv(ctx.done()), recv(after(job.payload)))[0] == 0:
        return None
    return {"slept": job.payload}


@jobs.handler("echo")
def echo(ctx: Context, job: Job) -> object:
    return job.payload


@jobs.handler("fail")
def fail(ctx: Context, job: Job) -> object:
    raise ValueError("this job always fails")


def make() -> Jobs:
    """A factory, for ``APP`` naming a function."""
    return jobs
