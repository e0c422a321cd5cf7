"""The job runtime: a bounded queue, a runner of handler goroutines, cancel-by-close (docs/jobs.md).

Go, after the seeds: a dispatcher goroutine claims jobs while the runner has free slots and starts
a worker goroutine per claimed job; a worker that finished its job claims the next one itself while
there is room (the worker pool's ``for job := range jobs``); with a blocking store, the completions
of handlers that finish together are committed in one call, which also claims their successors
(group commit, see GroupCommit). Each job runs under its own context
(``context.WithCancelCause``, plus ``WithTimeout`` when the job has a timeout). Cancel, supersede,
timeout and shutdown all cancel that context with a cause; nothing polls a flag. A durable store
adds one maintenance goroutine that renews this worker's leases, learns of cancels made by other
processes (the seed's ``Watch``), and reclaims expired leases; a store that hears of changes (Redis,
``on_notice``) wakes both goroutines through a ``ThreadBridge`` instead of waiting for their polls.

Design. Every state change is one atomic store operation (gochan/jobs/store.py); the runtime only
reacts to what each operation reports (the superseded id, the jobs no longer held, a refused
completion). Whoever waits for a change — ``wait``, ``watch``, ``submit`` waiting for room,
``shutdown`` waiting for handlers — waits on a *signal*: a channel closed at the next change of
what it watches (Go's broadcast by close), plus a poll for a durable store, whose other writers
cannot close our channels. The counts per state are the store's (each changed by one atomic
operation); this runtime's totals are plain counters, changed only by its own goroutines, which
never run at once (one scheduler thread, switching only where they block): no lock, no owner.

Invariants (between goroutine switches):
  id in _running      iff  a worker goroutine of this runtime runs job id's handler, not yet finished
  len(_running) <= _workers, except just after resize() lowered it
  _closing            implies  no new job is accepted (ShutdownError)
"""

from __future__ import annotations

import itertools
import os
import random
import socket
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from math import inf
from typing import Final, TypeVar, TypeVarTuple, final

from gochan import (
    Case,
    Chan,
    RecvChan,
    ThreadBridge,
    go,
    gosched,
    new_ticker,
    new_timer,
    recv,
    select,
    thread_bridge,
    to_thread,
)
from gochan import context as gcontext
from gochan import now as gnow
from gochan.context import CancelCauseFunc, CancelFunc, Context

from .group import GroupCommit
from .memory import MemoryStore
from .model import (
    JSON,
    NO_RETRY,
    ClaimedJob,
    JobCancelledError,
    JobInfo,
    JobSupersededError,
    JobTimeoutError,
    LeaseLostError,
    Outcome,
    QueueFullError,
    Retry,
    ShutdownError,
    State,
    decode_json,
    encode_json,
)
from .store import Store, open_store

__all__ = ["Handler", "Job", "JobStats", "Jobs", "ShutdownReport"]

R = TypeVar("R")
Ts = TypeVarTuple("Ts")

_ROOM: Final = "\0room"  # signal: a queued job left the queue, or shutdown began
_IDLE: Final = "\0idle"  # signal: a handler finished

_CAUSE_STATE: Final[dict[type[BaseException], State]] = {
    JobCancelledError: State.CANCELLED,
    JobSupersededError: State.SUPERSEDED,
    JobTimeoutError: State.TIMED_OUT,
}


def _cause_of(state: State) -> BaseException:
    """The cause a handler's context is cancelled with when its job moved to ``state`` elsewhere."""
    if state is State.CANCELLED:
        return JobCancelledError()
    if state is State.SUPERSEDED:
        return JobSupersededError()
    return LeaseLostError()


@final
class Job:
    """What a handler receives: the job's identity, its payload, and a way to report progress.

    The runtime also keeps it, while the handler runs, as its record of the run: the claim (with
    the lease token) and the cancel function of the run's context.
    """

    __slots__ = ("_c", "_cancel", "_jobs", "_payload", "_stop_timer")

    def __init__(self, jobs: Jobs, c: ClaimedJob, cancel: CancelCauseFunc, stop_timer: CancelFunc | None) -> None:
        self._jobs = jobs
        self._c = c
        self._cancel = cancel  # the run's context's CancelCauseFunc
        self._stop_timer = stop_timer  # the timeout context's CancelFunc, if the job has a timeout
        self._payload: JSON = None

    @property
    def id(self) -> str:
        return self._c.id

    @property
    def name(self) -> str:
        """The job's name: the handler it runs under."""
        return self._c.name

    @property
    def key(self) -> str | None:
        """Its latest-wins key, if any."""
        return self._c.key

    @property
    def timeout(self) -> float | None:
        """Its timeout in seconds, if any (the context's deadline already includes it)."""
        return self._c.timeout

    @property
    def attempts(self) -> int:
        """Which run this is: 1 for the first, 2 for the first retry, ..."""
        return self._c.attempts

    @property
    def token(self) -> int:
        """The lease token of this run (the job's version at the claim)."""
        return self._c.token

    @property
    def payload_json(self) -> str:
        """The payload as the JSON text it was stored as."""
        return self._c.payload_json

    def __repr__(self) -> str:
        return f"Job({self.id!r}, {self.name!r}, attempt {self.attempts})"

    @property
    def payload(self) -> JSON:
        """The payload, decoded from its JSON (a fresh copy per run)."""
        if self._payload is None:
            self._payload = decode_json(self.payload_json)
        return self._payload

    def progress(self, fraction: float, message: str = "") -> None:
        """Report progress (``0.0 <= fraction <= 1.0``), visible in :meth:`Jobs.get` while running."""
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"jobs: progress must be a fraction between 0 and 1, got {fraction!r}")
        self._jobs._progress(self, float(fraction), str(message))


Handler = Callable[[Context, Job], object]
"""``def handler(ctx, job) -> JSON``: runs as a goroutine; ``ctx.done()`` closes on cancel, supersede,
timeout and shutdown, ``context.cause(ctx)`` says which."""

H = TypeVar("H", bound=Handler)


@final
@dataclass(frozen=True)
class ShutdownReport:
    """What :meth:`Jobs.shutdown` did."""

    finished: int
    """Runs that ended during the shutdown (in any final state)."""
    handed_back: list[str] = field(default_factory=list)
    """Jobs given back to the store: queued again (durable) or abandoned (memory)."""
    ignored: list[str] = field(default_factory=list)
    """Jobs whose handlers were still running after the hard grace (they ignored their context)."""


@final
@dataclass(frozen=True)
class JobStats:
    """``counts``: jobs per state in the store now; ``totals``: this runtime's cumulative counters."""

    counts: dict[State, int]
    totals: dict[str, int]
    running: int
    workers: int
    capacity: int


@final
class _Refill:
    """What a completion batch's call may claim (``k`` jobs at ``now``), and what it claimed."""

    __slots__ = ("claimed", "k", "now")

    def __init__(self, now: float, k: int) -> None:
        self.now = now
        self.k = k
        self.claimed: list[ClaimedJob] = []


_Done = tuple[str, int, Outcome]  # a completion: (job id, lease token, outcome)
_Oks = list[bool]  # complete_many's results (Jobs.list hides the builtin inside the class)

_NOTIFIED_POLL: Final = 0.05  # seconds between polls of a store that wakes the runtime itself (on_notice)

_SLICE: Final = 32  # jobs a worker runs in a row before it lets the other goroutines run

_SUCCEEDED_NULL: Final = Outcome(State.SUCCEEDED, result_json="null")  # the common result, built once


@final
class Jobs:
    """A job queue and its runner (docs/jobs.md).

    ``store``: a :class:`~gochan.jobs.store.Store`, a URL for :func:`open_store`, or None (memory).
    ``capacity``: how many jobs may be queued; ``workers``: how many handlers run at once;
    ``lease``: seconds a durable store's claim lasts without renewal; ``grace``/``hard_grace``:
    shutdown's default waits; ``seed``: fixes retry jitter.
    """

    def __init__(
        self,
        store: Store | str | None = None,
        *,
        capacity: int = 1024,
        workers: int = 8,
        lease: float = 30.0,
        grace: float = 30.0,
        hard_grace: float = 1.0,
        worker_id: str | None = None,
        seed: int | None = None,
    ) -> None:
        if capacity < 1 or workers < 0:
            raise ValueError(f"jobs: capacity must be >= 1 and workers >= 0, got {capacity} and {workers}")
        self._started = False
        self.store = open_store(store) if isinstance(store, str) else (store or MemoryStore())
        self.capacity = capacity
        self.lease = lease
        self.grace = grace
        self.hard_grace = hard_grace
        self._workers = workers
        self._prefix = os.urandom(6).hex()
        self._seq = itertools.count(1)
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{self._prefix}"
        self._rng = random.Random(seed)
        self._handlers: dict[str, Handler] = {}
        self._names: frozenset[str] = frozenset()
        self._running: dict[str, Job] = {}
        self._interrupted: dict[str, int] = {}  # shutdown-cancelled runs that returned: to hand back
        self._signals: dict[str, Chan[None]] = {}
        self._wake: Chan[None] | None = None  # created by start(): channels belong to a scheduler
        self._stop: Chan[None] | None = None
        self._loops: list[Chan[None]] = []  # closed as each runtime goroutine exits
        self._nudge: Chan[None] | None = None  # wakes the maintenance loop: the store heard of a change
        self._heard: Chan[None] | None = None  # wakes the dispatcher: the store heard of new work
        self._bridge: ThreadBridge | None = None  # the store's wake-ups come in through it (on_notice)
        self._poll = 0.0  # seconds between polls of a durable store (start)
        self._poked = False  # a wake-up is pending in _wake: the dispatcher has not taken it yet
        self._submitted = self._started_runs = self._finished = self._retried = 0  # the totals
        self._closing = False
        self._stop_claiming = False
        self._next_due: float | None = None  # earliest retry this runtime queued, not yet waited for
        self.last_report: ShutdownReport | None = None

    def __repr__(self) -> str:
        return f"Jobs({self._store!r}, capacity={self.capacity}, workers={self._workers})"

    @property
    def store(self) -> Store:
        """Where the jobs live. It may be replaced (a command line's ``--store``) until :meth:`start`."""
        return self._store

    @store.setter
    def store(self, store: Store) -> None:
        if self._started:
            raise RuntimeError("jobs: the store cannot be replaced once serving started")
        self._store = store
        self._memory = store if type(store) is MemoryStore else None  # its submit path takes no snapshot
        self._submits: GroupCommit[JobInfo, int, str | Exception | None] | None = None
        self._completions: GroupCommit[_Done, _Refill, bool] | None = None
        if store.blocking:  # concurrent calls share one to_thread (one transaction, one round trip)
            self._submits = GroupCommit(store.submit_many, lambda _recs: self.capacity)
            self._completions = GroupCommit(self._complete_and_refill, self._refill, self._refilled)

    # -- handlers -----------------------------------------------------------------------------------

    def handler(self, name: str) -> Callable[[H], H]:
        """Register the decorated function as the handler of jobs named ``name``."""

        def register(fn: H) -> H:
            self._handlers[name] = fn
            self._names = frozenset(self._handlers)
            return fn

        return register

    # -- calling the store --------------------------------------------------------------------------

    def _do(self, fn: Callable[[*Ts], R], *args: *Ts) -> R:
        """Call a store operation; off the scheduler's thread when the store may block."""
        if self._store.blocking:
            return to_thread(fn, *args)
        return fn(*args)

    def _signal(self, what: str) -> Chan[None]:
        """A channel closed at the next change of ``what`` (a job id, _ROOM or _IDLE)."""
        ch = self._signals.get(what)
        if ch is None:
            ch = self._signals[what] = Chan()
        return ch

    def _changed(self, what: str) -> None:
        ch = self._signals.pop(what, None)
        if ch is not None:
            ch.close()

    def _poke(self) -> None:
        """Wake the dispatcher (a non-blocking send to a channel of one: a wake-up is never lost)."""
        if self._wake is not None:
            self._poked = True
            self._wake.try_send(None)

    def _totals(self) -> dict[str, int]:
        """This runtime's cumulative counters."""
        return {
            "submitted": self._submitted,
            "started": self._started_runs,
            "retried": self._retried,
            "finished": self._finished,
        }

    def _wait_cases(self, sig: Chan[None], ctx: Context | None) -> list[Case[object]]:
        cases: list[Case[object]] = [recv(sig)]
        done = ctx.done() if ctx is not None else None
        if done is not None:
            cases.append(recv(done))
        if self._store.durable:
            cases.append(recv(new_timer(self._store.poll_interval).c))
        return cases

    # -- submitting ---------------------------------------------------------------------------------

    def _insert(  # noqa: PLR0917 - the submit arguments, passed through
        self,
        name: str,
        payload: object,
        key: str | None,
        timeout: float | None,
        retry: Retry,
        job_id: str | None,
    ) -> str:
        """Check the arguments, then one atomic store operation inserts the job (or raises
        QueueFullError), superseding its key's job. Returns the job's id."""
        if name not in self._handlers and not self._store.durable:
            raise ValueError(f"jobs: no handler named {name!r}: register one with @jobs.handler({name!r})")
        if timeout is not None:
            if not (isinstance(timeout, (int, float)) and 0 < timeout < float("inf")):
                raise ValueError(f"jobs: timeout must be a positive number of seconds or None, got {timeout!r}")
            timeout = float(timeout)
        payload_json = encode_json(payload)
        if self._closing:
            raise ShutdownError
        if job_id is None:
            job_id = self._new_id()
        store = self._store
        now = store.clock()
        memory = self._memory
        if memory is not None:  # no snapshot is built for a job that lives in this process
            old = memory.add(job_id, name, payload_json, key, timeout, retry, now, self.capacity)
        else:
            rec = JobInfo(job_id, name, payload_json, State.QUEUED, key, timeout, retry, created_at=now, run_after=now)
            if self._submits is None:
                old = store.submit(rec, self.capacity)
            else:
                got = self._submits(rec)
                if isinstance(got, Exception):
                    raise got
                old = got
        if old is not None:
            run = self._running.get(old)
            if run is not None:
                run._cancel(JobSupersededError())
            self._changed(old)
        self._submitted += 1
        if not self._poked:
            self._poke()
        return job_id

    def _new_id(self) -> str:
        return f"{self._prefix}-{next(self._seq)}"

    def try_submit(
        self,
        name: str,
        payload: object = None,
        *,
        key: str | None = None,
        timeout: float | None = None,
        retry: Retry | None = None,
        id: str | None = None,
    ) -> str:
        """Queue a job now or raise ``QueueFullError("max capacity reached")``; return its id.

        Go (the seed): ``select { case jobChan <- job: return true; default: return false }``.
        Raises ShutdownError once shutdown began, TypeError for a payload that is not JSON.
        """
        return self._insert(name, payload, key, timeout, retry or NO_RETRY, id)

    def submit(
        self,
        name: str,
        payload: object = None,
        *,
        key: str | None = None,
        timeout: float | None = None,
        retry: Retry | None = None,
        id: str | None = None,
        ctx: Context | None = None,
    ) -> str:
        """Queue a job, waiting for room while the queue is full; return its id.

        Go: ``jobChan <- job`` inside a select on ``ctx.Done()``: raises ``ctx.err()`` if ``ctx``
        is done first, ShutdownError once shutdown began.
        """
        retry = retry or NO_RETRY
        job_id = id or self._new_id()  # the same id at each try
        while True:
            sig = self._signal(_ROOM) if self._store.blocking else None
            try:
                return self._insert(name, payload, key, timeout, retry, job_id)
            except QueueFullError:
                pass
            cases = self._wait_cases(sig or self._signal(_ROOM), ctx)
            if select(*cases)[0] == 1 and ctx is not None and ctx.done() is not None:
                err = ctx.err()
                assert err is not None
                raise err

    # -- control and status ---------------------------------------------------------------------------

    def cancel(self, job_id: str) -> bool:
        """Cancel a queued or running job; return whether it acted (False: unknown or final)."""
        if not self._do(self._store.cancel, job_id, self._store.clock()):
            return False
        run = self._running.get(job_id)
        if run is not None:
            run._cancel(JobCancelledError())
        self._changed(job_id)
        self._changed(_ROOM)
        return True

    def get(self, job_id: str) -> JobInfo | None:
        """A snapshot of the job, or None."""
        return self._do(self._store.get, job_id)

    def list(
        self, state: State | str | None = None, key: str | None = None, limit: int = 1000, offset: int = 0
    ) -> list[JobInfo]:
        """Jobs, oldest first, filtered by state and key: at most ``limit``, after skipping ``offset``."""
        if limit < 0 or offset < 0:
            raise ValueError(f"jobs: limit and offset must be >= 0, got {limit} and {offset}")
        return self._do(self._store.list, None if state is None else State(state), key, limit, offset)

    def wait(self, job_id: str, ctx: Context | None = None) -> JobInfo:
        """Block until the job is final; return it. Raises KeyError for an unknown id, ``ctx.err()``."""
        while True:
            sig = self._signal(job_id)
            info = self._do(self._store.get, job_id)
            if info is None:
                raise KeyError(f"jobs: no job with id {job_id!r}")
            if info.state.final:
                return info
            if select(*self._wait_cases(sig, ctx))[0] == 1 and ctx is not None and ctx.done() is not None:
                err = ctx.err()
                assert err is not None
                raise err

    def watch(self, job_id: str) -> RecvChan[JobInfo]:
        """A channel receiving the job's snapshot at each state change seen, closed after its final state.

        States that follow each other faster than the watcher receives may be merged: the channel
        always ends with the final state. An unknown id gives a channel closed at once.
        """
        out: Chan[JobInfo] = Chan(8)

        def pump() -> None:
            last: tuple[State, int] | None = None
            try:
                while True:
                    sig = self._signal(job_id)
                    info = self._do(self._store.get, job_id)
                    if info is None:
                        return
                    if (info.state, info.attempts) != last:
                        last = (info.state, info.attempts)
                        out.send(info)
                    if info.state.final:
                        return
                    select(*self._wait_cases(sig, None))
            finally:
                out.close()

        go(pump)
        return out.recv_only()

    def stats(self) -> JobStats:
        """Jobs per state in the store, and this runtime's totals."""
        totals = self._totals()
        return JobStats(self._do(self._store.counts), totals, len(self._running), self._workers, self.capacity)

    def resize(self, workers: int) -> None:
        """Run at most ``workers`` handlers at once from now on (the runner's capacity)."""
        if workers < 0:
            raise ValueError(f"jobs: workers must be >= 0, got {workers}")
        self._workers = workers
        self._poke()

    @property
    def workers(self) -> int:
        return self._workers

    # -- serving ------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start claiming and running jobs (prefer ``with jobs.serve():``). Call inside a goroutine."""
        if self._started:
            raise RuntimeError("jobs: this Jobs was already started; build a new one to serve again")
        self._started = True
        self._wake = Chan(1)
        self._stop = Chan()
        self._nudge = Chan(1)
        self._heard = Chan(1)
        store = self._store
        if store.durable:
            self._poll = store.poll_interval
            bridge = self._bridge = thread_bridge()

            def wake() -> None:  # on the store's thread
                try:
                    bridge.call_soon(self._noticed)
                except RuntimeError:  # the bridge is closed: this runtime stopped, nothing to wake
                    pass

            if store.on_notice(wake):  # woken when something changes: the polls only cover lost notices
                self._poll = max(self._poll, _NOTIFIED_POLL)
            else:
                bridge.close()
                self._bridge = None
        self._loop(self._dispatch)  # _loops[0]: shutdown waits for it to leave before the grace
        if store.durable:
            self._loop(self._maintain)

    def _noticed(self) -> None:
        """The store heard of new work or of a change to a job held here: look now, not at the next poll
        (the dispatcher paces its claims: see _dispatch)."""
        if self._heard is not None and self._nudge is not None:
            self._heard.try_send(None)
            self._nudge.try_send(None)

    def _loop(self, fn: Callable[[], None]) -> None:
        done: Chan[None] = Chan()
        self._loops.append(done)

        def body() -> None:
            try:
                fn()
            finally:
                done.close()

        go(body)

    @contextmanager
    def serve(self, grace: float | None = None) -> Iterator[Jobs]:
        """Serve jobs for the duration of a ``with`` block; leaving it shuts down (``last_report``)."""
        self.start()
        try:
            yield self
        except Exception:
            self.last_report = self.shutdown(grace)
            raise
        # a BaseException (the program ending) leaves at once: nothing may block now
        self.last_report = self.shutdown(grace)

    def _dispatch(self) -> None:
        """Claim jobs while there are free slots; start one goroutine per job.

        Go: a ``for``/``select`` on the wake-up channel, the stop channel and, for a durable store
        (whose other writers cannot wake us), a ticker of its poll interval; for a store that tells
        of new work (on_notice), also its notices, heeded at most once per ``poll_interval``: every
        node hears every notice, and a claim per notice per node would cost more than it finds.
        """
        assert self._wake is not None and self._stop is not None and self._heard is not None
        store = self._store
        poll = new_ticker(self._poll) if store.durable else None
        last = -inf  # when the last claim began (gochan.now)
        try:
            while not self._stop_claiming:
                free = self._workers - len(self._running)
                if free > 0 and self._names:
                    last = gnow()
                    now = store.clock()
                    claimed = self._do(store.claim, self.worker_id, self._names, free, now + self.lease, now)
                    for c in claimed:
                        self._start(c)
                    if claimed:
                        self._started_runs += len(claimed)
                        self._changed(_ROOM)
                        continue
                cases: list[Case[object]] = [recv(self._wake), recv(self._stop), recv(self._heard)]
                if poll is not None:
                    cases.append(recv(poll.c))
                due = None
                if self._next_due is not None:  # a retry this runtime queued falls due
                    due = new_timer(max(0.0, self._next_due - store.clock()))
                    cases.append(recv(due.c))
                    self._next_due = None
                woken = select(*cases)[0]
                if due is not None:
                    due.stop()
                if woken == 2:  # a notice: not sooner than poll_interval after the last claim
                    pause = last + store.poll_interval - gnow()
                    if pause > 0:  # a poke (this process's own news, shutdown) ends the pause
                        timer = new_timer(pause)
                        select(recv(self._wake), recv(self._stop), recv(timer.c))
                        timer.stop()
                self._poked = False  # from here on a submit pokes again
        finally:
            if poll is not None:
                poll.stop()

    def _start(self, c: ClaimedJob) -> None:
        """Start a worker goroutine with its first job (it may go on claiming: see _work)."""
        go(self._work, *self._begin(c))

    def _begin(self, c: ClaimedJob) -> tuple[Context, Job]:
        """Make the job's context and mark it running here."""
        ctx, cancel = gcontext.with_cancel_cause(gcontext.background())
        stop_timer = None
        if c.timeout is not None:
            ctx, stop_timer = gcontext.with_timeout_cause(ctx, c.timeout, JobTimeoutError())
        job = self._running[c.id] = Job(self, c, cancel, stop_timer)
        if self._signals:
            self._changed(c.id)
        return ctx, job

    def _work(self, ctx: Context, job: Job) -> None:
        """A worker goroutine: run its job, then claim the next one itself while there is room.

        Go: the worker pool's ``for job := range jobs``. Each job still runs under its own
        context, cancelled with its cause exactly as before. Only a store whose calls never block
        (the memory store) is claimed from here: a blocking claim runs off the scheduler's thread,
        and shutdown must know that no claim is in flight once the dispatcher has left (a durable
        store's jobs are claimed by the dispatcher alone).

        Goroutines are not preempted: a worker whose handlers never block would keep the thread
        while jobs remain, and a job claimed by a worker that has not run yet would wait for all
        of them. So a worker yields (``gosched``) after every ``_SLICE`` jobs it runs in a row.
        """
        store = self._store
        running = self._running
        ran = 0
        while True:
            self._run(ctx, job)
            ran += 1
            if ran == _SLICE:
                ran = 0
                gosched()
            if store.blocking or self._stop_claiming or len(running) >= self._workers or not self._names:
                self._poke()  # the dispatcher decides what happens next
                return
            now = store.clock()
            claimed = store.claim(self.worker_id, self._names, 1, now + self.lease, now)
            if not claimed:
                return  # the queue is empty: the next submit pokes the dispatcher
            self._started_runs += 1
            if self._signals:
                self._changed(_ROOM)
            ctx, job = self._begin(claimed[0])

    def _run(self, ctx: Context, job: Job) -> None:
        """One job's run: run the handler, decide the outcome, complete it (fenced)."""
        c = job._c
        try:
            result = self._handlers[c.name](ctx, job)
        except Exception as e:  # noqa: BLE001 - a handler's error is the job's, never the program's
            outcome = self._outcome(c, ctx, None, f"{type(e).__name__}: {e}")
        else:  # the common end first: no result, not cancelled
            outcome = _SUCCEEDED_NULL if result is None and ctx.err() is None else self._outcome(c, ctx, result, None)
        if outcome is not None:
            store = self._store
            if self._completions is not None:
                self._completions((c.id, c.token, outcome))
            else:
                store.complete(c.id, c.token, outcome, store.clock())
            if outcome.retry_at is not None:
                self._retried += 1
                self._next_due = min(self._next_due or outcome.retry_at, outcome.retry_at)
                self._poke()  # the dispatcher arms its timer for the retry
        if job._stop_timer is not None:
            job._stop_timer()
        job._cancel(None)
        del self._running[c.id]
        self._finished += 1
        if self._signals:
            self._changed(c.id)
            self._changed(_IDLE)
            self._changed(_ROOM)

    def _refill(self, done: Sequence[_Done]) -> _Refill:
        """How many jobs a completion batch's call may claim: the slots its handlers free (those
        slots are still in _running, so the dispatcher does not count them), none once claiming
        stopped, fewer after ``resize`` lowered the limit."""
        now = self._store.clock()
        n = len(done)
        k = 0 if self._stop_claiming or not self._names else max(0, min(n, self._workers - len(self._running) + n))
        return _Refill(now, k)

    def _complete_and_refill(self, done: Sequence[_Done], refill: _Refill) -> _Oks:
        """On an OS thread: record a batch of completions, then claim the jobs that take their slots
        (one ``to_thread`` for both; the worker pool's ``for job := range jobs`` again)."""
        store = self._store
        oks = store.complete_many(done, refill.now)
        if refill.k:
            refill.claimed = store.claim(self.worker_id, self._names, refill.k, refill.now + self.lease, refill.now)
        return oks

    def _refilled(self, refill: _Refill) -> None:
        """Start what a completion batch claimed, before its handlers leave _running (no over-claim)."""
        if refill.claimed:
            for c in refill.claimed:
                self._start(c)
            self._started_runs += len(refill.claimed)
            self._changed(_ROOM)

    def _outcome(self, c: ClaimedJob, ctx: Context, result: object, error: str | None) -> Outcome | None:
        """How the run ended; None when the store already knows (cancelled, superseded) or shutdown."""
        if ctx.err() is not None:
            cause = gcontext.cause(ctx)
            state = _CAUSE_STATE.get(type(cause)) if cause is not None else None
            if state is State.TIMED_OUT:
                return Outcome(State.TIMED_OUT, error=f"{type(cause).__name__}: {cause}")
            if isinstance(cause, ShutdownError):
                self._interrupted[c.id] = self._running[c.id].token
            return None  # cancelled / superseded / lease lost: recorded by whoever did it
        if error is None:
            if result is None:
                return _SUCCEEDED_NULL
            try:
                return Outcome(State.SUCCEEDED, result_json=encode_json(result, "result"))
            except TypeError as e:
                error = f"TypeError: {e}"
        if c.attempts < c.retry.attempts:
            retry_at = self._store.clock() + c.retry.delay(c.attempts, self._rng)
            return Outcome(State.FAILED, error=error, retry_at=retry_at, capacity=self.capacity)
        return Outcome(State.FAILED, error=error)

    def _progress(self, job: Job, fraction: float, message: str) -> None:
        if self._do(self._store.progress, job.id, job.token, fraction, message):
            self._changed(job.id)

    def _maintain(self) -> None:
        """Durable stores: renew leases, learn of cancels made elsewhere, reclaim expired leases,
        every poll interval (a ticker) until stop is closed."""
        assert self._stop is not None and self._nudge is not None
        store = self._store
        next_renew = next_reclaim = 0.0
        poll = new_ticker(self._poll)
        try:
            while True:
                now = store.clock()
                if self._running:
                    tokens = {i: r.token for i, r in self._running.items()}
                    renew = now >= next_renew
                    if renew:
                        next_renew = now + self.lease / 3
                    gone = self._do(store.renew, self.worker_id, tokens, now + self.lease if renew else None)
                    for job_id, state in gone.items():
                        run = self._running.get(job_id)
                        if run is not None and run.token == tokens[job_id]:
                            run._cancel(_cause_of(state))
                            self._changed(job_id)
                if now >= next_reclaim:
                    next_reclaim = now + self.lease / 3
                    if self._do(store.reclaim, now):
                        self._poke()
                if select(recv(self._stop), recv(poll.c), recv(self._nudge))[0] == 0:
                    return
        finally:
            poll.stop()

    def _wait_idle(self, seconds: float, also: Callable[[], bool]) -> None:
        """Wait up to ``seconds`` until no handler runs and ``also()`` holds."""
        timer = new_timer(seconds)
        try:
            while self._running or not also():
                sig = self._signal(_IDLE)
                cases: list[Case[object]] = [recv(sig), recv(timer.c)]
                if self._store.durable:
                    cases.append(recv(new_timer(self._store.poll_interval).c))
                if select(*cases)[0] == 1:
                    return
        finally:
            timer.stop()

    def shutdown(self, grace: float | None = None) -> ShutdownReport:
        """Stop accepting jobs, let running ones finish within ``grace``, then cancel and hand back.

        Go (the seeds): on SIGTERM, stop the producer, let the workers drain, wait on the
        WaitGroup. See docs/jobs.md, *Shutdown*. Idempotent: a second call returns an empty report.
        """
        if self._closing:
            return ShutdownReport(0)
        self._closing = True
        self._changed(_ROOM)  # submitters waiting for room must see ShutdownError
        if not self._started:
            return ShutdownReport(0)
        assert self._stop is not None
        started = self._finished
        store = self._store
        if store.durable:
            self._stop_claiming = True
            self._poke()
            self._loops[0].recv()  # the dispatcher has left: a claim in flight has started its job
        grace = self.grace if grace is None else grace
        self._wait_idle(grace, lambda: store.durable or self._do(store.counts)[State.QUEUED] == 0)
        self._stop_claiming = True
        self._stop.close()
        for done in self._loops:
            done.recv()
        for run in list(self._running.values()):
            run._cancel(ShutdownError())
        self._wait_idle(self.hard_grace, lambda: True)
        ignored = list(self._running)
        tokens = dict(self._interrupted)
        tokens.update((i, r.token) for i, r in self._running.items())
        back = self._do(store.hand_back, self.worker_id, tokens, store.clock())
        for job_id in back:
            self._changed(job_id)
        if self._bridge is not None:
            store.on_notice(None)
            self._bridge.close()
        return ShutdownReport(self._finished - started, back, ignored)
