"""Go's ``context`` package: cancellation, deadlines and request-scoped values for goroutines.

A :class:`Context` carries a cancellation signal — ``ctx.done()``, a channel closed when the
context is cancelled, usable in ``select`` — plus an optional deadline and values, across API
boundaries and goroutines. Contexts form a tree: cancelling one cancels all its descendants.

Rules of use (Go's, from the ``context`` package documentation):

- Pass a ctx explicitly, as the first parameter of each function that needs it, named ``ctx``.
  Never store a ctx in an object or a global; pass it down the call chain.
- Never pass ``None`` for a ctx; pass :func:`todo` if unsure which context to use.
- Always call the ``cancel`` function that ``with_cancel``/``with_timeout``/... return, as soon
  as the work it covers is done (``with with_cancel(parent) as (ctx, cancel):`` does it on exit).
  Until then the child stays registered with its parent, and its timer stays armed.
- Use values only for request-scoped data that crosses processes and APIs, not to pass optional
  parameters; key them with objects of your own (an ``object()`` or an instance of a private
  class), never with bare strings other packages could also use.

The API, in Go's terms::

    background(), todo()                          the roots: never cancelled, no deadline, no values
    with_cancel(parent)        -> (ctx, cancel)   cancel() cancels ctx and its descendants
    with_cancel_cause(parent)  -> (ctx, cancel)   cancel(cause); cause(ctx) then returns cause
    with_deadline(parent, when) / with_timeout(parent, seconds)      (+ the *_cause variants)
    with_value(parent, key, value), ctx.value(key)
    without_cancel(parent)                        values of parent, none of its cancellation
    after_func(ctx, fn)        -> stop            fn runs in a goroutine once ctx is done

Every ``(ctx, cancel)`` pair is a :class:`Cancelable`: a named tuple that is also a context
manager calling ``cancel()`` on exit, so both Go's form and a ``with`` block read naturally::

    ctx, cancel = context.with_timeout(parent, 5.0)
    try: ...
    finally: cancel()                      # Go: defer cancel()

    with context.with_timeout(parent, 5.0) as (ctx, cancel): ...

``ctx.err()`` is ``None`` until the context is done, then always the *same* instance: the
module's :data:`CANCELED` (``CanceledError("context canceled")``) or :data:`DEADLINE_EXCEEDED`
(``DeadlineExceededError("context deadline exceeded")``, a ``TimeoutError``), as Go's sentinel
errors ``context.Canceled`` and ``context.DeadlineExceeded``. Raising a shared instance would
make Python chain every raise's frames onto its ``__traceback__`` (a leak in a long-lived
program), so ``err()`` and :func:`cause` clear the sentinel's traceback, context and notes each
time they return it (except inside a handler of that very exception): ``raise ctx.err()`` always
starts a fresh traceback.

Deadlines are float seconds on the scheduler's clock (``time.monotonic()`` in a normal program,
the virtual clock in a bubble), not wall-clock times. A deadline arms a runtime timer, stopped
when the context is cancelled first; a deadline already passed cancels the context at once; a
deadline of ``inf`` (``with_timeout(parent, math.inf)``) never passes and arms no timer. A
deadline or timeout that is not a number (or is a bool) raises TypeError, a NaN one ValueError,
each naming the function and the argument.

Design. As in Go, the cancellable contexts (:func:`with_cancel`, deadlines, and the hidden
context behind :func:`after_func`) are ``_CancelCtx`` records; a value or ``without_cancel``
context is a thin wrapper that reports its nearest such ancestor's ``done``/``err``. A new
cancellable context registers with its nearest cancellable ancestor (skipping value contexts)
in that ancestor's ``_children``; cancelling walks the subtree (iteratively: a chain of 100 000
contexts must not hit the recursion limit), and a context cancelled on its own removes itself
from its parent, so a long-lived parent does not accumulate dead children. A parent that is a
foreign :class:`Context` (a user's subclass) that offers Go 1.21's ``after_func(f) -> stop`` hook
is asked to call back on cancellation; any other foreign parent is watched by a goroutine, as
Go does. The done
channel is created on first use; a context cancelled before anyone asked for it shares one
closed channel.

Differences from Go: a context belongs to the scheduler (OS thread) it is used on: cancel it
from another thread through ``call_soon_threadsafe``. Children are cancelled in the order they
were created (Go: map order). Value keys match when they are of the same type and equal (Go's
interface comparison): ``1`` and ``True`` are different keys.
"""
# Invariants (single scheduler thread; between operations):
#   c._err is None        iff  c is not cancelled;  c._children is None  iff  c is cancelled
#   k in c._children      implies  k._err is None and k._registered is c
#   c._done is not None and c._err is not None  implies  c._done is closed
#   c._timer is not None  implies  it is pending and c._err is None (timer contexts)
#   c._stop is not None   implies  c._registered is None and c._err is None

from __future__ import annotations

import math
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable
from types import CodeType, TracebackType
from typing import Final, Generic, NamedTuple, Protocol, Self, TypeVar, final

from ._chan import Chan, RecvChan
from ._runtime import RTimer, Scheduler, call_site, current_scheduler
from ._select import recv, select
from ._time import seconds_arg
from .errors import CanceledError, DeadlineExceededError

__all__ = [
    "CANCELED",
    "DEADLINE_EXCEEDED",
    "CancelCauseFunc",
    "CancelFunc",
    "Cancelable",
    "Context",
    "after_func",
    "background",
    "cause",
    "todo",
    "with_cancel",
    "with_cancel_cause",
    "with_deadline",
    "with_deadline_cause",
    "with_timeout",
    "with_timeout_cause",
    "with_value",
    "without_cancel",
]

CANCELED: Final = CanceledError("context canceled")
"""Go's ``context.Canceled``: what ``err()`` returns once a context is cancelled."""

DEADLINE_EXCEEDED: Final = DeadlineExceededError("context deadline exceeded")
"""Go's ``context.DeadlineExceeded``: what ``err()`` returns once a context's deadline passed."""

_NIL_PARENT: Final = "cannot create context from nil parent"
_NIL_KEY: Final = "nil key"
_ON_CLOCK: Final = "a time in seconds on the scheduler clock (gochan.now())"

F = TypeVar("F", bound=Callable[[], None])


def _fresh(e: BaseException | None) -> BaseException | None:
    """Return ``e``; if it is one of the shared sentinels, first drop what its last raise left on it.

    Not while this goroutine is handling that very exception (an ``except`` or ``finally`` block
    it is propagating through): its traceback and notes are still wanted.
    """
    if (e is CANCELED or e is DEADLINE_EXCEEDED) and sys.exception() is not e:
        e.__traceback__ = None
        e.__context__ = None
        e.__cause__ = None
        e.__suppress_context__ = False
        if hasattr(e, "__notes__"):
            del e.__notes__
    return e


class Context(ABC):
    """A cancellation signal, a deadline and values, passed down a call chain (Go: ``context.Context``).

    Subclass it to write your own context (Go: a type implementing the interface); every other
    context comes from this module's functions. Its methods may be called as often as wanted;
    they never block.

    A subclass may also define ``after_func(self, f: Callable[[], None]) -> Callable[[], bool]``
    (Go 1.21: an ``AfterFunc`` method): call ``f`` once this context is cancelled (in a new
    goroutine, or directly: ``f`` never blocks), and return a ``stop`` that unregisters ``f``
    and returns whether it did. Contexts derived from such a parent register through that hook
    instead of a watching goroutine, so the parent may signal cancellation through it alone.
    """

    __slots__ = ()

    @abstractmethod
    def deadline(self) -> float | None:
        """When this context will be cancelled by its deadline (scheduler clock), or None.

        Go: ``ctx.Deadline()``. The earliest of its own deadline and its ancestors'.
        """

    @abstractmethod
    def done(self) -> RecvChan[None] | None:
        """A channel closed when this context is cancelled; None if it can never be (Go: ``ctx.Done()``).

        None is Go's nil channel: a ``select`` case on it is never ready. Successive calls
        return the same channel.
        """

    @abstractmethod
    def err(self) -> BaseException | None:
        """None while ``done()`` is open; then :data:`CANCELED` or :data:`DEADLINE_EXCEEDED` (Go: ``ctx.Err()``)."""

    @abstractmethod
    def value(self, key: object) -> object:
        """The value associated with ``key`` by the nearest :func:`with_value`, or None (Go: ``ctx.Value(key)``)."""


CancelFunc = Callable[[], None]
"""Go's ``context.CancelFunc``: cancels its context; later calls do nothing."""


class CancelCauseFunc(Protocol):
    """Go's ``context.CancelCauseFunc``: cancels its context, recording ``cause`` (None: :data:`CANCELED`).

    Only the first cancellation counts: later calls change neither ``err()`` nor the cause.
    """

    def __call__(self, cause: BaseException | None = None, /) -> None: ...


class Cancelable(NamedTuple, Generic[F]):
    """A derived context and the function that cancels it: Go's ``ctx, cancel := context.WithCancel(p)``.

    A named tuple (``ctx, cancel = with_cancel(p)``) that is also a context manager: ``with
    with_cancel(p) as (ctx, cancel):`` calls ``cancel()`` when the block exits, however it exits
    (Go: ``defer cancel()``). An exception from the block propagates.
    """

    ctx: Context
    cancel: F

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cancel()


# -- the roots ---------------------------------------------------------------------------------


@final
class _EmptyCtx(Context):
    """``background()`` and ``todo()``: never cancelled, no deadline, no values."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name

    def deadline(self) -> float | None:
        return None

    def done(self) -> RecvChan[None] | None:
        return None

    def err(self) -> BaseException | None:
        return None

    def value(self, key: object) -> object:
        return None


_BACKGROUND: Final = _EmptyCtx("context.background")
_TODO: Final = _EmptyCtx("context.todo")


def background() -> Context:
    """The root of every context tree: never cancelled, no deadline, no values (Go: ``context.Background()``).

    Use it in ``main``, initialisation and tests, and as the top-level context of a request.
    Always returns the same object.
    """
    return _BACKGROUND


def todo() -> Context:
    """A placeholder root for code not yet given a context (Go: ``context.TODO()``); like :func:`background`."""
    return _TODO


# -- cancellable contexts ----------------------------------------------------------------------

_new_tuple: Final = tuple.__new__
_CANCEL_CTX_KEY: Final = object()  # value(_CANCEL_CTX_KEY) finds the nearest _CancelCtx (Go's &cancelCtxKey)
_CLOSED: Final[Chan[None]] = Chan()  # the done channel of a context cancelled before anyone asked for it
_CLOSED.close()


class _CancelCtx(Context):
    """A context that can be cancelled (Go's ``cancelCtx``); base of the timer and after-func contexts."""

    __slots__ = ("_parent", "_deadline", "_done", "_err", "_cause", "_children", "_registered", "_stop")

    _done: Chan[None] | None
    _err: BaseException | None
    _cause: BaseException | None
    _children: dict[_CancelCtx, None] | None
    _registered: _CancelCtx | None
    _stop: Callable[[], object] | None

    def __init__(self, parent: Context, deadline: float | None) -> None:
        self._parent: Final = parent  # for value lookups
        self._deadline = deadline  # never changes: a context's deadline is fixed at creation
        self._done = None  # created on first done(); closed (or set to _CLOSED) on cancel
        self._err = None  # set once, by _cancel
        self._cause = None  # set with _err
        self._children = {}  # uncancelled descendants registered here; None once cancelled
        self._registered = None  # the ancestor whose _children holds us
        self._stop = None  # a foreign parent's after_func hook holds us: this unregisters (Go's stopCtx)

    def __repr__(self) -> str:
        return _name(self)

    def _label(self) -> str:
        return "with_cancel"

    def deadline(self) -> float | None:
        return self._deadline

    def done(self) -> RecvChan[None]:
        d = self._done
        if d is None:
            d = self._done = _CLOSED if self._err is not None else Chan()
        return d

    def err(self) -> BaseException | None:
        return _fresh(self._err)

    def value(self, key: object) -> object:
        return _value(self, key)

    def cancel(self) -> None:
        """The CancelFunc handed out with this context."""
        self._cancel(True, CANCELED, None)

    def cancel_cause(self, cause: BaseException | None = None, /) -> None:
        """The CancelCauseFunc handed out by :func:`with_cancel_cause`."""
        self._cancel(True, CANCELED, cause)

    def _cancel(self, remove: bool, err: BaseException, cause: BaseException | None) -> None:
        """Cancel this context and every descendant with ``err`` and ``cause`` (None: ``err``).

        Go's ``cancelCtx.cancel``. Does nothing if already cancelled. ``remove``: also
        unregister from the parent (not needed when the parent itself is cancelling us).
        """
        if self._err is not None:
            return
        if cause is None:
            cause = err
        if not self._children and self._registered is None and self._stop is None:  # a lone node: the usual end
            self._err = err
            self._cause = cause
            self._children = None
            self._canceled()
            return
        parent = self._registered
        if remove and parent is not None and parent._children is not None:
            del parent._children[self]
        stop = self._stop if remove else None
        stack: list[_CancelCtx] = [self]
        while stack:  # pre-order, as Go's recursion; a list, not recursion: trees can be deep
            c = stack.pop()
            c._err = err
            c._cause = cause
            kids = c._children
            c._children = None
            c._registered = None
            c._stop = None
            c._canceled()
            if kids:
                stack.extend(reversed(kids))
        if stop is not None:
            stop()  # Go's removeChild of a stopCtx; last: it is the foreign parent's code

    def _canceled(self) -> None:
        """Effects of cancellation on this node alone: close done (timer and after-func add theirs)."""
        d = self._done
        if d is None:
            self._done = _CLOSED
        else:
            d.close()


@final
class _TimerCtx(_CancelCtx):
    """A cancellable context with its own deadline and a runtime timer (Go's ``timerCtx``)."""

    __slots__ = ("_timer", "_sched", "_deadline_cause")

    _timer: RTimer | None  # armed by _with_deadline; None once stopped or fired
    _sched: Scheduler  # whose timer heap holds _timer

    def __init__(self, parent: Context, when: float, cause: BaseException | None) -> None:
        super().__init__(parent, when)
        self._timer = None  # armed by with_deadline_cause; stopped by _canceled
        self._sched = current_scheduler()
        self._deadline_cause = cause

    def _label(self) -> str:
        return f"with_deadline({self._deadline!r})"

    def _canceled(self) -> None:
        super()._canceled()
        if self._timer is not None:
            self._sched.stop_timer(self._timer)
            self._timer = None

    def _fire(self) -> None:
        """The timer's callback (scheduler context): the deadline has passed."""
        self._timer = None
        self._cancel(True, DEADLINE_EXCEEDED, self._deadline_cause)


def _expire(c: _TimerCtx) -> None:
    c._fire()


@final
class _AfterFuncCtx(_CancelCtx):
    """The hidden child :func:`after_func` registers: on cancellation, start ``fn`` (Go's ``afterFuncCtx``)."""

    __slots__ = ("_fn", "_ran", "_where", "_goid")

    _fn: Callable[[], object] | None

    def __init__(self, parent: Context, fn: Callable[[], object], where: tuple[CodeType, int]) -> None:
        super().__init__(parent, None)
        self._fn = fn
        self._ran = False  # Go's once: set by the first of stop() and cancellation
        self._where = where
        self._goid = current_scheduler().current.id

    def _label(self) -> str:
        return "after_func"

    def _canceled(self) -> None:
        super()._canceled()
        fn = self._fn
        self._fn = None
        if not self._ran and fn is not None:
            self._ran = True
            # may run in scheduler context (a timer): created by the after_func call, in its goroutine
            current_scheduler().spawn(fn, (), {}, 0, self._where, goid=self._goid)

    def stop(self) -> bool:
        if self._ran:
            return False
        self._ran = True
        self._cancel(True, CANCELED, None)  # unregisters us: nothing left behind in the parent
        return True


# -- wrappers ------------------------------------------------------------------------------------


@final
class _ValueCtx(Context):
    """``parent`` plus one key/value pair (Go's ``valueCtx``); done/err/deadline are its source's."""

    __slots__ = ("_parent", "_src", "_key", "_val")

    def __init__(self, parent: Context, key: object, val: object) -> None:
        self._parent: Final = parent
        self._src: Final[Context] = parent._src if isinstance(parent, _ValueCtx) else parent  # never a _ValueCtx
        self._key: Final = key
        self._val: Final = val

    def __repr__(self) -> str:
        return _name(self)

    def _label(self) -> str:
        return f"with_value({self._key!r}, {self._val!r})"

    def deadline(self) -> float | None:
        return self._src.deadline()

    def done(self) -> RecvChan[None] | None:
        return self._src.done()

    def err(self) -> BaseException | None:
        return self._src.err()

    def value(self, key: object) -> object:
        return _value(self, key)


@final
class _WithoutCancelCtx(Context):
    """``parent``'s values without its cancellation or deadline (Go's ``withoutCancelCtx``)."""

    __slots__ = ("_parent",)

    def __init__(self, parent: Context) -> None:
        self._parent: Final = parent

    def __repr__(self) -> str:
        return _name(self)

    def _label(self) -> str:
        return "without_cancel"

    def deadline(self) -> float | None:
        return None

    def done(self) -> RecvChan[None] | None:
        return None

    def err(self) -> BaseException | None:
        return None

    def value(self, key: object) -> object:
        return _value(self, key)


def _value(c: Context, key: object) -> object:
    """Walk up from ``c`` to the value for ``key`` (Go's ``value``: a loop, not recursion)."""
    while True:
        if isinstance(c, _ValueCtx):
            k = c._key
            if k is key or (type(k) is type(key) and k == key):
                return c._val
            c = c._parent
        elif isinstance(c, _CancelCtx):
            if key is _CANCEL_CTX_KEY:
                return c
            c = c._parent
        elif isinstance(c, _WithoutCancelCtx):
            if key is _CANCEL_CTX_KEY:
                return None
            c = c._parent
        elif isinstance(c, _EmptyCtx):
            return None
        else:
            return c.value(key)  # a foreign context


def _name(c: Context) -> str:
    """Go's ``String()``: the chain from the root, e.g. ``context.background.with_cancel``."""
    parts: list[str] = []
    while isinstance(c, _CancelCtx | _ValueCtx | _WithoutCancelCtx):
        parts.append(c._label())
        c = c._parent
    parts.append(repr(c))
    return ".".join(reversed(parts))


# -- propagation -------------------------------------------------------------------------------


def _check_parent(parent: Context) -> None:
    if parent is None:
        raise TypeError(_NIL_PARENT)


def _propagate_cancel(parent: Context, child: _CancelCtx) -> None:
    """Arrange for ``child`` to be cancelled when ``parent`` is (Go's ``propagateCancel``)."""
    p = parent._src if isinstance(parent, _ValueCtx) else parent
    if isinstance(p, _EmptyCtx | _WithoutCancelCtx):
        return  # never cancelled
    if not isinstance(p, _CancelCtx):
        done = p.done()
        if done is None:
            return
        anc = p.value(_CANCEL_CTX_KEY)  # a foreign wrapper around one of ours? (Go's parentCancelCtx)
        if not (isinstance(anc, _CancelCtx) and anc.done() is done):
            _attach_foreign(p, done, child)
            return
        p = anc
    if p._err is not None:
        child._cancel(False, p._err, p._cause)
        return
    assert p._children is not None
    p._children[child] = None
    child._registered = p


def _attach_foreign(parent: Context, done: RecvChan[None], child: _CancelCtx) -> None:
    """A foreign parent: cancel ``child`` now if ``parent`` is done, else when it is.

    Go's rules, in order: a parent with an ``after_func(f) -> stop`` method (Go 1.21's
    ``afterFuncer``) is asked to call back on cancellation, and ``stop`` unregisters the child
    when it is cancelled first (Go's ``stopCtx``); such a parent may signal cancellation only
    through that hook. Any other parent is watched by a goroutine until it or the child is done.
    """

    def cancel_child() -> None:
        child._cancel(False, parent.err() or CANCELED, cause(parent))

    if done.try_recv() is not None:
        cancel_child()
        return
    hook = getattr(parent, "after_func", None)
    if callable(hook):
        stop = hook(cancel_child)
        if child._err is None:  # the hook may have called back at once
            child._stop = stop
        return

    def watch() -> None:  # Go: go func() { select { case <-parent.Done(): ...; case <-child.Done(): } }()
        i, _, _ = select(recv(done), recv(child.done()))
        if i == 0:
            cancel_child()

    current_scheduler().spawn(watch, (), {}, 0, where=call_site(skip_module=__name__))


# -- the constructors ----------------------------------------------------------------------------


def with_cancel(parent: Context) -> Cancelable[CancelFunc]:
    """A child of ``parent`` with a cancel function (Go: ``ctx, cancel := context.WithCancel(parent)``).

    ``ctx.done()`` is closed when ``cancel()`` is called or ``parent`` is cancelled, whichever
    happens first; ``ctx.err()`` is then :data:`CANCELED` (or the parent's error).
    """
    _check_parent(parent)
    c = _CancelCtx(parent, parent.deadline())
    _propagate_cancel(parent, c)
    return Cancelable(c, c.cancel)


def with_cancel_cause(parent: Context) -> Cancelable[CancelCauseFunc]:
    """Like :func:`with_cancel`, but ``cancel(cause)`` records why (Go: ``context.WithCancelCause``).

    ``ctx.err()`` is still :data:`CANCELED`; :func:`cause` returns ``cause`` (``cancel()`` or
    ``cancel(None)`` records :data:`CANCELED`).
    """
    if parent is _BACKGROUND:  # a root per request or job: nothing to check, no deadline, nothing to propagate
        c = _CancelCtx(parent, None)
        return _new_tuple(Cancelable, (c, c.cancel_cause))  # Cancelable(...) without its Python-level __new__
    _check_parent(parent)
    c = _CancelCtx(parent, parent.deadline())
    _propagate_cancel(parent, c)
    return Cancelable(c, c.cancel_cause)


def with_deadline(parent: Context, when: float) -> Cancelable[CancelFunc]:
    """A child of ``parent`` cancelled at ``when`` at the latest (Go: ``context.WithDeadline``).

    ``when`` is on the scheduler's clock (:func:`gochan.now`: ``time.monotonic()`` outside a
    bubble). If the parent's deadline is earlier, this is :func:`with_cancel`; a deadline already
    passed cancels the child at once. Once the deadline passes, ``err()`` is :data:`DEADLINE_EXCEEDED`.
    A deadline of ``inf`` never passes: ``deadline()`` reports it, and no timer is armed.
    Raises TypeError if ``when`` is not a number (or is a bool), ValueError if it is NaN.
    """
    when = seconds_arg("with_deadline", "deadline", when, _ON_CLOCK)
    return _with_deadline(parent, when, None)


def with_deadline_cause(parent: Context, when: float, cause: BaseException | None) -> Cancelable[CancelFunc]:
    """:func:`with_deadline` whose expiry records ``cause`` for :func:`cause` (Go: ``WithDeadlineCause``).

    ``cause`` applies only when the deadline passes; ``cancel()`` records :data:`CANCELED`.
    """
    when = seconds_arg("with_deadline_cause", "deadline", when, _ON_CLOCK)
    return _with_deadline(parent, when, cause)


def _with_deadline(parent: Context, when: float, cause: BaseException | None) -> Cancelable[CancelFunc]:
    """Go's ``WithDeadlineCause``, for a ``when`` already checked (a number, not NaN)."""
    _check_parent(parent)
    cur = parent.deadline()
    if cur is not None and cur < when:
        return with_cancel(parent)  # the parent's deadline comes first anyway
    c = _TimerCtx(parent, when, cause)
    _propagate_cancel(parent, c)
    s = current_scheduler()
    if when <= s.clock():
        c._cancel(True, DEADLINE_EXCEEDED, cause)  # already passed
    elif c._err is None and when != math.inf:  # +inf never passes: a timer there would drag a bubble's clock to inf
        c._timer = s.add_timer(when, _expire, c)
    return Cancelable(c, c.cancel)


def with_timeout(parent: Context, seconds: float) -> Cancelable[CancelFunc]:
    """``with_deadline(parent, now + seconds)`` (Go: ``context.WithTimeout(parent, d)``).

    ``seconds <= 0`` cancels the child at once; ``inf`` gives a deadline that never passes.
    Raises TypeError if ``seconds`` is not a number (or is a bool), ValueError if it is NaN.
    """
    seconds = seconds_arg("with_timeout", "timeout", seconds)
    return _with_deadline(parent, current_scheduler().clock() + seconds, None)


def with_timeout_cause(parent: Context, seconds: float, cause: BaseException | None) -> Cancelable[CancelFunc]:
    """``with_deadline_cause(parent, now + seconds, cause)`` (Go: ``context.WithTimeoutCause``)."""
    seconds = seconds_arg("with_timeout_cause", "timeout", seconds)
    return _with_deadline(parent, current_scheduler().clock() + seconds, cause)


def with_value(parent: Context, key: object, value: object) -> Context:
    """A child of ``parent`` whose ``value(key)`` is ``value`` (Go: ``context.WithValue``).

    Everything else (cancellation, deadline, other keys) is the parent's. Keys match when they
    have the same type and compare equal; use a key of your own (see the module docstring).
    Raises TypeError("nil key") for a None key.
    """
    _check_parent(parent)
    if key is None:
        raise TypeError(_NIL_KEY)
    return _ValueCtx(parent, key, value)


def without_cancel(parent: Context) -> Context:
    """A child with ``parent``'s values but never cancelled, without deadline (Go 1.21: ``WithoutCancel``).

    For work that must outlive the request that started it (an audit log written after the
    reply): its ``done()`` is None and ``err()`` is None.
    """
    _check_parent(parent)
    return _WithoutCancelCtx(parent)


def cause(ctx: Context) -> BaseException | None:
    """Why ``ctx`` was cancelled (Go 1.20: ``context.Cause(ctx)``).

    The cause given to the :func:`with_cancel_cause` cancel function or the ``*_cause`` deadline
    that cancelled ``ctx`` or an ancestor; otherwise ``ctx.err()`` (None while not cancelled).
    """
    c = _value(ctx, _CANCEL_CTX_KEY)
    if isinstance(c, _CancelCtx):
        return _fresh(c._cause)
    return ctx.err()


def after_func(ctx: Context, fn: Callable[[], object]) -> Callable[[], bool]:
    """Run ``fn()`` in its own goroutine once ``ctx`` is done (Go 1.21: ``context.AfterFunc``).

    If ``ctx`` is already done, ``fn`` starts at once (in a new goroutine). Returns ``stop``:
    ``stop()`` unregisters ``fn`` and returns True if that prevented it from being started;
    False if ``fn`` was already started or stopped. Stopping does not wait for a running ``fn``.
    """
    a = _AfterFuncCtx(ctx, fn, call_site(skip_module=__name__))
    _propagate_cancel(ctx, a)
    return a.stop
