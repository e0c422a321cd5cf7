"""Futures: one result, delivered once, awaited by anyone (Go: a buffered ``chan T`` of one).

Go has no future type; it writes one by hand::

    c := make(chan result, 1)
    go func() { c <- compute() }()
    ...
    r := <-c

:class:`Future` is that channel made reusable: any number of goroutines may wait for the result
(a Go channel delivers it to one), ``done()`` is a channel closed on completion — usable in
``select`` like ``ctx.done()`` — and an exception is carried to whoever asks for the result
(a Go function returns an ``error``; a Python one raises). :func:`promise` is the ``go func()``
above.

Design: a Future is a small record: a state, a value or an exception, and its done channel,
made on first demand — a pool resolves many futures nobody selects on, and a channel per task
would be most of a task's cost. Waiting goes through the public API only: ``result()`` receives
from ``done()``.

Unobserved errors. An exception escaping a goroutine ends the program (Go's crash); an exception
*caught into a future* must not vanish instead. A future whose exception nobody read — through
:meth:`Future.result` or :meth:`Future.exception` — is reported when the future is garbage
collected (asyncio's "Future exception was never retrieved"), to the hook installed with
:func:`set_unobserved_error_hook`. The default hook hands it to ``sys.unraisablehook``, Python's
own channel for errors nobody can catch (pytest turns it into a warning; the interpreter prints
it to stderr). A future still unread when the interpreter exits is reported then. Futures
cancelled by a pool's shutdown before their task started are not reported: the task never ran,
so it has no error.

Cost: the value slot doubles as the state (two sentinels, pending and failed), so a future is
two attribute writes to make and one to resolve; only a failure registers a ``weakref.finalize``
(the report), detached when the exception is read. No ``__del__``: every collected future would
pay a call for the rare one that failed.

Invariants:
  _value is _PENDING   iff  the future is not resolved
  _value is _FAILED    iff  _exc (and _tb) hold the exception
  _done is not None and _value is not _PENDING  implies  _done is closed
  _fin is alive        iff  failed, reportable and not yet read
"""

from __future__ import annotations

import sys
import weakref
from collections.abc import Callable
from types import TracebackType
from typing import Final, Generic, TypeVar, TypeVarTuple, cast, final

from gochan import Chan, RecvChan, go, recv, select
from gochan.context import Context

__all__ = [
    "Future",
    "UnobservedErrorHook",
    "promise",
    "set_unobserved_error_hook",
]

T = TypeVar("T")
R = TypeVar("R")
Ts = TypeVarTuple("Ts")

_PENDING: Final = object()  # _value of a future not yet resolved
_FAILED: Final = object()  # _value of a future resolved with an exception (in _exc)

UNOBSERVED: Final = "Future exception was never retrieved"

UnobservedErrorHook = Callable[[BaseException], None]
"""Called as ``hook(exc)`` for an exception nobody read, once its future is collected (or at exit)."""


class _Unraisable:
    """What ``sys.unraisablehook`` expects: ``exc_type``, ``exc_value``, ``exc_traceback``, ``err_msg``, ``object``."""

    __slots__ = ("err_msg", "exc_traceback", "exc_type", "exc_value", "object")

    def __init__(self, exc: BaseException) -> None:
        self.exc_type = type(exc)
        self.exc_value = exc
        self.exc_traceback = exc.__traceback__
        self.err_msg = UNOBSERVED
        self.object = None


def _report_unraisable(exc: BaseException) -> None:
    sys.unraisablehook(cast("sys.UnraisableHookArgs", _Unraisable(exc)))  # duck-typed: the hook reads attributes


_hook: UnobservedErrorHook = _report_unraisable


def _report(exc: BaseException) -> None:
    _hook(exc)  # the hook installed when the report is made, not when the future failed


def set_unobserved_error_hook(hook: UnobservedErrorHook | None) -> UnobservedErrorHook:
    """Install ``hook(exc)`` for exceptions nobody read; None restores the default. Returns the previous hook.

    The default passes the exception to ``sys.unraisablehook`` with the message "Future
    exception was never retrieved". A hook runs inside a garbage collection: it must not block.
    """
    global _hook
    prev = _hook
    _hook = _report_unraisable if hook is None else hook
    return prev


@final
class Future(Generic[T]):
    """The eventual result of one computation: a value or an exception (Go: a ``chan T`` of one, read by many).

    Resolved once, by the pool, dispatcher or :func:`promise` that made it. ``done()`` is a
    channel closed on completion (Go's ``ctx.Done()`` idiom); ``result()`` waits and returns the
    value or raises the exception.
    """

    __slots__ = ("__weakref__", "_done", "_exc", "_fin", "_tb", "_value")

    _done: Chan[None] | None
    _value: object  # a T, or _PENDING / _FAILED
    _exc: BaseException
    _tb: TracebackType | None
    _fin: weakref.finalize[[BaseException], Future[T]] | None

    def __init__(self) -> None:
        self._value = _PENDING
        self._done = None  # made on first demand (done() or a blocking result())

    def __repr__(self) -> str:
        v = self._value
        return (
            "<Future pending>"
            if v is _PENDING
            else f"<Future failed {self._exc!r}>"
            if v is _FAILED
            else "<Future done>"
        )

    def done(self) -> RecvChan[None]:
        """A channel closed once the future is resolved; never sent on (Go: ``<-ctx.Done()`` style).

        ``select(recv(fut.done()), recv(ctx.done()))`` waits for either.
        """
        ch = self._done
        if ch is None:
            ch = self._done = Chan()
            if self._value is not _PENDING:
                ch.close()
        return ch

    def ready(self) -> bool:
        """Whether the future is resolved (a non-blocking look at ``done()``)."""
        return self._value is not _PENDING

    def result(self, ctx: Context | None = None) -> T:
        """Wait for the result; return the value or raise the exception the computation raised.

        With ``ctx``, stop waiting when it is done: raises ``ctx.err()`` (the computation goes on).
        Go: ``r := <-c``, or ``select { case r := <-c: ...; case <-ctx.Done(): ... }``.
        """
        if self._value is _PENDING:
            self._wait(ctx)
        if self._value is _FAILED:
            self._observe()
            raise self._exc.with_traceback(self._tb)  # not a traceback that grows at each raise
        return cast(T, self._value)  # resolved, not failed: a T

    def exception(self, ctx: Context | None = None) -> BaseException | None:
        """Wait like :meth:`result`; return the exception the computation raised, or None."""
        if self._value is _PENDING:
            self._wait(ctx)
        if self._value is _FAILED:
            self._observe()
            return self._exc
        return None

    def _observe(self) -> None:
        fin = self._fin
        if fin is not None:
            fin.detach()
            self._fin = None

    def _wait(self, ctx: Context | None) -> None:
        cd = ctx.done() if ctx is not None else None
        if cd is None:
            self.done().recv()
            return
        assert ctx is not None
        if select(recv(self.done()), recv(cd))[0] == 1 and self._value is _PENDING:
            err = ctx.err()
            assert err is not None
            raise err

    # -- resolution (by the pattern that made the future) ------------------------------------

    def _resolve(self, value: T) -> None:
        """Set the value and wake every waiter. A future is resolved once."""
        assert self._value is _PENDING, "a future is resolved once"
        self._value = value
        if self._done is not None:
            self._done.close()

    def _fail(self, exc: BaseException, *, report: bool = True) -> None:
        """Set the exception and wake every waiter; ``report=False``: never report it unobserved."""
        assert self._value is _PENDING, "a future is resolved once"
        self._exc = exc
        self._tb = exc.__traceback__
        self._value = _FAILED
        self._fin = weakref.finalize(self, _report, exc) if report else None
        if self._done is not None:
            self._done.close()

    def _run(self, fn: Callable[[*Ts], T], args: tuple[*Ts]) -> None:
        """Run ``fn(*args)`` here and resolve with what it returns or raises (an Exception only)."""
        try:
            v = fn(*args)
        except Exception as e:  # noqa: BLE001 - the task's error belongs to its future
            self._fail(e)
            del self  # e's traceback keeps this frame: it must not keep the future too (a cycle delays its report)
        else:
            self._resolve(v)


def promise(fn: Callable[[*Ts], R], /, *args: *Ts) -> Future[R]:
    """Start ``fn(*args)`` in a new goroutine; return the Future of its result.

    Go: ``c := make(chan T, 1); go func() { c <- fn(args) }()``. An ``Exception`` raised by
    ``fn`` goes into the future; a ``BaseException`` (an interrupt) ends the program as usual.
    """
    f: Future[R] = Future()
    go(f._run, fn, args)
    return f
