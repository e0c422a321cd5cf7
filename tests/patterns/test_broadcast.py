"""Broadcast: every subscriber gets every value under its policy; close reaches them all."""

from __future__ import annotations

import pytest

from gochan import Chan, DeadlineExceededError, go
from gochan import testing as synctest
from gochan.context import background, with_timeout
from gochan.patterns import Broadcast, Policy, PoolClosedError


@synctest.synctest
def test_every_subscriber_gets_every_value_then_the_close() -> None:
    b: Broadcast[int] = Broadcast(buffer=4)
    subs = [b.subscribe() for _ in range(3)]
    for v in range(4):
        b.publish(v)
    b.close()
    assert [list(s) for s in subs] == [[0, 1, 2, 3]] * 3
    assert list(b.subscribe()) == []  # joining after close: a closed channel


@synctest.synctest
def test_block_waits_for_the_slowest_subscriber() -> None:
    b: Broadcast[int] = Broadcast(policy="block", buffer=0)
    s = b.subscribe()
    got: Chan[list[int]] = Chan(1)
    go(lambda: got.send(list(s)))
    for v in range(5):
        b.publish(v)  # returns only once the subscriber took v
    b.close()
    assert got.recv() == [0, 1, 2, 3, 4]
    assert b.dropped == 0


@synctest.synctest
def test_block_with_a_context_gives_up() -> None:
    b: Broadcast[int] = Broadcast(buffer=0)
    b.subscribe()
    with with_timeout(background(), 1.0) as (ctx, _), pytest.raises(DeadlineExceededError):
        b.publish(1, ctx=ctx)
    b.close()


@synctest.synctest
def test_drop_oldest_keeps_the_latest_values() -> None:
    b: Broadcast[int] = Broadcast(policy=Policy.DROP_OLDEST, buffer=2)
    s = b.subscribe()
    for v in range(5):
        b.publish(v)
    b.close()
    assert list(s) == [3, 4]
    assert b.dropped == 3


@synctest.synctest
def test_drop_newest_keeps_what_it_has() -> None:
    b: Broadcast[int] = Broadcast(policy=Policy.DROP_NEWEST, buffer=2)
    fast = b.subscribe(buffer=8)
    slow = b.subscribe()
    for v in range(5):
        b.publish(v)
    b.close()
    assert list(slow) == [0, 1]
    assert list(fast) == [0, 1, 2, 3, 4]
    assert b.dropped == 3


@synctest.synctest
def test_unsubscribe_closes_the_channel_and_frees_a_blocked_publish() -> None:
    b: Broadcast[int] = Broadcast(buffer=0)
    s = b.subscribe()
    go(lambda: b.unsubscribe(s))
    b.publish(1)  # blocked on s until it is unsubscribed
    assert len(b) == 0
    assert s.recv_ok() == (None, False)
    b.close()
    with pytest.raises(PoolClosedError):
        b.publish(2)


def test_drop_oldest_needs_a_buffer() -> None:
    with pytest.raises(ValueError, match="buffer must be an int >= 1 for policy drop_oldest"):
        Broadcast(policy="drop_oldest", buffer=0)
