"""The SQLite store's own statements: a claim takes several jobs in one UPDATE and hands them back
oldest first; a batch of completions records each run fenced by its own lease."""

from __future__ import annotations

from pathlib import Path

from gochan.jobs import State
from gochan.jobs.model import NO_RETRY, JobInfo, Outcome, Retry
from gochan.jobs.sqlite import SqliteStore

DONE = Outcome(State.SUCCEEDED, result_json="null")


def store(tmp_path: Path) -> SqliteStore:
    return SqliteStore(str(tmp_path / "jobs.db"), clock=lambda: 100.0)


def add(s: SqliteStore, job_id: str, run_after: float = 100.0, name: str = "noop", retry: Retry = NO_RETRY) -> None:
    s.submit(JobInfo(job_id, name, "null", State.QUEUED, retry=retry, created_at=100.0, run_after=run_after), 100)


def test_a_claim_takes_the_due_jobs_oldest_first_whatever_their_insertion_order(tmp_path: Path) -> None:
    s = store(tmp_path)
    add(s, "late", run_after=50.0)
    add(s, "early", run_after=10.0)
    add(s, "tie", run_after=50.0)
    add(s, "other", run_after=1.0, name="other")
    add(s, "future", run_after=200.0)
    claimed = s.claim("w", ["noop"], 10, 130.0, 100.0)
    assert [(c.id, c.attempts, c.token) for c in claimed] == [("early", 1, 1), ("late", 1, 1), ("tie", 1, 1)]
    assert s.claim("w", ["noop"], 10, 130.0, 100.0) == []
    assert {i.id: i.state for i in s.list()} == {
        "late": State.RUNNING,
        "early": State.RUNNING,
        "tie": State.RUNNING,
        "other": State.QUEUED,
        "future": State.QUEUED,
    }
    assert s.counts()[State.RUNNING] == 3
    s.close()


def test_a_claim_takes_no_more_than_its_limit_and_a_second_store_takes_the_rest(tmp_path: Path) -> None:
    s, t = store(tmp_path), store(tmp_path)
    for i in range(5):
        add(s, f"j{i}")
    first = s.claim("w1", ["noop"], 3, 130.0, 100.0)
    second = t.claim("w2", ["noop"], 3, 130.0, 100.0)
    assert [c.id for c in first] == ["j0", "j1", "j2"]
    assert [c.id for c in second] == ["j3", "j4"]
    assert [i.worker for i in s.list()] == ["w1", "w1", "w1", "w2", "w2"]
    s.close()
    t.close()


def test_complete_many_records_each_run_fenced_by_its_own_lease(tmp_path: Path) -> None:
    s = store(tmp_path)
    for i in range(5):
        add(s, f"j{i}")
    held = {c.id: c.token for c in s.claim("w", ["noop"], 5, 130.0, 100.0)}
    assert s.cancel("j1", 101.0)  # its version moves on: the run no longer holds it
    failed = Outcome(State.FAILED, error="E: boom")
    retry = Outcome(State.FAILED, error="E: again", retry_at=150.0, capacity=100)
    done = [
        ("j0", held["j0"], DONE),
        ("j1", held["j1"], DONE),
        ("j2", held["j2"], failed),
        ("j3", held["j3"] + 1, DONE),  # a token the job never had
        ("j4", held["j4"], retry),
        ("unknown", 1, DONE),
    ]
    assert s.complete_many(done, 102.0) == [True, False, True, False, True, False]
    infos = {i.id: i for i in s.list()}
    assert [(infos[i].state, infos[i].error) for i in ("j0", "j1", "j2", "j3", "j4")] == [
        (State.SUCCEEDED, None),
        (State.CANCELLED, None),
        (State.FAILED, "E: boom"),
        (State.RUNNING, None),
        (State.QUEUED, "E: again"),
    ]
    assert (infos["j0"].result, infos["j0"].finished_at) == (None, 102.0)
    assert infos["j4"].run_after == 150.0
    counts = s.counts()
    assert (counts[State.SUCCEEDED], counts[State.FAILED], counts[State.RUNNING], counts[State.QUEUED]) == (1, 1, 1, 1)
    assert s.complete_many([], 103.0) == []
    s.close()


def test_a_retried_job_is_claimed_again_with_its_attempt_counted(tmp_path: Path) -> None:
    s = store(tmp_path)
    add(s, "r", retry=Retry(attempts=2))
    (c,) = s.claim("w", ["noop"], 1, 130.0, 100.0)
    retry = Outcome(State.FAILED, error="E", retry_at=101.0, capacity=100)
    assert s.complete(c.id, c.token, retry, 100.5)
    assert s.claim("w", ["noop"], 1, 130.0, 100.9) == []
    (again,) = s.claim("w", ["noop"], 1, 131.0, 101.0)
    assert (again.id, again.attempts, again.token) == ("r", 2, c.token + 1)
    s.close()
