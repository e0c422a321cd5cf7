"""OS threads: Go's syscall hand-off (``to_thread``) and the door other threads use into a scheduler.

Design: a call that would block the whole scheduler (file I/O, a C library, a blocking client)
runs on a bounded pool of OS threads while its goroutine parks with reason "syscall"; the result
(or exception) comes back through the scheduler's wake-up socket. Other threads never touch
scheduler state: ``ThreadBridge.call_soon``/``go`` queue work that the scheduler runs on its own
thread. Outstanding thread work and open bridges keep the deadlock detector quiet, because
something outside may still wake a goroutine.

Invariants:
  s.outstanding counts to_thread calls in flight plus open bridges (Scheduler.hold: real work)
  a to_thread result readies its goroutine at most once, and never after an undo
"""

from __future__ import annotations

import contextvars
import os
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, Final, TypeVar, final

from ._dump import call_site
from ._sched import Scheduler, current_scheduler, tls

__all__ = ["ThreadBridge", "set_max_threads", "thread_bridge", "to_thread"]

T = TypeVar("T")

_Job = Callable[[], None]


@final
class _Pool:
    """Daemon OS threads running ``to_thread`` calls (Go's Ms doing syscalls).

    Daemon threads, not ``concurrent.futures``: the interpreter never waits for them at exit,
    so a program ends when main returns (Go) and Ctrl-C is not followed by a hang in a pool's
    shutdown. A call still running then is abandoned: its thread finishes it and its result is
    dropped. Idle threads exit once no program that used the pool is running (``users == 0``).

    Invariants (under ``lock``):
      idle <= threads <= max(limit, threads)   (threads above a lowered limit retire when idle)
      users == the running programs (schedulers) that have called to_thread
    """

    __slots__ = ("lock", "jobs", "wakeup", "threads", "idle", "limit", "users")

    def __init__(self, limit: int) -> None:
        self.lock: Final = threading.Lock()
        self.jobs: Final[deque[_Job]] = deque()
        self.wakeup: Final = threading.Condition(self.lock)
        self.threads = 0
        self.idle = 0
        self.limit = limit
        self.users = 0

    def submit(self, job: _Job) -> None:
        with self.lock:
            self.jobs.append(job)
            if self.idle > len(self.jobs) - 1:
                self.wakeup.notify()
            elif self.threads < self.limit:
                self.threads += 1
                threading.Thread(target=self._work, name=f"gochan-syscall-{self.threads}", daemon=True).start()

    def _work(self) -> None:
        lock = self.lock
        while True:
            with lock:
                while not self.jobs:
                    if self.users == 0:  # no program needs the pool: do not outlive them
                        self.threads -= 1
                        return
                    self.idle += 1
                    self.wakeup.wait()
                    self.idle -= 1
                job = self.jobs.popleft()
                if self.threads > self.limit:  # the limit was lowered: retire, leave the job
                    self.threads -= 1
                    self.jobs.appendleft(job)
                    self.wakeup.notify()
                    return
            job()

    def release(self) -> None:
        """A program that used the pool has ended: when none is left, idle threads exit."""
        with self.lock:
            self.users -= 1
            if self.users == 0:
                self.wakeup.notify_all()


_pool: Final = _Pool(min(64, (os.cpu_count() or 1) * 8))


def set_max_threads(n: int) -> int:
    """Bound the threads ``to_thread`` may use; return the previous bound (Go: ``debug.SetMaxThreads``).

    Calls beyond the bound wait for a free thread. Threads above a lowered bound exit as they
    become idle.
    """
    if n < 1:
        raise ValueError(f"set_max_threads: need at least one thread, got {n}")
    with _pool.lock:
        prev, _pool.limit = _pool.limit, n
        _pool.wakeup.notify_all()
    return prev


def to_thread(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run ``fn(*args, **kwargs)`` on an OS thread; park this goroutine until it returns.

    Go: what the runtime does around a blocking system call — the goroutine waits ("syscall")
    while the others keep running. Returns ``fn``'s result or raises its exception. ``fn`` must
    not use gochan (it runs on another thread); the calling goroutine's context variables are
    copied to it, as ``asyncio.to_thread`` does. If the program ends first (main returns), the
    call is abandoned, as Go abandons a goroutine in a syscall: the thread finishes it on its
    own and the result is dropped; ``run`` does not wait for it.
    """
    s = tls.sched or current_scheduler()
    g = s.current
    box: list[Any] = [g]  # [waiting G or None, then the outcome]
    ctx = contextvars.copy_context()

    def call() -> None:  # on a pool thread
        try:
            outcome: tuple[bool, Any] = (True, ctx.run(fn, *args, **kwargs))
        except BaseException as e:  # noqa: BLE001 - handed back to the goroutine
            outcome = (False, e)
        s.call_soon_threadsafe(lambda: finish(outcome))

    def finish(out: tuple[bool, Any]) -> None:  # on the scheduler's thread
        s.release()
        waiter = box[0]
        if waiter is not None:
            s.ready(waiter, out)

    if not s.used_threads:
        s.used_threads = True
        with _pool.lock:
            _pool.users += 1
        s.atclose.append(_pool.release)
    s.hold()  # creates the wake-up socket before another thread can use it
    _pool.submit(call)
    try:
        out: tuple[bool, Any] = s.park("syscall")  # finish readies with the outcome
    except BaseException:
        box[0] = None  # undo: the result is dropped when it arrives
        raise
    if out[0]:
        result: T = out[1]  # fn's T
        return result
    raise out[1]


@final
class ThreadBridge:
    """A door from other OS threads into one scheduler.

    Created on the scheduler's thread by :func:`thread_bridge`. While open, the scheduler does
    not report deadlock, since the other thread may still start or wake goroutines. Use as a
    context manager, or call :meth:`close` when the other side is done.
    """

    __slots__ = ("_sched", "_open")

    def __init__(self, sched: Scheduler) -> None:
        self._sched = sched
        self._open = True
        sched.hold()

    def call_soon(self, fn: Callable[..., object], /, *args: Any) -> None:
        """Run ``fn(*args)`` on the scheduler's thread soon. Thread-safe; ``fn`` must not block.

        ``fn`` may use non-blocking operations (``try_send``, ``go``, ``close``); to do something
        that blocks, use :meth:`go`.
        """
        if not self._open:
            raise RuntimeError("ThreadBridge is closed: open a new one with gochan.thread_bridge()")
        def call() -> None:
            fn(*args)

        self._sched.call_soon_threadsafe(call)

    def go(self, fn: Callable[..., object], /, *args: Any, **kwargs: Any) -> None:
        """Start ``fn(*args, **kwargs)`` in a new goroutine on the scheduler. Thread-safe.

        ``bridge.go(ch.send, value)`` is how another thread sends a value into a channel.
        """
        where = call_site()
        self.call_soon(lambda: self._sched.spawn(fn, args, kwargs, 0, where))

    def close(self) -> None:
        """Close the bridge (idempotent). Thread-safe."""
        if self._open:
            self._open = False
            s = self._sched
            s.call_soon_threadsafe(s.release)

    def __enter__(self) -> ThreadBridge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def thread_bridge() -> ThreadBridge:
    """Open a :class:`ThreadBridge` into the calling goroutine's scheduler."""
    return ThreadBridge(tls.sched or current_scheduler())
