"""select: Go's select statement — readiness, default, nil channels, closed channels, wake-ups, cleanup.

Every test runs as a program under ``gochan.run``; interleavings are asserted as transcripts.
"""

from __future__ import annotations

import pytest

from gochan import Chan, ClosedChannelError, DeadlockError, go, gosched, recv, run, select, send

SEND_CLOSED = r"^send on closed channel$"


# -- default ----------------------------------------------------------------------------------------


def test_default_is_taken_when_no_case_is_ready() -> None:
    def main() -> object:
        a: Chan[int] = Chan()
        b: Chan[int] = Chan(1)
        b.send(0)  # full: a send case on it is not ready
        return select(recv(a), send(b, 1), default=True)

    assert run(main) == (-1, None, False)


def test_default_is_not_taken_when_a_case_is_ready() -> None:
    def main() -> list[object]:
        ch: Chan[int] = Chan(1)
        out: Chan[int] = Chan(1)
        ch.send(4)
        return [select(recv(ch), default=True), select(send(out, 5), default=True), out.recv()]

    assert run(main) == [(0, 4, True), (0, None, True), 5]


def test_select_with_only_default_returns_default() -> None:
    assert run(lambda: select(default=True)) == (-1, None, False)


def test_send_case_with_default_hands_over_to_a_parked_receiver() -> None:
    events: list[str] = []

    def receiver(ch: Chan[int]) -> None:
        events.append("recv parked")
        events.append(f"recv got {ch.recv()}")

    def main() -> None:
        ch: Chan[int] = Chan()
        go(receiver, ch)
        gosched()
        events.append(f"select {select(send(ch, 8), default=True)}")
        gosched()

    run(main)
    assert events == ["recv parked", "select (0, None, True)", "recv got 8"]


# -- nil channels and no cases ------------------------------------------------------------------------


def test_none_channel_is_never_ready() -> None:
    def main() -> list[object]:
        ready: Chan[int] = Chan(1, zero=0)
        ready.close()
        results: list[object] = [select(recv(None), send(None, 1), default=True)]
        results += {select(recv(None), send(None, 1), recv(ready)) for _ in range(50)}
        return results

    assert run(main) == [(-1, None, False), (2, 0, False)]


def test_select_with_no_cases_blocks_forever() -> None:
    with pytest.raises(DeadlockError) as info:
        run(select)
    assert str(info.value) == "all goroutines are asleep - deadlock!"
    assert info.value.dump.splitlines()[0] == "goroutine 1 [select (no cases)]:"


def test_select_over_only_none_channels_blocks_forever() -> None:
    def main() -> None:
        select(recv(None), send(None, 1))

    with pytest.raises(DeadlockError) as info:
        run(main)
    assert info.value.dump.splitlines()[0] == "goroutine 1 [select]:"


# -- closed channels --------------------------------------------------------------------------------


def test_recv_case_on_closed_channel_is_always_ready_with_zero_not_ok() -> None:
    def main() -> set[object]:
        closed: Chan[int] = Chan(zero=0)
        closed.close()
        idle: Chan[int] = Chan()
        return {select(recv(idle), recv(closed), default=True) for _ in range(50)}

    assert run(main) == {(1, 0, False)}


def test_recv_case_on_closed_channel_yields_buffered_values_first() -> None:
    def main() -> list[object]:
        ch: Chan[str] = Chan(1)
        ch.send("x")
        ch.close()
        idle: Chan[str] = Chan()
        return [select(recv(ch), recv(idle)), select(recv(ch), recv(idle))]

    assert run(main) == [(0, "x", True), (0, None, False)]


def test_send_case_on_closed_channel_raises_even_with_default() -> None:
    def main() -> None:
        ch: Chan[int] = Chan(1)
        ch.close()
        with pytest.raises(ClosedChannelError, match=SEND_CLOSED):
            select(send(ch, 1), default=True)
        with pytest.raises(ClosedChannelError, match=SEND_CLOSED):
            select(send(ch, 1), recv(Chan[int]()), default=True)

    run(main)


# -- the same channel twice -------------------------------------------------------------------------


def test_the_same_channel_may_appear_in_several_cases() -> None:
    def main() -> tuple[set[int], int]:
        ch: Chan[int] = Chan(200)
        for n in range(200):
            ch.send(n)
        picked: set[int] = set()
        for _ in range(200):
            i, _, ok = select(recv(ch), recv(ch))
            assert ok
            picked.add(i)
        return picked, len(ch)

    assert run(main, seed=1) == ({0, 1}, 0)


def test_blocked_select_on_the_same_channel_twice_receives_one_value() -> None:
    def sender(ch: Chan[int]) -> None:
        ch.send(1)

    def main() -> tuple[int, int | None, bool, bool]:
        ch: Chan[int] = Chan()
        go(sender, ch)
        i, v, ok = select(recv(ch), recv(ch))
        return i in (0, 1), v, ok, ch.try_send(2)

    assert run(main) == (True, 1, True, False)


def test_send_and_recv_of_the_same_channel_in_one_select_do_not_pair_with_each_other() -> None:
    def main() -> None:
        ch: Chan[int] = Chan()
        select(send(ch, 1), recv(ch))

    with pytest.raises(DeadlockError) as info:
        run(main)
    assert info.value.dump.splitlines()[0] == "goroutine 1 [select]:"


# -- blocked select wake-ups ------------------------------------------------------------------------


def test_blocked_select_is_woken_by_a_send() -> None:
    events: list[str] = []

    def sender(ch: Chan[str]) -> None:
        events.append("send")
        ch.send("hi")
        events.append("send done")

    def main() -> None:
        a: Chan[str] = Chan()
        b: Chan[str] = Chan()
        go(sender, b)
        events.append("select parks")
        events.append(f"select got {select(recv(a), recv(b))}")
        gosched()

    run(main)
    assert events == ["select parks", "send", "send done", "select got (1, 'hi', True)"]


def test_blocked_select_is_woken_by_a_receiver() -> None:
    events: list[str] = []

    def receiver(ch: Chan[int]) -> None:
        events.append("recv")
        events.append(f"recv got {ch.recv()}")

    def main() -> None:
        a: Chan[int] = Chan()
        b: Chan[int] = Chan()
        go(receiver, a)
        events.append("select parks")
        events.append(f"select got {select(send(a, 5), recv(b))}")
        gosched()

    run(main)
    assert events == ["select parks", "recv", "recv got 5", "select got (0, None, True)"]


def test_blocked_select_is_woken_by_close_of_a_recv_case_channel() -> None:
    def closer(ch: Chan[int]) -> None:
        ch.close()

    def main() -> object:
        a: Chan[int] = Chan()
        b: Chan[int] = Chan(zero=0)
        go(closer, b)
        return select(recv(a), recv(b))

    assert run(main) == (1, 0, False)


def test_blocked_select_is_woken_by_close_of_a_send_case_channel_and_raises() -> None:
    def closer(ch: Chan[int]) -> None:
        ch.close()

    def main() -> None:
        a: Chan[int] = Chan()
        b: Chan[int] = Chan()
        go(closer, a)
        with pytest.raises(ClosedChannelError, match=SEND_CLOSED):
            select(send(a, 1), recv(b))

    run(main)


def test_select_send_pairs_with_a_select_recv_blocked_in_another_goroutine() -> None:
    events: list[str] = []

    def selector(a: Chan[int], b: Chan[int]) -> None:
        events.append("selector parks")
        events.append(f"selector got {select(recv(a), recv(b))}")

    def main() -> None:
        a: Chan[int] = Chan()
        b: Chan[int] = Chan()
        c: Chan[int] = Chan()
        go(selector, a, b)
        gosched()
        events.append(f"main sent {select(send(c, 1), send(b, 2))}")
        gosched()

    run(main)
    assert events == ["selector parks", "main sent (1, None, True)", "selector got (1, 2, True)"]


# -- cleanup after a select fires -------------------------------------------------------------------


def test_after_select_fires_its_waiters_are_gone_from_the_other_channels() -> None:
    events: list[str] = []

    def sender(ch: Chan[int], v: int) -> None:
        events.append(f"send {v}")
        ch.send(v)
        events.append(f"send {v} done")

    def main() -> None:
        a: Chan[int] = Chan()
        b: Chan[int] = Chan()
        go(sender, a, 1)
        events.append(f"select got {select(recv(a), recv(b))}")
        events.append(f"try_send b {b.try_send(2)}")
        go(sender, b, 3)
        gosched()
        events.append(f"main got {b.recv()}")
        gosched()

    run(main)
    assert events == [
        "send 1",
        "send 1 done",
        "select got (0, 1, True)",
        "try_send b False",
        "send 3",
        "main got 3",
        "send 3 done",
    ]


def test_woken_select_that_has_not_run_yet_does_not_swallow_a_send_on_another_case() -> None:
    events: list[str] = []

    def selector(a: Chan[int], b: Chan[int]) -> None:
        events.append("select parks")
        events.append(f"select got {select(recv(a), recv(b))}")

    def main() -> None:
        a: Chan[int] = Chan()
        b: Chan[int] = Chan()
        go(selector, a, b)
        gosched()
        a.send(1)  # the selector is readied but has not run: its waiter on b is stale
        events.append(f"try_send b {b.try_send(2)}")
        gosched()
        events.append(f"try_send b {b.try_send(3)}")

    run(main)
    assert events == ["select parks", "try_send b False", "select got (0, 1, True)", "try_send b False"]


def test_woken_select_does_not_take_a_buffered_send_case_slot_twice() -> None:
    def selector(a: Chan[int], out: Chan[int]) -> None:
        select(recv(a), send(out, 99))

    def main() -> list[int]:
        a: Chan[int] = Chan()
        out: Chan[int] = Chan(1)
        out.send(0)  # full: the selector parks on both cases
        go(selector, a, out)
        gosched()
        a.send(1)  # the selector fires on a
        assert out.recv() == 0  # room in out: the stale send waiter must not fill it
        gosched()
        out.close()
        return list(out)

    assert run(main) == []


# -- one case ---------------------------------------------------------------------------------------


def test_single_recv_case_select_behaves_as_plain_recv() -> None:
    def sender(ch: Chan[int]) -> None:
        ch.send(3)

    def main() -> list[object]:
        ch: Chan[int] = Chan(zero=0)
        go(sender, ch)
        first = select(recv(ch))
        ch.close()
        return [first, select(recv(ch))]

    assert run(main) == [(0, 3, True), (0, 0, False)]


def test_single_send_case_select_behaves_as_plain_send() -> None:
    events: list[str] = []

    def receiver(ch: Chan[int]) -> None:
        events.append(f"recv got {ch.recv()}")

    def main() -> None:
        ch: Chan[int] = Chan()
        go(receiver, ch)
        events.append("select send")
        events.append(f"select {select(send(ch, 4))}")
        ch.close()
        with pytest.raises(ClosedChannelError, match=SEND_CLOSED):
            select(send(ch, 5))

    run(main)
    assert events == ["select send", "recv got 4", "select (0, None, True)"]


def test_single_case_select_blocks_with_the_plain_wait_reason() -> None:
    with pytest.raises(DeadlockError) as info:
        run(lambda: select(recv(Chan[int]())))
    assert info.value.dump.splitlines()[0] == "goroutine 1 [chan receive]:"
