"""OS threads: Go's syscall hand-off (``to_thread``) and the door other threads use into a scheduler.

Design: a call that would block the whole scheduler (file I/O, a C library, a blocking client)
runs on a bounded pool of OS threads while its goroutine parks with reason "syscall"; the result
(or exception) comes back through the scheduler's wake-up socket. Other threads never touch
scheduler state: ``ThreadBridge.call_soon``/``go`` queue work that the scheduler runs on its own
thread. Outstanding thread work and open bridges keep the deadlock detector quiet, because
something outside may still wake a goroutine.

Invariants:
  s.outstanding counts to_thread calls in flight plus open bridges (plus signal subscriptions)
  a to_thread result readies its goroutine at most once, and never after an undo
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import os
import sys
import threading
from collections.abc import Callable
from typing import Any, Final, TypeVar, final

from ._sched import Scheduler, _tls, current_scheduler

__all__ = ["ThreadBridge", "set_max_threads", "thread_bridge", "to_thread"]

T = TypeVar("T")

_lock: Final = threading.Lock()
_pool: concurrent.futures.ThreadPoolExecutor | None = None
_max_threads = min(64, (os.cpu_count() or 1) * 8)


def set_max_threads(n: int) -> int:
    """Bound the threads ``to_thread`` may use; return the previous bound (Go: ``debug.SetMaxThreads``).

    Calls beyond the bound wait for a free thread. Takes effect for threads started afterwards.
    """
    global _pool, _max_threads
    if n < 1:
        raise ValueError(f"set_max_threads: need at least one thread, got {n}")
    with _lock:
        prev, _max_threads = _max_threads, n
        old, _pool = _pool, None
    if old is not None:
        old.shutdown(wait=False)
    return prev


def _get_pool() -> concurrent.futures.ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = concurrent.futures.ThreadPoolExecutor(_max_threads, thread_name_prefix="gochan-syscall")
        return _pool


def to_thread(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run ``fn(*args, **kwargs)`` on an OS thread; park this goroutine until it returns.

    Go: what the runtime does around a blocking system call — the goroutine waits ("syscall")
    while the others keep running. Returns ``fn``'s result or raises its exception. ``fn`` must
    not use gochan (it runs on another thread); the calling goroutine's context variables are
    copied to it, as ``asyncio.to_thread`` does.
    """
    s = _tls.sched or current_scheduler()
    box: list[Any] = [s.current]

    def finish(fut: concurrent.futures.Future[T]) -> None:  # on the scheduler's thread
        s.outstanding -= 1
        g = box[0]
        if g is not None:
            s.ready(g, fut)

    def done(fut: concurrent.futures.Future[T]) -> None:  # on the worker thread
        s.call_soon_threadsafe(lambda: finish(fut))

    s.get_poller()  # the wake-up socket must exist before another thread can use it
    fut = _get_pool().submit(contextvars.copy_context().run, fn, *args, **kwargs)
    s.outstanding += 1
    fut.add_done_callback(done)
    try:
        result: concurrent.futures.Future[T] = s.park("syscall")  # type: ignore[assignment]  # ready passes fut
    except BaseException:
        box[0] = None  # undo: the result is dropped when it arrives
        raise
    return result.result()


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
        sched.get_poller()
        sched.outstanding += 1

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
        f = sys._getframe(1)
        where = (f.f_code, f.f_lineno)
        self.call_soon(lambda: self._sched.spawn(fn, args, kwargs, 0, where))

    def close(self) -> None:
        """Close the bridge (idempotent). Thread-safe."""
        if self._open:
            self._open = False
            s = self._sched
            s.call_soon_threadsafe(lambda: setattr(s, "outstanding", s.outstanding - 1))

    def __enter__(self) -> ThreadBridge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def thread_bridge() -> ThreadBridge:
    """Open a :class:`ThreadBridge` into the calling goroutine's scheduler."""
    return ThreadBridge(_tls.sched or current_scheduler())
