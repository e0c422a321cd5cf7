"""The SQLite store: durable on one machine, shared by several worker processes (``sqlite:///jobs.db``).

Design. One table, one row per job; WAL mode so that readers never wait for the writer. Every
store operation is atomic in one SQLite write transaction, which holds the database's write lock
from its first statement: a lone statement where one statement decides (cancel, complete,
progress, the claim, a submit without a key: ``INSERT ... SELECT ... WHERE <queued> < capacity``),
``BEGIN IMMEDIATE`` where a read decides several writes (a submit that supersedes, a retry), so
that the bound holds across processes: no other process can insert between the count and the
insert. The number of jobs per state is kept in ``job_counts`` by triggers on ``jobs``, in the
same transaction as the change, so that the capacity check reads one row instead of counting the
queue.

A claim is one statement: ``UPDATE jobs SET state='running', version=version+1, ... WHERE rowid IN
(SELECT rowid ... WHERE state='queued' AND run_after <= now ... ORDER BY run_after, rowid LIMIT ?)
RETURNING ...`` picks and takes the oldest due jobs under the write lock, so two claims never take
the same job, and a claim that comes second still comes back with the next ones. The seed's
``/rpc/v1/accept`` is optimistic (read the candidates, then take each ``WHERE id=? AND
version=?``), as this store's claim was: with SQLite's single writer the read and the takes can be
one statement, which costs one statement per claim instead of a read plus one per job. An idle
worker still polls without the write lock: a claim after one that found fewer jobs than it asked
for first looks on the reading connection whether any is due. The version is the lease token:
claim, cancel, supersede, reclaim and hand-back all bump it, so a worker that lost its job can
record nothing (completion is ``... WHERE id=? AND version=? AND state='running'``).

Group commit. The runtime makes a blocking store's calls with ``gochan.to_thread``, several at a
time (it gathers the completions of the handlers that finish together into one ``complete_many``
and concurrent submits into one ``submit_many`` itself; cancels and claims come one by one).
Write operations queue up; the thread that gets the connection first commits every operation
queued by then in one transaction, each under its own savepoint (one that raises is rolled back
alone and raises in its caller's thread), and the others find their result ready (a
leader/follower scheme: flat combining); a one-statement write that finds the connection free and
nothing queued skips the queue and commits by itself. One transaction for several writes is one
hand-over of the write lock between processes instead of several; the more the writers wait for
the lock, the more writes each transaction carries (about two with four worker processes in
benchmarks/jobs.py).

Calls block (disk, the write lock of another process). Two connections per store, each used by one
thread at a time (a lock): one writes; the other reads, so that a read (whether a claim finds work,
a renewal, ``get``) never waits behind a write waiting for another process's write lock. A database
in memory has one (each connection would open a database of its own).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Final, TypeVar, cast, final

from .model import ClaimedJob, JobInfo, Outcome, QueueFullError, Retry, State
from .store import MAX_LOST

__all__ = ["SqliteStore"]

R = TypeVar("R")

SCHEMA: Final = (
    """CREATE TABLE IF NOT EXISTS jobs (
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
)""",
    "CREATE INDEX IF NOT EXISTS jobs_queue ON jobs (run_after) WHERE state = 'queued'",
    # keyed live jobs only: a job without a key changes no page of this index
    "DROP INDEX IF EXISTS jobs_live_key",
    "CREATE INDEX IF NOT EXISTS jobs_keyed ON jobs (key) WHERE key IS NOT NULL AND state IN ('queued', 'running')",
    "CREATE INDEX IF NOT EXISTS jobs_lease ON jobs (lease_until) WHERE state = 'running'",
)

COUNTS: Final = (
    "CREATE TABLE job_counts (state TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID",
    "INSERT INTO job_counts (state, n) VALUES (?1, (SELECT count(*) FROM jobs WHERE state = ?1))",
    """CREATE TRIGGER jobs_count_insert AFTER INSERT ON jobs BEGIN
    UPDATE job_counts SET n = n + 1 WHERE state = NEW.state;
END""",
    """CREATE TRIGGER jobs_count_update AFTER UPDATE OF state ON jobs WHEN OLD.state IS NOT NEW.state BEGIN
    UPDATE job_counts SET n = n - 1 WHERE state = OLD.state;
    UPDATE job_counts SET n = n + 1 WHERE state = NEW.state;
END""",
    """CREATE TRIGGER jobs_count_delete AFTER DELETE ON jobs BEGIN
    UPDATE job_counts SET n = n - 1 WHERE state = OLD.state;
END""",
)

_COLUMNS: Final = (
    "id, name, payload, state, key, timeout, retry, attempts, version, worker, created_at, started_at, "
    "finished_at, run_after, result, error, progress, message"
)

_QUEUED: Final = "(SELECT n FROM job_counts WHERE state = 'queued')"

_INSERT: Final = (
    "INSERT INTO jobs (id, name, payload, state, key, timeout, retry, created_at, run_after)"
    " SELECT ?, ?, ?, 'queued', ?, ?, ?, ?, ? WHERE " + _QUEUED + " < ?"
)

_TAKE: Final = (  # the due jobs of the names in {}, oldest first, taken in one statement
    "UPDATE jobs SET state = 'running', version = version + 1, worker = ?, lease_until = ?,"
    " attempts = attempts + 1, started_at = ?, progress = NULL, message = NULL"
    " WHERE rowid IN (SELECT rowid FROM jobs WHERE state = 'queued' AND run_after <= ? AND name IN ({})"
    " ORDER BY run_after, rowid LIMIT ?)"
    " RETURNING id, name, payload, key, timeout, retry, attempts, version, run_after, rowid"
)

_FENCE: Final = " WHERE id = ? AND version = ? AND state = 'running'"

_UNBOUNDED: Final = 2**62  # a capacity no queue reaches

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
class _Write:
    """A write operation waiting for the next group commit. ``done`` is set by the thread that ran it."""

    __slots__ = ("alone", "done", "error", "fn", "result")

    def __init__(self, fn: Callable[[sqlite3.Connection], object], alone: bool) -> None:
        self.fn = fn
        self.alone = alone  # one statement: may run as its own transaction when no other write waits
        self.done = False
        self.result: object = None
        self.error: BaseException | None = None


@final
class SqliteStore:
    """Jobs in a SQLite file, shared by the processes that open it. See :class:`gochan.jobs.store.Store`."""

    durable = True
    blocking = True

    def __init__(self, path: str, *, clock: Callable[[], float] = time.time, poll_interval: float = 0.01) -> None:
        self.path = path
        self.clock = clock
        self.poll_interval = poll_interval
        self._mu = threading.Lock()  # _db, the writing connection: one thread at a time
        self._queue_mu = threading.Lock()  # _queue
        self._queue: list[_Write] = []  # writes waiting for the next group commit
        self._busy = False  # the last claim took as many jobs as it asked for: more may be due
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=60.0)
        self._setup()
        self._rmu, self._rdb = self._mu, self._db  # the reading connection and its lock
        if path not in ("", ":memory:"):  # a database in memory is one per connection
            self._rmu = threading.Lock()
            self._rdb = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=60.0)

    def _setup(self) -> None:
        """WAL mode and the schema (idempotent). Switching to WAL while another process opens the file
        may report "database is locked" without waiting (SQLite's busy handler does not cover it)."""
        deadline = time.monotonic() + 60.0
        while True:
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")  # WAL: durable across a process crash
                break
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)
        with self._tx() as db:
            for statement in SCHEMA:
                db.execute(statement)
            if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'job_counts'").fetchone() is None:
                db.execute(COUNTS[0])
                db.executemany(COUNTS[1], [(str(s),) for s in State])
                for statement in COUNTS[2:]:
                    db.execute(statement)

    def __repr__(self) -> str:
        return f"SqliteStore({self.path!r})"

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction of its own, holding the database's write lock from its first statement."""
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
        with self._rmu:
            yield self._rdb

    # -- group commit -------------------------------------------------------------------------------

    def _write(self, fn: Callable[[sqlite3.Connection], R], *, alone: bool = False) -> R:
        """Run ``fn(db)`` in a write transaction, with the writes other threads queued meanwhile.

        ``fn``'s changes are atomic: an exception from it rolls back its own changes only and is
        raised here. ``alone``: ``fn`` is one statement, atomic by itself (no BEGIN needed).
        """
        return cast(R, self._write_all([_Write(fn, alone)])[0])  # fn's R

    def _write_all(self, ws: list[_Write]) -> list[object]:
        """Run the writes ``ws`` (each atomic) in one transaction with those queued meanwhile; their
        results in order. The first write that raised raises here, after the others committed."""
        if len(ws) == 1 and ws[0].alone and not self._queue and self._mu.acquire(blocking=False):
            try:  # nothing to combine with: a one-statement write commits by itself, without the queue
                return [ws[0].fn(self._db)]
            finally:
                self._mu.release()
        self._run_writes(ws)
        for w in ws:
            if w.error is not None:
                raise w.error
        return [w.result for w in ws]

    def _run_writes(self, ws: list[_Write]) -> None:
        """Queue ``ws`` and see them committed: by this thread, with every write queued by then, or
        by the thread that took the connection first (each write's result or error is on it)."""
        with self._queue_mu:
            self._queue.extend(ws)
        with self._mu:
            if not ws[-1].done:  # no other thread committed them while we waited: commit what is queued
                with self._queue_mu:
                    batch, self._queue = self._queue, []
                self._commit(batch)

    def _commit(self, batch: list[_Write]) -> None:
        """Run ``batch`` in one transaction (a lone one-statement write: as its own)."""
        db = self._db
        try:
            if len(batch) == 1 and batch[0].alone:
                batch[0].result = batch[0].fn(db)
                return
            db.execute("BEGIN IMMEDIATE")
            try:
                if len(batch) == 1:
                    batch[0].result = batch[0].fn(db)
                else:
                    for w in batch:
                        self._savepoint(db, w)
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        except BaseException as e:  # noqa: BLE001 - raised in the thread of each write it undid
            for w in batch:
                w.error = e
        finally:
            for w in batch:
                w.done = True

    @staticmethod
    def _savepoint(db: sqlite3.Connection, w: _Write) -> None:
        """Run one write of a batch; if it raises, undo its changes only and keep its error.

        A one-statement write needs no savepoint: SQLite undoes a failing statement by itself.
        """
        if not w.alone:
            db.execute("SAVEPOINT w")
        try:
            w.result = w.fn(db)
        except Exception as e:  # noqa: BLE001 - the write's own error, raised in its caller's thread
            if not w.alone:
                db.execute("ROLLBACK TO w")
            w.error = e
        if not w.alone:
            db.execute("RELEASE w")

    def _update(self, sql: str, args: tuple[object, ...]) -> bool:
        """One UPDATE, a write of its own: whether it changed a row."""
        return self._write(lambda db: db.execute(sql, args).rowcount == 1, alone=True)

    # -- the store interface ----------------------------------------------------------------------

    def submit(self, rec: JobInfo, capacity: int) -> str | None:
        return cast("str | None", self._write_all([self._submission(rec, capacity)])[0])

    def submit_many(self, recs: Sequence[JobInfo], capacity: int) -> list[str | Exception | None]:
        if not recs:
            return []
        ws = [self._submission(rec, capacity) for rec in recs]
        self._run_writes(ws)
        out: list[str | Exception | None] = []
        for w in ws:
            if w.error is None:
                out.append(cast("str | None", w.result))
            elif isinstance(w.error, Exception):
                out.append(w.error)  # this job's own error (QueueFullError, ValueError): the others stand
            else:
                raise w.error
        return out

    def _submission(self, rec: JobInfo, capacity: int) -> _Write:
        """The write that submits ``rec``: one statement without a key, a savepoint with one."""
        args = (rec.id, rec.name, rec.payload_json, rec.key, rec.timeout, rec.retry.encode(), rec.created_at,
                rec.run_after)  # fmt: skip

        def insert(db: sqlite3.Connection, capacity: int = capacity) -> None:
            try:
                if db.execute(_INSERT, (*args, capacity)).rowcount == 0:
                    raise QueueFullError
            except sqlite3.IntegrityError:
                raise ValueError(f"jobs: a job with id {rec.id!r} already exists") from None

        def supersede(db: sqlite3.Connection) -> str | None:
            old: tuple[str, str] | None = db.execute(
                "SELECT id, state FROM jobs WHERE key = ? AND state IN ('queued', 'running')",
                (rec.key,),
            ).fetchone()
            if old is None:
                insert(db)
                return None
            if old[1] == "running" and db.execute(f"SELECT {_QUEUED} >= ?", (capacity,)).fetchone()[0]:
                raise QueueFullError
            db.execute(
                "UPDATE jobs SET state = 'superseded', version = version + 1, finished_at = ?, lease_until = NULL"
                " WHERE id = ?",
                (rec.created_at, old[0]),
            )
            insert(db, _UNBOUNDED if old[1] == "queued" else capacity)  # a queued old job gives its slot
            return old[0]

        if rec.key is None:
            return _Write(insert, alone=True)
        return _Write(supersede, alone=False)

    def claim(
        self, worker: str, names: Collection[str], limit: int, lease_until: float, now: float
    ) -> list[ClaimedJob]:
        names = list(names)
        marks = ",".join("?" * len(names))
        if not self._busy:  # the last claim found fewer jobs than it asked for: look before taking the write lock
            with self._read() as db:
                due = f"SELECT 1 FROM jobs WHERE state = 'queued' AND run_after <= ? AND name IN ({marks}) LIMIT 1"
                if db.execute(due, (now, *names)).fetchone() is None:
                    return []
        take = _TAKE.format(marks)
        args = (worker, lease_until, now, now, *names, limit)
        rows: list[tuple[str, str, str, str | None, float | None, str, int, int, float, int]] = self._write(
            lambda db: db.execute(take, args).fetchall(), alone=True
        )
        self._busy = len(rows) == limit
        rows.sort(key=lambda r: (r[8], r[9]))  # oldest first: RETURNING comes in rowid order
        return [ClaimedJob(r[0], r[1], r[2], r[3], r[4], Retry.decode(r[5]), r[6], r[7]) for r in rows]

    def renew(self, worker: str, tokens: Mapping[str, int], lease_until: float | None) -> dict[str, State]:
        if not tokens:
            return {}
        if lease_until is not None:
            self._write(
                lambda db: db.execute(
                    "UPDATE jobs SET lease_until = ? WHERE worker = ? AND state = 'running'", (lease_until, worker)
                ),
                alone=True,
            )
        ids = list(tokens)
        marks = ",".join("?" * len(ids))
        with self._read() as db:
            rows = db.execute(f"SELECT id, state, version FROM jobs WHERE id IN ({marks})", ids).fetchall()
        return {i: State(s) for i, s, v in rows if s != "running" or v != tokens[i]}

    def complete(self, job_id: str, token: int, outcome: Outcome, now: float) -> bool:
        return bool(self._write_all([self._completion(job_id, token, outcome, now)])[0])

    def complete_many(self, done: Sequence[tuple[str, int, Outcome]], now: float) -> list[bool]:
        if not done:
            return []
        return [bool(r) for r in self._write_all([self._completion(i, t, o, now) for i, t, o in done])]

    def _completion(self, job_id: str, token: int, outcome: Outcome, now: float) -> _Write:
        """The write that records a run's outcome, fenced by its lease."""
        final = (str(outcome.state), outcome.result_json, outcome.error, now, job_id, token)
        end = "UPDATE jobs SET state = ?, result = ?, error = ?, finished_at = ?, lease_until = NULL" + _FENCE
        if outcome.retry_at is None:
            return _Write(lambda db: db.execute(end, final).rowcount == 1, alone=True)
        retry_at, capacity = outcome.retry_at, outcome.capacity

        def retry(db: sqlite3.Connection) -> bool:
            if db.execute(f"SELECT {_QUEUED} < ?", (capacity,)).fetchone()[0]:
                cur = db.execute(
                    "UPDATE jobs SET state = 'queued', run_after = ?, error = ?, worker = NULL, lease_until = NULL"
                    + _FENCE,
                    (retry_at, outcome.error, job_id, token),
                )
                return cur.rowcount == 1
            full = (final[0], final[1], f"{outcome.error}; not retried: max capacity reached", *final[3:])
            return db.execute(end, full).rowcount == 1

        return _Write(retry, alone=False)

    def progress(self, job_id: str, token: int, fraction: float, message: str) -> bool:
        return self._update("UPDATE jobs SET progress = ?, message = ?" + _FENCE, (fraction, message, job_id, token))

    def cancel(self, job_id: str, now: float) -> bool:
        return self._update(
            "UPDATE jobs SET state = 'cancelled', version = version + 1, finished_at = ?, lease_until = NULL"
            " WHERE id = ? AND state IN ('queued', 'running')",
            (now, job_id),
        )

    def hand_back(self, worker: str, tokens: Mapping[str, int], now: float) -> list[str]:
        def back(db: sqlite3.Connection) -> list[str]:
            out = []
            for job_id, token in tokens.items():
                cur = db.execute(
                    "UPDATE jobs SET state = 'queued', attempts = attempts - 1, version = version + 1, worker = NULL,"
                    " lease_until = NULL, run_after = ?" + _FENCE,
                    (now, job_id, token),
                )
                if cur.rowcount == 1:
                    out.append(job_id)
            return out

        return self._write(back)

    def reclaim(self, now: float) -> list[str]:
        def expired(db: sqlite3.Connection) -> list[str]:
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

        return self._write(expired)

    # -- reads --------------------------------------------------------------------------------------

    def on_notice(self, wake: Callable[[], None] | None) -> bool:
        return False  # other processes write the file unheard: the runtime polls

    def get(self, job_id: str) -> JobInfo | None:
        with self._read() as db:
            r = db.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return None if r is None else _info(r)

    def list(
        self, state: State | None = None, key: str | None = None, limit: int = 1000, offset: int = 0
    ) -> list[JobInfo]:
        where, args = [], []
        if state is not None:
            where.append("state = ?")
            args.append(str(state))
        if key is not None:
            where.append("key = ?")
            args.append(key)
        cond = f" WHERE {' AND '.join(where)}" if where else ""
        with self._read() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM jobs{cond} ORDER BY rowid LIMIT ? OFFSET ?", (*args, limit, offset)
            ).fetchall()
        return [_info(r) for r in rows]

    def counts(self) -> dict[State, int]:
        out = dict.fromkeys(State, 0)
        with self._read() as db:
            for s, n in db.execute("SELECT state, n FROM job_counts"):
                out[State(s)] = n
        return out

    def close(self) -> None:
        with self._rmu:
            self._rdb.close()
        with self._mu:
            self._db.close()
