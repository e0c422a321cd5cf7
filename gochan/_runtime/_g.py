"""The runtime's records: ``G`` (a goroutine, Go's ``g``) and ``SelWaiter`` (Go's ``sudog`` for a select).

Design: a goroutine blocked in a plain send or receive waits in the channel's queue *as its own
G*: the G's ``val``/``ok`` fields are the wait record, so a blocking send or receive allocates
nothing. A select needs one record per case (all pointing at the same G), so it enqueues
``SelWaiter``s; the first channel to fire one sets ``g.selectdone`` and the others become stale.
A goroutine runs one select at a time and a select removes all its records from every queue
before it returns, so each G keeps its SelWaiters and reuses them (``g.selws``): a parking
select allocates nothing after the first.

Invariants:
  a G waits in at most one channel queue unless it is in a select (then only as SelWaiters)
  g.glet is None  iff  g has not started yet (or has finished)
  g.waitreason is None  iff  g is running or runnable
  a SelWaiter whose g.selectdone is True is stale: channels skip it and its select removes it
"""

from __future__ import annotations

from collections.abc import Callable
from types import CodeType
from typing import TYPE_CHECKING, Any, final

if TYPE_CHECKING:
    from greenlet import greenlet

    from ._sched import Discarded, Scheduler


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

    isselect = False  # class constant: channel queues hold G or SelWaiter; this tells them apart

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
    val: object  # plain send: value to send; plain receive: value received
    ok: bool  # the blocked operation completed (False: the channel was closed)
    cr_code: CodeType | None  # where go() was called: code object, line, calling goroutine
    cr_line: int
    cr_goid: int


@final
class SelWaiter:
    """One case of a parked select, queued on that case's channel (Go's ``sudog`` with isSelect)."""

    __slots__ = ("g", "q", "idx", "issend", "val", "ok")

    isselect = True

    g: G
    q: Any  # the sendq or recvq of the case's channel, where this record waits
    idx: int  # the case's index in the select call
    issend: bool
    val: object  # send case: the value to send; receive case: the value received
    ok: bool
