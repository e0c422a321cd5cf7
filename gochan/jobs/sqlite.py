"""The SQLite store: durable on one machine, shared by several worker processes (``sqlite:///jobs.db``).

Design. One table, one row per job; WAL mode so that readers never wait for the writer. Each store
operation is one SQLite transaction: a single ``UPDATE`` where one statement decides (cancel,
complete, progress), ``BEGIN IMMEDIATE`` where a read decides a write (the capacity count in
submit, the claim), so that the bound holds across processes: IMMEDIATE takes the database's write
lock before the count, and no other process can insert between the count and the insert.

A claim is optimistic, as the seed's ``/rpc/v1/accept``: candidates are read without a lock, then
each is taken with ``UPDATE ... SET state='running', version=version+1, ... WHERE id=? AND
version=?``; a row another process took meanwhile matches nothing and is skipped. The version is
the lease token: cancel, supersede, reclaim and hand-back all bump it, so a worker that lost its job
can record nothing (completion is ``... WHERE id=? AND version=? AND state='running'``).

Calls block (disk, the write lock of another process): the runtime makes them with
``gochan.to_thread``. One connection per store, used by one thread at a time (a lock).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from typing import Final, final

from .model import ClaimedJob, JobInfo, Outcome, QueueFullError, Retry, State
from .store import MAX_LOST

__all__ = ["SqliteStore"]

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    key TEXT,
    timeout REAL,
    retry TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 0,
    worker TEXT,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    run_after REAL NOT NULL,
    result TEXT,
    error TEXT,
    progress REAL,
    message TEXT,
    lease_until REAL,
    lost INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_queue ON jobs (run_after) WHERE state = 'queued';
CREATE INDEX IF NOT EXISTS jobs_live_key ON jobs (key) WHERE state IN ('queued', 'running');
CREATE INDEX IF NOT EXISTS jobs_lease ON jobs (lease_until) WHERE state = 'running';
"""

_COLUMNS: Final = (
    "id, name, payload, state, key, timeout, retry, attempts, version, worker, created_at, started_at, "
    "finished_at, run_after, result, error, progress, message"
)

Row = tuple[
    str,
    str,
    str,
    str,
    str | None,
    float | None,
    str,
    int,
    int,
    str | None,
    float,
    float | None,
    float | None,
    float,
    str | None,
    str | None,
    float | None,
    str | None,
]


def _info(r: Row) -> JobInfo:
    return JobInfo(
        r[0],
        r[1],
        r[2],
        State(r[3]),
        r[4],
        r[5],
        Retry.decode(r[6]),
        *r[7:],
    )


@final
class SqliteStore:
    """Jobs in a SQLite file, shared by the processes that open it. See :class:`gochan.jobs.store.Store`."""

    durable = True
    blocking = True

    def __init__(self, path: str, *, clock: Callable[[], float] = time.time, poll_interval: float = 0.01) -> None:
        self.path = path
        self.clock = clock
        self.poll_interval = poll_interval
        self._mu = threading.Lock()
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=60.0)
        self._setup()

    def _setup(self) -> None:
        """WAL mode and the schema (idempotent). Switching to WAL while another process opens the file
        may report "database is locked" without waiting (SQLite's busy handler does not cover it)."""
        deadline = time.monotonic() + 60.0
        while True:
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.executescript(SCHEMA)
                return
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def __repr__(self) -> str:
        return f"SqliteStore({self.path!r})"

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction holding the database's write lock from its first statement."""
        with self._mu:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._mu:
            yield self._db

    @staticmethod
    def _queued(db: sqlite3.Connection) -> int:
        n: int = db.execute("SELECT count(*) FROM jobs WHERE state = 'queued'").fetchone()[0]
        return n

    # -- the store interface ----------------------------------------------------------------------

    def submit(self, rec: JobInfo, capacity: int) -> str | None:
        with self._tx() as db:
            old: tuple[str, str] | None = None
            if rec.key is not None:
                old = db.execute(
                    "SELECT id, state FROM jobs WHERE key = ? AND state IN ('queued', 'running')", (rec.key,)
                ).fetchone()
            if (old is None or old[1] != "queued") and self._queued(db) >= capacity:
                raise QueueFullError
            if old is not None:
                db.execute(
                    "UPDATE jobs SET state = 'superseded', version = version + 1, finished_at = ?, lease_until = NULL"
                    " WHERE id = ?",
                    (rec.created_at, old[0]),
                )
            try:
                db.execute(
                    "INSERT INTO jobs (id, name, payload, state, key, timeout, retry, created_at, run_after)"
                    " VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?)",
                    (rec.id, rec.name, rec.payload_json, rec.key, rec.timeout, rec.retry.encode(), rec.created_at,
                     rec.run_after),
                )  # fmt: skip
            except sqlite3.IntegrityError:
                raise ValueError(f"jobs: a job with id {rec.id!r} already exists") from None
            return None if old is None else old[0]

    def claim(
        self, worker: str, names: Collection[str], limit: int, lease_until: float, now: float
    ) -> list[ClaimedJob]:
        names = list(names)
        marks = ",".join("?" * len(names))
        with self._mu:
            db = self._db
            candidates: list[tuple[str, int]] = db.execute(
                f"SELECT id, version FROM jobs WHERE state = 'queued' AND run_after <= ? AND name IN ({marks})"
                " ORDER BY run_after, rowid LIMIT ?",
                (now, *names, limit),
            ).fetchall()
            if not candidates:
                return []
            out = []
            db.execute("BEGIN IMMEDIATE")
            try:
                for job_id, version in candidates:
                    row = db.execute(
                        "UPDATE jobs SET state = 'running', version = version + 1, worker = ?, lease_until = ?,"
                        " attempts = attempts + 1, started_at = ?, progress = NULL, message = NULL"
                        " WHERE id = ? AND version = ? AND state = 'queued'"
                        " RETURNING id, name, payload, key, timeout, retry, attempts, version",
                        (worker, lease_until, now, job_id, version),
                    ).fetchone()
                    if row is not None:
                        out.append(ClaimedJob(row[0], row[1], row[2], row[3], row[4], Retry.decode(row[5]), *row[6:]))
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            return out

    def renew(self, worker: str, tokens: Mapping[str, int], lease_until: float | None) -> dict[str, State]:
        if not tokens:
            return {}
        ids = list(tokens)
        marks = ",".join("?" * len(ids))
        with self._mu:
            db = self._db
            if lease_until is not None:
                db.execute(
                    "UPDATE jobs SET lease_until = ? WHERE worker = ? AND state = 'running'", (lease_until, worker)
                )
            rows = db.execute(f"SELECT id, state, version FROM jobs WHERE id IN ({marks})", ids).fetchall()
        return {i: State(s) for i, s, v in rows if s != "running" or v != tokens[i]}

    def complete(self, job_id: str, token: int, outcome: Outcome, now: float) -> bool:
        fence = " WHERE id = ? AND version = ? AND state = 'running'"
        error = outcome.error
        if outcome.retry_at is not None:
            with self._tx() as db:
                if self._queued(db) < outcome.capacity:
                    cur = db.execute(
                        "UPDATE jobs SET state = 'queued', run_after = ?, error = ?, worker = NULL, lease_until = NULL"
                        + fence,
                        (outcome.retry_at, error, job_id, token),
                    )
                    return cur.rowcount == 1
            error = f"{error}; not retried: max capacity reached"
        with self._mu:
            cur = self._db.execute(
                "UPDATE jobs SET state = ?, result = ?, error = ?, finished_at = ?, lease_until = NULL" + fence,
                (str(outcome.state), outcome.result_json, error, now, job_id, token),
            )
            return cur.rowcount == 1

    def progress(self, job_id: str, token: int, fraction: float, message: str) -> bool:
        with self._mu:
            cur = self._db.execute(
                "UPDATE jobs SET progress = ?, message = ? WHERE id = ? AND version = ? AND state = 'running'",
                (fraction, message, job_id, token),
            )
            return cur.rowcount == 1

    def cancel(self, job_id: str, now: float) -> bool:
        with self._mu:
            cur = self._db.execute(
                "UPDATE jobs SET state = 'cancelled', version = version + 1, finished_at = ?, lease_until = NULL"
                " WHERE id = ? AND state IN ('queued', 'running')",
                (now, job_id),
            )
            return cur.rowcount == 1

    def hand_back(self, worker: str, tokens: Mapping[str, int], now: float) -> list[str]:
        back = []
        with self._tx() as db:
            for job_id, token in tokens.items():
                cur = db.execute(
                    "UPDATE jobs SET state = 'queued', attempts = attempts - 1, version = version + 1, worker = NULL,"
                    " lease_until = NULL, run_after = ? WHERE id = ? AND version = ? AND state = 'running'",
                    (now, job_id, token),
                )
                if cur.rowcount == 1:
                    back.append(job_id)
        return back

    def reclaim(self, now: float) -> list[str]:
        with self._tx() as db:
            failed = db.execute(
                "UPDATE jobs SET state = 'failed', error = 'worker lost', version = version + 1, lost = lost + 1,"
                " finished_at = ?, lease_until = NULL WHERE state = 'running' AND lease_until < ? AND lost >= ?"
                " RETURNING id",
                (now, now, MAX_LOST - 1),
            ).fetchall()
            back = db.execute(
                "UPDATE jobs SET state = 'queued', version = version + 1, lost = lost + 1, worker = NULL,"
                " lease_until = NULL, run_after = ? WHERE state = 'running' AND lease_until < ? RETURNING id",
                (now, now),
            ).fetchall()
        return [r[0] for r in failed + back]

    # -- reads --------------------------------------------------------------------------------------

    def get(self, job_id: str) -> JobInfo | None:
        with self._read() as db:
            r = db.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return None if r is None else _info(r)

    def list(self, state: State | None = None, key: str | None = None, limit: int = 1000) -> list[JobInfo]:
        where, args = [], []
        if state is not None:
            where.append("state = ?")
            args.append(str(state))
        if key is not None:
            where.append("key = ?")
            args.append(key)
        cond = f" WHERE {' AND '.join(where)}" if where else ""
        with self._read() as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM jobs{cond} ORDER BY rowid LIMIT ?", (*args, limit)).fetchall()
        return [_info(r) for r in rows]

    def counts(self) -> dict[State, int]:
        out = dict.fromkeys(State, 0)
        with self._read() as db:
            for s, n in db.execute("SELECT state, count(*) FROM jobs GROUP BY state"):
                out[State(s)] = n
        return out

    def close(self) -> None:
        with self._mu:
            self._db.close()
