"""The command line of gochan.jobs: ``python -m gochan.jobs COMMAND`` (docs/jobs.md, *Command line*).

::

    worker APP --store URL --workers N [--grace S]   serve APP's handlers until SIGTERM/SIGINT, then drain
    submit NAME JSON [--key K] [--timeout S]         queue a job; print its id
    cancel ID                                        cancel a queued or running job
    status ID                                        one job
    ls [--state S] [--key K]                         jobs, oldest first
    stats                                            jobs per state
    serve [APP] --http HOST:PORT [--secret S]        the HTTP API (and APP's workers, when given)

``APP`` is ``package.module:attribute``: a ``Jobs`` whose handlers are registered, or a function
returning one. Every command takes ``--store URL`` (default: ``$GOCHAN_JOBS_STORE``; for ``worker``
and ``serve APP``, the app's own store) and ``--json``. A failing command prints one line,
``gochan.jobs: <what went wrong>``, on stderr and exits with one of the codes below — never a
traceback.

The worker shows what it runs: one line per job start and one per job end (``start ID NAME
attempt N``, ``end ID STATE SECONDSs [ERROR]``). It learns of both by observing its store's calls
(a wrapper around the store: claims start jobs; completions, cancels, supersedes and the lease
renewals that report a job gone end them), so nothing is sampled and nothing is missed.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Final, final

from gochan import context as gcontext
from gochan import go, run
from gochan import net as gnet
from gochan import signal as gsignal

from . import JSON, JobInfo, Jobs, QueueFullError, Retry, ShutdownError, State, Store, StoreUnavailableError, open_store
from .model import ClaimedJob, Outcome

if TYPE_CHECKING:
    from .http import Server

__all__ = ["Exit", "main"]

STORE_ENV: Final = "GOCHAN_JOBS_STORE"
SECRET_ENV: Final = "GOCHAN_JOBS_SECRET"
PROG: Final = "gochan.jobs"
_STORE_ERRORS: Final = (sqlite3.Error, StoreUnavailableError)  # a store that cannot be opened or reached


class Exit(IntEnum):
    """The exit codes of every command (docs/jobs.md, *Command line*)."""

    OK = 0
    ERROR = 1  # anything else: the HTTP address is taken, the http extra is missing, an unexpected error
    USAGE = 2  # bad arguments: argparse's own code; also a payload that is not JSON, an APP that does not load
    NOT_FOUND = 3  # no job with that id
    FINAL = 4  # cancel: the job already ended
    FULL = 5  # submit: "max capacity reached" (the HTTP API's 503)
    STORE = 6  # the store cannot be opened or reached
    SHUTDOWN = 7  # submit: the queue is shutting down


@final
class CLIError(Exception):
    """A command failed: the one line to print and the exit code."""

    def __init__(self, code: Exit, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# -- the worker's view of its store ------------------------------------------------------------------


@final
class _Tap:
    """A store that reports the jobs this worker starts and ends, then does what ``inner`` does.

    Store calls may run on several OS threads at once (``gochan.to_thread``): ``_held`` and the
    output are guarded by a lock. ``_held`` maps the jobs this worker started and has not seen end
    to (name, start time on the monotonic clock); a job leaves it at the first report of its end,
    so each job's end is shown once.
    """

    def __init__(self, inner: Store, emit: Callable[[dict[str, JSON]], None]) -> None:
        self.inner = inner
        self.clock = inner.clock
        self.durable = inner.durable
        self.blocking = inner.blocking
        self.poll_interval = inner.poll_interval
        self._emit = emit
        self._mu = threading.Lock()
        self._held: dict[str, tuple[str, float]] = {}

    def _ended(self, job_id: str, state: str, error: str | None = None, retry: bool = False) -> None:
        with self._mu:
            held = self._held.pop(job_id, None)
            if held is None:
                return
            event: dict[str, JSON] = {"event": "end", "id": job_id, "name": held[0], "state": state}
            event["seconds"] = round(time.monotonic() - held[1], 3)
            if retry:
                event["retry"] = True
            if error is not None:
                event["error"] = error
            self._emit(event)

    def submit(self, rec: JobInfo, capacity: int) -> str | None:
        old = self.inner.submit(rec, capacity)
        if old is not None:
            self._ended(old, State.SUPERSEDED)
        return old

    def submit_many(self, recs: Sequence[JobInfo], capacity: int) -> list[str | Exception | None]:
        out = self.inner.submit_many(recs, capacity)
        for old in out:
            if isinstance(old, str):
                self._ended(old, State.SUPERSEDED)
        return out

    def claim(
        self, worker: str, names: Collection[str], limit: int, lease_until: float, now: float
    ) -> list[ClaimedJob]:
        claimed = self.inner.claim(worker, names, limit, lease_until, now)
        with self._mu:
            for c in claimed:
                self._held[c.id] = (c.name, time.monotonic())
                self._emit({"event": "start", "id": c.id, "name": c.name, "attempt": c.attempts})
        return claimed

    def renew(self, worker: str, tokens: Mapping[str, int], lease_until: float | None) -> dict[str, State]:
        gone = self.inner.renew(worker, tokens, lease_until)
        for job_id, state in gone.items():
            self._ended(job_id, state if state.final else "lost")  # queued again: the lease was lost
        return gone

    def complete(self, job_id: str, token: int, outcome: Outcome, now: float) -> bool:
        return self.complete_many([(job_id, token, outcome)], now)[0]

    def complete_many(self, done: Sequence[tuple[str, int, Outcome]], now: float) -> list[bool]:
        oks = self.inner.complete_many(done, now)
        for (job_id, _token, outcome), ok in zip(done, oks, strict=True):
            self._completed(job_id, outcome, ok)
        return oks

    def _completed(self, job_id: str, outcome: Outcome, ok: bool) -> None:
        if ok:
            self._ended(job_id, outcome.state, outcome.error, retry=outcome.retry_at is not None)
        else:  # fenced out: whoever changed the job first decided its state
            info = self.inner.get(job_id)
            self._ended(job_id, "lost" if info is None or not info.state.final else info.state)

    def progress(self, job_id: str, token: int, fraction: float, message: str) -> bool:
        return self.inner.progress(job_id, token, fraction, message)

    def cancel(self, job_id: str, now: float) -> bool:
        ok = self.inner.cancel(job_id, now)
        if ok:
            self._ended(job_id, State.CANCELLED)
        return ok

    def hand_back(self, worker: str, tokens: Mapping[str, int], now: float) -> list[str]:
        back = self.inner.hand_back(worker, tokens, now)
        for job_id in back:
            self._ended(job_id, "handed_back")
        return back

    def reclaim(self, now: float) -> list[str]:
        return self.inner.reclaim(now)

    def on_notice(self, wake: Callable[[], None] | None) -> bool:
        return self.inner.on_notice(wake)

    def get(self, job_id: str) -> JobInfo | None:
        return self.inner.get(job_id)

    def list(
        self, state: State | None = None, key: str | None = None, limit: int = 1000, offset: int = 0
    ) -> list[JobInfo]:
        return self.inner.list(state, key, limit, offset)

    def counts(self) -> dict[State, int]:
        return self.inner.counts()

    def close(self) -> None:
        self.inner.close()


class _Printer:
    """Prints the worker's events: one line each, a table-like text or JSON (``--json``)."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json

    def __call__(self, event: dict[str, JSON]) -> None:
        if self.as_json:
            line = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
        elif event["event"] == "start":
            line = f"start {event['id']} {event['name']} attempt {event['attempt']}"
        elif event["event"] == "end":
            line = f"end {event['id']} {event['state']} {event['seconds']}s"
            if event.get("retry"):
                line += " (will retry)"
            if event.get("error"):
                line += f" {event['error']}"
        else:
            line = str(event["text"])
        print(line, flush=True)


# -- opening stores and apps -----------------------------------------------------------------------


def _store_url(args: argparse.Namespace) -> str:
    url: str | None = args.store or os.environ.get(STORE_ENV)
    if not url:
        raise CLIError(Exit.USAGE, f"no store given: pass --store URL (sqlite:///jobs.db) or set ${STORE_ENV}")
    return url


def _open(url: str, *, create: bool) -> Store:
    """Open the store at ``url``; with ``create`` False, a SQLite file that does not exist is an error
    (a mistyped path must not answer "no such job" from a fresh, empty store)."""
    if not create and url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.is_file():
            raise CLIError(Exit.STORE, f"cannot open the store {url}: {path} does not exist")
    try:
        return open_store(url)
    except ValueError as e:
        raise CLIError(Exit.USAGE, str(e)) from None
    except _STORE_ERRORS as e:
        raise CLIError(Exit.STORE, f"cannot open the store {url}: {e}") from None


def _client(args: argparse.Namespace, *, create: bool = False) -> Jobs:
    """A Jobs that only submits and reads: no handlers, never started."""
    url = _store_url(args)
    store = _open(url, create=create)
    if not store.durable:
        store.close()
        raise CLIError(
            Exit.USAGE, f"the store {url} lives inside one process: give a durable store (sqlite:///jobs.db)"
        )
    return Jobs(store, capacity=getattr(args, "capacity", None) or 1024, workers=0)


def _load_app(spec: str) -> Jobs:
    """``package.module:attribute`` → the Jobs it names (or that the function it names returns)."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise CLIError(Exit.USAGE, f"APP must be package.module:attribute, got {spec!r}")
    try:
        obj: object = importlib.import_module(module_name)
    except ImportError as e:
        raise CLIError(Exit.USAGE, f"cannot import {module_name!r} (is it on sys.path?): {e}") from None
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise CLIError(Exit.USAGE, f"{module_name!r} has no attribute {attr!r}") from None
    if not isinstance(obj, Jobs) and callable(obj) and _takes_no_arguments(obj):
        obj = obj()
    if not isinstance(obj, Jobs):
        raise CLIError(
            Exit.USAGE,
            f"{spec} is a {type(obj).__name__}, not a gochan.jobs.Jobs (or a function of no arguments returning one)",
        )
    return obj


def _takes_no_arguments(fn: Callable[..., object]) -> bool:
    try:
        inspect.signature(fn).bind()
    except (TypeError, ValueError):  # arguments required, or no signature to tell
        return False
    return True


def _app(args: argparse.Namespace, emit: _Printer) -> Jobs:
    """The app's Jobs, on ``--store`` when given, its store tapped to show what it runs."""
    jobs = _load_app(args.app)
    if args.store or os.environ.get(STORE_ENV):
        store = _open(_store_url(args), create=True)
        jobs.store.close()
        jobs.store = store
    jobs.store = _Tap(jobs.store, emit)
    if args.workers is not None:
        jobs.resize(args.workers)
    if args.capacity is not None:
        jobs.capacity = args.capacity
    return jobs


# -- commands --------------------------------------------------------------------------------------


def _out(args: argparse.Namespace, doc: JSON, text: str) -> None:
    print(json.dumps(doc, ensure_ascii=False, indent=2) if args.json else text, flush=True)


def cmd_submit(args: argparse.Namespace) -> Exit:
    text = sys.stdin.read() if args.payload == "-" else args.payload
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as e:
        raise CLIError(Exit.USAGE, f"the payload is not valid JSON: {e}") from None
    retry = None if args.attempts is None else Retry(attempts=args.attempts)
    jobs = _client(args, create=True)
    try:
        job_id = jobs.try_submit(args.name, payload, key=args.key, timeout=args.timeout, retry=retry)
    except QueueFullError as e:
        raise CLIError(Exit.FULL, str(e)) from None
    except ShutdownError as e:
        raise CLIError(Exit.SHUTDOWN, str(e)) from None
    except (TypeError, ValueError) as e:
        raise CLIError(Exit.USAGE, str(e)) from None
    finally:
        jobs.store.close()
    _out(args, {"id": job_id}, job_id)
    return Exit.OK


def _must_get(jobs: Jobs, job_id: str) -> JobInfo:
    info = jobs.get(job_id)
    if info is None:
        raise CLIError(Exit.NOT_FOUND, f"no job with id {job_id!r}")
    return info


def cmd_cancel(args: argparse.Namespace) -> Exit:
    jobs = _client(args)
    try:
        if not jobs.cancel(args.id):
            info = _must_get(jobs, args.id)
            raise CLIError(Exit.FINAL, f"job {args.id!r} is already {info.state}: it can no longer be cancelled")
        info = _must_get(jobs, args.id)
    finally:
        jobs.store.close()
    _out(args, info.to_dict(), f"cancelled {args.id}")
    return Exit.OK


def cmd_status(args: argparse.Namespace) -> Exit:
    jobs = _client(args)
    try:
        info = _must_get(jobs, args.id)
    finally:
        jobs.store.close()
    _out(args, info.to_dict(), _describe(info))
    return Exit.OK


def cmd_ls(args: argparse.Namespace) -> Exit:
    jobs = _client(args)
    try:
        infos = jobs.list(state=args.state, key=args.key, limit=args.limit, offset=args.offset)
    finally:
        jobs.store.close()
    rows = [
        [
            i.id,
            i.name,
            str(i.state),
            i.key or "-",
            f"{i.attempts}/{i.retry.attempts}",
            _progress(i),
            _when(i.created_at),
        ]
        for i in infos
    ]
    header = ["ID", "NAME", "STATE", "KEY", "ATTEMPTS", "PROGRESS", "CREATED"]
    _out(args, [i.to_dict() for i in infos], _table(header, rows))
    return Exit.OK


def cmd_stats(args: argparse.Namespace) -> Exit:
    jobs = _client(args)
    try:
        counts = jobs.stats().counts
    finally:
        jobs.store.close()
    rows = [[str(s), str(n)] for s, n in counts.items()]
    rows.append(["total", str(sum(counts.values()))])
    _out(args, {"counts": {str(s): n for s, n in counts.items()}}, _table(["STATE", "JOBS"], rows))
    return Exit.OK


def _serve_until_signal(jobs: Jobs, grace: float | None, emit: _Printer, server: Server | None) -> Exit:
    """Serve until SIGTERM or SIGINT; then stop the HTTP server (if any) and drain the jobs.

    Go: ``ctx, stop := signal.NotifyContext(ctx, SIGTERM, SIGINT); <-ctx.Done(); stop()``: after
    the first signal the default actions are back, so a second one ends the process at once.
    """
    with (
        gsignal.notify_context(gcontext.background(), signal.SIGTERM, signal.SIGINT) as (ctx, stop),
        jobs.serve(grace),
    ):
        done = ctx.done()
        assert done is not None
        done.recv()
        stop()
        wait = jobs.grace if grace is None else grace
        emit({"event": "draining", "text": f"draining: running jobs get {wait}s; signal again to exit at once"})
        if server is not None:
            with gcontext.with_timeout(gcontext.background(), wait) as (sctx, _):
                server.shutdown(sctx)
    report = jobs.last_report
    assert report is not None
    text = (
        f"stopped: {report.finished} finished while draining, {len(report.handed_back)} handed back, "
        f"{len(report.ignored)} still running"
    )
    emit(
        {
            "event": "stopped",
            "text": text,
            "finished": report.finished,
            "handed_back": list(report.handed_back),
            "ignored": list(report.ignored),
        }
    )
    return Exit.OK


def cmd_worker(args: argparse.Namespace) -> Exit:
    emit = _Printer(args.json)
    jobs = _app(args, emit)
    emit(
        {
            "event": "ready",
            "worker": jobs.worker_id,
            "workers": jobs.workers,
            "capacity": jobs.capacity,
            "text": f"worker {jobs.worker_id}: {jobs.workers} workers; SIGTERM or SIGINT drains",
        }
    )
    try:
        return _serve_until_signal(jobs, args.grace, emit, None)
    finally:
        jobs.store.close()


def cmd_serve(args: argparse.Namespace) -> Exit:
    try:
        from .http import Server
    except ImportError as e:
        raise CLIError(Exit.ERROR, f"serve --http needs h11: pip install 'pygochan[http]' ({e})") from None
    emit = _Printer(args.json)
    jobs = _app(args, emit) if args.app is not None else _client(args, create=True)
    secret = args.secret or os.environ.get(SECRET_ENV) or None
    try:
        ln = gnet.listen("tcp", args.http)
    except (OSError, ValueError) as e:
        jobs.store.close()
        raise CLIError(Exit.ERROR, f"cannot listen on {args.http}: {e}") from None
    server = Server(jobs, secret=secret)
    go(server.serve, ln)
    warning = "" if secret else "; no --secret: anyone who can connect may submit and cancel"
    emit({"event": "listening", "address": str(ln.addr()), "text": f"listening on http://{ln.addr()}{warning}"})
    try:
        return _serve_until_signal(jobs, args.grace, emit, server)
    finally:
        ln.close()
        jobs.store.close()


# -- text ------------------------------------------------------------------------------------------


def _when(t: float | None) -> str:
    return "-" if t is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))


def _progress(i: JobInfo) -> str:
    if i.progress is None:
        return "-"
    return f"{i.progress:.0%}" + (f" {i.message}" if i.message else "")


def _table(header: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return "(no jobs)"
    widths = [max(len(r[k]) for r in [header, *rows]) for k in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [header, *rows])


def _describe(i: JobInfo) -> str:
    fields = [
        ("id", i.id),
        ("name", i.name),
        ("state", str(i.state)),
        ("key", i.key or "-"),
        ("payload", i.payload_json),
        ("timeout", "-" if i.timeout is None else f"{i.timeout}s"),
        ("attempts", f"{i.attempts}/{i.retry.attempts}"),
        ("worker", i.worker or "-"),
        ("progress", _progress(i)),
        ("created", _when(i.created_at)),
        ("started", _when(i.started_at)),
        ("finished", _when(i.finished_at)),
    ]
    if i.state is State.SUCCEEDED:
        fields.append(("result", i.result_json or "null"))
    if i.error:
        fields.append(("error", i.error))
    return "\n".join(f"{k:<9} {v}" for k, v in fields)


# -- arguments -------------------------------------------------------------------------------------


def _positive(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        v = -1.0
    if not 0 < v < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return v


def _count(least: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not text.isdigit() or int(text) < least:
            raise argparse.ArgumentTypeError(f"must be an integer >= {least}, got {text!r}")
        return int(text)

    return parse


def parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m gochan.jobs``."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--store", metavar="URL", help=f"sqlite:///jobs.db or memory:// (default: ${STORE_ENV})")
    common.add_argument("--json", action="store_true", help="print JSON instead of text")
    codes = "\n".join(f"  {c.value}  {c.name.lower()}" for c in Exit)
    p = argparse.ArgumentParser(
        prog=f"python -m {PROG}",
        description="Run, submit, inspect and cancel gochan.jobs jobs.",
        epilog=f"exit codes:\n{codes}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def runner(cmd: argparse.ArgumentParser, http: bool) -> None:
        cmd.add_argument("--workers", type=_count(0), help="handlers run at once (default: the app's)")
        cmd.add_argument("--capacity", type=_count(1), help="queued jobs at most (default: the app's)")
        cmd.add_argument(
            "--grace", type=float, help="seconds running jobs get to finish on SIGTERM (default: the app's)"
        )
        if http:
            cmd.add_argument("--http", required=True, metavar="HOST:PORT", help="where to listen (port 0: any)")
            cmd.add_argument("--secret", help=f"the bearer secret requests must carry (default: ${SECRET_ENV})")

    w = sub.add_parser("worker", parents=[common], help="run APP's handlers until SIGTERM or SIGINT")
    w.add_argument("app", metavar="APP", help="package.module:attribute naming a Jobs")
    runner(w, http=False)
    w.set_defaults(fn=cmd_worker)

    s = sub.add_parser("submit", parents=[common], help="queue a job; print its id")
    s.add_argument("name", metavar="NAME", help="the handler's name")
    s.add_argument("payload", metavar="JSON", nargs="?", default="null", help="the payload (- reads stdin)")
    s.add_argument("--key", help="latest wins: supersede the live job with this key")
    s.add_argument("--timeout", type=_positive, help="seconds a run may take")
    s.add_argument("--attempts", type=_count(1), help="runs in all when it fails (default 1: no retry)")
    s.add_argument("--capacity", type=_count(1), default=1024, help="queued jobs at most (default 1024)")
    s.set_defaults(fn=cmd_submit)

    c = sub.add_parser("cancel", parents=[common], help="cancel a queued or running job")
    c.add_argument("id", metavar="ID")
    c.set_defaults(fn=cmd_cancel)

    st = sub.add_parser("status", parents=[common], help="show one job")
    st.add_argument("id", metavar="ID")
    st.set_defaults(fn=cmd_status)

    ls = sub.add_parser("ls", parents=[common], help="list jobs, oldest first")
    ls.add_argument("--state", choices=[str(s) for s in State])
    ls.add_argument("--key")
    ls.add_argument("--limit", type=_count(1), default=1000)
    ls.add_argument("--offset", type=_count(0), default=0, help="skip this many jobs first (paging)")
    ls.set_defaults(fn=cmd_ls)

    sub.add_parser("stats", parents=[common], help="jobs per state").set_defaults(fn=cmd_stats)

    sv = sub.add_parser("serve", parents=[common], help="serve the HTTP API (and APP's workers)")
    sv.add_argument("app", metavar="APP", nargs="?", help="package.module:attribute: also run its handlers")
    runner(sv, http=True)
    sv.set_defaults(fn=cmd_serve)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit code (:class:`Exit`)."""
    args = parser().parse_args(argv)
    fn: Callable[[argparse.Namespace], Exit] = args.fn
    try:
        return int(run(fn, args))
    except CLIError as e:
        _fail(e.message)
        return e.code
    except _STORE_ERRORS as e:
        _fail(f"the store is unavailable: {e}")
        return Exit.STORE
    except KeyboardInterrupt:
        _fail("interrupted")
        return 128 + signal.SIGINT
    except Exception as e:  # noqa: BLE001 - a command fails with one line, never a traceback (DESIGN §6)
        _fail(f"unexpected error: {type(e).__name__}: {e}")
        return Exit.ERROR


def _fail(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)
