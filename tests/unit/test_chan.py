"""Chan: Go's ``chan T`` — rendezvous, buffering, FIFO waiters, close rules, try-forms.

Every test runs as a program under ``gochan.run``; interleavings are asserted as transcripts.
"""

from __future__ import annotations

import enum
import math

import pytest

from gochan import Chan, ClosedChannelError, RecvChan, SendChan, go, gosched, run

SEND_CLOSED = r"^send on closed channel$"
CLOSE_CLOSED = r"^close of closed channel$"

# The rules that hold for every capacity run over these, as Go's chan_test loops over chanCap:
# unbuffered, a buffer of one, a larger buffer.
CAPS = [0, 1, 4]
by_cap = pytest.mark.parametrize("cap", CAPS, ids=[f"cap{c}" for c in CAPS])


# -- unbuffered -----------------------------------------------------------------------------------


def test_unbuffered_sender_stays_blocked_until_a_receiver_takes_the_value() -> None:
    events: list[str] = []

    def sender(ch: Chan[int]) -> None:
        events.append("send start")
        ch.send(1)
        events.append("send done")

    def main() -> None:
        ch: Chan[int] = Chan()
        go(sender, ch)
        gosched()
        events.append("main yielded once")
        gosched()
        events.append("main yielded twice")
        v = ch.recv()
        events.append(f"main got {v}")
        gosched()
        events.append("main end")

    run(main)
    assert events == [
        "send start",
        "main yielded once",
        "main yielded twice",
        "main got 1",
        "send done",
        "main end",
    ]


def test_unbuffered_send_to_a_parked_receiver_completes_without_blocking() -> None:
    events: list[str] = []

    def receiver(ch: Chan[int]) -> None:
        events.append("recv parked")
        events.append(f"recv got {ch.recv()}")

    def main() -> None:
        ch: Chan[int] = Chan()
        go(receiver, ch)
        gosched()
        events.append("send")
        ch.send(1)
        events.append("send returned")
        gosched()

    run(main)
    assert events == ["recv parked", "send", "send returned", "recv got 1"]


def test_unbuffered_channel_buffers_nothing() -> None:
    def main() -> tuple[int, int, bool]:
        ch: Chan[int] = Chan()
        return len(ch), ch.cap, ch.try_send(1)

    assert run(main) == (0, 0, False)


# -- buffered -------------------------------------------------------------------------------------


def test_buffered_channel_is_fifo() -> None:
    def main() -> list[int | None]:
        ch: Chan[int] = Chan(3)
        for v in (1, 2, 3):
            ch.send(v)
        return [ch.recv() for _ in range(3)]

    assert run(main) == [1, 2, 3]


def test_send_on_full_buffer_blocks_until_a_recv_makes_room() -> None:
    events: list[str] = []

    def sender(ch: Chan[int]) -> None:
        for v in (1, 2, 3):
            ch.send(v)
            events.append(f"sent {v}")

    def main() -> None:
        ch: Chan[int] = Chan(2)
        go(sender, ch)
        gosched()
        events.append(f"main sees len {len(ch)}")
        gosched()
        events.append(f"main got {ch.recv()}")
        events.append(f"main sees len {len(ch)}")
        gosched()
        events.append(f"main got {ch.recv()} {ch.recv()}")

    run(main)
    assert events == [
        "sent 1",
        "sent 2",
        "main sees len 2",
        "main got 1",
        # the blocked sender's value moved into the freed slot before the sender runs again
        "main sees len 2",
        "sent 3",
        "main got 2 3",
    ]


@by_cap
def test_blocked_senders_are_served_fifo_after_the_buffer(cap: int) -> None:
    def sender(ch: Chan[int], v: int) -> None:
        ch.send(v)

    def main() -> list[int | None]:
        ch: Chan[int] = Chan(cap)
        for v in range(cap):
            ch.send(v)  # fill the buffer: every sender below parks
        for v in range(cap, cap + 3):
            go(sender, ch, v)
            gosched()  # this sender parks before the next one is started
        return [ch.recv() for _ in range(cap + 3)]

    assert run(main) == list(range(cap + 3))


@by_cap
def test_blocked_receivers_are_served_fifo(cap: int) -> None:
    got: dict[str, str | None] = {}

    def receiver(ch: Chan[str], name: str) -> None:
        got[name] = ch.recv()

    def main() -> None:
        ch: Chan[str] = Chan(cap)
        for name in ("r1", "r2", "r3"):
            go(receiver, ch, name)
            gosched()  # this receiver parks before the next one is started
        for v in ("a", "b", "c"):
            ch.send(v)
        gosched()

    run(main)
    assert got == {"r1": "a", "r2": "b", "r3": "c"}


# -- receive forms and close ----------------------------------------------------------------------


def test_recv_ok_reports_true_for_a_sent_value_and_false_after_close() -> None:
    def main() -> list[tuple[int | None, bool]]:
        ch: Chan[int] = Chan(1)
        ch.send(7)
        ch.close()
        return [ch.recv_ok(), ch.recv_ok()]

    assert run(main) == [(7, True), (None, False)]


@by_cap
def test_recv_on_closed_channel_drains_the_buffer_then_returns_none(cap: int) -> None:
    def main() -> list[int | None]:
        ch: Chan[int] = Chan(cap)
        for v in range(1, cap + 1):
            ch.send(v)
        ch.close()
        return [ch.recv() for _ in range(cap + 2)]

    assert run(main) == [*range(1, cap + 1), None, None]


@by_cap
def test_recv_on_closed_channel_returns_the_given_zero_value(cap: int) -> None:
    def main() -> tuple[int | None, tuple[int | None, bool]]:
        ch: Chan[int] = Chan(cap, zero=0)
        ch.close()
        return ch.recv(), ch.recv_ok()

    assert run(main) == (0, (0, False))


def test_for_loop_drains_the_buffer_and_stops_at_close() -> None:
    def main() -> list[int]:
        ch: Chan[int] = Chan(3)
        for v in (1, 2, 3):
            ch.send(v)
        ch.close()
        return list(ch)

    assert run(main) == [1, 2, 3]


def test_for_loop_receives_from_a_producer_until_it_closes() -> None:
    def producer(ch: Chan[int]) -> None:
        for v in range(5):
            ch.send(v)
        ch.close()

    def main() -> list[int]:
        ch: Chan[int] = Chan()
        go(producer, ch)
        return [v for v in ch]

    assert run(main) == [0, 1, 2, 3, 4]


@by_cap
def test_close_wakes_every_blocked_receiver_with_zero_and_not_ok(cap: int) -> None:
    got: list[tuple[str, int | None, bool]] = []

    def receiver(ch: Chan[int], name: str) -> None:
        v, ok = ch.recv_ok()
        got.append((name, v, ok))

    def main() -> None:
        ch: Chan[int] = Chan(cap, zero=-1)
        for name in ("r1", "r2", "r3"):
            go(receiver, ch, name)
        gosched()
        assert got == []
        ch.close()
        gosched()

    run(main)
    assert sorted(got) == [("r1", -1, False), ("r2", -1, False), ("r3", -1, False)]


@by_cap
def test_close_makes_every_blocked_sender_raise_send_on_closed_channel(cap: int) -> None:
    errors: list[str] = []

    def sender(ch: Chan[int], v: int) -> None:
        try:
            ch.send(v)
        except ClosedChannelError as e:
            errors.append(f"{v}: {e}")

    def main() -> None:
        ch: Chan[int] = Chan(cap)
        for v in range(-cap, 0):
            ch.send(v)  # full: every sender below parks
        for v in (1, 2, 3):
            go(sender, ch, v)
        gosched()
        assert errors == []
        ch.close()
        gosched()
        assert list(ch) == list(range(-cap, 0))  # the buffered values survive the close; the blocked ones do not

    run(main)
    assert sorted(errors) == [
        "1: send on closed channel",
        "2: send on closed channel",
        "3: send on closed channel",
    ]


@by_cap
def test_send_on_closed_channel_raises(cap: int) -> None:
    def main() -> None:
        ch: Chan[int] = Chan(cap)
        ch.close()
        with pytest.raises(ClosedChannelError, match=SEND_CLOSED):
            ch.send(1)

    run(main)


@by_cap
def test_close_of_closed_channel_raises(cap: int) -> None:
    def main() -> None:
        ch: Chan[int] = Chan(cap)
        ch.close()
        with pytest.raises(ClosedChannelError, match=CLOSE_CLOSED):
            ch.close()

    run(main)


def test_closed_property_reports_close() -> None:
    def main() -> tuple[bool, bool]:
        ch: Chan[int] = Chan()
        before = ch.closed
        ch.close()
        return before, ch.closed

    assert run(main) == (False, True)


# -- len, cap, truthiness, construction ------------------------------------------------------------


def test_len_counts_buffered_values_and_cap_is_the_capacity() -> None:
    def main() -> list[tuple[int, int]]:
        ch: Chan[int] = Chan(3)
        seen = [(len(ch), ch.cap)]
        ch.send(1)
        ch.send(2)
        seen.append((len(ch), ch.cap))
        ch.close()
        seen.append((len(ch), ch.cap))
        ch.recv()
        seen.append((len(ch), ch.cap))
        return seen

    assert run(main) == [(0, 3), (2, 3), (2, 3), (1, 3)]


def test_empty_channel_is_truthy() -> None:
    def main() -> tuple[bool, bool]:
        return bool(Chan[int]()), bool(Chan[int](4))

    assert run(main) == (True, True)


def test_negative_capacity_raises() -> None:
    def main() -> None:
        with pytest.raises(ValueError, match=r"^makechan: size out of range$"):
            Chan[int](-1)

    run(main)


class Size(enum.IntEnum):
    SMALL = 3


class Indexable:
    """Not an int, but usable as one (``operator.index``), as numpy's integers are."""

    def __index__(self) -> int:
        return 2


@pytest.mark.parametrize("size", [-1, -(1 << 70), (1 << 48) + 1, 1 << 63, 1 << 100])
def test_capacity_out_of_range_raises_go_text(size: int) -> None:
    with pytest.raises(ValueError, match=r"^makechan: size out of range$"):
        Chan[int](size)


@pytest.mark.parametrize(
    ("size", "kind"),
    [
        (1.5, "float"),
        (2.0, "float"),
        (math.nan, "float"),
        (math.inf, "float"),
        ("3", "str"),
        (None, "NoneType"),
        (True, "bool"),
        (False, "bool"),
    ],
)
def test_capacity_that_is_not_an_int_raises_type_error(size: object, kind: str) -> None:
    with pytest.raises(TypeError, match=rf"^Chan capacity must be an int, not {kind}$"):
        Chan[int](size)  # type: ignore[arg-type]  # the misuse under test


@pytest.mark.parametrize(("size", "cap"), [(0, 0), (Size.SMALL, 3), (Indexable(), 2), (1 << 48, 1 << 48)])
def test_capacity_accepts_ints_int_subclasses_and_index_objects_up_to_2_to_the_48(size: object, cap: int) -> None:
    ch: Chan[int] = Chan(size)  # type: ignore[arg-type]  # an __index__ object is accepted at run time
    assert type(ch.cap) is int
    assert ch.cap == cap


def test_capacity_holds_exactly_cap_values() -> None:
    def main() -> list[bool]:
        ch: Chan[int] = Chan(Size.SMALL)
        return [ch.try_send(v) for v in range(5)]

    assert run(main) == [True, True, True, False, False]


def test_send_only_and_recv_only_views_are_the_same_object() -> None:
    def main() -> None:
        ch: Chan[int] = Chan()
        s: SendChan[int] = ch.send_only()
        r: RecvChan[int] = ch.recv_only()
        assert s is ch
        assert r is ch

    run(main)


# -- try_send ---------------------------------------------------------------------------------------


def test_try_send_on_buffered_channel_with_room_succeeds() -> None:
    def main() -> tuple[bool, int]:
        ch: Chan[int] = Chan(1)
        return ch.try_send(1), len(ch)

    assert run(main) == (True, 1)


def test_try_send_on_full_channel_fails_without_blocking() -> None:
    def main() -> tuple[bool, list[int]]:
        ch: Chan[int] = Chan(1)
        ch.send(1)
        ok = ch.try_send(2)
        ch.close()
        return ok, list(ch)

    assert run(main) == (False, [1])


def test_try_send_on_unbuffered_channel_without_receiver_fails() -> None:
    def main() -> bool:
        return Chan[int]().try_send(1)

    assert run(main) is False


def test_try_send_to_a_parked_receiver_hands_the_value_over() -> None:
    events: list[str] = []

    def receiver(ch: Chan[int]) -> None:
        events.append("recv parked")
        events.append(f"recv got {ch.recv()}")

    def main() -> None:
        ch: Chan[int] = Chan()
        go(receiver, ch)
        gosched()
        events.append(f"try_send {ch.try_send(5)}")
        gosched()

    run(main)
    assert events == ["recv parked", "try_send True", "recv got 5"]


@by_cap
def test_try_send_on_closed_channel_raises(cap: int) -> None:
    def main() -> None:
        ch: Chan[int] = Chan(cap)
        ch.close()
        with pytest.raises(ClosedChannelError, match=SEND_CLOSED):
            ch.try_send(1)

    run(main)


# -- try_recv ---------------------------------------------------------------------------------------


def test_try_recv_on_empty_channel_returns_none() -> None:
    def main() -> tuple[object, object]:
        return Chan[int]().try_recv(), Chan[int](2).try_recv()

    assert run(main) == (None, None)


def test_try_recv_on_buffered_channel_returns_the_oldest_value() -> None:
    def main() -> tuple[object, object, int]:
        ch: Chan[int] = Chan(2)
        ch.send(1)
        ch.send(2)
        return ch.try_recv(), ch.try_recv(), len(ch)

    assert run(main) == ((1, True), (2, True), 0)


def test_try_recv_from_a_parked_sender_takes_its_value_and_unblocks_it() -> None:
    events: list[str] = []

    def sender(ch: Chan[int]) -> None:
        events.append("send parked")
        ch.send(9)
        events.append("send done")

    def main() -> None:
        ch: Chan[int] = Chan()
        go(sender, ch)
        gosched()
        events.append(f"try_recv {ch.try_recv()}")
        gosched()

    run(main)
    assert events == ["send parked", "try_recv (9, True)", "send done"]


@by_cap
def test_try_recv_on_closed_channel_drains_then_returns_zero_not_ok(cap: int) -> None:
    def main() -> list[object]:
        ch: Chan[int] = Chan(cap, zero=0)
        for v in range(3, 3 + cap):
            ch.send(v)
        ch.close()
        return [ch.try_recv() for _ in range(cap + 2)]

    assert run(main) == [*((v, True) for v in range(3, 3 + cap)), (0, False), (0, False)]
