"""Seeds 001 and 003 (job queue, multi-machine runner): outputs, invariants, and the real SIGINT/SIGTERM path."""

from __future__ import annotations

import os
import re
import signal
from collections import Counter
from http import HTTPStatus

import pytest

from examples import jobqueue, jobqueue_cancel, jobqueue_consumer, jobqueue_shutdown, limit_concurrency
from gochan import Chan, run
from gochan.testing import run as bubble

from .test_workers import timed


def test_enqueue_refuses_the_1025th_job_with_503_max_capacity_reached() -> None:
    out: list[str] = []
    bubble(jobqueue.main, out.append)
    assert out == [
        "1024 jobs accepted",
        "job 1025: 503 max capacity reached",
        "worker processed 1024 jobs",
        "worker: job 1",
        "worker: job 2",
        "worker: job 3",
        "worker: cancelled",
    ]


def test_submit_answers_202_then_503_on_a_full_queue() -> None:
    def main() -> list[tuple[int, str]]:
        ch: Chan[jobqueue.Job] = Chan(1)
        return [jobqueue.submit(jobqueue.Job(1), ch), jobqueue.submit(jobqueue.Job(2), ch)]

    assert bubble(main) == [(HTTPStatus.ACCEPTED, "accepted"), (503, "max capacity reached")]


def handled(lines: list[str]) -> list[int]:
    return [int(m[1]) for line in lines if (m := re.fullmatch(r"worker: [01]  job value: (\d+)", line))]


def test_consumer_with_a_blocking_queue_handles_every_value_once_after_it_was_sent() -> None:
    out: list[str] = []
    bubble(jobqueue_consumer.blocking, out.append)
    sends = [line for line in out if line.startswith("send")]
    assert sends == [f"send input value: {i}" for i in range(1, 5)]
    assert sorted(handled(out)) == [1, 2, 3, 4]
    for k in range(1, 5):  # job k is handled after it was sent; nothing else about the order is promised
        assert out.index(f"send input value: {k}") < next(i for i, x in enumerate(out) if x.endswith(f"job value: {k}"))


def test_consumer_with_select_default_handles_exactly_what_it_accepted() -> None:
    out: list[str] = []
    bubble(jobqueue_consumer.non_blocking, out.append)
    refused = {int(line.split(": ")[1]) for line in out if line.startswith("queue full")}
    assert sorted(handled(out)) == sorted({1, 2, 3, 4} - refused)
    assert {1, 2}.isdisjoint(refused)  # an empty buffer of two always takes the first two


def test_shutdown_on_a_real_sigint_drains_the_workers_before_finishing() -> None:
    out: list[str] = []

    def record(line: str) -> None:
        out.append(line)
        if line.endswith("job value: 3"):
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C, delivered to this very program

    prev = signal.getsignal(signal.SIGINT)
    done = run(jobqueue_shutdown.main, record, 0.01)
    assert signal.getsignal(signal.SIGINT) == prev  # notify_context's stop put the handler back
    assert sorted(done) == sorted(handled(out)) == sorted(set(done))  # every job done once, and reported
    assert set(range(1, 4)) <= set(done)
    assert out.count("received signal: shutting down, waiting for the workers") == 1
    # The workers finish what jobsChan holds after the signal, and the report comes last.
    assert re.fullmatch(rf"shutdown complete: {len(done)} jobs done, [0-2] accepted but not started", out[-1])


def test_cancel_reaches_a_watching_agent_at_once_and_a_late_one_at_the_next_poll() -> None:
    assert timed(jobqueue_cancel.main) == [
        (0.0, "job 2: cancel requested (nobody watching yet)"),
        (10.0, "job 1: cancel requested"),
        (10.0, "job 1: cancelled after 10s (context canceled)"),
        (90.0, "job 2: cancelled after 90s (context canceled)"),
        (1200.0, "job 3: finished after 1200s"),
        (3600.0, "job 4: timed out after 3600s (context deadline exceeded)"),
    ]


@pytest.mark.parametrize(
    ("version", "most", "seconds"),
    [
        (limit_concurrency.limit_ch, 10, 10.0),
        (limit_concurrency.limit_ch_in_goroutine, 100, 1.0),  # limits nothing: every job runs at once
        (limit_concurrency.queue_workers, 10, 10.0),
    ],
)
def test_limit_concurrency_versions_report_the_most_jobs_seen_at_once(
    version: object, most: int, seconds: float
) -> None:
    from gochan import now

    def main() -> tuple[list[int], int, float]:
        start = now()
        found, m = version()  # type: ignore[operator]  # each version is () -> (found, max)
        return found, m, now() - start

    found, m, took = bubble(main)
    assert sorted(found) == list(range(100))
    assert (m, took) == (most, seconds)


def test_limit_concurrency_prints_one_line_per_version() -> None:
    out: list[str] = []
    bubble(limit_concurrency.main, out.append)
    assert out == [
        "limitCh: 100 jobs, max concurrency 10",
        "limitCh send in a goroutine: 100 jobs, max concurrency 100",
        "queue + 10 workers: 100 jobs, max concurrency 10",
    ]


def test_shutdown_counts_are_consistent() -> None:
    # The workers' lines and the returned list agree job for job (Counter: no job twice).
    out: list[str] = []
    kill_at = "job value: 2"

    def record(line: str) -> None:
        out.append(line)
        if line.endswith(kill_at):
            os.kill(os.getpid(), signal.SIGTERM)

    done = run(jobqueue_shutdown.main, record, 0.01)
    assert Counter(done) == Counter(handled(out))
    assert max(Counter(done).values()) == 1
