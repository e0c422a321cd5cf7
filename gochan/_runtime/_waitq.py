"""The wait queue: Go's ``sema`` root, trio's ``ParkingLot``, curio's ``SchedFIFO``.

Design. Every blocking primitive above the runtime waits the same way: publish the goroutine in
a FIFO where its waker will find it, park, and if an exception is thrown into the park (another
goroutine crashed, deadlock, KeyboardInterrupt, the program ended) undo the publication. The
undo is where primitives differ, so the caller passes it in, as trio passes ``abort_fn``:

  * still queued: the record leaves the queue; then ``left()`` runs, if given (a writer that
    gave up may unblock the readers queued behind it);
  * already popped by a waker, which handed it what it waited for (a lock, a grant, a signal):
    ``undo()`` runs, if given, to pass that on, so the primitive is never left held by a
    goroutine that is not running.

A fix to this protocol is one edit here. Channels keep their own inline copy of it: see the
note at ``Chan.send``.

Invariants:
  every record in q belongs to a goroutine parked in WaitQueue.park on this queue
  a record is popped at most once: by a waker (then the goroutine is readied) or by its undo
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar, final

from ._g import G
from ._sched import Scheduler, current_scheduler, tls

__all__ = ["WaitQueue"]

R = TypeVar("R")


@final
class WaitQueue(Generic[R]):
    """A FIFO of parked goroutines' records (``G`` itself unless the caller brings a record)."""

    __slots__ = ("q",)

    def __init__(self) -> None:
        self.q: deque[R] = deque()  # oldest first; popped by wakers, or by the undo of park

    def __len__(self) -> int:
        return len(self.q)

    def __bool__(self) -> bool:
        return bool(self.q)

    def __iter__(self) -> Iterator[R]:
        """The records, oldest first (for inspection: nothing may change the queue meanwhile)."""
        return iter(self.q)

    def park(
        self: WaitQueue[G],
        reason: str,
        undo: Callable[[], object] | None = None,
        left: Callable[[], object] | None = None,
    ) -> object:
        """Queue the current goroutine, park with ``reason``; return what ready passed.

        On an exception thrown into the park: the goroutine leaves the queue and ``left()`` runs,
        or, if a waker had already popped it, ``undo()`` runs; then the exception propagates.
        """
        s = tls.sched or current_scheduler()
        return _park(s, self.q, s.current, reason, undo=undo, left=left)

    def park_rec(
        self,
        rec: R,
        reason: str,
        undo: Callable[[], object] | None = None,
        left: Callable[[], object] | None = None,
    ) -> object:
        """:meth:`park`, queuing ``rec`` (a record naming the current goroutine) instead of the G."""
        return _park(tls.sched or current_scheduler(), self.q, rec, reason, undo=undo, left=left)

    def popleft(self) -> R:
        """Take the oldest record (the caller readies its goroutine)."""
        return self.q.popleft()

    def __getitem__(self, i: int) -> R:
        """Record ``i`` (0: the oldest), left queued."""
        return self.q[i]


def _park(
    s: Scheduler,
    q: deque[R],
    rec: R,
    reason: str,
    *,
    undo: Callable[[], object] | None,
    left: Callable[[], object] | None,
) -> object:
    """Publish, park, undo on exception: the protocol, written once."""
    q.append(rec)
    try:
        return s.park(reason)
    except BaseException:
        try:
            q.remove(rec)
        except ValueError:  # popped: what the waker handed over must be passed on
            if undo is not None:
                undo()
        else:
            if left is not None:
                left()
        raise


def wake(q: WaitQueue[G], param: object = None) -> bool:
    """Ready the goroutine that has waited longest on ``q``; False if none waits."""
    if q.q:
        g = q.q.popleft()
        g.sched.ready(g, param)
        return True
    return False


def wake_all(q: WaitQueue[G]) -> int:
    """Ready every goroutine waiting on ``q``, oldest first; return how many."""
    dq = q.q
    n = len(dq)
    while dq:
        g = dq.popleft()
        g.sched.ready(g)
    return n
