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
  3. park on all: one SelWaiter per non-nil case, queued on its channel; park. Several cases on
     one channel (same direction) are queued in a uniformly random order, as Go enqueues them in
     a lock order permuted by the random poll order: which of them fires is random too.
  4. cancel the losers: the first channel to fire claims the select (g.selectdone); on wake-up
     the other waiters leave their queues in O(1) (popped from the head or the tail, else
     orphaned in place: see ``_chan``'s design note).

Arguments are checked before any channel is touched: a bare channel (``select(ch)`` for
``select(recv(ch))``) would otherwise be unpacked, that is iterated, that is received from. So
the poll pass reads a case's channel and direction by subscripting it (a Chan is not
subscriptable), which costs less than the unpacking it replaces plus a type test; anything else
wrong with an argument (not subscriptable, no channel in it) fails there too, before anything
changed, and becomes a TypeError naming the argument and the remedy. A case tuple of the wrong
length is reported when select unpacks it: when it is chosen, or when the select parks (the
records already queued are withdrawn first).

A select with one case and no default is lowered to the plain operation (as Go's compiler
does), so its wait reason is "chan receive"/"chan send", with "(nil chan)" for a None channel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, Literal, NoReturn, TypeVar, Union, overload

from ._chan import Chan, RecvChan, SendChan, _live_head
from ._runtime import G, SelWaiter, current_scheduler
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


# The g of an orphaned SelWaiter: a select that left a record in the middle of a queue points it
# here, so every stale check (``w.g.selectdone``) skips it until a pop or a compaction drops it.
_ORPHANED = G()
_ORPHANED.selectdone = True


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
    try:
        for case in cases:
            ch = case[0]  # subscripted, not unpacked: see the module's note on arguments
            # ready: a send can complete (or raises: closed); a receive can complete (or sees closed).
            # A queue's head is checked inline; _live_head only runs when it is a select waiter.
            if ch is not None and (
                (
                    ch._closed
                    or len(ch._buf) < ch._cap
                    or (ch._recvq and (not ch._recvq[0].isselect or _live_head(ch._recvq)))
                )
                if case[1]
                else ((ch._sendq and (not ch._sendq[0].isselect or _live_head(ch._sendq))) or ch._buf or ch._closed)
            ):
                if hit < 0:
                    hit = i
                elif more is None:
                    more = [hit, i]
                else:
                    more.append(i)
            i += 1
    except (AttributeError, LookupError, TypeError) as e:
        raise _bad_cases(cases, e) from None
    if hit >= 0:
        if more is not None:
            hit = more[int((_tls.sched or current_scheduler()).rand() * len(more))]
        try:
            ch, issend, value = cases[hit]
        except ValueError as e:
            raise _bad_cases(cases, e) from None
        if issend:
            ch.send(value)  # ready, so it cannot block; raises "send on closed channel" when closed
            return (hit, None, True)
        if ch._buf or ch._closed:
            v, ok = ch.recv_ok()  # cannot block
            return (hit, v, ok)
        # A live sender heads the queue (poll dropped the stale ones): take its value, as recv
        # would; inlined, as this is the common path of a select that finds a case ready.
        w = ch._sendq.popleft()
        if w.isselect:
            g = w.g
            g.selectdone = True
            g.sched.ready(g, w)  # the sending select learns which case fired from park's result
        else:
            w.sched.ready(w)
        v = w.val
        w.val = None
        w.ok = True
        return (hit, v, True)
    # 2. default
    if default:
        return (-1, None, False)
    # 3. park on all
    s = _tls.sched or current_scheduler()
    if n == 0:
        s.park("select (no cases)")
        raise AssertionError("unreachable: a select with no cases was woken")  # pragma: no cover
    return _park_all(s, cases, n)


def _bad_cases(cases: tuple[object, ...], err: Exception) -> Exception:
    """The TypeError for the first argument of ``cases`` that is not a case; ``err`` if none is."""
    for k, case in enumerate(cases):
        if not _is_case(case):
            return _not_a_case(k, case)
    return err  # pragma: no cover  # not the arguments' fault: let the original error through


def _is_case(case: object) -> bool:
    """Whether ``case`` reads as what recv() or send() builds: (a Chan or None, is_send, value)."""
    return isinstance(case, (tuple, list)) and len(case) == 3 and (case[0] is None or case[0].__class__ is Chan)


def _not_a_case(i: int, arg: object) -> TypeError:
    if isinstance(arg, (RecvChan, SendChan)):
        return TypeError(
            f"select: argument {i} is a channel, not a case; "
            "write recv(ch) to receive from it or send(ch, v) to send on it"
        )
    return TypeError(
        f"select: argument {i} is not a case (got {arg.__class__.__name__}); "
        "build cases with recv(ch) or send(ch, v)"
    )


def _single(case: Case[Any]) -> tuple[int, object, bool]:
    """A one-case select without default is the plain operation (as Go's compiler lowers it)."""
    ch: Any
    try:
        case[0]  # a Chan is not subscriptable: see the module's note on arguments
        ch, issend, value = case
    except (LookupError, TypeError, ValueError):
        raise _not_a_case(0, case) from None
    if ch is not None and ch.__class__ is not Chan:
        raise _not_a_case(0, case)
    if ch is None:
        s = _tls.sched or current_scheduler()
        s.park("chan send (nil chan)" if issend else "chan receive (nil chan)")
        raise AssertionError("unreachable: a nil channel operation was woken")  # pragma: no cover
    if issend:
        ch.send(value)
        return (0, None, True)
    v, ok = ch.recv_ok()
    return (0, v, ok)


def _park_all(s: Any, cases: tuple[Case[Any], ...], n: int) -> tuple[int, object, bool]:
    ch: Any
    g = s.current
    g.selectdone = False
    ws: list[SelWaiter] | None = g.selws
    if ws is None or len(ws) < n:
        ws = _records(g, n)
    i = 0
    try:
        for ch, issend, value in cases:
            if ch is not None:
                w = ws[i]  # case i's record; its idx is i for good
                w.issend = issend
                w.val = value  # w.ok needs no reset: whoever fires the record sets it
                w.q = q = ch._sendq if issend else ch._recvq
                if q and (t := q[-1]).isselect and t.g is g:
                    _enqueue_shuffled(q, w, g, s.rand)  # another case of this select on this channel
                else:
                    q.append(w)
            i += 1
    except ValueError as e:  # a case of the wrong length, met only now (the poll reads two items)
        g.selectdone = True
        for w in ws:
            if w.q is not None:
                w.q.remove(w)
                w.val = w.q = None
        raise _bad_cases(cases, e) from None
    try:
        fired: SelWaiter = s.park("select")
    except BaseException:
        g.selectdone = True
        fired = None  # type: ignore[assignment]  # nothing fired: cancel every record
        raise
    finally:
        # 4. cancel the losers: each record still queued (w.q set) leaves its queue, from the head
        # or the tail, else is orphaned in place; drop every record's references. Stale records
        # uncovered at the tail go too (at the head, the next pop skips them anyway): an orphan
        # is made only in the middle, and what is behind it leaves from the tail (trimmed here),
        # by a compaction, or after it from the head; so once every select has left, a queue
        # without live waiters is empty.
        # (ws may hold more records than this select has cases: theirs are out of every queue.)
        for w in ws:
            if w is not fired:
                q = w.q
                if q is not None:
                    if q and q[0] is w:
                        q.popleft()
                    elif q and q[-1] is w:
                        q.pop()
                        if q and (t := q[-1]).isselect and t.g.selectdone:
                            _trim_tail(q)
                    else:  # in the middle (or, after an exception, perhaps not queued at all)
                        ch = cases[w.idx][0]
                        w.g = _ORPHANED
                        w.val = w.q = None
                        ws[w.idx] = _record(g, w.idx)  # the orphan stays queued: this select needs another
                        ch._orphaned()
                        continue
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


def _record(g: G, idx: int) -> SelWaiter:
    """A select record of g for case ``idx``, out of every queue."""
    w = SelWaiter()
    w.g = g
    w.idx = idx
    w.q = None
    return w


def _records(g: G, n: int) -> list[SelWaiter]:
    """g's select records, one per case index, grown to at least n."""
    ws = g.selws
    if ws is None:
        ws = g.selws = []
    for i in range(len(ws), n):
        w = SelWaiter()
        w.g = g
        w.idx = i
        w.q = None
        ws.append(w)
    return ws


def _trim_tail(q: Any) -> None:
    """Drop the stale select records at the tail of ``q`` (each marked as out of its queue)."""
    while q and (t := q[-1]).isselect and t.g.selectdone:
        q.pop()
        t.q = None


def _enqueue_shuffled(q: Any, w: SelWaiter, g: G, rand: Callable[[], float]) -> None:
    """Queue ``w`` at a uniformly random place among its select's records at the tail of ``q``.

    Nothing else runs while a select enqueues, so its records on one queue are that queue's
    tail. Inside-out Fisher-Yates: the k records there plus ``w`` end in a uniform permutation,
    drawn from the scheduler's rng so that ``run(seed=...)`` replays it.
    """
    k = 1  # the caller saw one at the tail
    while k < len(q) and (t := q[-1 - k]).isselect and t.g is g:
        k += 1
    j = int(rand() * (k + 1))
    if j == k:
        q.append(w)
    else:  # w takes record j's place; record j moves to the tail
        q.append(q[j - k])
        q[j - k - 1] = w
