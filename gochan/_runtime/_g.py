"""The runtime's records: ``G`` (a goroutine, Go's ``g``) and ``SelWaiter`` (Go's ``sudog`` for a select).

Design: a goroutine blocked in a plain send or receive waits in the channel's queue *as its own
G*: the G's ``val``/``ok`` fields are the wait record, so a blocking send or receive allocates
nothing. A select needs one record per case (all pointing at the same G), so it enqueues
``SelWaiter``s; the first channel to fire one sets ``g.selectdone`` and the others become stale.
A goroutine runs one select at a time, and before it returns a select takes each of its records
out of its queue (from the head or the tail), or, in the middle of a queue, orphans it in place
(its ``g`` becomes ``ORPHANED``, which every stale check skips) and makes a fresh one; so each G
keeps its SelWaiters and reuses them (``g.selws``): a parking select allocates nothing after the
first, unless it had to orphan a record.

Invariants:
  a G waits in at most one channel queue unless it is in a select (then only as SelWaiters)
  g.glet is None  iff  g has not started yet (or has finished)
  g.waitreason is None  iff  g is running or runnable
  a SelWaiter whose g.selectdone is True is stale: channels skip it; its select removes or orphans it
"""

from __future__ import annotations

from collections.abc import Callable
from types import CodeType
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal, final

from greenlet import GreenletExit

if TYPE_CHECKING:
    from collections import deque

    from greenlet import greenlet

    from ._sched import Scheduler


@final
class G:
    """One goroutine. Written by its scheduler; ``val``/``ok`` also by the channel that wakes it."""

    __slots__ = (
        "id",
        "sched",
        "glet",
        "fn",
        "args",
        "kwargs",
        "param",
        "waitreason",
        "waitsince",
        "selectdone",
        "selws",
        "val",
        "ok",
        "cr_code",
        "cr_line",
        "cr_goid",
    )

    # Class constant: channel queues hold G or SelWaiter; this tells them apart (and lets the type
    # checker narrow a ``G | SelWaiter`` on ``w.isselect``).
    isselect: ClassVar[Literal[False]] = False

    id: int
    sched: Scheduler | Discarded  # Discarded once its program has ended
    glet: greenlet | None  # the greenlet running this goroutine; set when it starts
    fn: Callable[..., object] | None
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    param: object  # what ready() passed; park() returns it
    waitreason: str | None  # Go's waitReason while parked
    waitsince: float  # scheduler clock when it parked (coarse)
    selectdone: bool  # set by the first case of a select to fire
    selws: list[SelWaiter] | None  # this goroutine's select records, reused by every select it runs
    val: Any  # plain send: value to send; plain receive: value received (a T of that channel)
    ok: bool  # the blocked operation completed (False: the channel was closed)
    cr_code: CodeType | None  # where go() was called: code object, line, calling goroutine
    cr_line: int
    cr_goid: int


@final
class SelWaiter:
    """One case of a parked select, queued on that case's channel (Go's ``sudog`` with isSelect)."""

    __slots__ = ("g", "q", "idx", "issend", "val", "ok")

    isselect: ClassVar[Literal[True]] = True

    g: G  # the select's goroutine; the orphan sentinel (selectdone always True) once orphaned
    q: deque[G | SelWaiter] | None  # the sendq or recvq of the case's channel while queued there, else None
    idx: int  # the case's index in the select call
    issend: bool
    val: Any  # send case: the value to send; receive case: the value received (a T of that channel)
    ok: bool


def new_g(sched: Scheduler | Discarded, gid: int, fn: Callable[..., object] | None) -> G:
    """A fresh G record with every field set: the one place a G is initialised."""
    g = G()
    g.id = gid
    g.sched = sched
    g.glet = None
    g.fn = fn
    g.args = ()
    g.kwargs = {}
    g.param = g.val = None
    g.waitreason = None
    g.waitsince = 0.0
    g.selectdone = g.ok = False
    g.selws = None
    g.cr_code = None
    g.cr_line = g.cr_goid = 0
    return g


@final
class Discarded:
    """What a goroutine's ``sched`` becomes once its program ends: nothing wakes it again.

    A goroutine's ``finally`` that hands a value to another discarded goroutine (a receive or
    select parked on its channel) gets GreenletExit, as if the send had blocked: the value is
    not handed to a goroutine that will never run. Other wake-ups are dropped: the target is
    unwound anyway, and its undo leaves its queues.
    """

    __slots__ = ()

    def ready(self, g: G, param: object = None) -> None:
        if g.waitreason in ("chan receive", "select"):
            raise GreenletExit("the receiving goroutine is being discarded: its program has ended")


DISCARDED: Final = Discarded()


# The g of an orphaned SelWaiter: a select that left a record in the middle of a queue points it
# here, so every stale check (``w.g.selectdone``) skips it until a pop or a compaction drops it.
ORPHANED: Final = new_g(DISCARDED, 0, None)
ORPHANED.selectdone = True
