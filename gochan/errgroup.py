"""Go's ``golang.org/x/sync/errgroup``: goroutines working on subtasks of one task, first error wins.

A :class:`Group` runs functions in goroutines (:meth:`Group.go`), waits for all of them
(:meth:`Group.wait`) and reports the first error. :func:`with_context` adds a context that is
cancelled as soon as one goroutine fails, so its siblings can stop early, and in any case when
``wait`` returns. :meth:`Group.set_limit` bounds how many goroutines run at once.

Errors. A Go function returns an ``error``; a Python function raises. So an ``Exception``
raised by a group's function *is that goroutine's error*: it is caught, recorded if it is the
first, and does not crash the program. What the function returns is ignored (Go's ``f`` returns
only an error). A ``BaseException`` that is not an ``Exception`` (``KeyboardInterrupt``,
``SystemExit``, ``GreenletExit``) is not an error: it escapes the goroutine and ends the program
like any goroutine's, as a Go panic does (errgroup does not recover panics either). ``wait()``
raises the first error — the exception object the function raised, with its traceback and a
note naming the goroutine — after *every* goroutine has finished; it returns None if none failed.

Design. Go's own: a :class:`gochan.sync.WaitGroup` counts the goroutines; the limit is a
buffered channel of tokens (``go`` sends one before starting a goroutine and blocks while the
channel is full, so a goroutine dump shows ``[chan send]`` as in Go; the goroutine receives its
token back when it ends). The first error is kept and, with a context, cancels it with that
error as the cause (:func:`gochan.context.cause` returns it).

Difference from Go: each goroutine gives its token back to the channel it took it from. Go's
goroutines read the group's *current* limit channel when they end, so raising a limit while
unlimited goroutines run (which Go allows) can leave one blocked forever; here it cannot.
"""
# Invariants (between operations):
#   len(_sem) == number of group goroutines started through the current limit and still running
#   _err is None  iff  no group function has raised an Exception yet
#   _err is not None and _cancel is not None  implies  the group's context is cancelled

from __future__ import annotations

import functools
from collections.abc import Callable
from types import TracebackType
from typing import Final, TypeVarTuple, final

from . import context
from ._chan import Chan
from ._runtime import check_call, current_scheduler, describe_creation
from .errors import SyncError
from .sync import WaitGroup

__all__ = ["Group", "with_context"]

Ts = TypeVarTuple("Ts")

_MODIFY_LIMIT: Final = "errgroup: modify limit while {} goroutines in the group are still active"


@final
class Group:
    """A collection of goroutines working on subtasks of a common task (Go: ``errgroup.Group``).

    A plain ``Group()`` is valid, has no limit and does not cancel anything on error (Go: a zero
    Group); :func:`with_context` makes one that cancels a context.
    """

    __slots__ = ("_wg", "_sem", "_err", "_tb", "_cancel")

    _sem: Chan[None] | None
    _err: Exception | None

    def __init__(self) -> None:
        self._wg = WaitGroup()
        self._sem = None  # the limit's tokens: one per running goroutine; None: no limit
        self._err = None  # the first error; set once
        self._tb: TracebackType | None = None  # its traceback as raised: wait re-raises from it
        self._cancel: context.CancelCauseFunc | None = None  # with_context's cancel

    def __repr__(self) -> str:
        limit = "none" if self._sem is None else f"{len(self._sem)}/{self._sem.cap}"
        return f"<errgroup.Group limit={limit} err={self._err!r}>"

    def go(self, fn: Callable[[*Ts], object], /, *args: *Ts) -> None:
        """Call ``fn(*args)`` in a new goroutine (Go: ``g.Go(f)``).

        Blocks while the group already runs as many goroutines as its limit allows, until one
        of them ends. An ``Exception`` raised by ``fn`` is its error: the first one is what
        :meth:`wait` raises and, with a context, cancels it. The return value is ignored.
        """
        check_call("Group.go", fn, args, {})
        sem = self._sem
        if sem is not None:
            sem.send(None)  # Go: g.sem <- token{}; blocks at the limit
        self._start(fn, args, sem)

    def try_go(self, fn: Callable[[*Ts], object], /, *args: *Ts) -> bool:
        """Call ``fn(*args)`` in a new goroutine only if the limit allows it now (Go: ``g.TryGo(f)``).

        Returns whether the goroutine was started; never blocks.
        """
        check_call("Group.try_go", fn, args, {})
        sem = self._sem
        if sem is not None and not sem.try_send(None):
            return False
        self._start(fn, args, sem)
        return True

    def wait(self) -> None:
        """Block until every goroutine of the group has ended; then raise the first error, if any.

        Go: ``err := g.Wait()``. With :func:`with_context`, the context is cancelled when this
        returns or raises (with the error as its cause, or :data:`gochan.context.CANCELED`).
        Calling it again raises the same error again.
        """
        self._wg.wait()
        err = self._err
        if self._cancel is not None:
            self._cancel(err)
        if err is not None:
            raise err.with_traceback(self._tb)  # not an ever-longer traceback

    def set_limit(self, n: int) -> None:
        """Limit the number of goroutines running at once to ``n``; a negative ``n`` removes the limit.

        Go: ``g.SetLimit(n)``. Raises SyncError("errgroup: modify limit while N goroutines in
        the group are still active") if a limit is set and goroutines started under it still
        run. A limit of 0 makes every later :meth:`go` block forever, as in Go.
        """
        if n < 0:
            self._sem = None
            return
        if self._sem is not None and len(self._sem):
            raise SyncError(_MODIFY_LIMIT.format(len(self._sem)))
        self._sem = Chan(n)

    def _start(self, fn: Callable[[*Ts], object], args: tuple[*Ts], sem: Chan[None] | None) -> None:
        """Start the goroutine (its token, if any, is already in ``sem``)."""
        self._wg.add(1)

        @functools.wraps(fn)  # dumps and crash notes name the user's function
        def task() -> None:
            try:
                fn(*args)
            except Exception as e:  # noqa: BLE001 - an Exception is the goroutine's error (Go: f returns it)
                self._fail(e)
            finally:
                if sem is not None:
                    sem.recv()  # Go: <-g.sem; our token is buffered, so this never blocks
                self._wg.done()

        try:
            current_scheduler().spawn(task, (), {}, 3)  # depth 3: the caller of go/try_go
        except BaseException:
            if sem is not None:  # the goroutine will never run (the program has ended)
                sem.try_recv()
            self._wg.done()
            raise

    def _fail(self, e: Exception) -> None:
        """Record ``e`` if it is the group's first error, and cancel the context with it (Go: errOnce)."""
        if self._err is not None:
            return
        g = current_scheduler().current
        e.add_note(f"errgroup: raised in goroutine {g.id}; {describe_creation(g)}")
        self._err = e
        self._tb = e.__traceback__
        if self._cancel is not None:
            self._cancel(e)


def with_context(parent: context.Context) -> tuple[Group, context.Context]:
    """A new Group and a context derived from ``parent`` (Go: ``g, ctx := errgroup.WithContext(parent)``).

    The context is cancelled the first time a function started by the group raises (its cause,
    :func:`gochan.context.cause`, is that exception), or when :meth:`Group.wait` returns,
    whichever comes first; ``ctx.err()`` is then :data:`gochan.context.CANCELED`.
    """
    ctx, cancel = context.with_cancel_cause(parent)
    g = Group()
    g._cancel = cancel
    return g, ctx
