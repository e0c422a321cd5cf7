"""The HTTP API of a job queue: the seeds' job server, on gochan.net goroutines and h11.

Go: ``http.Server{Handler: mux, ReadTimeout, IdleTimeout}`` with ``srv.Serve(ln)`` and
``srv.Shutdown(ctx)``: one goroutine accepts, one goroutine per connection serves its requests one
at a time (HTTP/1.1 keep-alive; a pipelined request waits for the response before it). HTTP is
parsed and written by h11, a sans-IO HTTP/1.1 library: this module only moves bytes between a
``net.Conn`` and an ``h11.Connection`` and routes the requests (docs/jobs.md, *HTTP API*)::

    POST   /v1/jobs            202 {"id": ...}; 503 {"error": "max capacity reached"}
    GET    /v1/jobs?state=S    200 {"jobs": [...]}, oldest first (also key=, limit=, offset=)
    GET    /v1/jobs/{id}       200 the job; 404
    DELETE /v1/jobs/{id}       200 the cancelled job; 404; 409 when already final
    GET    /v1/stats           200 counts per state, totals, capacity
    GET    /healthz            200 {"status": "ok"} (no secret needed)

Every error is JSON ``{"error": "<one sentence>"}``: 400 bad JSON or fields (with the reason),
401 without the bearer secret, 404 unknown path or id, 405 wrong method (with ``Allow``), 413 a
body over ``max_body`` (1 MiB), 503 a full queue, a shutdown or an unreachable store.

Invariants:
  a connection's goroutine is the only reader and writer of its Conn and its h11.Connection
  c in _conns            iff  the goroutine serving c has not returned
  _conns[c] is True      iff  c waits for the first event of a request (idle: shutdown may close it)
"""

from __future__ import annotations

import hmac
import json
import sqlite3
import sys
from collections.abc import Callable, Sequence
from typing import Any, Final, cast, final
from urllib.parse import parse_qs, unquote, urlsplit

import h11

from gochan import Chan, go, now, recv, select, sleep
from gochan import net as gnet
from gochan.context import Context

from . import JSON, Jobs, QueueFullError, Retry, ShutdownError, State

__all__ = ["MAX_BODY", "HTTPError", "Server"]

MAX_BODY: Final = 1 << 20
"""The largest request body accepted (1 MiB); a larger one gets 413."""

_MAX_HEAD: Final = 16 << 10  # request line + headers: h11 answers 431 beyond this
_READ_SIZE: Final = 65536
_LINGER_SECONDS: Final = 2.0  # after a 413: how long, and how much, of the refused body to drop
_LINGER_BYTES: Final = 8 * MAX_BODY
_STORE_ERRORS: Final = (sqlite3.Error,)  # what a store raises when it cannot be reached
_RETRY_FIELDS: Final = ("attempts", "backoff", "factor", "max_backoff", "jitter")
_SUBMIT_FIELDS: Final = frozenset({"name", "payload", "key", "timeout", "retry"})

Headers = list[tuple[str, str]]


@final
class HTTPError(Exception):
    """A request the API refuses: the status and the one-sentence reason sent as ``{"error": ...}``."""

    def __init__(self, status: int, reason: str, headers: Headers | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = headers or []


@final
class Server:
    """Serve the HTTP API of ``jobs`` (Go: ``http.Server``): :meth:`serve` a listener, :meth:`shutdown`.

    ``secret``: when set, every request but ``/healthz`` must carry ``Authorization: Bearer
    <secret>`` (compared in constant time) or gets 401. ``idle_timeout``: how long a connection may
    wait for (the head of) its next request; ``read_timeout``: for a request's body;
    ``write_timeout``: for a response (net deadlines; a connection past one is closed).
    ``log``: called with one line per request (method, target, status), or None.
    """

    def __init__(
        self,
        jobs: Jobs,
        *,
        secret: str | None = None,
        idle_timeout: float = 60.0,
        read_timeout: float = 30.0,
        write_timeout: float = 30.0,
        max_body: int = MAX_BODY,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.jobs = jobs
        self._auth = None if secret is None else f"Bearer {secret}".encode()
        self.idle_timeout = idle_timeout
        self.read_timeout = read_timeout
        self.write_timeout = write_timeout
        self.max_body = max_body
        self.log = log
        self._listeners: list[gnet.Listener] = []
        self._conns: dict[gnet.Conn, bool] = {}
        self._closing = False
        self._drained: Chan[None] | None = None  # closed once shutdown began and no connection is left

    # -- serving ------------------------------------------------------------------------------------

    def serve(self, ln: gnet.Listener) -> None:
        """Accept connections on ``ln`` until it is closed, one goroutine each (Go: ``srv.Serve(ln)``).

        Returns when ``ln`` is closed (by :meth:`shutdown`). A failing accept (out of file
        descriptors) is retried after a growing pause, as Go's server does, rather than ending it.
        """
        self._listeners.append(ln)
        pause = 0.0
        while True:
            try:
                c = ln.accept()
            except gnet.ClosedError:
                return
            except OSError as e:
                if self._closing:
                    return
                pause = min(1.0, pause * 2 or 0.005)
                self._note(f"http: accept error: {e}; retrying in {pause}s")
                sleep(pause)
                continue
            pause = 0.0
            if self._closing:
                c.close()
                continue
            self._conns[c] = True
            go(self._serve_conn, c)

    def shutdown(self, ctx: Context | None = None) -> None:
        """Stop serving gracefully (Go: ``srv.Shutdown(ctx)``).

        Closes the listeners and the idle connections, lets each request in progress finish (its
        response says ``Connection: close``), and waits until every connection is closed or
        ``ctx`` is done — then closes what is left.
        """
        self._closing = True
        for ln in self._listeners:
            ln.close()
        for c, idle in list(self._conns.items()):
            if idle:
                c.close()
        if not self._conns:
            return
        self._drained = Chan()
        done = ctx.done() if ctx is not None else None
        select(recv(self._drained), recv(done))
        for c in list(self._conns):
            c.close()

    def _serve_conn(self, c: gnet.Conn) -> None:
        """One connection's goroutine: read a request, answer it, again while the connection lives."""
        hc = h11.Connection(h11.SERVER, max_incomplete_event_size=_MAX_HEAD)
        try:
            while not self._closing:
                self._conns[c] = True
                event = self._next_event(c, hc, self.idle_timeout)
                self._conns[c] = False
                if not isinstance(event, h11.Request):
                    return  # ConnectionClosed: the client hung up between requests
                self._exchange(c, hc, event)
                if hc.their_state is not h11.DONE and hc.their_state is not h11.MUST_CLOSE:
                    self._linger(c)  # a body left unread (413): let the client finish sending, then read our answer
                    return
                if hc.our_state is not h11.DONE:
                    return  # MUST_CLOSE: Connection: close, HTTP/1.0
                hc.start_next_cycle()
        except h11.RemoteProtocolError as e:
            self._try_error(c, hc, HTTPError(e.error_status_hint, f"malformed HTTP request: {e}"))
        except OSError:  # closed by shutdown, reset by the peer, a deadline (IOTimeoutError)
            pass
        finally:
            c.close()
            del self._conns[c]
            if self._drained is not None and not self._conns:
                self._drained.close()

    def _linger(self, c: gnet.Conn) -> None:
        """Close after refusing a body, without resetting the connection under the client's feet.

        A client that is still sending its body reads our response only after it is done; closing
        with unread data would reset the connection and lose the response. So: end our side, then
        read and drop what the client still sends, up to a budget and a deadline (Apache's
        lingering close; Go's server reads up to 256 KiB for the same reason).
        """
        c.close_write()
        c.set_read_deadline(now() + _LINGER_SECONDS)
        budget = _LINGER_BYTES
        while budget > 0 and (data := c.read(_READ_SIZE)):
            budget -= len(data)

    def _next_event(self, c: gnet.Conn, hc: h11.Connection, timeout: float) -> object:
        """The next h11 event, reading from ``c`` as h11 needs, within ``timeout`` seconds."""
        c.set_read_deadline(now() + timeout)
        while True:
            event = hc.next_event()
            if event is not h11.NEED_DATA:
                return event
            hc.receive_data(c.read(_READ_SIZE))  # b"" at EOF: h11 turns it into ConnectionClosed or an error

    def _exchange(self, c: gnet.Conn, hc: h11.Connection, req: h11.Request) -> None:
        """Read ``req``'s body, route it, write the response.

        An OSError (deadline, reset) or a malformed body ends the connection: it propagates.
        """
        method = req.method.decode("ascii", "replace")
        target = req.target.decode("ascii", "replace")
        try:
            body = self._read_body(c, hc, req)
            status, doc, headers = self._handle(method, target, req.headers, body)
        except HTTPError as e:
            status, doc, headers = e.status, {"error": e.reason}, e.headers
        self._respond(c, hc, status, doc, headers, head=method == "HEAD")
        if self.log is not None:
            self.log(f"{method} {target} {status}")

    def _handle(self, method: str, target: str, headers: Sequence[tuple[bytes, bytes]], body: bytes) -> _Reply:
        """Route one request; a failure of the store or of this code is a 503 or a 500, never a crash."""
        try:
            return self._route(method, target, headers, body)
        except HTTPError:
            raise
        except _STORE_ERRORS as e:
            raise HTTPError(503, f"the job store is unavailable: {e}") from None
        except Exception as e:  # noqa: BLE001 - one request's failure must not end the server
            self._note(f"http: {method} {target}: {type(e).__name__}: {e}")
            raise HTTPError(500, f"internal error: {type(e).__name__}") from None

    def _read_body(self, c: gnet.Conn, hc: h11.Connection, req: h11.Request) -> bytes:
        for name, value in req.headers:
            if name == b"content-length" and int(value) > self.max_body:
                raise HTTPError(413, f"the request body is over the limit of {self.max_body} bytes")
        if hc.they_are_waiting_for_100_continue:
            c.set_write_deadline(now() + self.write_timeout)
            c.write(hc.send(h11.InformationalResponse(status_code=100, headers=[])) or b"")
        parts: list[bytes] = []
        size = 0
        deadline = self.read_timeout
        while True:
            event = self._next_event(c, hc, deadline)
            if isinstance(event, h11.EndOfMessage):
                return b"".join(parts)
            if not isinstance(event, h11.Data):  # h11 raises for a truncated body; nothing else can come
                raise HTTPError(400, f"unexpected HTTP event {type(event).__name__} in a request body")
            size += len(event.data)
            if size > self.max_body:  # chunked: no length to refuse up front
                raise HTTPError(413, f"the request body is over the limit of {self.max_body} bytes")
            parts.append(event.data)

    def _respond(  # noqa: PLR0917 - one response's parts
        self, c: gnet.Conn, hc: h11.Connection, status: int, doc: JSON, headers: Headers, head: bool
    ) -> None:
        body = (json.dumps(doc, separators=(",", ":"), ensure_ascii=False) + "\n").encode()
        all_headers = [("content-type", "application/json"), ("content-length", str(len(body))), *headers]
        if self._closing or hc.their_state is not h11.DONE:  # shutting down, or a body we will not read
            all_headers.append(("connection", "close"))
        out = hc.send(h11.Response(status_code=status, headers=all_headers)) or b""
        if not head:
            out += hc.send(h11.Data(data=body)) or b""
        out += hc.send(h11.EndOfMessage()) or b""
        c.set_write_deadline(now() + self.write_timeout)
        c.write(out)

    def _try_error(self, c: gnet.Conn, hc: h11.Connection, e: HTTPError) -> None:
        """Answer a request h11 could not parse, when HTTP still allows a response."""
        if hc.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
            return
        try:
            self._respond(c, hc, e.status, {"error": e.reason}, [], head=False)
        except (OSError, h11.LocalProtocolError):
            pass

    def _note(self, line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    # -- routing ------------------------------------------------------------------------------------

    def _route(self, method: str, target: str, headers: Sequence[tuple[bytes, bytes]], body: bytes) -> _Reply:
        url = urlsplit(target)
        path = url.path
        if path == "/healthz":
            _allow(method, "GET")
            return 200, {"status": "ok"}, []
        self._authorize(headers)
        query = parse_qs(url.query, keep_blank_values=True)
        if path == "/v1/jobs":
            if _allow(method, "GET", "POST") == "POST":
                return self._submit(body)
            return self._list(query)
        if path == "/v1/stats":
            _allow(method, "GET")
            return self._stats()
        if path.startswith("/v1/jobs/") and "/" not in path[len("/v1/jobs/") :]:
            job_id = unquote(path[len("/v1/jobs/") :])
            if _allow(method, "GET", "DELETE") == "DELETE":
                return self._cancel(job_id)
            return self._get(job_id)
        raise HTTPError(404, f"no such path {path!r}: the API serves /v1/jobs, /v1/jobs/{{id}}, /v1/stats, /healthz")

    def _authorize(self, headers: Sequence[tuple[bytes, bytes]]) -> None:
        if self._auth is None:
            return
        got = next((v for k, v in headers if k == b"authorization"), b"")
        if not hmac.compare_digest(got, self._auth):
            raise HTTPError(
                401,
                "missing or wrong secret: send Authorization: Bearer <secret>",
                [("www-authenticate", 'Bearer realm="gochan.jobs"')],
            )

    def _submit(self, body: bytes) -> _Reply:
        req = _submission(body)
        retry = req.get("retry")
        try:
            job_id = self.jobs.try_submit(
                _str(req, "name", required=True) or "",
                req.get("payload"),
                key=_str(req, "key"),
                timeout=_number(req, "timeout"),
                retry=None if retry is None else _retry(retry),
            )
        except QueueFullError as e:
            raise HTTPError(503, str(e)) from None  # the seed's "max capacity reached"
        except ShutdownError as e:
            raise HTTPError(503, str(e)) from None
        except (TypeError, ValueError) as e:
            raise HTTPError(400, str(e)) from None
        return 202, {"id": job_id}, [("location", f"/v1/jobs/{job_id}")]

    def _get(self, job_id: str) -> _Reply:
        info = self.jobs.get(job_id)
        if info is None:
            raise HTTPError(404, f"no job with id {job_id!r}")
        return 200, info.to_dict(), []

    def _cancel(self, job_id: str) -> _Reply:
        if self.jobs.cancel(job_id):
            info = self.jobs.get(job_id)
            return 200, None if info is None else info.to_dict(), []
        info = self.jobs.get(job_id)
        if info is None:
            raise HTTPError(404, f"no job with id {job_id!r}")
        raise HTTPError(409, f"job {job_id!r} is already {info.state}: only a queued or running job can be cancelled")

    def _list(self, query: dict[str, list[str]]) -> _Reply:
        state = query.get("state", [""])[-1] or None
        if state is not None and state not in {s.value for s in State}:
            raise HTTPError(400, f"unknown state {state!r}: use one of {', '.join(State)}")
        limit_text = query.get("limit", ["1000"])[-1]
        if not limit_text.isdigit() or int(limit_text) < 1:
            raise HTTPError(400, f"limit must be a positive integer, got {limit_text!r}")
        key = query.get("key", [""])[-1] or None
        offset_text = query.get("offset", ["0"])[-1]
        if not offset_text.isdigit():
            raise HTTPError(400, f"offset must be a non-negative integer, got {offset_text!r}")
        jobs = self.jobs.list(state=state, key=key, limit=int(limit_text), offset=int(offset_text))
        return 200, {"jobs": [j.to_dict() for j in jobs]}, []

    def _stats(self) -> _Reply:
        s = self.jobs.stats()
        doc: dict[str, JSON] = {
            "counts": {str(k): v for k, v in s.counts.items()},
            "totals": dict(s.totals),
            "running": s.running,
            "workers": s.workers,
            "capacity": s.capacity,
        }
        return 200, doc, []


_Reply = tuple[int, JSON, Headers]


def _allow(method: str, *methods: str) -> str:
    """``method`` when the path serves it, else 405 with ``Allow`` (Go 1.22's method-aware mux)."""
    if method in methods:
        return method
    raise HTTPError(
        405, f"method {method} is not allowed here: use {' or '.join(methods)}", [("allow", ", ".join(methods))]
    )


def _submission(body: bytes) -> dict[str, JSON]:
    try:
        req = json.loads(body)
    except UnicodeDecodeError as e:
        raise HTTPError(400, f"the body is not UTF-8 JSON: {e}") from None
    except json.JSONDecodeError as e:
        raise HTTPError(400, f"the body is not valid JSON: {e}") from None
    if not isinstance(req, dict):
        raise HTTPError(400, 'the body must be a JSON object: {"name": ..., "payload": ...}')
    unknown = sorted(set(req) - _SUBMIT_FIELDS)
    if unknown:
        raise HTTPError(400, f"unknown field {unknown[0]!r}: a job has {', '.join(sorted(_SUBMIT_FIELDS))}")
    return req


def _str(req: dict[str, JSON], field: str, *, required: bool = False) -> str | None:
    v = req.get(field)
    if v is None and not required:
        return None
    if not isinstance(v, str) or not v:
        raise HTTPError(400, f"{field!r} must be a non-empty string, got {json.dumps(v)}")
    return v


def _number(req: dict[str, JSON], field: str) -> float | None:
    v = req.get(field)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise HTTPError(400, f"{field!r} must be a number of seconds, got {json.dumps(v)}")
    return float(v)


def _retry(v: JSON) -> Retry:
    if not isinstance(v, dict) or set(v) - set(_RETRY_FIELDS):
        raise HTTPError(400, f"'retry' must be an object with some of {', '.join(_RETRY_FIELDS)}")
    for name, value in v.items():
        if isinstance(value, bool) or not isinstance(value, int if name == "attempts" else (int, float)):
            raise HTTPError(400, f"retry.{name} must be a number, got {json.dumps(value)}")
    try:
        return Retry(**cast("dict[str, Any]", v))  # every value was checked to be a number just above
    except (TypeError, ValueError) as e:
        raise HTTPError(400, str(e)) from None
