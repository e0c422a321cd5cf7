"""Go's ``sync`` package and ``x/sync/semaphore``'s weighted semaphore, for goroutines.

``WaitGroup``, ``Mutex``, ``RWMutex``, ``Once`` (with Go 1.21's ``OnceFunc``/``OnceValue``),
``Cond`` and ``Semaphore`` (Go: ``semaphore.Weighted``). Go names, snake_cased; every lock is
also a context manager (``with mu:``), and ``with rw.reading():`` takes a read lock.

Design. Every primitive is built on the runtime's two doors, ``park``/``ready``, not on channels
(as Go's are built on ``runtime_Semacquire``): a goroutine that must wait publishes its ``G`` in
the primitive's FIFO queue (a ``deque``) and parks; the goroutine that makes progress possible
pops it and readies it. Ownership is *handed off* at wake-up: an unlock with waiters gives the
lock straight to the first waiter, which returns from ``park`` already holding it, so a goroutine
that unlocks and relocks at once cannot barge ahead of it. (Go's Mutex lets newcomers barge until
a waiter has starved for 1 ms; with no preemption and no parallelism, strict FIFO hand-off is
the simpler of its two modes and the fair one.)

Every blocking operation is "try now, else publish and park, with an undo": if an exception is
thrown into the park (another goroutine crashed, deadlock, KeyboardInterrupt, the program ended),
the waiter is removed from the queue, and if ownership had already been handed to it, it is
passed on, so the primitive is never left held by a goroutine that is not running.

The only channel use is ``Semaphore.acquire(n, ctx)`` with a context: waiting for either a grant
or ``ctx.done()`` is a select, exactly as in Go.

Invariants (single scheduler thread; checked between operations):
  Mutex       waiters non-empty                  implies  locked
  RWMutex     rq or wq non-empty                 implies  a writer holds w (``_writer``)
              pending is not None                implies  _writer and readers > 0
              _writer and pending is None        implies  readers == 0 (the writer holds the lock)
  WaitGroup   waiters non-empty                  implies  counter > 0
  Semaphore   0 <= cur <= size;  waiters non-empty  implies  the head's n > size - cur

Misuse raises ``SyncError`` (a ``RuntimeError``) with Go's panic texts (Go makes some of them fatal errors)::

    "sync: negative WaitGroup counter"        WaitGroup.add / done
    "sync: unlock of unlocked mutex"          Mutex.unlock
    "sync: RUnlock of unlocked RWMutex"       RWMutex.r_unlock
    "sync: Unlock of unlocked RWMutex"        RWMutex.unlock
    "semaphore: released more than held"      Semaphore.release

Wait reasons, as shown in goroutine dumps (``goroutine 1 [sync.WaitGroup.Wait]:``) — Go's own::

    sync.WaitGroup.Wait   sync.Mutex.Lock   sync.RWMutex.RLock   sync.RWMutex.Lock   sync.Cond.Wait

``Once.do`` waits on its internal Mutex ("sync.Mutex.Lock", as in Go). A writer waiting behind
another writer shows "sync.RWMutex.Lock" (Go shows its internal mutex, "sync.Mutex.Lock").
``Semaphore.acquire`` without a context shows "sync.Semaphore.Acquire", also for a weight larger
than the semaphore (Go, given ``context.Background()``, whose ``Done()`` is nil, shows "select"
and "chan receive (nil chan)": its implementation, not the operation). With a context it waits as
Go does: "select" on the grant and ``ctx.done()``, or "chan receive" on ``ctx.done()`` alone for a
weight larger than the semaphore, which only the context can end.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import Any, Final, Generic, Protocol, TypeVar, final

from ._chan import Chan, RecvChan
from ._runtime import G, check_call, current_scheduler
from ._select import recv, select
from .errors import SyncError

__all__ = [
    "Cond",
    "Context",
    "Locker",
    "Mutex",
    "Once",
    "RWMutex",
    "Semaphore",
    "WaitGroup",
    "once_func",
    "once_value",
]

T = TypeVar("T")

_NEGATIVE_WG: Final = "sync: negative WaitGroup counter"
_UNLOCK_UNLOCKED: Final = "sync: unlock of unlocked mutex"
_RUNLOCK_UNLOCKED_RW: Final = "sync: RUnlock of unlocked RWMutex"
_UNLOCK_UNLOCKED_RW: Final = "sync: Unlock of unlocked RWMutex"
_SEM_OVER_RELEASE: Final = "semaphore: released more than held"

_WG_WAIT: Final = "sync.WaitGroup.Wait"
_MUTEX_LOCK: Final = "sync.Mutex.Lock"
_RW_RLOCK: Final = "sync.RWMutex.RLock"
_RW_LOCK: Final = "sync.RWMutex.Lock"
_COND_WAIT: Final = "sync.Cond.Wait"
_SEM_ACQUIRE: Final = "sync.Semaphore.Acquire"


class Locker(Protocol):
    """Anything that can be locked and unlocked (Go: ``sync.Locker``)."""

    def lock(self) -> None: ...

    def unlock(self) -> None: ...


class _WithLock:
    """``with x:`` locks on entry and unlocks on exit, for every Locker below."""

    __slots__ = ()

    def lock(self) -> None:
        raise NotImplementedError

    def unlock(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> None:
        self.lock()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.unlock()


class Context(Protocol):
    """What :meth:`Semaphore.acquire` needs from a context (Go: ``context.Context``).

    ``done()`` returns a channel that is closed when the context is cancelled, or ``None`` for a
    context that can never be cancelled (Go's ``Background().Done()`` is nil); ``err()`` returns
    the exception to raise once ``done()`` is closed.
    """

    def done(self) -> RecvChan[object] | None: ...

    def err(self) -> BaseException | None: ...


def _unqueue(q: deque[Any], w: object) -> bool:
    """Undo a publication: remove ``w`` from ``q``; False if a waker had already popped it."""
    try:
        q.remove(w)
    except ValueError:
        return False
    return True


def _wake_all(q: deque[G]) -> None:
    while q:
        g = q.popleft()
        g.sched.ready(g)


# -- WaitGroup -----------------------------------------------------------------------------------


@final
class WaitGroup:
    """Wait for a collection of goroutines to finish (Go: ``sync.WaitGroup``).

    :meth:`add` raises the counter, :meth:`done` lowers it, :meth:`wait` blocks until it is zero;
    :meth:`go` does all three for one function. When the counter reaches zero every waiting
    goroutine is released at once; the group can then be reused.
    """

    __slots__ = ("_n", "_waiters")

    _waiters: deque[G]

    def __init__(self) -> None:
        self._n = 0  # the counter; written by add
        self._waiters = deque()  # goroutines parked in wait; emptied when _n reaches 0

    def __repr__(self) -> str:
        return f"<WaitGroup counter={self._n} waiters={len(self._waiters)}>"

    def add(self, delta: int) -> None:
        """Add ``delta`` (may be negative) to the counter (Go: ``wg.Add(delta)``).

        Reaching zero releases every goroutine blocked in :meth:`wait`. Raises
        SyncError("sync: negative WaitGroup counter") if the counter would go below zero;
        the counter is then left unchanged.
        """
        n = self._n + delta
        if n < 0:
            raise SyncError(_NEGATIVE_WG)
        self._n = n
        if n == 0 and self._waiters:
            _wake_all(self._waiters)

    def done(self) -> None:
        """Decrement the counter by one (Go: ``wg.Done()``)."""
        self.add(-1)

    def wait(self) -> None:
        """Block until the counter is zero (Go: ``wg.Wait()``); return at once if it already is."""
        if self._n == 0:
            return
        s = current_scheduler()
        g = s.current
        self._waiters.append(g)
        try:
            s.park(_WG_WAIT)
        except BaseException:
            _unqueue(self._waiters, g)
            raise

    def go(self, fn: Callable[..., object], /, *args: Any, **kwargs: Any) -> None:
        """Run ``fn(*args, **kwargs)`` in a new goroutine counted by this group (Go 1.25: ``wg.Go(f)``).

        ``add(1)``, then the goroutine calls :meth:`done` when ``fn`` returns *or raises* (Go
        defers ``wg.Done()``). An exception escaping ``fn`` still ends the program like any
        goroutine's (``run`` raises it), never hidden behind a returning :meth:`wait`.
        Goroutine dumps show the ``wg.go(...)`` call as where it was created.
        """
        check_call("WaitGroup.go", fn, args, kwargs)
        self.add(1)

        @functools.wraps(fn)  # crash notes name the user's function, not this wrapper
        def task() -> None:
            try:
                fn(*args, **kwargs)
            finally:
                self.done()

        try:
            current_scheduler().spawn(task, (), {}, 2)  # depth 2: the caller of wg.go
        except BaseException:
            self.done()  # the goroutine will never run (the program has ended)
            raise


# -- Mutex ---------------------------------------------------------------------------------------


@final
class Mutex(_WithLock):
    """A mutual exclusion lock (Go: ``sync.Mutex``); ``with mu:`` locks and unlocks.

    Fair: an unlock with goroutines waiting hands the lock directly to the one that has waited
    longest. As in Go, a Mutex is not tied to a goroutine: any goroutine may unlock it.
    """

    __slots__ = ("_locked", "_waiters")

    _waiters: deque[G]

    def __init__(self) -> None:
        self._locked = False
        self._waiters = deque()  # goroutines parked in lock, in arrival order

    def __repr__(self) -> str:
        state = "locked" if self._locked else "unlocked"
        return f"<Mutex {state} waiters={len(self._waiters)}>"

    def lock(self) -> None:
        """Lock, blocking until the lock is available (Go: ``mu.Lock()``)."""
        if not self._locked:
            self._locked = True
            return
        s = current_scheduler()
        g = s.current
        self._waiters.append(g)
        try:
            s.park(_MUTEX_LOCK)  # returns holding the lock: unlock handed it over
        except BaseException:
            if not _unqueue(self._waiters, g):
                self.unlock()  # the lock was handed to us: pass it on
            raise

    def try_lock(self) -> bool:
        """Lock if that can be done without blocking; return whether it was (Go: ``mu.TryLock()``)."""
        if self._locked:
            return False
        self._locked = True
        return True

    def unlock(self) -> None:
        """Unlock; the longest waiter, if any, now holds the lock (Go: ``mu.Unlock()``).

        Raises SyncError("sync: unlock of unlocked mutex") if the mutex is not locked.
        """
        if not self._locked:
            raise SyncError(_UNLOCK_UNLOCKED)
        if self._waiters:
            g = self._waiters.popleft()  # hand-off: _locked stays True, now on g's behalf
            g.sched.ready(g)
        else:
            self._locked = False


# -- RWMutex -------------------------------------------------------------------------------------


@final
class RWMutex(_WithLock):
    """A reader/writer lock (Go: ``sync.RWMutex``): many readers or one writer.

    ``with rw:`` holds the write lock; ``with rw.reading():`` holds a read lock. As in Go, a
    writer that is waiting blocks new readers, so a steady stream of readers cannot starve it;
    when the writer unlocks, the readers that queued behind it are all admitted before the next
    writer, which then waits for them to finish. Writers are served in arrival order.
    """

    __slots__ = ("_readers", "_writer", "_pending", "_rq", "_wq")

    _pending: G | None
    _rq: deque[G]
    _wq: deque[G]

    def __init__(self) -> None:
        self._readers = 0  # goroutines holding a read lock
        self._writer = False  # a writer holds or is acquiring the lock (Go: rw.w is locked)
        self._pending = None  # that writer, while it waits for _readers to drop to 0
        self._rq = deque()  # readers parked behind the writer
        self._wq = deque()  # writers parked behind the writer

    def __repr__(self) -> str:
        if self._pending is not None:
            state = "writer pending"
        elif self._writer:
            state = "write-locked"
        else:
            state = "unlocked" if self._readers == 0 else "read-locked"
        return f"<RWMutex {state} readers={self._readers} queued readers={len(self._rq)} writers={len(self._wq)}>"

    def r_lock(self) -> None:
        """Take a read lock, blocking while a writer holds or waits for the lock (Go: ``rw.RLock()``)."""
        if not self._writer:
            self._readers += 1
            return
        s = current_scheduler()
        g = s.current
        self._rq.append(g)
        try:
            s.park(_RW_RLOCK)  # returns holding a read lock: _release counted us in _readers
        except BaseException:
            if not _unqueue(self._rq, g):
                self.r_unlock()
            raise

    def try_r_lock(self) -> bool:
        """Take a read lock if that can be done without blocking (Go: ``rw.TryRLock()``)."""
        if self._writer:
            return False
        self._readers += 1
        return True

    def r_unlock(self) -> None:
        """Release one read lock (Go: ``rw.RUnlock()``); the last reader out admits a waiting writer.

        Raises SyncError("sync: RUnlock of unlocked RWMutex") if no read lock is held.
        """
        if self._readers == 0:
            raise SyncError(_RUNLOCK_UNLOCKED_RW)
        self._readers -= 1
        g = self._pending
        if self._readers == 0 and g is not None:
            self._pending = None
            g.sched.ready(g)

    def lock(self) -> None:
        """Take the write lock, blocking until no reader or writer holds it (Go: ``rw.Lock()``)."""
        if not self._writer:
            self._writer = True
            if self._readers == 0:
                return
            s = current_scheduler()
            g = self._pending = s.current  # new readers now queue; the last reader out readies us
        else:
            s = current_scheduler()
            g = s.current
            self._wq.append(g)  # _release hands us w, and readies us once readers are gone
        try:
            s.park(_RW_LOCK)
        except BaseException:
            if _unqueue(self._wq, g):
                pass
            elif self._pending is g:
                self._pending = None
                self._release()  # we held w: admit the readers we were blocking, pass w on
            else:
                self.unlock()  # the lock was ours
            raise

    def try_lock(self) -> bool:
        """Take the write lock if that can be done without blocking (Go: ``rw.TryLock()``)."""
        if self._writer or self._readers:
            return False
        self._writer = True
        return True

    def unlock(self) -> None:
        """Release the write lock (Go: ``rw.Unlock()``).

        Every reader that queued behind the writer is admitted, then the next writer (if any)
        takes its turn once those readers are done. Raises SyncError("sync: Unlock of
        unlocked RWMutex") if the write lock is not held.
        """
        if not self._writer or self._pending is not None:
            raise SyncError(_UNLOCK_UNLOCKED_RW)
        self._release()

    def _release(self) -> None:
        """Give up w: admit every queued reader, then hand w to the first queued writer."""
        rq = self._rq
        self._readers += len(rq)
        _wake_all(rq)
        if not self._wq:
            self._writer = False
            return
        g = self._wq.popleft()  # _writer stays True, now on g's behalf
        if self._readers:
            self._pending = g  # still parked; the last of the admitted readers readies it
        else:
            g.sched.ready(g)

    def r_locker(self) -> _RLocker:
        """A :class:`Locker` whose lock/unlock take and release a read lock (Go: ``rw.RLocker()``).

        It is also a context manager, like the object :meth:`reading` returns.
        """
        return _RLocker(self)

    def reading(self) -> _RLocker:
        """Hold a read lock for a ``with`` block: ``with rw.reading(): ...``."""
        return _RLocker(self)


@final
class _RLocker(_WithLock):
    """The read side of an RWMutex as a Locker and a context manager (Go's ``rlocker``)."""

    __slots__ = ("_rw",)

    def __init__(self, rw: RWMutex) -> None:
        self._rw = rw

    def lock(self) -> None:
        self._rw.r_lock()

    def unlock(self) -> None:
        self._rw.r_unlock()


# -- Once ----------------------------------------------------------------------------------------


@final
class Once:
    """Perform an action exactly once (Go: ``sync.Once``)."""

    __slots__ = ("_done", "_m")

    def __init__(self) -> None:
        self._done = False
        self._m = Mutex()

    def do(self, fn: Callable[[], object]) -> None:
        """Call ``fn`` if and only if ``do`` is being called for the first time (Go: ``once.Do(f)``).

        Concurrent callers block until that first ``fn`` returns. If ``fn`` raises, the
        exception propagates to its caller and, as in Go, the Once still counts as done: later
        calls return at once without calling anything. Calling ``do`` on the same Once from
        inside ``fn`` deadlocks, as in Go.
        """
        if self._done:
            return
        with self._m:
            if not self._done:
                try:
                    fn()
                finally:
                    self._done = True


@final
class _OnceValue(Generic[T]):
    """The function :func:`once_value` returns: calls ``fn`` once, then replays its outcome."""

    __slots__ = ("_fn", "_once", "_valid", "_value", "_err", "_tb")

    _fn: Callable[[], T] | None
    _value: T  # set once fn has returned (_valid)

    def __init__(self, fn: Callable[[], T]) -> None:
        self._fn = fn  # dropped after the call, as Go's OnceFunc sets f = nil
        self._once = Once()
        self._valid = False
        self._err: BaseException | None = None
        self._tb: TracebackType | None = None

    def __call__(self) -> T:
        self._once.do(self._first)
        if not self._valid:
            assert self._err is not None
            raise self._err.with_traceback(self._tb)  # the original traceback, not an ever-longer one
        return self._value

    def _first(self) -> None:
        fn = self._fn
        assert fn is not None
        self._fn = None
        try:
            self._value = fn()
        except BaseException as e:
            self._err = e
            self._tb = e.__traceback__
            raise
        self._valid = True


def once_value(fn: Callable[[], T]) -> Callable[[], T]:
    """A function that calls ``fn`` once and returns its value on every call (Go 1.21: ``sync.OnceValue``).

    If ``fn`` raises, every call raises that same exception (Go re-panics with the same value).
    Go's ``OnceValues`` is the same with ``fn`` returning a tuple.
    """
    return _OnceValue(fn)


def once_func(fn: Callable[[], object]) -> Callable[[], None]:
    """A function that calls ``fn`` only once (Go 1.21: ``sync.OnceFunc``).

    If ``fn`` raises, every call raises that same exception (Go re-panics with the same value).
    After the first call ``fn`` is no longer referenced, as Go sets ``f = nil`` (but see
    docs/sync.md: a kept exception's traceback still references ``fn``'s frame).
    """
    call = _OnceValue(fn)

    def once() -> None:
        call()

    # fn's name and docstring, for reprs and crash notes; not functools.wraps' __wrapped__ (nor
    # a copy of fn.__dict__), which would keep fn and everything it closes over alive for as
    # long as `once` lives.
    functools.update_wrapper(once, fn, updated=())
    vars(once).pop("__wrapped__", None)
    return once


# -- Cond ----------------------------------------------------------------------------------------


@final
class Cond:
    """A condition variable: a rendezvous for goroutines waiting for an event (Go: ``sync.Cond``).

    ``L`` (Go's field name) is the :class:`Locker` held while checking or changing the
    condition; hold it when calling :meth:`wait`. Wait in a loop, as in Go::

        with c.L:
            while not condition():
                c.wait()
    """

    __slots__ = ("L", "_waiters")

    _waiters: deque[G]

    def __init__(self, locker: Locker) -> None:
        self.L: Final = locker
        self._waiters = deque()  # goroutines parked in wait, oldest first

    def __repr__(self) -> str:
        return f"<Cond waiters={len(self._waiters)}>"

    def wait(self) -> None:
        """Unlock ``L``, block until woken by :meth:`signal` or :meth:`broadcast`, relock ``L``.

        Go: ``c.Wait()``. ``L`` is relocked even when an exception is thrown into the wait, so
        an enclosing ``with c.L:`` unlocks it normally.
        """
        s = current_scheduler()
        g = s.current
        self._waiters.append(g)  # before unlocking, as Go takes its ticket first
        try:
            self.L.unlock()
        except BaseException:
            _unqueue(self._waiters, g)
            raise
        try:
            s.park(_COND_WAIT)
        except BaseException:
            if not _unqueue(self._waiters, g):
                self.signal()  # we were signalled: pass the wake-up on rather than lose it
            raise
        finally:
            self.L.lock()

    def signal(self) -> None:
        """Wake the goroutine that has waited longest, if any (Go: ``c.Signal()``)."""
        if self._waiters:
            g = self._waiters.popleft()
            g.sched.ready(g)

    def broadcast(self) -> None:
        """Wake every waiting goroutine (Go: ``c.Broadcast()``)."""
        _wake_all(self._waiters)


# -- Semaphore -----------------------------------------------------------------------------------


@final
class _SemWaiter:
    """One blocked acquire: its weight, and how to wake it (park path: g; select path: ready)."""

    __slots__ = ("n", "g", "ready")

    def __init__(self, n: int, g: G | None, ready: Chan[None] | None) -> None:
        self.n = n
        self.g = g
        self.ready = ready


@final
class Semaphore:
    """A weighted semaphore (Go: ``semaphore.NewWeighted(size)`` from ``golang.org/x/sync``).

    Acquirers are served strictly in arrival order: a large request at the head of the queue
    blocks later small ones even when they would fit, so large requests cannot starve.
    ``with sem:`` acquires and releases a weight of 1.
    """

    __slots__ = ("_size", "_cur", "_waiters")

    _waiters: deque[_SemWaiter]

    def __init__(self, size: int) -> None:
        if size < 0:
            raise ValueError(f"semaphore: size {size} is negative; a semaphore's size must be >= 0")
        self._size = size
        self._cur = 0  # weight currently held
        self._waiters = deque()  # blocked acquires, in arrival order

    def __repr__(self) -> str:
        return f"<Semaphore size={self._size} held={self._cur} waiters={len(self._waiters)}>"

    def acquire(self, n: int = 1, ctx: Context | None = None) -> None:
        """Acquire weight ``n``, blocking until it is available or ``ctx`` is done.

        Go: ``sem.Acquire(ctx, n)``. On success returns None; if ``ctx`` is done first (or
        already), raises ``ctx.err()`` and acquires nothing. A weight larger than the semaphore's
        size can never be granted: it blocks until ``ctx`` is done — without a context, forever
        (a deadlock if nothing else can run). Wait reasons: see the module docstring.
        """
        _check_weight(n)
        done = ctx.done() if ctx is not None else None
        if done is not None and done.try_recv() is not None:
            raise _ctx_err(ctx)  # Go: a done ctx fails even if the weight is free
        if self._size - self._cur >= n and not self._waiters:
            self._cur += n
            return
        if done is None:
            self._acquire_park(n)
            return
        assert ctx is not None
        if n > self._size:
            done.recv()  # don't make other acquirers queue behind a request that cannot succeed
            raise _ctx_err(ctx)
        self._acquire_select(n, ctx, done)

    def _acquire_park(self, n: int) -> None:
        s = current_scheduler()
        g = s.current
        if n > self._size:
            s.park(_SEM_ACQUIRE)  # published nowhere: nothing can ever grant it
            raise AssertionError("unreachable: an oversized acquire was readied")
        w = _SemWaiter(n, g, None)
        self._waiters.append(w)
        try:
            s.park(_SEM_ACQUIRE)  # returns holding n: _notify granted it
        except BaseException:
            self._cancel(w)
            raise

    def _acquire_select(self, n: int, ctx: Context, done: RecvChan[object]) -> None:
        ready: Chan[None] = Chan()
        w = _SemWaiter(n, None, ready)
        self._waiters.append(w)
        try:
            i, _, _ = select(recv(done), recv(ready))
        except BaseException:
            self._cancel(w)
            raise
        if i == 0:
            self._cancel(w)
            raise _ctx_err(ctx)
        if done.try_recv() is not None:  # granted, but ctx is done too: Go prefers to fail
            self.release(n)
            raise _ctx_err(ctx)

    def _cancel(self, w: _SemWaiter) -> None:
        """Undo a blocked acquire: dequeue ``w``, or give back its weight if it was granted."""
        if not _unqueue(self._waiters, w):
            self._cur -= w.n  # granted after all (Go: "pretend we didn't and put the tokens back")
        self._notify()  # if w was the head, it may have been blocking smaller requests that now fit

    def try_acquire(self, n: int = 1) -> bool:
        """Acquire weight ``n`` if that can be done without blocking (Go: ``sem.TryAcquire(n)``).

        Fails while others are waiting, even if ``n`` would fit: it does not jump the queue.
        """
        _check_weight(n)
        if self._size - self._cur >= n and not self._waiters:
            self._cur += n
            return True
        return False

    def release(self, n: int = 1) -> None:
        """Release weight ``n`` and grant queued acquires that now fit, in order (Go: ``sem.Release(n)``).

        Raises SyncError("semaphore: released more than held") if ``n`` exceeds the weight
        held; nothing is released then.
        """
        _check_weight(n)
        if n > self._cur:
            raise SyncError(_SEM_OVER_RELEASE)
        self._cur -= n
        self._notify()

    def _notify(self) -> None:
        """Grant queued acquires from the head while they fit; stop at the first that does not."""
        q = self._waiters
        while q:
            w = q[0]
            if self._size - self._cur < w.n:
                break  # later, smaller requests wait too: no starving large ones
            q.popleft()
            self._cur += w.n
            if w.ready is not None:
                w.ready.close()
            else:
                assert w.g is not None
                w.g.sched.ready(w.g)

    def __enter__(self) -> None:
        self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _check_weight(n: int) -> None:
    if n < 0:
        raise ValueError(f"semaphore: weight {n} is negative; acquire and release take a weight >= 0")


def _ctx_err(ctx: Context | None) -> BaseException:
    err = ctx.err() if ctx is not None else None
    if err is None:
        return RuntimeError("semaphore: ctx.done() is closed but ctx.err() is None; a context must report its error")
    return err
