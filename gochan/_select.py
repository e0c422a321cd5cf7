"""The select statement: wait on several channel operations, take one that is ready.

Go: ``select { case v, ok := <-a: ...; case b <- x: ...; default: ... }``.

Design: the result mirrors ``reflect.Select``: ``(index, value, ok)``, with index ``-1`` for the
default case, so that Python's ``match`` reads like Go's select::

    match select(recv(jobs), recv(quit), send(out, x), default=True):
        case (0, job, True): handle(job)
        case (1, _, _):      return
        case (2, _, _):      sent()
        case (-1, _, _):     idle()

Cases are plain tuples ``(channel, is_send, value)`` built by :func:`recv` and :func:`send`; the
type checker sees them as ``Case[T]`` and narrows the result per index, so ``job`` above is a
``T`` without a cast.

selectgo, in named passes:
  1. poll: find every ready case; take one uniformly at random (Go polls in a random order and
     takes the first ready case, which is the same distribution); a send case on a closed
     channel counts as ready and raises, as in Go.
  2. default: nothing ready and a default given: take it.
  3. park on all: one SelWaiter per non-nil case, queued on its channel; park.
  4. cancel the losers: the first channel to fire claims the select (g.selectdone); on wake-up
     the other waiters are removed from their queues.

A select with one case and no default is lowered to the plain operation (as Go's compiler
does), so its wait reason is "chan receive"/"chan send", with "(nil chan)" for a None channel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, Literal, NoReturn, TypeVar, Union, overload

from ._chan import RecvChan, SendChan, _live_head
from ._runtime import SelWaiter, current_scheduler
from ._runtime._sched import _tls
from .errors import ClosedChannelError

__all__ = ["Case", "recv", "select", "send"]

T = TypeVar("T")
L = TypeVar("L")
T0 = TypeVar("T0")
T1 = TypeVar("T1")
T2 = TypeVar("T2")
T3 = TypeVar("T3")
T4 = TypeVar("T4")
T5 = TypeVar("T5")
T6 = TypeVar("T6")
T7 = TypeVar("T7")

if TYPE_CHECKING:

    class Case(tuple[object, bool, object], Generic[T]):
        """One select case carrying values of type ``T`` (a receive) or ``None`` (a send)."""

else:
    Case = tuple  # at run time a case is a plain (channel, is_send, value) tuple

# The result for case L: (L, value, True), or (L, zero-or-None, False) once the channel is closed.
_Arm = Union[tuple[L, T, Literal[True]], tuple[L, T | None, Literal[False]]]
_Default = tuple[Literal[-1], None, Literal[False]]


def recv(ch: RecvChan[T] | None) -> Case[T]:
    """A receive case for :func:`select` (Go: ``case v, ok := <-ch``); ``None`` is a nil channel."""
    return (ch, False, None)  # type: ignore[return-value]  # Case is a tuple at run time


def send(ch: SendChan[T] | None, value: T) -> Case[None]:
    """A send case for :func:`select` (Go: ``case ch <- value``); ``None`` is a nil channel."""
    return (ch, True, value)  # type: ignore[return-value]  # Case is a tuple at run time


@overload
def select(*, default: Literal[False] = ...) -> NoReturn: ...
@overload
def select(*, default: Literal[True]) -> _Default: ...
@overload
def select(c0: Case[T0], /, *, default: Literal[False] = ...) -> _Arm[Literal[0], T0]: ...
@overload
def select(c0: Case[T0], /, *, default: Literal[True]) -> _Arm[Literal[0], T0] | _Default: ...
@overload
def select(c0: Case[T0], c1: Case[T1], /, *, default: Literal[False] = ...) -> _Arm[Literal[0], T0] | _Arm[Literal[1], T1]: ...
@overload
def select(c0: Case[T0], c1: Case[T1], /, *, default: Literal[True]) -> _Arm[Literal[0], T0] | _Arm[Literal[1], T1] | _Default: ...
@overload
def select(c0: Case[T0], c1: Case[T1], c2: Case[T2], /, *, default: Literal[False] = ...) -> _Arm[Literal[0], T0] | _Arm[Literal[1], T1] | _Arm[Literal[2], T2]: ...
@overload
def select(c0: Case[T0], c1: Case[T1], c2: Case[T2], /, *, default: Literal[True]) -> _Arm[Literal[0], T0] | _Arm[Literal[1], T1] | _Arm[Literal[2], T2] | _Default: ...
@overload
def select(c0: Case[T0], c1: Case[T1], c2: Case[T2], c3: Case[T3], /, *, default: Literal[False] = ...) -> _Arm[Literal[0], T0] | _Arm[Literal[1], T1] | _Arm[Literal[2], T2] | _Arm[Literal[3], T3]: ...
@overload
def select(c0: Case[T0], c1: Case[T1], c2: Case[T2], c3: Case[T3], /, *, default: Literal[True]) -> _Arm[Literal[0], T0] | _Arm[Literal[1], T1] | _Arm[Literal[2], T2] | _Arm[Literal[3], T3] | _Default: ...
@overload
def select(c0: Case[T0], c1: Case[T1], c2: Case[T2], c3: Case[T3], c4: Case[T4], /, *, default: Literal[False] = ...) -> _Arm[Literal[0], T0] | _Arm[Literal[1], T1] | _Arm[Literal[2], T2] | _Arm[Literal[3], T3] | _Arm[Literal[4], T4]: ...
@overload
def select(c0: Case[T0], c1: Case[T1], c2: Case[T2], c3: Case[T3], c4: Case[T4], /, *, default: Literal[True]) -> _Arm[Literal[0], T0] | _Arm[Literal[1], T1] | _Arm[Literal[2], T2] | _Arm[Literal[3], T3] | _Arm[Literal[4], T4] | _Default: ...
@overload
def select(c0: Case[T0], c1: Case[T1], c2: Case[T2], c3: Case[T3], c4: Case[T4], c5: Case[T5], /, *, default: Literal[False] = ...) -> _Arm[Literal[0], T0] | _Arm[Literal[1], T1] | _Arm[Literal[2], T2] | _Arm[Literal[3], T3] | _Arm[Literal[4], T4] | _Arm[Literal[5], T5]: ...
@overload
def select(c0: Case[T0], c1: Case[T1], c2: Case[T2], c3: Case[T3], c4: Case[T4], c5: Case[T5], /, *, default: Literal[True]) -> _Arm[Literal[0], T0] | _Arm[Literal[1], T1] | _Arm[Literal[2], T2] | _Arm[Literal[3], T3] | _Arm[Literal[4], T4] | _Arm[Literal[5], T5] | _Default: ...
@overload
def select(c0: Case[T0], c1: Case[T1], c2: Case[T2], c3: Case[T3], c4: Case[T4], c5: Case[T5], c6: Case[T6], /, *, default: Literal[False] = ...) -> _Arm[Literal[0], T0] | _Arm[Literal[1], T1] | _Arm[Literal[2], T2] | _Arm[Literal[3], T3] | _Arm[Literal[4], T4] | _Arm[Literal[5], T5] | _Arm[Literal[6], T6]: ...
@overload
def select(c0: Case[T0], c1: Case[T1], c2: Case[T2], c3: Case[T3], c4: Case[T4], c5: Case[T5], c6: Case[T6], /, *, default: Literal[True]) -> _Arm[Literal[0], T0] | _Arm[Literal[1], T1] | _Arm[Literal[2], T2] | _Arm[Literal[3], T3] | _Arm[Literal[4], T4] | _Arm[Literal[5], T5] | _Arm[Literal[6], T6] | _Default: ...
@overload
def select(c0: Case[T0], c1: Case[T1], c2: Case[T2], c3: Case[T3], c4: Case[T4], c5: Case[T5], c6: Case[T6], c7: Case[T7], /, *, default: Literal[False] = ...) -> _Arm[Literal[0], T0] | _Arm[Literal[1], T1] | _Arm[Literal[2], T2] | _Arm[Literal[3], T3] | _Arm[Literal[4], T4] | _Arm[Literal[5], T5] | _Arm[Literal[6], T6] | _Arm[Literal[7], T7]: ...
@overload
def select(c0: Case[T0], c1: Case[T1], c2: Case[T2], c3: Case[T3], c4: Case[T4], c5: Case[T5], c6: Case[T6], c7: Case[T7], /, *, default: Literal[True]) -> _Arm[Literal[0], T0] | _Arm[Literal[1], T1] | _Arm[Literal[2], T2] | _Arm[Literal[3], T3] | _Arm[Literal[4], T4] | _Arm[Literal[5], T5] | _Arm[Literal[6], T6] | _Arm[Literal[7], T7] | _Default: ...
@overload
def select(*cases: Case[Any], default: bool = ...) -> tuple[int, object, bool]: ...


def select(*cases: Case[Any], default: bool = False) -> tuple[int, object, bool]:
    """Wait until one of ``cases`` can proceed, perform it, and say which it was.

    Returns ``(index, value, ok)``: for a receive case the value and whether it came from a send
    (False: the channel is closed); for a send case ``(index, None, True)``; for the default
    case (when ``default=True`` and nothing is ready) ``(-1, None, False)``. With no cases and
    no default it blocks forever, as Go's ``select {}``.
    """
    ch: Any  # a Chan of any element type, or None (cases are typed for the caller, not for us)
    n = len(cases)
    if n == 1 and not default:
        return _single(cases[0])
    # 1. poll
    hit = -1
    more: list[int] | None = None
    i = 0
    for ch, issend, _ in cases:
        # ready: a send can complete (or raises: closed); a receive can complete (or sees closed).
        # A queue's head is checked inline; _live_head only runs when it is a select waiter.
        if ch is not None and (
            (
                ch._closed
                or len(ch._buf) < ch._cap
                or ((q := ch._recvq) and (not q[0].isselect or _live_head(q)))
            )
            if issend
            else (ch._buf or ch._closed or ((q := ch._sendq) and (not q[0].isselect or _live_head(q))))
        ):
            if hit < 0:
                hit = i
            elif more is None:
                more = [hit, i]
            else:
                more.append(i)
        i += 1
    if hit >= 0:
        if more is not None:
            hit = more[int((_tls.sched or current_scheduler()).rand() * len(more))]
        ch, issend, value = cases[hit]
        if issend:
            ch.try_send(value)  # cannot block; raises "send on closed channel" when closed
            return (hit, None, True)
        if ch._buf or ch._closed:
            v, ok = ch.recv_ok()  # cannot block
            return (hit, v, ok)
        return (hit, ch.recv(), True)  # a live sender is waiting: recv takes its value
    # 2. default
    if default:
        return (-1, None, False)
    # 3. park on all
    s = _tls.sched or current_scheduler()
    if n == 0:
        s.park("select (no cases)")
        raise AssertionError("unreachable: a select with no cases was woken")  # pragma: no cover
    return _park_all(s, cases)


def _single(case: Case[Any]) -> tuple[int, object, bool]:
    """A one-case select without default is the plain operation (as Go's compiler lowers it)."""
    ch: Any
    ch, issend, value = case
    if ch is None:
        s = _tls.sched or current_scheduler()
        s.park("chan send (nil chan)" if issend else "chan receive (nil chan)")
        raise AssertionError("unreachable: a nil channel operation was woken")  # pragma: no cover
    if issend:
        ch.send(value)
        return (0, None, True)
    v, ok = ch.recv_ok()
    return (0, v, ok)


def _park_all(s: Any, cases: tuple[Case[Any], ...]) -> tuple[int, object, bool]:
    ch: Any
    g = s.current
    g.selectdone = False
    ws: list[SelWaiter] | None = g.selws
    if ws is None:
        ws = g.selws = []
    n = 0
    i = 0
    for ch, issend, value in cases:
        if ch is not None:
            if n < len(ws):
                w = ws[n]
            else:
                w = SelWaiter()
                w.g = g
                ws.append(w)
            w.idx = i
            w.issend = issend
            w.val = value
            w.ok = False
            w.q = q = ch._sendq if issend else ch._recvq
            q.append(w)
            n += 1
        i += 1
    try:
        fired: SelWaiter = s.park("select")
    except BaseException:
        g.selectdone = True
        fired = None  # type: ignore[assignment]  # nothing fired: cancel every record
        raise
    finally:
        # 4. cancel the losers: dequeue every record but the one that fired (a stale one may
        # already be gone) and drop its references.
        for k in range(n):
            w = ws[k]
            if w is not fired:
                try:
                    w.q.remove(w)
                except ValueError:
                    pass
                w.val = None
            w.q = None
    idx = fired.idx
    v = fired.val
    fired.val = None
    if fired.issend:
        if not fired.ok:
            raise ClosedChannelError("send on closed channel")
        return (idx, None, True)
    return (idx, v, fired.ok)
