"""Bad input to the Redis store: payloads that are not JSON or too large, a job no worker handles,
a server that may evict keys, a wrong or missing password."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from gochan.jobs import JobInfo, State
from gochan.jobs.model import StoreUnavailableError
from gochan.jobs.redis import RedisStore

from ..redis_server import RedisServer
from .procs import Worker, state, submit, until


def test_a_payload_that_is_not_json_text_is_refused_at_submit(store: RedisStore) -> None:
    with pytest.raises(ValueError, match=r"^jobs: the payload must be JSON text: Expecting property name"):
        submit(store, "echo", "{bad")
    assert store.counts()[State.QUEUED] == 0


def test_a_payload_over_the_size_limit_is_refused_at_submit(server: RedisServer) -> None:
    store = RedisStore(server.url + "?max_payload=100")
    assert store.max_payload == 100
    submit(store, "echo", '"' + "x" * 98 + '"')  # 100 bytes: at the limit
    with pytest.raises(ValueError, match=r"^jobs: the payload is 101 bytes, over this store's limit of 100 bytes"):
        submit(store, "echo", '"' + "x" * 99 + '"')
    assert store.counts()[State.QUEUED] == 1
    store.close()


def test_a_stored_payload_that_is_not_json_fails_its_job_and_the_worker_goes_on(
    tmp_path: Path, store: RedisStore, server: RedisServer, workers: list[Worker]
) -> None:
    bad = submit(store, "echo", '"placeholder"')
    store._r.hset(store.prefix + f"job:{bad}", "payload", "{not json")  # a foreign producer's write
    workers.append(Worker(server.url, tmp_path / "log"))
    until("the bad job is final", lambda: state(store, bad).final)
    info = store.get(bad)
    assert info is not None and info.state is State.FAILED
    assert info.error is not None and info.error.startswith("JSONDecodeError: Expecting property name")
    good = submit(store, "echo", '{"ok": true}')
    until("the next job is final", lambda: state(store, good).final)
    assert (store.get(good).state, store.get(good).result) == (State.SUCCEEDED, {"ok": True})  # type: ignore[union-attr]
    assert workers[0].stop() == 0


def test_a_job_no_live_worker_handles_fails_clearly_and_the_workers_go_on(
    tmp_path: Path, server: RedisServer, workers: list[Worker]
) -> None:
    url = server.url + "?unhandled_after=0.2"
    store = RedisStore(url)
    workers.append(Worker(url, tmp_path / "log", lease=0.6))  # sweeps every lease/3
    lost = submit(store, "paint", "1")
    until("the unhandled job is final", lambda: state(store, lost).final)
    info = store.get(lost)
    assert info is not None and info.state is State.FAILED and info.attempts == 0
    assert info.error == (
        "no worker handles jobs named paint (the live workers handle: cpu, echo, sleep):"
        " register a handler for it on a worker"
    )
    good = submit(store, "echo", "2")
    until("the next job is final", lambda: state(store, good).final)
    assert state(store, good) is State.SUCCEEDED
    assert workers[0].stop() == 0
    store.close()


def test_a_server_that_may_evict_keys_is_warned_about_at_start(tmp_path: Path) -> None:
    server = RedisServer(tmp_path, policy="allkeys-lru")
    try:
        with pytest.warns(RuntimeWarning, match=r"has maxmemory-policy allkeys-lru: .* an evicted job is lost"):
            store = RedisStore(server.url)
        store.close()
    finally:
        server.stop()


def test_a_wrong_or_missing_password_is_a_clear_error_at_start(tmp_path: Path) -> None:
    server = RedisServer(tmp_path, password="s3cret")
    try:
        RedisStore(server.url).close()  # the right one
        wrong = server.url.replace("s3cret", "guess")
        with pytest.raises(StoreUnavailableError, match=r"refused the credentials .*: check the user and password"):
            RedisStore(wrong)
        bare = server.url.replace(":s3cret@", "")
        with pytest.raises(StoreUnavailableError, match=r"requires a password .*: give it in the URL"):
            RedisStore(bare)
    finally:
        server.stop()


def test_messages_never_show_the_password(tmp_path: Path) -> None:
    server = RedisServer(tmp_path, password="s3cret")
    store = RedisStore(server.url)
    server.stop()
    with pytest.raises(StoreUnavailableError) as e:
        store.submit(JobInfo("a", "echo", "1", State.QUEUED, created_at=time.time()), 10)
    assert "s3cret" not in str(e.value) and "s3cret" not in repr(store)
    store.close()
