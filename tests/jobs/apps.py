"""Handlers the tests' job runners share."""

from __future__ import annotations

from gochan.context import Context
from gochan.jobs import Job, Jobs


def echo_and_hang(jobs: Jobs) -> Jobs:
    """Register ``echo`` (returns its payload) and ``hang`` (returns once its context is done)."""

    @jobs.handler("echo")
    def echo(ctx: Context, job: Job) -> object:
        return job.payload

    @jobs.handler("hang")
    def hang(ctx: Context, job: Job) -> object:
        done = ctx.done()
        assert done is not None
        done.recv()
        return None

    return jobs
