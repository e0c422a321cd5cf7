"""select: Go's select statement — readiness, default, nil channels, closed channels, wake-ups, cleanup.

Every test runs as a program under ``gochan.run``; interleavings are asserted as transcripts.
"""

from __future__ import annotations

import random

import pytest

from gochan import Chan, ClosedChannelError, DeadlockError, go, gosched, recv, run, select, send, sync

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


# -- several blocked cases on one channel -----------------------------------------------------------


def _receive_once(ch: Chan[int], got: list[int | None]) -> None:
    got.append(ch.recv())


def _parked_sends_on_one_channel(rounds: int) -> list[int | None]:
    """Each round: select(send(c, 1), send(c, 0)) parks (no receiver yet), then one receive fires it."""
    got: list[int | None] = []
    c: Chan[int] = Chan()
    for _ in range(rounds):
        go(_receive_once, c, got)  # runs only once the select below has parked
        i, _, _ = select(send(c, 1), send(c, 0))
        assert got[-1] == 1 - i
    return got


def test_blocked_select_fires_a_random_one_of_its_cases_on_the_same_channel() -> None:
    # Binomial(1000, 1/2): mean 500, sd 15.8; the bounds are 6 sd away (fails with p < 1e-8).
    got = run(_parked_sends_on_one_channel, 1000, seed=7)
    assert 400 < got.count(1) < 600, f"{got.count(1)} of 1000 sends fired the first case"


def test_the_choice_among_cases_on_the_same_channel_replays_under_a_seed() -> None:
    assert run(_parked_sends_on_one_channel, 200, seed=3) == run(_parked_sends_on_one_channel, 200, seed=3)


def test_blocked_select_with_recv_cases_on_the_same_channel_receives_one_value_each_time() -> None:
    def send_once(ch: Chan[int], v: int) -> None:
        ch.send(v)

    def main() -> tuple[set[int], list[int | None], bool]:
        a: Chan[int] = Chan()
        b: Chan[int] = Chan()
        fired: set[int] = set()
        values: list[int | None] = []
        for v in range(200):
            go(send_once, a, v)
            i, got, ok = select(recv(a), recv(b), recv(a))
            assert ok
            fired.add(i)
            values.append(got)
        return fired, values, a.try_send(-1) or b.try_send(-1)

    assert run(main, seed=11) == ({0, 2}, list(range(200)), False)


# -- leaving the queues: selects woken in any order ------------------------------------------------


def _wake_in_order(n: int, order: list[int]) -> None:
    """n selects park on (recv own[i], send shared i, recv done); main wakes them in ``order``.

    Every third step main also receives from ``shared``, which fires whichever select is first
    there. Afterwards every value was delivered exactly once and every queue is empty.
    """
    own: list[Chan[int]] = [Chan() for _ in range(n)]
    shared: Chan[int] = Chan()
    done: Chan[int] = Chan()
    results: list[tuple[int, int, object]] = []
    wg = sync.WaitGroup()

    def waiter(i: int) -> None:
        k, v, ok = select(recv(own[i]), send(shared, i), recv(done))
        assert ok
        results.append((i, k, v))

    for i in range(n):
        wg.go(waiter, i)
    gosched()  # every waiter parks
    via_shared: list[object] = []
    for step, i in enumerate(order):
        own[i].try_send(i)  # False if that select already fired on shared
        if step % 3 == 0 and (r := shared.try_recv()) is not None:
            via_shared.append(r[0])
    wg.wait()
    assert sorted(i for i, _, _ in results) == list(range(n)), "every waiter woken exactly once"
    assert all(v == i for i, k, v in results if k == 0), "own values delivered to their waiter"
    by_shared = [i for i, k, _ in results if k == 1]
    assert len(by_shared) == len(via_shared) and set(by_shared) == set(via_shared), "shared values delivered"
    assert via_shared, "some selects fired on the shared channel"
    queues = [done._recvq, shared._sendq, *(c._recvq for c in own)]  # a white-box check: no record left
    assert [len(q) for q in queues] == [0] * len(queues)


@pytest.mark.parametrize("order", ["fifo", "reverse", "random"])
def test_selects_woken_in_any_order_each_wake_once_and_leave_every_queue_empty(order: str) -> None:
    n = 600
    idx = list(range(n))
    if order == "reverse":
        idx.reverse()
    elif order == "random":
        random.Random(5).shuffle(idx)
    run(_wake_in_order, n, idx, seed=5)


def test_a_channel_nobody_fires_holds_at_most_twice_its_waiters() -> None:
    # Many goroutines select on their own channel and a shared done channel in a loop, woken in
    # random order: done's queue must not grow with the number of selects that passed through it.
    workers, rounds = 40, 100
    got: list[int] = []

    def worker(own: Chan[int], done: Chan[int]) -> None:
        while True:
            k, v, _ = select(recv(own), recv(done))
            if k == 1:
                return
            got.append(v)  # type: ignore[arg-type]  # own is never closed: v is an int

    def main() -> int:
        rng = random.Random(9)
        done: Chan[int] = Chan()
        own: list[Chan[int]] = [Chan() for _ in range(workers)]
        wg = sync.WaitGroup()
        for ch in own:
            wg.go(worker, ch, done)
        longest = 0
        for r in range(rounds):
            gosched()  # every worker is parked in its select again
            longest = max(longest, len(done._recvq))  # white-box: records queued on done
            for i in rng.sample(range(workers), workers):
                own[i].send(r)
        done.close()
        wg.wait()
        assert sorted(got) == [r for r in range(rounds) for _ in range(workers)]
        return longest

    assert run(main, seed=9) <= 2 * workers + 1


# -- arguments that are not cases -------------------------------------------------------------------

NOT_A_CASE_CHAN = (
    r"^select: argument {} is a channel, not a case; "
    r"write recv\(ch\) to receive from it or send\(ch, v\) to send on it$"
)


def test_a_bare_channel_is_rejected_before_any_value_is_received() -> None:
    def main() -> list[int | None]:
        ch: Chan[int] = Chan(5)
        for v in range(5):
            ch.send(v)
        other: Chan[int] = Chan()
        with pytest.raises(TypeError, match=NOT_A_CASE_CHAN.format(0)):
            select(ch, recv(other))  # type: ignore[call-overload]  # the misuse under test
        with pytest.raises(TypeError, match=NOT_A_CASE_CHAN.format(1)):
            select(recv(other), ch, default=True)  # type: ignore[call-overload]  # idem
        with pytest.raises(TypeError, match=NOT_A_CASE_CHAN.format(0)):
            select(ch)  # type: ignore[call-overload]  # idem
        return [ch.recv() for _ in range(len(ch))]

    assert run(main) == [0, 1, 2, 3, 4]


def test_a_bare_channel_does_not_take_a_parked_senders_value() -> None:
    def sender(ch: Chan[str]) -> None:
        ch.send("kept")

    def main() -> object:
        ch: Chan[str] = Chan()
        go(sender, ch)
        gosched()
        with pytest.raises(TypeError, match=NOT_A_CASE_CHAN.format(0)):
            select(ch.recv_only(), recv(Chan[str]()))  # type: ignore[call-overload]  # the misuse under test
        return ch.try_recv()

    assert run(main) == ("kept", True)


@pytest.mark.parametrize(
    ("bad", "kind"),
    [
        (5, "int"),
        ("abc", "str"),
        (None, "NoneType"),
        ((5, False, None), "tuple"),
        (("x",), "tuple"),
        ((Chan[int](),), "tuple"),
    ],
)
def test_other_non_case_arguments_are_rejected_naming_recv_and_send(bad: object, kind: str) -> None:
    msg = rf"^select: argument {{}} is not a case \(got {kind}\); build cases with recv\(ch\) or send\(ch, v\)$"

    def main() -> list[int | None]:
        ch: Chan[int] = Chan(2)
        ch.send(1)
        with pytest.raises(TypeError, match=msg.format(1)):
            select(recv(ch), bad, default=True)  # type: ignore[call-overload]  # the misuse under test
        with pytest.raises(TypeError, match=msg.format(0)):
            select(bad)  # type: ignore[call-overload]  # idem
        return [ch.recv(), len(ch)]

    assert run(main) == [1, 0]


NOT_A_CASE_TUPLE = r"^select: argument 1 is not a case \(got tuple\); build cases with recv\(ch\) or send\(ch, v\)$"


def test_a_case_tuple_of_the_wrong_length_is_rejected_when_chosen_losing_nothing() -> None:
    def main() -> list[object]:
        idle: Chan[int] = Chan()
        full: Chan[int] = Chan(1)
        full.send(7)
        with pytest.raises(TypeError, match=NOT_A_CASE_TUPLE):
            select(recv(idle), (full, False, None, "extra"))  # type: ignore[call-overload]  # the misuse under test
        return [full.try_recv(), len(idle._recvq)]  # white-box: no record left behind

    assert run(main) == [(7, True), 0]


def test_a_case_tuple_of_the_wrong_length_is_rejected_when_the_select_parks_leaving_no_record() -> None:
    def main() -> list[int]:
        a: Chan[int] = Chan()
        b: Chan[int] = Chan()
        c: Chan[int] = Chan()
        with pytest.raises(TypeError, match=NOT_A_CASE_TUPLE):
            select(recv(a), (b, False), recv(c))  # type: ignore[call-overload]  # the misuse under test
        assert not a.try_send(1) and not c.try_send(1)  # no select waiter left to take a value
        return [len(q) for q in (a._recvq, b._recvq, c._recvq)]  # white-box: every queue empty

    assert run(main) == [0, 0, 0]
