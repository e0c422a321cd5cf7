"""Broadcast: one publisher, many subscribers, each with its own channel.

Go::

    type Broker struct{ subs []chan T }
    func (b *Broker) Publish(v T) { for _, c := range b.subs { c <- v } }   // or select/default to drop
    func (b *Broker) Close()      { for _, c := range b.subs { close(c) } } // close-to-broadcast

A Go channel delivers each value to *one* receiver; only ``close`` reaches them all. So a
broadcast keeps a channel per subscriber and sends each value to every one. What to do with a
subscriber whose channel is full is the design's one decision, taken at creation
(:class:`Policy`):

  BLOCK        wait for it (the publisher, and so every subscriber, goes at the slowest one's pace)
  DROP_OLDEST  discard the oldest value it holds to make room (it always gets the latest values)
  DROP_NEWEST  discard the new value for it (it keeps what it has; Go's select with default)

:meth:`Broadcast.close` closes every subscriber's channel: a subscriber's ``for v in ch`` ends
after the values it holds. A subscriber that joins after close gets a closed channel.

Cost: one channel operation per subscriber per value, made by the publisher; no goroutine.

Invariants:
  _subs holds exactly the open subscriber channels; _closed implies _subs is empty
  dropped counts every value a subscriber did not get because of its policy
"""

from __future__ import annotations

import enum
from typing import Generic, TypeVar, final

from gochan import Chan, ClosedChannelError, RecvChan, recv, select, send
from gochan.context import Context

from .errors import POOL_CLOSED, PoolClosedError

__all__ = ["Broadcast", "Policy"]

T = TypeVar("T")


class Policy(enum.Enum):
    """What a publish does for a subscriber whose channel is full."""

    BLOCK = "block"
    DROP_OLDEST = "drop_oldest"
    DROP_NEWEST = "drop_newest"


@final
class Broadcast(Generic[T]):
    """Publish each value to every subscriber's channel; ``close`` closes them all.

    ``policy`` (a :class:`Policy` or its value, ``"block"``, ``"drop_oldest"``, ``"drop_newest"``)
    says what happens for a full subscriber; ``buffer`` is each subscriber channel's default
    capacity (DROP_OLDEST needs at least 1).
    """

    __slots__ = ("_buffer", "_closed", "_policy", "_subs", "dropped")

    def __init__(self, *, policy: Policy | str = Policy.BLOCK, buffer: int = 16) -> None:
        self._policy = Policy(policy)
        self._buffer = self._check_buffer(buffer)
        self._subs: list[Chan[T]] = []
        self._closed = False
        self.dropped = 0  # values not delivered to some subscriber because of the policy

    def __repr__(self) -> str:
        return f"<Broadcast {self._policy.value} subscribers={len(self._subs)}{' closed' if self._closed else ''}>"

    def __len__(self) -> int:
        """The number of subscribers."""
        return len(self._subs)

    def _check_buffer(self, n: int) -> int:
        least = 1 if self._policy is Policy.DROP_OLDEST else 0
        if n.__class__ is not int or n < least:
            raise ValueError(f"Broadcast: buffer must be an int >= {least} for policy {self._policy.value}, got {n!r}")
        return n

    def subscribe(self, buffer: int | None = None) -> RecvChan[T]:
        """A new channel that receives every value published from now on (capacity ``buffer``)."""
        ch: Chan[T] = Chan(self._buffer if buffer is None else self._check_buffer(buffer))
        if self._closed:
            ch.close()
        else:
            self._subs.append(ch)
        return ch

    def unsubscribe(self, ch: RecvChan[T]) -> None:
        """Stop delivering to ``ch`` and close it (it still yields what it holds). Unknown channels are ignored."""
        for i, c in enumerate(self._subs):
            if c is ch:
                del self._subs[i]
                c.close()  # a publish blocked on it gets ClosedChannelError, and skips it
                return

    def publish(self, v: T, *, ctx: Context | None = None) -> None:
        """Deliver ``v`` to every subscriber under the policy.

        With BLOCK and ``ctx``, raises ``ctx.err()`` if ``ctx`` is done while waiting for a
        subscriber (those before it already have ``v``). Raises PoolClosedError after close.
        """
        if self._closed:
            raise PoolClosedError(POOL_CLOSED)
        policy = self._policy
        for ch in tuple(self._subs):
            if ch.try_send(v):
                continue
            if policy is Policy.BLOCK:
                self._block(ch, v, ctx)
            elif policy is Policy.DROP_OLDEST:
                ch.try_recv()  # make room; a receiver may have taken one meanwhile: fine either way
                ch.try_send(v)
                self.dropped += 1
            else:
                self.dropped += 1

    def _block(self, ch: Chan[T], v: T, ctx: Context | None) -> None:
        cd = ctx.done() if ctx is not None else None
        try:
            if cd is None:
                ch.send(v)
            elif select(send(ch, v), recv(cd))[0] == 1:
                assert ctx is not None
                err = ctx.err()
                assert err is not None
                raise err
        except ClosedChannelError:
            pass  # unsubscribed while we waited

    def close(self) -> None:
        """Close every subscriber's channel (close-to-broadcast); closing twice does nothing."""
        if self._closed:
            return
        self._closed = True
        subs, self._subs = self._subs, []
        for ch in subs:
            ch.close()
