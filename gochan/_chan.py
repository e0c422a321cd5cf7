"""Channels: Go's ``chan T`` for goroutines on one scheduler.

Design: a Chan holds a deque buffer and two FIFO queues of waiters. A goroutine blocked in a
plain send or receive waits as its own ``G`` (its ``val``/``ok`` fields are the wait record); a
select waits as one ``SelWaiter`` per case. A send to a parked receiver writes into the
receiver's record and readies it (Go's ``sendDirect``): an unbuffered hand-off never touches the
buffer. Every operation is "try now, else publish a waiter and park, with an undo if an
exception is thrown into the park".

Leaving a queue: a select that fired on one channel withdraws its records from the others. A
record at the head or the tail of its queue is removed in O(1); one in the middle (a waiter woken
out of FIFO order, say) is *orphaned* in place instead of searched for: its select points it at a
dead G whose ``selectdone`` is always True, so every operation skips it as stale, and takes a
fresh record for itself. The channel counts its orphans and compacts its queues when they exceed
half of them, so leaving costs O(1) amortised and a queue nobody pops (a ``done`` channel selected
on in a loop by many goroutines) holds at most about twice its live waiters. A doubly linked list
would also remove in O(1), but it needs links on every G (a plain send or receive waits as its G)
and Python-level appends and pops on the hot path, where a deque does them in C; and the
figures of ``python -m benchmarks.wakeorder`` leave nothing for it to win: leaving a shared
queue in any order costs what leaving a private one-record queue does.

Invariants (ignoring stale select waiters, which every operation skips):
  at most one of recvq and sendq is non-empty
  len(buf) > 0          implies recvq is empty
  len(buf) < capacity   implies sendq is empty
  closed                implies sendq and recvq are empty
  a SelWaiter's q is the queue it is in (recvq or sendq), or None once it is out
  orphans in recvq and sendq <= _orphans; 2 * _orphans <= len(recvq) + len(sendq) after each orphaning
"""

from __future__ import annotations

import operator
from collections import deque
from collections.abc import Iterator
from typing import Any, Generic, Literal, SupportsIndex, TypeVar, final

from ._runtime import G, SelWaiter, current_scheduler, tls
from .errors import CLOSE_CLOSED, SEND_CLOSED, SIZE_OUT_OF_RANGE, ClosedChannelError

__all__ = ["Chan", "RecvChan", "SendChan"]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
T_contra = TypeVar("T_contra", contravariant=True)

# The largest capacity: Go's maxAlloc on 64-bit Linux (2**48 bytes), beyond which makechan panics.
MAX_CAP = 1 << 48
# Chan() checks against this bound first: CPython compares ints below 2**30 fastest; _capacity
# checks larger ones against MAX_CAP.
_SMALL_CAP = (1 << 30) - 1

Waiter = G | SelWaiter


def _pop_live(q: deque[Waiter]) -> Waiter | None:
    """Pop the first waiter that can still be woken, claiming a select for it; None if none."""
    while q:
        w = q.popleft()
        if w.isselect:
            g = w.g
            if g.selectdone:
                w.q = None  # stale (its select fired elsewhere): out of the queue now
                continue
            g.selectdone = True
            return w
        return w
    return None


def _wake(w: Waiter) -> None:
    """Ready the goroutine behind waiter ``w``; its park returns ``w`` (select needs which case)."""
    g = w.g if w.isselect else w
    g.sched.ready(g, w)


def _live_head(q: deque[Waiter]) -> bool:
    """Is a wakeable waiter queued? Drops stale select waiters from the head on the way."""
    while q:
        w = q[0]
        if w.isselect and w.g.selectdone:
            q.popleft()
            w.q = None  # stale: out of the queue now
            continue
        return True
    return False


# Readiness, named once (Go's chan.go: full and empty). Both ignore closed, which each operation
# checks first. Select's poll pass keeps an inline copy: see the note there.


def _full(ch: Chan[Any]) -> bool:
    """A send would block: no buffer space and no live receiver waiting (Go's ``full``)."""
    return len(ch._buf) >= ch._cap and not (ch._recvq and _live_head(ch._recvq))


def _empty(ch: Chan[Any]) -> bool:
    """A receive would block: nothing buffered and no live sender waiting (Go's ``empty``)."""
    return not ch._buf and not (ch._sendq and _live_head(ch._sendq))


def _capacity(size: object) -> int:
    """Check a capacity that is not a plain int in range: what ``operator.index`` accepts, not bool.

    Returns it as a plain int (an IntEnum's value, say); raises TypeError for a non-integer and
    ValueError with Go's text when it is negative or above MAX_CAP.
    """
    if size.__class__ is bool or not isinstance(size, SupportsIndex):
        raise TypeError(f"Chan capacity must be an int, not {size.__class__.__name__}")
    n = operator.index(size)
    if not 0 <= n <= MAX_CAP:
        raise ValueError(SIZE_OUT_OF_RANGE)
    return n


class SendChan(Generic[T_contra]):
    """The send side of a channel (Go: ``chan<- T``). A ``Chan[T]`` is one."""

    __slots__ = ()

    def send(self, value: T_contra) -> None:
        raise NotImplementedError

    def try_send(self, value: T_contra) -> bool:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    @property
    def cap(self) -> int:
        raise NotImplementedError


class RecvChan(Generic[T_co]):
    """The receive side of a channel (Go: ``<-chan T``). A ``Chan[T]`` is one."""

    __slots__ = ()

    def recv(self) -> T_co | None:
        raise NotImplementedError

    def recv_ok(self) -> tuple[T_co, Literal[True]] | tuple[T_co | None, Literal[False]]:
        raise NotImplementedError

    def try_recv(self) -> tuple[T_co, Literal[True]] | tuple[T_co | None, Literal[False]] | None:
        raise NotImplementedError

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    @property
    def cap(self) -> int:
        raise NotImplementedError


@final
class Chan(SendChan[T], RecvChan[T]):
    """A channel of ``T`` values (Go: ``make(chan T, capacity)``).

    ``capacity`` 0 (the default) makes an unbuffered channel: a send completes only when a
    receiver has taken the value. A receive from a closed, drained channel returns ``zero``
    (Go's zero value; ``None`` unless given). ``len(ch)`` is the number of buffered values and
    ``ch.cap`` the capacity. A channel is always truthy, even when empty.

    A channel belongs to no scheduler; it must only be used from one OS thread at a time.
    """

    __slots__ = ("_buf", "_cap", "_recvq", "_sendq", "_closed", "_zero", "_orphans", "__weakref__")

    _buf: deque[T]
    _cap: int
    _recvq: deque[Waiter]
    _sendq: deque[Waiter]
    _orphans: int  # records orphaned in recvq/sendq since the last compaction; see _orphaned

    def __init__(self, capacity: int = 0, *, zero: T | None = None) -> None:
        if type(capacity) is not int or capacity < 0 or capacity > _SMALL_CAP:
            capacity = _capacity(capacity)  # raises, or converts an IntEnum or an __index__ object
        self._buf = deque()
        self._cap = capacity
        self._recvq = deque()
        self._sendq = deque()
        self._closed = False
        self._zero = zero
        self._orphans = 0  # see _orphaned

    def __repr__(self) -> str:
        state = " closed" if self._closed else ""
        return f"<Chan len={len(self._buf)} cap={self._cap}{state}>"

    def __len__(self) -> int:
        return len(self._buf)

    def __bool__(self) -> bool:
        return True

    @property
    def cap(self) -> int:
        """The buffer capacity (Go: ``cap(ch)``)."""
        return self._cap

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called (Go has no such query; useful in tests and asserts)."""
        return self._closed

    def send_only(self) -> SendChan[T]:
        """This channel, typed as send-only (Go: converting to ``chan<- T``). No copy is made."""
        return self

    def recv_only(self) -> RecvChan[T]:
        """This channel, typed as receive-only (Go: converting to ``<-chan T``). No copy is made."""
        return self

    # -- send ---------------------------------------------------------------------------------

    def send(self, value: T) -> None:
        """Send ``value``, blocking until a receiver takes it or buffer space is free.

        Go: ``ch <- value``. Raises ClosedChannelError("send on closed channel") if the channel
        is closed, or is closed while the send is blocked.
        """
        if self._closed:
            raise ClosedChannelError(SEND_CLOSED)
        rq = self._recvq
        while rq:  # hand the value straight to a parked receiver (sendDirect); inlined: hot path
            w = rq.popleft()
            w.val = value
            w.ok = True
            if w.isselect:
                g = w.g
                if g.selectdone:
                    w.q = None  # stale (its select fired elsewhere): out of the queue now
                    continue
                g.selectdone = True
                g.sched.ready(g, w)  # the select learns which case fired from park's result
            else:
                w.sched.ready(w)
            return
        if len(self._buf) < self._cap:
            self._buf.append(value)
            return
        # Publish, park, undo: the wait queue's protocol (gochan._runtime._waitq), copied inline here
        # and in _park_recv: parking through it made the ping-pong shape 12% slower (median of 15
        # alternating runs of python -m benchmarks.worker gochan pingpong).
        s = tls.sched or current_scheduler()
        g = s.current
        g.val = value
        g.ok = False
        self._sendq.append(g)
        try:
            s.park("chan send")
        except BaseException:
            self._unqueue(self._sendq, g)
            g.val = None
            raise
        g.val = None
        if not g.ok:
            raise ClosedChannelError(SEND_CLOSED)

    def try_send(self, value: T) -> bool:
        """Send ``value`` if that can be done without blocking; return whether it was sent.

        Go: ``select { case ch <- value: ...; default: }``. Raises on a closed channel, as Go does.
        """
        if self._closed:
            raise ClosedChannelError(SEND_CLOSED)
        if not _full(self):
            self.send(value)  # cannot block now
            return True
        return False

    # -- receive ------------------------------------------------------------------------------

    def recv(self) -> T | None:
        """Receive a value, blocking until one is sent or the channel is closed.

        Go: ``v := <-ch``. A closed, drained channel returns its zero value (``None`` unless
        given); :meth:`recv_ok` tells the two apart.
        """
        buf = self._buf
        if buf:
            v = buf.popleft()
            if self._sendq:
                self._refill()
            return v
        sq = self._sendq
        while sq:  # take the value from a parked sender; inlined: hot path
            w = sq.popleft()
            if w.isselect:
                g = w.g
                if g.selectdone:
                    w.q = None  # stale (its select fired elsewhere): out of the queue now
                    continue
                g.selectdone = True
                g.sched.ready(g, w)  # the select learns which case fired from park's result
            else:
                w.sched.ready(w)
            got: T = w.val  # a send waiter's val is a T
            w.val = None
            w.ok = True
            return got
        if self._closed:
            return self._zero
        return self._park_recv()[0]

    def recv_ok(self) -> tuple[T, Literal[True]] | tuple[T | None, Literal[False]]:
        """Receive ``(value, ok)``; ``ok`` is False only for the zero value of a closed, drained channel.

        Go: ``v, ok := <-ch``.
        """
        buf = self._buf
        if buf:
            v = buf.popleft()
            if self._sendq:
                self._refill()
            return v, True
        if self._sendq and _live_head(self._sendq):
            return self.recv(), True  # type: ignore[return-value]  # recv takes the waiting sender's T
        if self._closed:
            return self._zero, False
        return self._park_recv()

    def try_recv(self) -> tuple[T, Literal[True]] | tuple[T | None, Literal[False]] | None:
        """Receive without blocking: ``(value, ok)`` as :meth:`recv_ok`, or ``None`` if it would block.

        Go: ``select { case v, ok := <-ch: ...; default: }``.
        """
        if self._closed or not _empty(self):
            return self.recv_ok()
        return None

    def __iter__(self) -> Iterator[T]:
        """Receive values until the channel is closed and drained (Go: ``for v := range ch``)."""
        buf = self._buf
        while True:
            if buf:  # the buffered fast path of recv_ok, inlined: iteration is a hot loop
                v = buf.popleft()
                if self._sendq:
                    self._refill()
                yield v
                continue
            v, ok = self.recv_ok()  # type: ignore[assignment]  # T | None; ok tells which
            if not ok:
                return
            yield v

    def _park_recv(self) -> tuple[T, Literal[True]] | tuple[T | None, Literal[False]]:
        s = tls.sched or current_scheduler()
        g = s.current
        g.val = None
        g.ok = False
        self._recvq.append(g)
        try:
            s.park("chan receive")
        except BaseException:
            self._unqueue(self._recvq, g)
            raise
        v = g.val
        g.val = None
        if g.ok:
            return v, True  # the waker stored a T
        return v, False  # closed: the channel's zero value

    def _refill(self) -> None:
        """A buffered value was taken: move the first blocked sender's value into the buffer."""
        w = _pop_live(self._sendq)
        if w is not None:
            self._buf.append(w.val)
            w.val = None
            w.ok = True
            _wake(w)

    @staticmethod
    def _unqueue(q: deque[Waiter], w: Waiter) -> None:
        """Undo a publication: remove ``w`` if it is still queued (it may have been popped)."""
        try:
            q.remove(w)
        except ValueError:
            pass

    def _orphaned(self) -> None:
        """A select left an orphaned record in one of our queues: compact them once orphans exceed half.

        Each compaction costs O(len) and follows more than len/2 orphanings, so O(1) amortised each.
        The count may overstate (an orphan popped as stale is not subtracted): that only compacts
        sooner, at the same amortised cost.
        """
        self._orphans = n = self._orphans + 1
        if 2 * n > len(self._recvq) + len(self._sendq):
            self._compact(self._recvq)
            self._compact(self._sendq)
            self._orphans = 0

    @staticmethod
    def _compact(q: deque[Waiter]) -> None:
        """Drop every stale select record from ``q`` in place, keeping the others in FIFO order."""
        for _ in range(len(q)):
            w = q.popleft()
            if w.isselect and w.g.selectdone:
                w.q = None  # stale: out of the queue now
            else:
                q.append(w)

    # -- close --------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the channel: no more sends; receivers drain the buffer, then get the zero value.

        Go: ``close(ch)``. Every blocked receiver wakes with ``(zero, False)``; every blocked
        sender raises "send on closed channel". Raises ClosedChannelError("close of closed
        channel") if already closed.
        """
        if self._closed:
            raise ClosedChannelError(CLOSE_CLOSED)
        self._closed = True
        zero = self._zero
        while (w := _pop_live(self._recvq)) is not None:
            w.val = zero
            w.ok = False
            _wake(w)
        while (w := _pop_live(self._sendq)) is not None:
            w.ok = False
            _wake(w)
