"""Seeds 002 (batching pipeline) and 004 (Go concurrency patterns): outputs and invariants."""

from __future__ import annotations

import os
import random
import re
import signal
from collections import Counter

import pytest

from examples import (
    batching,
    batching_metrics,
    dispatcher,
    future,
    generator,
    multiplex,
    prime_sieve,
    resource_pool,
    runner,
    shared_var,
    work_pool,
)
from gochan import run
from gochan.testing import run as bubble

from .test_workers import timed


def test_batching_filters_1000_users_in_4_batches_and_the_closer_ends_the_range() -> None:
    out: list[str] = []
    users = bubble(batching.main, out.append)
    assert out == ["4 batches of 250 users", "499 users with a balance above 500"]
    assert sorted(u.user_id for u in users) == [i for i in range(1, 1001) if i * 37 % 1000 > 500]


def test_batching_metrics_are_owned_by_one_goroutine_and_partition_the_users() -> None:
    out: list[str] = []
    m = bubble(batching_metrics.main, out.append)
    assert out == ["4 batches of 250 users", "metrics: 499 passed, 501 skipped", "499 users with a balance above 500"]
    assert m.passed_users.keys().isdisjoint(m.skipped_users)
    assert m.passed_users.keys() | m.skipped_users.keys() == set(range(1, 1001))


def test_generator_serves_the_next_random_number() -> None:
    out: list[str] = []
    n = run(generator.main, out.append, random.Random(7))  # its goroutine dies with the program, as in Go
    assert out == [str(random.Random(7).randint(0, generator.MAX_INT))] == [str(n)]


def test_multiplexing_keeps_each_generators_order() -> None:
    got = run(multiplex.main, lambda _: None, random.Random(1), random.Random(2))
    ra, rb = random.Random(1), random.Random(2)
    a = [ra.randint(0, generator.MAX_INT) for _ in range(10)]
    b = [rb.randint(0, generator.MAX_INT) for _ in range(10)]
    from_a = [n for n in got if n in a]
    from_b = [n for n in got if n in b]
    assert len(from_a) + len(from_b) == 10
    assert from_a == a[: len(from_a)] and from_b == b[: len(from_b)]


def test_future_gets_its_argument_after_the_call() -> None:
    out: list[str] = []
    bubble(future.main, out.append)
    assert out == ["get select * from table"]


def test_prime_sieve_prints_the_first_ten_primes() -> None:
    out: list[str] = []
    run(prime_sieve.main, out.append)
    assert out == ["2", "3", "5", "7", "11", "13", "17", "19", "23", "29"]


def test_shared_variable_owner_and_mutex_lose_no_update() -> None:
    out: list[str] = []
    bubble(shared_var.main, out.append)
    assert out == ["0", "1", "owner goroutine: 100 increments -> 100", "mutex: 100 increments -> 100"]


@pytest.mark.parametrize(("timeout", "ending", "code"), [(4.0, "Process ended.", None), (2.0, None, 1)])
def test_runner_ends_or_times_out_on_virtual_time(timeout: float, ending: str | None, code: int | None) -> None:
    out: list[str] = []
    tasks = ["Starting work.", "Processor - Task #0.", "Processor - Task #1.", "Processor - Task #2."]
    if code is None:
        bubble(runner.main, out.append, 1.0, timeout, 3, ())
        assert out == [*tasks, "Process ended."]
    else:
        with pytest.raises(SystemExit) as e:  # Go's os.Exit(1)
            bubble(runner.main, out.append, 1.0, timeout, 3, ())
        assert e.value.code == code
        assert out == [*tasks, "Terminating due to timeout."]


def test_runner_stops_before_the_next_task_on_a_real_sigint() -> None:
    out: list[str] = []

    def record(line: str) -> None:
        out.append(line)
        if line == "Processor - Task #1.":
            os.kill(os.getpid(), signal.SIGINT)

    prev = signal.getsignal(signal.SIGINT)
    with pytest.raises(SystemExit) as e:
        run(runner.main, record, 0.01, 1000.0, 5)
    assert e.value.code == 2
    assert out == ["Starting work.", "Processor - Task #0.", "Processor - Task #1.", "Terminating due to interrupt."]
    assert signal.getsignal(signal.SIGINT) == prev


def test_resource_pool_creates_closes_and_serves_every_query_once() -> None:
    out: list[str] = []
    bubble(resource_pool.main, out.append, 1.0, random.Random(3))
    queries = [re.fullmatch(r"Query: QID\[(\d+)\] CID\[(\d+)\]", line) for line in out]
    assert sorted(int(m[1]) for m in queries if m) == list(range(resource_pool.MAX_GOROUTINES))
    created = {int(line.split()[-1]) for line in out if line.startswith("Create: New Connection")}
    closed = [int(line.split()[-1]) for line in out if line.startswith("Close: Connection")]
    assert sorted(closed) == sorted(created)  # every connection is closed exactly once
    assert out.count("Release: In Queue") + out.count("Release: Closing") == resource_pool.MAX_GOROUTINES
    shutdown = out.index("Shutdown Program.")
    assert len(out) - shutdown - 1 <= resource_pool.POOLED_RESOURCES  # Close drains at most the pool
    assert out.count("Acquire: New Resource") == len(created)


def test_resource_pool_refuses_acquire_once_closed() -> None:
    def main() -> str:
        p = resource_pool.Pool(lambda: resource_pool.DBConnection(1, lambda _: None), 2, lambda _: None)
        p.close()
        try:
            p.acquire()
        except resource_pool.PoolClosedError as e:
            return str(e)
        return "acquired"

    assert bubble(main) == "Pool has been closed."


def test_work_pool_prints_every_name_100_times_two_at_a_time() -> None:
    got = timed(work_pool.main)
    assert Counter(line for _, line in got) == {name: 100 for name in work_pool.NAMES}
    per_second = Counter(t for t, _ in got)
    assert set(per_second.values()) == {2}  # two goroutines, a second per task
    assert max(per_second) == 249.0


def test_dispatcher_hands_every_job_to_one_idle_worker() -> None:
    got = timed(dispatcher.main)
    assert got[-1] == (5.0, "20 payloads uploaded by 4 workers")
    uploads = [re.fullmatch(r"worker (\d): uploaded payload (\d+)", line) for _, line in got[:-1]]
    assert sorted(int(m[2]) for m in uploads if m) == list(range(20))
    assert max(Counter(t for t, _ in got[:-1]).values()) == 4  # never more than the four workers at once

