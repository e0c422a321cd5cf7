"""Runner: tasks in order under one timeout and SIGINT — Go's runner, with its error texts."""

from __future__ import annotations

import os
import signal

import pytest

from gochan import Chan, run, sleep
from gochan import testing as synctest
from gochan.errors import SyncError
from gochan.patterns import Runner, RunnerInterruptError, RunnerTimeoutError

needs_signals = pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="needs POSIX signals")


class Boom(Exception):
    pass


@synctest.synctest
def test_every_task_runs_in_order_with_its_index() -> None:
    seen: list[int] = []
    r = Runner(10.0, signals=())
    r.add(lambda i: seen.append(i), lambda i: seen.append(10 * i))
    r.add(lambda i: seen.append(100 * i))
    r.start()
    assert seen == [0, 10, 200]


@synctest.synctest
def test_a_timeout_raises_received_timeout_and_the_rest_never_starts() -> None:
    seen: list[int] = []
    ended: Chan[int] = Chan(5)

    def task(i: int) -> None:
        seen.append(i)
        sleep(1.0)
        ended.send(i)

    r = Runner(2.5, signals=())
    r.add(*[task] * 5)
    with pytest.raises(RunnerTimeoutError, match=r"^received timeout$") as info:
        r.start()
    assert isinstance(info.value, TimeoutError)
    assert [ended.recv() for _ in range(3)] == [0, 1, 2]  # the task running at the timeout ends ...
    synctest.wait()
    assert seen == [0, 1, 2]  # ... and the runner's goroutine stops before the next one


@synctest.synctest
def test_a_task_exception_comes_out_of_start() -> None:
    r = Runner(10.0, signals=())
    r.add(lambda i: None)

    def fail(i: int) -> None:
        raise Boom(f"task {i}")

    r.add(fail)
    with pytest.raises(Boom, match=r"^task 1$"):
        r.start()


@synctest.synctest
def test_start_twice_is_refused() -> None:
    r = Runner(1.0, signals=())
    r.start()
    with pytest.raises(SyncError, match="start called twice"):
        r.start()


@needs_signals
def test_an_interrupt_raises_received_interrupt_at_once() -> None:
    def main() -> list[str]:
        events: list[str] = []
        hold: Chan[None] = Chan()

        def task(i: int) -> None:
            events.append(f"task {i}")
            os.kill(os.getpid(), signal.SIGUSR1)  # the handler queues the delivery before kill returns
            hold.recv()  # a long task: the interrupt is seen without waiting for it

        r = Runner(3600.0, signals=(signal.SIGUSR1,))
        r.add(task, task)
        try:
            with pytest.raises(RunnerInterruptError, match=r"^received interrupt$"):
                r.start()
            events.append("interrupted")
        finally:
            hold.close()
        return events

    assert run(main) == ["task 0", "interrupted"]
