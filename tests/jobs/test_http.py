"""The HTTP API (gochan/jobs/http.py) through a real HTTP client.

Each test runs a ``Server`` on a free loopback port inside ``run()`` and talks to it with the
stdlib's ``http.client`` (or a raw socket) on an OS thread (``gochan.to_thread``), so the server's
goroutines serve while the client blocks. Waits are on real events: a response, the job's state
polled through the API with a bounded deadline, the server closing the connection.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Callable
from typing import TypeVar

import pytest

from gochan import Chan, go, net, run, to_thread
from gochan.jobs import Jobs
from gochan.jobs.http import MAX_BODY, Server

from .apps import echo_and_hang

T = TypeVar("T")
SECRET = "s3cret"
AUTH = {"Authorization": f"Bearer {SECRET}"}
TIMEOUT = 30.0


def make_jobs(capacity: int, workers: int) -> Jobs:
    return echo_and_hang(Jobs(capacity=capacity, workers=workers, hard_grace=0.5))


def serving(
    client: Callable[[int], T],
    *,
    capacity: int = 8,
    workers: int = 2,
    secret: str | None = SECRET,
    idle_timeout: float = 60.0,
) -> T:
    """Run ``client(port)`` on a thread against a server of a fresh memory-store Jobs; its result."""
    jobs = make_jobs(capacity, workers)

    def main() -> T:
        with jobs.serve(grace=0), net.listen("tcp", "127.0.0.1:0") as ln:
            srv = Server(jobs, secret=secret, idle_timeout=idle_timeout)
            go(srv.serve, ln)
            try:
                return to_thread(client, ln.addr().port)
            finally:
                srv.shutdown()

    return run(main)


class Client:
    """One keep-alive connection; ``call`` returns (status, decoded JSON body, headers)."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)

    def call(
        self,
        method: str,
        path: str,
        body: object = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> tuple[int, object, http.client.HTTPResponse]:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        self.conn.request(method, path, body=data, headers=AUTH if headers is None else headers)
        r = self.conn.getresponse()
        text = r.read()
        assert r.getheader("content-type") == "application/json"
        return r.status, json.loads(text), r

    def until_state(self, job_id: str, state: str) -> dict[str, object]:
        deadline = time.monotonic() + TIMEOUT
        while True:
            status, doc, _ = self.call("GET", f"/v1/jobs/{job_id}")
            assert status == 200 and isinstance(doc, dict)
            if doc["state"] == state:
                return doc
            assert doc["state"] in ("queued", "running"), f"job {job_id} ended {doc['state']}, not {state}"
            assert time.monotonic() < deadline, f"job {job_id} never reached {state}: {doc}"
            time.sleep(0.005)


def test_submit_answers_202_with_the_id_and_the_job_runs_to_succeeded() -> None:
    def client(port: int) -> tuple[int, object, str | None, dict[str, object]]:
        c = Client(port)
        status, doc, r = c.call("POST", "/v1/jobs", {"name": "echo", "payload": {"colour": "blue"}, "key": "na"})
        assert isinstance(doc, dict)
        return status, doc, r.getheader("location"), c.until_state(str(doc["id"]), "succeeded")

    status, doc, location, done = serving(client)
    assert status == 202 and isinstance(doc, dict) and location == f"/v1/jobs/{doc['id']}"
    assert done["result"] == {"colour": "blue"} and done["key"] == "na" and done["name"] == "echo"


def test_a_full_queue_answers_503_max_capacity_reached() -> None:
    def client(port: int) -> list[tuple[int, object]]:
        c = Client(port)
        return [c.call("POST", "/v1/jobs", {"name": "echo"})[:2] for _ in range(3)]

    replies = serving(client, capacity=2, workers=0)  # no worker: the queue only fills
    assert [s for s, _ in replies] == [202, 202, 503]
    assert replies[2][1] == {"error": "max capacity reached"}


def test_delete_cancels_a_running_job_and_a_final_one_is_409() -> None:
    def client(port: int) -> tuple[tuple[int, object], tuple[int, object], object]:
        c = Client(port)
        _, doc, _ = c.call("POST", "/v1/jobs", {"name": "hang", "timeout": 3600})
        assert isinstance(doc, dict)
        job_id = str(doc["id"])
        c.until_state(job_id, "running")
        first = c.call("DELETE", f"/v1/jobs/{job_id}")[:2]
        again = c.call("DELETE", f"/v1/jobs/{job_id}")[:2]
        return first, again, c.call("GET", f"/v1/jobs/{job_id}")[1]

    (s1, d1), (s2, d2), final = serving(client)
    assert s1 == 200 and isinstance(d1, dict) and d1["state"] == "cancelled"
    assert s2 == 409 and isinstance(d2, dict) and "already cancelled" in str(d2["error"])
    assert isinstance(final, dict) and final["state"] == "cancelled"


def test_list_filters_by_state_and_stats_counts_per_state() -> None:
    def client(port: int) -> tuple[object, ...]:
        c = Client(port)
        for _ in range(3):
            c.call("POST", "/v1/jobs", {"name": "echo", "payload": 1})
        return (
            c.call("GET", "/v1/jobs?state=queued")[1],
            c.call("GET", "/v1/jobs")[1],
            c.call("GET", "/v1/stats")[1],
            c.call("GET", "/v1/jobs?limit=1&offset=1")[1],
            c.call("GET", "/v1/jobs?offset=-1")[:2],
        )

    queued, every, stats, page, bad = serving(client, workers=0)
    assert isinstance(queued, dict) and isinstance(every, dict) and isinstance(stats, dict)
    assert len(queued["jobs"]) == 3 and all(j["state"] == "queued" for j in queued["jobs"])
    assert [j["id"] for j in every["jobs"]] == [j["id"] for j in queued["jobs"]]  # oldest first
    assert stats["counts"]["queued"] == 3 and stats["capacity"] == 8 and stats["totals"]["submitted"] == 3
    assert isinstance(page, dict) and [j["id"] for j in page["jobs"]] == [every["jobs"][1]["id"]]
    assert bad == (400, {"error": "offset must be a non-negative integer, got '-1'"})


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "error"),
    [
        ("POST", "/v1/jobs", b"{bad", 400, "the body is not valid JSON: Expecting property name"),
        ("POST", "/v1/jobs", b"[1]", 400, "the body must be a JSON object"),
        ("POST", "/v1/jobs", b'{"payload": 1}', 400, "'name' must be a non-empty string"),
        ("POST", "/v1/jobs", b'{"name": "nope"}', 400, "jobs: no handler named 'nope'"),
        ("POST", "/v1/jobs", b'{"name": "echo", "colour": 1}', 400, "unknown field 'colour'"),
        ("POST", "/v1/jobs", b'{"name": "echo", "timeout": "1s"}', 400, "'timeout' must be a number"),
        ("POST", "/v1/jobs", b'{"name": "echo", "timeout": -1}', 400, "jobs: timeout must be a positive number"),
        ("POST", "/v1/jobs", b'{"name": "echo", "retry": {"attempts": 0}}', 400, "jobs: Retry.attempts must be"),
        ("GET", "/v1/jobs/unknown", None, 404, "no job with id 'unknown'"),
        ("DELETE", "/v1/jobs/unknown", None, 404, "no job with id 'unknown'"),
        ("GET", "/v1/nothing", None, 404, "no such path '/v1/nothing'"),
        ("GET", "/v1/jobs?state=lost", None, 400, "unknown state 'lost'"),
        ("GET", "/v1/jobs?limit=0", None, 400, "limit must be a positive integer"),
        ("PUT", "/v1/jobs", b"{}", 405, "method PUT is not allowed here: use GET or POST"),
        ("POST", "/v1/jobs/x", None, 405, "method POST is not allowed here: use GET or DELETE"),
        ("DELETE", "/v1/stats", None, 405, "method DELETE is not allowed here: use GET"),
        ("POST", "/healthz", None, 405, "method POST is not allowed here: use GET"),
    ],
)
def test_refused_requests_get_their_status_and_one_sentence(
    method: str, path: str, body: bytes | None, status: int, error: str
) -> None:
    got = serving(lambda port: Client(port).call(method, path, raw=body)[:2])
    assert got[0] == status
    assert isinstance(got[1], dict) and str(got[1]["error"]).startswith(error), got


def test_405_names_the_allowed_methods() -> None:
    r = serving(lambda port: Client(port).call("PATCH", "/v1/jobs/x")[2])
    assert r.status == 405 and r.getheader("allow") == "GET, DELETE"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": SECRET}])
def test_without_the_bearer_secret_every_route_but_healthz_is_401(headers: dict[str, str]) -> None:
    def client(port: int) -> list[tuple[int, object, str | None]]:
        c = Client(port)
        out = []
        for method, path in [("POST", "/v1/jobs"), ("GET", "/v1/jobs/x"), ("GET", "/v1/stats"), ("GET", "/nope")]:
            status, doc, r = c.call(method, path, {"name": "echo"}, headers=headers)
            out.append((status, doc, r.getheader("www-authenticate")))
        return out

    for status, doc, challenge in serving(client):
        assert status == 401 and challenge == 'Bearer realm="gochan.jobs"'
        assert doc == {"error": "missing or wrong secret: send Authorization: Bearer <secret>"}
    assert serving(lambda port: Client(port).call("GET", "/healthz", headers={})[:2]) == (200, {"status": "ok"})


def test_without_a_secret_configured_no_header_is_needed() -> None:
    got = serving(lambda port: Client(port).call("GET", "/v1/stats", headers={})[0], secret=None)
    assert got == 200


def test_a_body_of_exactly_1_mib_is_read_and_one_byte_more_is_413() -> None:
    def body(size: int) -> bytes:
        head = b'{"name": "echo", "payload": "'
        return head + b"x" * (size - len(head) - 2) + b'"}'

    def client(port: int) -> tuple[tuple[int, object], tuple[int, object], tuple[int, object]]:
        at_limit = Client(port).call("POST", "/v1/jobs", raw=body(MAX_BODY))[:2]
        over = Client(port).call("POST", "/v1/jobs", raw=body(MAX_BODY + 1))[:2]
        c = Client(port)  # chunked: no Content-Length to refuse up front; the count refuses it
        c.conn.request("POST", "/v1/jobs", body=iter([body(MAX_BODY + 1)]), headers=AUTH, encode_chunked=True)
        r = c.conn.getresponse()
        return at_limit, over, (r.status, json.loads(r.read()))

    at_limit, over, chunked = serving(client)
    assert at_limit[0] == 202
    too_big = {"error": f"the request body is over the limit of {MAX_BODY} bytes"}
    assert over == (413, too_big) and chunked == (413, too_big)


def test_keep_alive_serves_requests_one_after_another_on_one_connection() -> None:
    def client(port: int) -> list[int]:
        c = Client(port)
        statuses = [c.call("GET", "/v1/stats")[0]]
        sock = c.conn.sock
        statuses += [c.call("POST", "/v1/jobs", {"name": "echo"})[0], c.call("GET", "/v1/jobs/x")[0]]
        assert c.conn.sock is sock and sock is not None  # http.client would have reconnected after a close
        return statuses

    assert serving(client) == [200, 202, 404]


def test_pipelined_requests_are_answered_in_order() -> None:
    def client(port: int) -> bytes:
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s:
            req = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
            s.sendall(req + req + b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return b"".join(iter(lambda: s.recv(65536), b""))  # the server closes after the third

    replies = serving(client)
    assert replies.count(b"HTTP/1.1 200 ") == 3 and replies.lower().count(b"connection: close") == 1


def test_an_idle_connection_is_closed_after_the_idle_timeout() -> None:
    def client(port: int) -> bytes:
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s:
            return s.recv(100)  # b"": the server closed it (a socket timeout would raise instead)

    assert serving(client, idle_timeout=0.05) == b""


def test_a_malformed_request_gets_400_and_the_connection_closes() -> None:
    def client(port: int) -> bytes:
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s:
            s.sendall(b"NOT HTTP AT ALL\r\n\r\n")
            return b"".join(iter(lambda: s.recv(65536), b""))

    reply = serving(client)
    assert reply.startswith(b"HTTP/1.1 400 ") and b"malformed HTTP request" in reply


def test_shutdown_closes_idle_connections_and_stops_accepting() -> None:
    jobs = make_jobs(8, 1)

    def main() -> tuple[bytes, bool]:
        with jobs.serve(grace=0), net.listen("tcp", "127.0.0.1:0") as ln:
            srv = Server(jobs)
            served = go_done(lambda: srv.serve(ln))
            port = ln.addr().port
            s = to_thread(socket.create_connection, ("127.0.0.1", port), TIMEOUT)
            with s:
                assert to_thread(Client(port).call, "GET", "/healthz")[0] == 200  # the server is up
                srv.shutdown()
                served.recv()  # serve returned
                eof = to_thread(s.recv, 100)
            refused = False
            try:
                to_thread(socket.create_connection, ("127.0.0.1", port), TIMEOUT).close()
            except ConnectionRefusedError:
                refused = True
            return eof, refused

    assert run(main) == (b"", True)


def go_done(fn: Callable[[], object]) -> Chan[None]:
    """Run ``fn`` in a goroutine; the channel closes when it returns."""
    done: Chan[None] = Chan()

    def body() -> None:
        try:
            fn()
        finally:
            done.close()

    go(body)
    return done
