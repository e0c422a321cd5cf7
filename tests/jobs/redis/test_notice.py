"""The Redis store wakes its runtime when its watcher hears of a change (``on_notice``): a cancel
made by another process reaches a running handler at once, not at the runtime's next poll."""

from __future__ import annotations

import time

from gochan import Chan, after, recv, run, select, to_thread
from gochan.context import Context
from gochan.jobs import Job, Jobs, State
from gochan.jobs.redis import RedisStore

from ..redis_server import RedisServer


def test_a_cancel_from_another_process_reaches_the_handler_without_a_poll(server: RedisServer) -> None:
    store = RedisStore(server.url, poll_interval=3600.0)  # the runtime's own polls: an hour apart
    other = RedisStore(server.url)  # another process's view of the same jobs
    assert store.on_notice(None)  # it hears changes (pub/sub), so the runtime may poll that rarely

    def main() -> None:
        jobs = Jobs(store, workers=1, lease=30.0)
        started: Chan[None] = Chan(1)
        stopped: Chan[object] = Chan(1)

        @jobs.handler("hang")
        def hang(ctx: Context, job: Job) -> object:
            started.send(None)
            done = ctx.done()
            assert done is not None
            done.recv()
            stopped.send(ctx.err())
            return None

        job_id = jobs.try_submit("hang")
        with jobs.serve(grace=0):
            started.recv()
            assert to_thread(other.cancel, job_id, time.time())
            got = select(recv(stopped), recv(after(30.0)))  # a bound against a hang, not a timing
            assert got[0] == 0, "the cancel did not reach the handler: no notice woke the runtime"
        info = jobs.get(job_id)
        assert info is not None and info.state is State.CANCELLED

    run(main)
    other.close()
    store.close()
