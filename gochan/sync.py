"""Go's ``sync`` package for goroutines.

``WaitGroup``, ``Mutex``, ``RWMutex``, ``Once`` (with Go 1.21's ``OnceFunc``/``OnceValue``) and
``Cond``. Go names, snake_cased; every lock is also a context manager (``with mu:``), and
``with rw.reading():`` takes a read lock. The weighted semaphore (Go's ``x/sync/semaphore``) is
:mod:`gochan.semaphore`.

Design. Every primitive is built on the runtime's wait queue, not on channels (as Go's are built
on ``runtime_Semacquire``): a goroutine that must wait parks in the primitive's FIFO
``WaitQueue``; the goroutine that makes progress possible pops it and readies it. Ownership is
*handed off* at wake-up: an unlock with waiters gives the lock straight to the first waiter,
which returns from its park already holding it, so a goroutine that unlocks and relocks at once
cannot barge ahead of it. (Go's Mutex lets newcomers barge until a waiter has starved for 1 ms;
with no preemption and no parallelism, strict FIFO hand-off is the simpler of its two modes and
the fair one.)

Every blocking operation is "try now, else park in the queue with an undo": if an exception is
thrown into the park (another goroutine crashed, deadlock, KeyboardInterrupt, the program ended),
the waiter leaves the queue, and if ownership had already been handed to it, its undo passes it
on, so the primitive is never left held by a goroutine that is not running.

Misuse raises ``SyncError`` (a ``RuntimeError``) with Go's panic texts (Go makes some of them fatal errors)::

    "sync: negative WaitGroup counter"        WaitGroup.add / done
    "sync: unlock of unlocked mutex"          Mutex.unlock
    "sync: RUnlock of unlocked RWMutex"       RWMutex.r_unlock
    "sync: Unlock of unlocked RWMutex"        RWMutex.unlock

Wait reasons, as shown in goroutine dumps (``goroutine 1 [sync.WaitGroup.Wait]:``) — Go's own::

    sync.WaitGroup.Wait   sync.Mutex.Lock   sync.RWMutex.RLock   sync.RWMutex.Lock   sync.Cond.Wait

``Once.do`` waits on its internal Mutex ("sync.Mutex.Lock", as in Go). A writer waiting behind
another writer shows "sync.RWMutex.Lock" (Go shows its internal mutex, "sync.Mutex.Lock").
"""

# Invariants (single scheduler thread; checked between operations):
#   Mutex       waiters non-empty                  implies  locked
#   RWMutex     rq or wq non-empty                 implies  a writer holds w (``_writer``)
#               pending non-empty (at most one)    implies  _writer and readers > 0
#               _writer and pending empty          implies  readers == 0 (the writer holds the lock)
#   WaitGroup   waiters non-empty                  implies  counter > 0

from __future__ import annotations

import functools
from collections.abc import Callable
from types import TracebackType
from typing import Any, Final, Generic, Protocol, TypeVar, final

from ._runtime import G, WaitQueue, check_call, current_scheduler, tls, wake, wake_all
from .errors import SyncError

__all__ = [
    "Cond",
    "Locker",
    "Mutex",
    "Once",
    "RWMutex",
    "WaitGroup",
    "once_func",
    "once_value",
]

T = TypeVar("T")

_NEGATIVE_WG: Final = "sync: negative WaitGroup counter"
_UNLOCK_UNLOCKED: Final = "sync: unlock of unlocked mutex"
_RUNLOCK_UNLOCKED_RW: Final = "sync: RUnlock of unlocked RWMutex"
_UNLOCK_UNLOCKED_RW: Final = "sync: Unlock of unlocked RWMutex"

_WG_WAIT: Final = "sync.WaitGroup.Wait"
_MUTEX_LOCK: Final = "sync.Mutex.Lock"
_RW_RLOCK: Final = "sync.RWMutex.RLock"
_RW_LOCK: Final = "sync.RWMutex.Lock"
_COND_WAIT: Final = "sync.Cond.Wait"


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


# -- WaitGroup -----------------------------------------------------------------------------------


@final
class WaitGroup:
    """Wait for a collection of goroutines to finish (Go: ``sync.WaitGroup``).

    :meth:`add` raises the counter, :meth:`done` lowers it, :meth:`wait` blocks until it is zero;
    :meth:`go` does all three for one function. When the counter reaches zero every waiting
    goroutine is released at once; the group can then be reused.
    """

    __slots__ = ("_n", "_waiters")

    _n: int  # the counter; written by add
    _waiters: WaitQueue[G]  # goroutines parked in wait; emptied when _n reaches 0

    def __init__(self) -> None:
        self._n = 0
        self._waiters = WaitQueue()

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
            wake_all(self._waiters)

    def done(self) -> None:
        """Decrement the counter by one (Go: ``wg.Done()``)."""
        self.add(-1)

    def wait(self) -> None:
        """Block until the counter is zero (Go: ``wg.Wait()``); return at once if it already is."""
        if self._n == 0:
            return
        self._waiters.park(_WG_WAIT)

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
            (tls.sched or current_scheduler()).spawn(task, (), {}, 2)  # depth 2: the caller of wg.go
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

    __slots__ = ("_locked", "_waiters", "_holder")

    _locked: bool  # held; stays True across a hand-off to a waiter
    _waiters: WaitQueue[G]  # goroutines parked in lock, in arrival order
    _holder: G | None  # who locked it, for dumps (a Mutex is not owned: any goroutine may unlock it)

    def __init__(self) -> None:
        self._locked = False
        self._waiters = WaitQueue()
        self._holder = None

    def __repr__(self) -> str:
        state = "locked" if self._locked else "unlocked"
        return f"<Mutex {state} waiters={len(self._waiters)}>"

    def lock(self) -> None:
        """Lock, blocking until the lock is available (Go: ``mu.Lock()``)."""
        if not self._locked:
            self._locked = True
            self._holder = (tls.sched or current_scheduler()).current
            return
        # Returns holding the lock: unlock handed it over. Undo: the lock was ours, pass it on.
        self._waiters.park(_MUTEX_LOCK, self.unlock)
        self._holder = (tls.sched or current_scheduler()).current

    def try_lock(self) -> bool:
        """Lock if that can be done without blocking; return whether it was (Go: ``mu.TryLock()``)."""
        if self._locked:
            return False
        self._locked = True
        self._holder = (tls.sched or current_scheduler()).current
        return True

    def unlock(self) -> None:
        """Unlock; the longest waiter, if any, now holds the lock (Go: ``mu.Unlock()``).

        Raises SyncError("sync: unlock of unlocked mutex") if the mutex is not locked.
        """
        if not self._locked:
            raise SyncError(_UNLOCK_UNLOCKED)
        self._holder = None  # a waiter handed the lock names itself when it resumes
        if not wake(self._waiters):  # a hand-off keeps _locked True, now on the waiter's behalf
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

    _readers: int  # goroutines holding a read lock (counted in by _release before they wake)
    _writer: bool  # a writer holds or is acquiring the lock (Go: rw.w is locked)
    _pending: WaitQueue[G]  # that writer (at most one), while it waits for _readers to drop to 0
    _rq: WaitQueue[G]  # readers parked behind the writer
    _wq: WaitQueue[G]  # writers parked behind the writer

    def __init__(self) -> None:
        self._readers = 0
        self._writer = False
        self._pending = WaitQueue()
        self._rq = WaitQueue()
        self._wq = WaitQueue()

    def __repr__(self) -> str:
        if self._pending:
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
        self._rq.park(_RW_RLOCK, self.r_unlock)  # returns holding a read lock: _release counted us in

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
        if self._readers == 0 and self._pending:
            wake(self._pending)

    def lock(self) -> None:
        """Take the write lock, blocking until no reader or writer holds it (Go: ``rw.Lock()``)."""
        if not self._writer:
            self._writer = True
            if self._readers == 0:
                return
            # New readers now queue; the last reader out readies us. Undo: the lock was ours;
            # left still pending: we held w, so admit the readers we were blocking, pass w on.
            self._pending.park(_RW_LOCK, self.unlock, self._release)
        else:
            self._wq.park(_RW_LOCK, self._undo_handed)  # _release hands us w, readies us once readers are gone

    def _undo_handed(self) -> None:
        """The undo of a writer that _release took from _wq: pending (holding w), or holding the lock."""
        if self._pending:
            self._pending.popleft()  # it is the pending writer: only the holder of w can be
            self._release()
        else:
            self.unlock()

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
        if not self._writer or self._pending:
            raise SyncError(_UNLOCK_UNLOCKED_RW)
        self._release()

    def _release(self) -> None:
        """Give up w: admit every queued reader, then hand w to the first queued writer."""
        self._readers += wake_all(self._rq)  # counted in before they run
        if not self._wq:
            self._writer = False
        elif self._readers:
            self._pending.q.append(self._wq.popleft())  # w is its now; the last admitted reader readies it
        else:
            wake(self._wq)  # _writer stays True, now on its behalf

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

    _waiters: WaitQueue[G]  # goroutines parked in wait, oldest first

    def __init__(self, locker: Locker) -> None:
        self.L: Final = locker
        self._waiters = WaitQueue()

    def __repr__(self) -> str:
        return f"<Cond waiters={len(self._waiters)}>"

    def wait(self) -> None:
        """Unlock ``L``, block until woken by :meth:`signal` or :meth:`broadcast`, relock ``L``.

        Go: ``c.Wait()``. ``L`` is relocked even when an exception is thrown into the wait, so
        an enclosing ``with c.L:`` unlocks it normally.
        """
        # Go takes its ticket before unlocking, because another thread may signal in between;
        # here nothing else runs between the unlock and the park (unlock never blocks), so the
        # wait queue's publish-then-park is the same.
        self.L.unlock()
        try:
            self._waiters.park(_COND_WAIT, self.signal)  # undo: we were signalled, pass it on
        finally:
            self.L.lock()

    def signal(self) -> None:
        """Wake the goroutine that has waited longest, if any (Go: ``c.Signal()``)."""
        wake(self._waiters)

    def broadcast(self) -> None:
        """Wake every waiting goroutine (Go: ``c.Broadcast()``)."""
        wake_all(self._waiters)
