"""The command line (``python -m gochan.jobs``) as real processes on a SQLite store in a tmp dir.

Workers serve ``tests/jobs/cli_app.py``. Every wait is on a real event — a line the worker prints,
a command's exit — bounded by a generous timeout; nothing asserts a duration.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ..lines import Lines

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60.0
APP = "tests.jobs.cli_app:jobs"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def env() -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("GOCHAN_JOBS_")}
    e["PYTHONUNBUFFERED"] = "1"
    return e


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'jobs.db'}"  # an absolute path: sqlite:////tmp/...


def cli(*args: str, store: str | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "gochan.jobs", *args, *(["--store", store] if store else [])]
    return subprocess.run(cmd, cwd=ROOT, env=env(), input=stdin or "", capture_output=True, text=True, timeout=TIMEOUT)


def ok(*args: str, store: str, stdin: str | None = None) -> str:
    p = cli(*args, store=store, stdin=stdin)
    assert p.returncode == 0 and p.stderr == "", (p.returncode, p.stderr)
    return p.stdout.strip()


def status(job_id: str, store: str) -> dict[str, object]:
    doc = json.loads(ok("status", job_id, "--json", store=store))
    assert isinstance(doc, dict)
    return doc


def until_handler_runs(job_id: str, store: str) -> None:
    """Wait until the sleep handler of ``job_id`` runs: it reports progress as it begins."""
    deadline = time.monotonic() + TIMEOUT
    while status(job_id, store)["message"] != "sleeping":
        assert time.monotonic() < deadline, f"the handler of {job_id} never ran"


class Worker:
    """``python -m gochan.jobs worker|serve ...`` with its stdout read line by line."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gochan.jobs", *args], cwd=ROOT, env=env(), stdout=subprocess.PIPE, text=True
        )
        self.lines: list[str] = []
        assert self.proc.stdout is not None
        self.out = Lines(self.proc.stdout)
        self.first = self.line()

    def line(self) -> str:
        got = self.out.next(TIMEOUT, f"the worker printed nothing in time; so far: {self.lines}")
        assert got is not None, f"the worker ended (exit {self.proc.wait(TIMEOUT)}); it printed {self.lines}"
        line = got.strip()
        self.lines.append(line)
        return line

    def until(self, pred: Callable[[str], bool]) -> str:
        while not pred(line := self.line()):
            pass
        return line

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.proc.send_signal(sig)
        while (got := self.out.next(TIMEOUT, f"the worker did not end in time; so far: {self.lines}")) is not None:
            self.lines.append(got.strip())
        return self.proc.wait(TIMEOUT)


def test_submit_then_a_worker_process_runs_it_and_status_shows_succeeded(url: str, workers: list[Worker]) -> None:
    job_id = ok("submit", "echo", '{"colour": "blue"}', store=url)
    w = Worker("worker", APP, "--store", url, "--workers", "2")
    workers.append(w)
    assert w.first.startswith("worker ") and w.first.endswith(": 2 workers; SIGTERM or SIGINT drains")
    assert w.until(lambda line: line.startswith(f"start {job_id} ")) == f"start {job_id} echo attempt 1"
    assert w.until(lambda line: line.startswith(f"end {job_id} ")).startswith(f"end {job_id} succeeded ")
    doc = status(job_id, url)
    assert (doc["state"], doc["result"], doc["attempts"]) == ("succeeded", {"colour": "blue"}, 1)
    text = ok("status", job_id, store=url)
    assert f"id        {job_id}" in text.splitlines() and "state     succeeded" in text.splitlines()
    assert w.stop() == 0
    assert w.lines[-1] == "stopped: 0 finished while draining, 0 handed back, 0 still running"


def test_cancel_from_the_cli_reaches_a_job_running_in_the_worker(url: str, workers: list[Worker]) -> None:
    job_id = ok("submit", "sleep", "3600", store=url)
    w = Worker("worker", APP, "--store", url)
    workers.append(w)
    w.until(lambda line: line.startswith(f"start {job_id} "))
    assert ok("cancel", job_id, store=url) == f"cancelled {job_id}"
    assert w.until(lambda line: line.startswith(f"end {job_id} ")).startswith(f"end {job_id} cancelled ")
    assert status(job_id, url)["state"] == "cancelled"
    again = cli("cancel", job_id, store=url)
    assert again.returncode == 4
    assert again.stderr == f"gochan.jobs: job {job_id!r} is already cancelled: it can no longer be cancelled\n"
    assert w.stop() == 0
    assert w.lines[-1].endswith("0 still running")  # the handler saw its context done and returned


def test_sigterm_mid_job_lets_it_finish_within_the_grace(url: str, workers: list[Worker]) -> None:
    # 3 s: still asleep once the test has polled the store (a CLI process per look) and signalled
    job_id = ok("submit", "sleep", "3", store=url)
    w = Worker("worker", APP, "--store", url, "--grace", "60")
    workers.append(w)
    until_handler_runs(job_id, url)
    assert w.stop(signal.SIGTERM) == 0
    assert any(line.startswith(f"end {job_id} succeeded ") for line in w.lines), w.lines
    assert "draining: running jobs get 60.0s; signal again to exit at once" in w.lines
    assert w.lines[-1] == "stopped: 1 finished while draining, 0 handed back, 0 still running"
    assert status(job_id, url)["state"] == "succeeded"


def test_sigterm_past_the_grace_hands_the_job_back_queued(url: str, workers: list[Worker]) -> None:
    job_id = ok("submit", "sleep", "3600", store=url)
    w = Worker("worker", APP, "--store", url, "--grace", "0.1")
    workers.append(w)
    until_handler_runs(job_id, url)
    assert w.stop(signal.SIGINT) == 0
    assert any(line.startswith(f"end {job_id} handed_back ") for line in w.lines)
    assert w.lines[-1] == "stopped: 1 finished while draining, 1 handed back, 0 still running"
    doc = status(job_id, url)
    assert (doc["state"], doc["attempts"]) == ("queued", 0)  # nothing lost; the attempt not counted


def test_a_failing_job_shows_its_retry_and_its_error(url: str, workers: list[Worker]) -> None:
    job_id = ok("submit", "fail", "--attempts", "2", store=url)
    w = Worker("worker", "tests.jobs.cli_app:make", "--store", url)  # APP may name a factory
    workers.append(w)
    first = w.until(lambda line: line.startswith(f"end {job_id} "))
    assert first.startswith(f"end {job_id} failed ") and first.endswith(
        "(will retry) ValueError: this job always fails"
    )
    assert w.until(lambda line: line.startswith(f"start {job_id} ")) == f"start {job_id} fail attempt 2"
    last = w.until(lambda line: line.startswith(f"end {job_id} "))
    assert last.startswith(f"end {job_id} failed ") and "will retry" not in last
    assert w.stop() == 0
    assert status(job_id, url)["error"] == "ValueError: this job always fails"


def test_worker_json_prints_one_json_object_per_line(url: str, workers: list[Worker]) -> None:
    job_id = ok("submit", "echo", "[1, 2]", store=url)
    w = Worker("worker", APP, "--store", url, "--json")
    workers.append(w)
    w.until(lambda line: json.loads(line)["event"] == "end")
    assert w.stop() == 0
    events = [json.loads(line) for line in w.lines]
    assert [e["event"] for e in events] == ["ready", "start", "end", "draining", "stopped"]
    assert events[1] == {"event": "start", "id": job_id, "name": "echo", "attempt": 1}
    assert events[2]["state"] == "succeeded" and events[4]["handed_back"] == []


def test_json_output_of_every_read_command_parses(url: str) -> None:
    job_id = json.loads(
        ok("submit", "echo", "-", "--key", "k", "--timeout", "5", "--json", store=url, stdin='{"a": [1]}')
    )["id"]
    listed = json.loads(ok("ls", "--json", store=url))
    assert [j["id"] for j in listed] == [job_id] and listed[0]["payload"] == {"a": [1]}
    assert listed[0]["key"] == "k" and listed[0]["timeout"] == 5.0
    stats = json.loads(ok("stats", "--json", store=url))
    assert stats["counts"]["queued"] == 1 and stats["counts"]["succeeded"] == 0
    assert status(job_id, url)["state"] == "queued"
    cancelled = json.loads(ok("cancel", job_id, "--json", store=url))
    assert cancelled["state"] == "cancelled"


def test_ls_prints_a_table_filtered_by_state(url: str) -> None:
    a = ok("submit", "echo", "1", store=url)
    b = ok("submit", "echo", "2", store=url)
    ok("cancel", b, store=url)
    rows = ok("ls", store=url).splitlines()
    assert rows[0].split() == ["ID", "NAME", "STATE", "KEY", "ATTEMPTS", "PROGRESS", "CREATED"]
    assert [r.split()[:3] for r in rows[1:]] == [[a, "echo", "queued"], [b, "echo", "cancelled"]]
    assert [r.split()[0] for r in ok("ls", "--state", "cancelled", store=url).splitlines()[1:]] == [b]
    assert ok("ls", "--state", "running", store=url) == "(no jobs)"
    assert [r.split()[0] for r in ok("ls", "--offset", "1", "--limit", "1", store=url).splitlines()[1:]] == [b]
    table = ok("stats", store=url).splitlines()
    assert table[0].split() == ["STATE", "JOBS"] and "queued      1" in table and table[-1] == "total       2"


def test_submit_to_a_full_queue_exits_5_with_the_503_text(url: str) -> None:
    ok("submit", "echo", "--capacity", "1", store=url)
    full = cli("submit", "echo", "--capacity", "1", store=url)
    assert (full.returncode, full.stdout, full.stderr) == (5, "", "gochan.jobs: max capacity reached\n")


@pytest.mark.parametrize(
    ("args", "store", "code", "message"),
    [
        (["status", "nope"], "db", 3, "no job with id 'nope'"),
        (["cancel", "nope"], "db", 3, "no job with id 'nope'"),
        (["submit", "echo", "{bad"], "db", 2, "the payload is not valid JSON: Expecting property name"),
        (["submit", "echo", "1"], "memory://", 2, "the store memory:// lives inside one process"),
        (["submit", "echo", "1"], "postgres://x", 2, "jobs: unknown store URL 'postgres://x'"),
        (["status", "x"], None, 2, "no store given: pass --store URL (sqlite:///jobs.db) or set $GOCHAN_JOBS_STORE"),
        (["status", "x"], "missing", 6, "cannot open the store sqlite:///"),
        (["submit", "echo", "1"], "unreachable", 6, "cannot open the store sqlite:////nonexistent-dir/"),
        (["worker", "tests.jobs.no_such_app:jobs"], "db", 2, "cannot import 'tests.jobs.no_such_app'"),
        (["worker", "tests.jobs.cli_app:nothing"], "db", 2, "'tests.jobs.cli_app' has no attribute 'nothing'"),
        (
            ["worker", "tests.jobs.cli_app:echo"],
            "db",
            2,
            "tests.jobs.cli_app:echo is a function, not a gochan.jobs.Jobs",
        ),
        (["worker", "tests.jobs.cli_app"], "db", 2, "APP must be package.module:attribute"),
        (["serve", "--http", "127.0.0.1:99999"], "db", 1, "cannot listen on 127.0.0.1:99999"),
    ],
)
def test_a_failing_command_exits_with_its_code_and_one_line(  # noqa: PLR0917 - the table's columns
    tmp_path: Path, url: str, args: list[str], store: str | None, code: int, message: str
) -> None:
    ok("submit", "echo", store=url)  # the store file exists
    stores = {
        "db": url,
        "missing": f"sqlite:///{tmp_path / 'typo.db'}",
        "unreachable": "sqlite:////nonexistent-dir/j.db",
    }
    p = cli(*args, store=stores.get(store or "", store))
    assert p.returncode == code, p.stderr
    assert p.stderr.startswith(f"gochan.jobs: {message}") and p.stderr.count("\n") == 1, p.stderr
    assert "Traceback" not in p.stderr


def test_help_lists_the_exit_codes() -> None:
    p = cli("--help")
    assert p.returncode == 0
    for line in ["0  ok", "2  usage", "3  not_found", "4  final", "5  full", "6  store"]:
        assert f"  {line}\n" in p.stdout


def test_serve_http_with_an_app_runs_what_it_accepts(url: str, workers: list[Worker]) -> None:
    w = Worker("serve", APP, "--http", "127.0.0.1:0", "--secret", "s3", "--store", url)
    workers.append(w)
    assert w.first.startswith("listening on http://127.0.0.1:"), w.first
    port = int(w.first.removeprefix("listening on http://127.0.0.1:"))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    conn.request(
        "POST", "/v1/jobs", body=json.dumps({"name": "echo", "payload": 7}), headers={"Authorization": "Bearer s3"}
    )
    r = conn.getresponse()
    assert r.status == 202
    job_id = json.loads(r.read())["id"]
    assert w.until(lambda line: line.startswith(f"end {job_id} ")).startswith(f"end {job_id} succeeded ")
    conn.request("GET", f"/v1/jobs/{job_id}", headers={"Authorization": "Bearer s3"})
    r = conn.getresponse()
    assert r.status == 200 and json.loads(r.read())["result"] == 7
    conn.close()
    assert w.stop() == 0
    assert status(job_id, url)["state"] == "succeeded"


def test_serve_http_without_an_app_fronts_the_store_for_workers_elsewhere(url: str, workers: list[Worker]) -> None:
    api = Worker("serve", "--http", "127.0.0.1:0", "--store", url)
    workers.append(api)
    assert api.first.endswith("; no --secret: anyone who can connect may submit and cancel")
    port = int(api.first.split()[2].removeprefix("http://127.0.0.1:").rstrip(";"))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    conn.request("POST", "/v1/jobs", body=json.dumps({"name": "sleep", "payload": 3600}))
    r = conn.getresponse()
    job_id = json.loads(r.read())["id"]
    assert r.status == 202
    w = Worker("worker", APP, "--store", url)
    workers.append(w)
    w.until(lambda line: line.startswith(f"start {job_id} "))
    conn.request("DELETE", f"/v1/jobs/{job_id}")
    r = conn.getresponse()
    assert r.status == 200 and json.loads(r.read())["state"] == "cancelled"
    assert w.until(lambda line: line.startswith(f"end {job_id} ")).startswith(f"end {job_id} cancelled ")
    conn.close()
    assert api.stop() == 0 and w.stop() == 0
