"""The timer heap: Go's per-P timer heap, with lazy deletion so that stopping a timer is cheap.

Design: entries are ``(when, seq, RTimer)`` in a binary heap (``heapq``); ``seq`` breaks ties in
creation order, so timers due at the same instant fire first-in first-out. Most timers are stopped
before they fire (timeouts that did not happen), so ``stop`` only marks the record dead (O(1));
dead entries are dropped when they reach the top, and the heap is rebuilt when more than half of
it is dead, so a long-lived program that starts and stops timeouts does not grow without bound.

Invariants:
  rt.pending  iff  rt's current entry is in the heap and has not fired or been stopped
  dead == number of entries in the heap whose record is not pending (or was re-armed since)
  a record's callback runs at most once per arming, on the scheduler's own thread
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any, Final, TypeVar, final

__all__ = ["RTimer", "TimerHeap"]

A = TypeVar("A")

_COMPACT_MIN: Final = 64  # do not rebuild small heaps: dropping from the top is enough


@final
class RTimer:
    """One armed timer: at ``when`` (scheduler clock), call ``fn(arg)`` unless stopped first."""

    __slots__ = ("when", "seq", "fn", "arg", "pending")

    when: float  # due time on the scheduler clock; written by arm
    seq: int  # the seq of its current heap entry: an entry with another seq is dead
    fn: Callable[[Any], None]  # called with arg; add() checked that the two agree
    arg: Any
    pending: bool  # armed, and neither fired nor stopped since


class TimerHeap:
    """Timers of one scheduler, ordered by due time."""

    __slots__ = ("heap", "seq", "dead", "orphans")

    def __init__(self) -> None:
        self.heap: Final[list[tuple[float, int, RTimer]]] = []
        self.seq = 0
        self.dead = 0
        # Timers whose owner is gone, queued by weakref callbacks, which may run on any thread
        # (list.append is atomic); the next add() stops them on the scheduler's own thread.
        self.orphans: Final[list[RTimer]] = []

    def __bool__(self) -> bool:
        return bool(self.heap)

    def add(self, when: float, fn: Callable[[A], None], arg: A) -> RTimer:
        """Arm a new timer calling ``fn(arg)`` at ``when`` (first stopping the orphans queued since the last add).

        The one way to make an RTimer: re-arm it with :meth:`arm`, disarm it with :meth:`stop`.
        """
        orphans = self.orphans
        while orphans:
            self.stop(orphans.pop())
        rt = RTimer()
        rt.fn = fn
        rt.arg = arg
        rt.pending = False
        self.arm(rt, when)
        return rt

    def arm(self, rt: RTimer, when: float) -> None:
        """(Re-)arm ``rt`` for ``when``; a pending arming is replaced."""
        if rt.pending:
            self.dead += 1
        self.seq += 1
        rt.when = when
        rt.seq = self.seq
        rt.pending = True
        heapq.heappush(self.heap, (when, self.seq, rt))

    def stop(self, rt: RTimer) -> bool:
        """Disarm ``rt``; return whether it was pending (it had neither fired nor been stopped)."""
        if not rt.pending:
            return False
        rt.pending = False
        self.dead += 1
        if self.dead > _COMPACT_MIN and self.dead * 2 > len(self.heap):
            self._compact()
        return True

    def next_when(self) -> float | None:
        """Due time of the earliest pending timer, or None."""
        heap = self.heap
        while heap:
            when, seq, rt = heap[0]
            if rt.pending and rt.seq == seq:
                return when
            heapq.heappop(heap)
            self.dead -= 1
        return None

    def run_due(self, now: float) -> int:
        """Fire every pending timer due at or before ``now``, in order; return how many fired."""
        heap = self.heap
        fired = 0
        while heap and heap[0][0] <= now:
            _, seq, rt = heapq.heappop(heap)
            if not rt.pending or rt.seq != seq:
                self.dead -= 1
                continue
            rt.pending = False
            rt.fn(rt.arg)
            fired += 1
        return fired

    def clear(self) -> None:
        """Drop every timer: the program has ended."""
        for _, _, rt in self.heap:
            rt.pending = False
        self.heap.clear()
        self.orphans.clear()
        self.dead = 0

    def _compact(self) -> None:
        live = [e for e in self.heap if e[2].pending and e[2].seq == e[1]]
        heapq.heapify(live)
        self.heap[:] = live
        self.dead = 0
