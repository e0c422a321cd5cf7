"""Chan against a model: hypothesis drives senders, receivers, close and the scheduler.

The machine owns a scheduler of its own (the test thread's greenlet is its main goroutine), spawns
sender and receiver goroutines (plain operations or two-case selects), closes the channel, does
try-operations from main, and runs the scheduler until nothing is runnable. It records what every
goroutine saw and checks, against a model of the channel:

- len(ch) <= cap, always;
- conservation: every value whose send completed was received exactly once or is still buffered;
  a value whose send raised was never received; no value is received twice;
- FIFO: each receiver sees each sender's values in the order they were sent;
- quiescent state: blocked senders imply a full buffer, blocked receivers an empty one, never both;
  a closed channel has neither; try_send/try_recv from main agree with the model;
- close rules: closing twice raises "close of closed channel"; a send on (or blocked on) a closed
  channel raises "send on closed channel"; a receive sees (zero, False) only once closed and drained.
"""

from __future__ import annotations

from collections import Counter
from typing import Literal

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from gochan import Chan, ClosedChannelError, go, gosched, recv, select, send
from gochan._runtime import Scheduler, tls

from . import examples

Outcome = Literal["pending", "sent", "raised"]
MAX_GOROUTINES = 12


class ChanMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.prev = tls.sched
        self.sched = Scheduler(0)
        tls.sched = self.sched
        self.ch: Chan[int] = Chan()
        self.cap = 0
        self.zero: int | None = None
        self.never: Chan[int] = Chan()  # the other case of select-based goroutines: never ready
        self.closed = False
        self.next_value = 0
        self.spawned = 0
        self.origin: dict[int, tuple[str, int]] = {}  # value -> (sender, position in its sequence)
        self.outcome: dict[int, Outcome] = {}
        self.receipts: list[tuple[str, int | None, bool]] = []  # (receiver, value, ok) in receipt order
        self.receivers_blocked: set[str] = set()  # receivers that have not finished (blocked at quiescence)

    def teardown(self) -> None:
        try:
            self.settle()  # every run ends with a check of its final, quiescent state
        finally:
            self.unwind()

    def unwind(self) -> None:
        try:
            self.sched.close()
        finally:
            tls.sched = self.prev

    @initialize(cap=st.integers(0, 3), zero=st.sampled_from([None, 0]))
    def make_chan(self, cap: int, zero: int | None) -> None:
        self.ch = Chan(cap, zero=zero)
        self.cap = cap
        self.zero = zero

    # -- helpers ------------------------------------------------------------------------------------

    def new_values(self, sender: str, n: int) -> list[int]:
        values = list(range(self.next_value, self.next_value + n))
        self.next_value += n
        for v in values:
            self.origin[v] = (sender, v)  # values grow in send order: a value is its own position
        return values

    def settle(self) -> None:
        """Run the scheduler until nothing but main is runnable, then check the quiescent state."""
        s = self.sched
        for _ in range(10_000):
            if not s.runq and s.runnext is None:
                self.check_quiescent()
                return
            gosched()
        raise AssertionError("the scheduler did not become quiescent")

    def received_ok(self) -> Counter[int]:
        return Counter(v for _, v, ok in self.receipts if ok and v is not None)

    def pending_senders(self) -> int:
        return sum(1 for o in self.outcome.values() if o == "pending")

    # -- goroutines ---------------------------------------------------------------------------------

    def spawn_sender(self, n: int, via_select: bool) -> None:
        name = f"s{self.spawned}"
        self.spawned += 1
        values = self.new_values(name, n)

        def sender() -> None:
            for v in values:
                self.outcome[v] = "pending"
                try:
                    if via_select:
                        # the channel twice: when one case fires, the other's waiter goes stale
                        i, _, _ = select(send(self.ch, v), recv(self.never), send(self.ch, v))
                        assert i in (0, 2)
                    else:
                        self.ch.send(v)
                except ClosedChannelError as e:
                    assert str(e) == "send on closed channel"
                    self.outcome[v] = "raised"
                    return
                self.outcome[v] = "sent"

        go(sender)

    @precondition(lambda self: self.spawned < MAX_GOROUTINES)
    @rule(n=st.integers(1, 5))
    def spawn_plain_sender(self, n: int) -> None:
        self.spawn_sender(n, via_select=False)

    @precondition(lambda self: self.spawned < MAX_GOROUTINES)
    @rule(n=st.integers(1, 5))
    def spawn_select_sender(self, n: int) -> None:
        self.spawn_sender(n, via_select=True)

    @precondition(lambda self: self.spawned < MAX_GOROUTINES)
    @rule(n=st.integers(1, 3), via_select=st.booleans())
    def spawn_receiver(self, n: int, via_select: bool) -> None:
        name = f"r{self.spawned}"
        self.spawned += 1
        self.receivers_blocked.add(name)

        def receiver() -> None:
            for _ in range(n):
                if via_select:
                    i, v, ok = select(recv(self.ch), recv(self.never), recv(self.ch))
                    assert i in (0, 2)
                else:
                    v, ok = self.ch.recv_ok()
                self.receipts.append((name, v, ok))
            self.receivers_blocked.discard(name)

        go(receiver)

    @precondition(lambda self: self.spawned < MAX_GOROUTINES)
    @rule()
    def spawn_ranger(self) -> None:
        name = f"r{self.spawned}"
        self.spawned += 1
        self.receivers_blocked.add(name)

        def ranger() -> None:
            for v in self.ch:
                self.receipts.append((name, v, True))
            self.receivers_blocked.discard(name)

        go(ranger)

    # -- main's own operations ------------------------------------------------------------------------

    @precondition(lambda self: not self.closed and self.spawned >= 3)  # most runs do plenty before closing
    @rule()
    def close(self) -> None:
        self.ch.close()
        self.closed = True

    @precondition(lambda self: self.closed)
    @rule()
    def close_again(self) -> None:
        with pytest.raises(ClosedChannelError, match=r"^close of closed channel$"):
            self.ch.close()

    @rule()
    def run_until_quiescent(self) -> None:
        self.settle()

    @rule()
    def main_try_send(self) -> None:
        self.settle()
        if self.closed:
            with pytest.raises(ClosedChannelError, match=r"^send on closed channel$"):
                self.ch.try_send(-1)
            return
        expect = bool(self.receivers_blocked) or len(self.ch) < self.cap
        (v,) = self.new_values("main", 1)
        self.outcome[v] = "pending"
        assert self.ch.try_send(v) is expect
        if expect:
            self.outcome[v] = "sent"
        else:
            del self.outcome[v]
        self.settle()

    @rule(times=st.integers(1, 3))
    def main_try_recv(self, times: int) -> None:
        for _ in range(times):
            self.settle()
            ready = len(self.ch) > 0 or self.pending_senders() > 0  # the buffer's head or a blocked sender
            got = self.ch.try_recv()
            if ready:
                assert got is not None
                assert got[1] is True
                self.receipts.append(("main", got[0], True))
            elif self.closed:
                assert got == (self.zero, False)
                self.receipts.append(("main", got[0], False))
            else:
                assert got is None
        self.settle()

    # -- invariants -----------------------------------------------------------------------------------

    @invariant()
    def len_never_exceeds_cap(self) -> None:
        assert 0 <= len(self.ch) <= self.cap

    @invariant()
    def no_value_received_twice_or_after_its_send_raised(self) -> None:
        for v, n in self.received_ok().items():
            assert n == 1, f"value {v} received {n} times"
            assert v in self.origin, f"received {v}, which was never sent"
            assert self.outcome.get(v) != "raised", f"value {v} was received but its send raised"

    @invariant()
    def not_ok_receipts_carry_the_zero_value_of_a_closed_channel(self) -> None:
        for _, v, ok in self.receipts:
            if not ok:
                assert self.closed
                assert v == self.zero

    @invariant()
    def each_receiver_sees_each_senders_values_in_order(self) -> None:
        last: dict[tuple[str, str], int] = {}
        for receiver, v, ok in self.receipts:
            if not ok or v is None:
                continue
            sender, pos = self.origin[v]
            key = (receiver, sender)
            assert last.get(key, -1) < pos, f"{receiver} got {sender}'s values out of order"
            last[key] = pos

    def check_quiescent(self) -> None:
        sent = sum(1 for o in self.outcome.values() if o == "sent")
        received = sum(self.received_ok().values())
        assert sent == received + len(self.ch), "a completed send was lost or duplicated"
        pending = self.pending_senders()
        assert not (pending and self.receivers_blocked), "a blocked sender and receiver never met"
        if pending:
            assert len(self.ch) == self.cap, "a sender is blocked although the buffer has room"
        if self.receivers_blocked:
            assert len(self.ch) == 0, "a receiver is blocked although values are buffered"
        if self.closed:
            assert pending == 0, "a sender is still blocked on a closed channel"
            assert not self.receivers_blocked, "a receiver is still blocked on a closed channel"


ChanMachine.TestCase.settings = settings(max_examples=examples(100), stateful_step_count=30, deadline=None)
TestChanModel = ChanMachine.TestCase
