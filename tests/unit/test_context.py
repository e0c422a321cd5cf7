"""context: cancellation trees, deadlines on virtual time, causes, values, without_cancel, after_func.

Every test runs as a program: under ``gochan.run``, or on virtual time (``vrun``) where a one-hour
timeout takes no real time. Time advances only through ``advance`` (the scheduler's sleep), never
by sleeping for real. Interleavings are asserted as transcripts.
"""

from __future__ import annotations

import functools
import gc
import math
import re
import sys
from collections.abc import Callable
from typing import TypeVar, assert_type

import pytest

from gochan import Chan, DeadlockError, dump_goroutines, go, gosched, num_goroutine, recv, run, select, sleep
from gochan import context as ctxmod
from gochan._chan import RecvChan
from gochan._runtime import Scheduler, current_scheduler, run_in
from gochan.context import (
    CANCELED,
    DEADLINE_EXCEEDED,
    Cancelable,
    CancelCauseFunc,
    Context,
    after_func,
    background,
    cause,
    todo,
    with_cancel,
    with_cancel_cause,
    with_deadline,
    with_deadline_cause,
    with_timeout,
    with_timeout_cause,
    with_value,
    without_cancel,
)
from gochan.errors import CanceledError, DeadlineExceededError, GochanError
from gochan.semaphore import Semaphore

T = TypeVar("T")

EPOCH = 946684800.0  # a bubble's clock starts here
ON_CLOCK = "a time in seconds on the scheduler clock (gochan.now())"


class Boom(Exception):
    """A cause or an error of the test's own."""


def vrun(main: Callable[[], T]) -> T:
    """Run ``main`` as a program on virtual time."""
    return run_in(Scheduler(None, virtual=True), main)


def now() -> float:
    return current_scheduler().clock()


def advance(seconds: float) -> None:
    """Let virtual time pass: everything due by then happens first (timers fire in order)."""
    s = current_scheduler()
    s.sleep_until(s.clock() + seconds)


def settle() -> None:
    """Return once every other goroutine is blocked (Go's synctest.Wait), without advancing time."""
    s = current_scheduler()
    s.syncwaiter = s.current
    s.park("synctest.Wait")


def is_closed(ch: RecvChan[None] | None) -> bool:
    """Whether ``ch`` is closed, without blocking (a context's done channel never holds values)."""
    assert ch is not None
    r = ch.try_recv()
    return r is not None and not r[1]


def nkids(ctx: Context) -> int:
    """How many children are registered with a cancellable context (white box: leak checks)."""
    kids = ctx._children  # type: ignore[attr-defined]  # _CancelCtx's registry
    return 0 if kids is None else len(kids)


def chain_depth(e: BaseException) -> int:
    n = 0
    tb = e.__traceback__
    while tb is not None:
        n += 1
        tb = tb.tb_next
    return n


# -- roots -----------------------------------------------------------------------------------------


def test_background_and_todo_are_never_done_and_have_nothing() -> None:
    for ctx in (background(), todo()):
        assert ctx.done() is None
        assert ctx.err() is None
        assert ctx.deadline() is None
        assert ctx.value("anything") is None
        assert cause(ctx) is None
    assert background() is background()
    assert todo() is todo()
    assert background() is not todo()
    assert repr(background()) == "context.background"
    assert repr(todo()) == "context.todo"


def test_background_done_is_a_nil_channel_in_select() -> None:
    def main() -> int:
        ch: Chan[int] = Chan(1)
        ch.send(7)
        i, _, _ = select(recv(background().done()), recv(ch))
        return i

    assert run(main) == 1


def test_context_is_abstract() -> None:
    with pytest.raises(TypeError):
        Context()  # type: ignore[abstract]  # the point of the test


def test_sentinel_errors_are_go_texts_and_types() -> None:
    assert str(CANCELED) == "context canceled"
    assert str(DEADLINE_EXCEEDED) == "context deadline exceeded"
    assert isinstance(CANCELED, CanceledError)
    assert isinstance(CANCELED, GochanError)
    assert isinstance(DEADLINE_EXCEEDED, DeadlineExceededError)
    assert isinstance(DEADLINE_EXCEEDED, TimeoutError)
    assert not isinstance(CANCELED, TimeoutError)


def test_nil_parent_and_nil_key_raise_go_texts() -> None:
    nil: Context = None  # type: ignore[assignment]  # the misuse under test
    for make in (with_cancel, with_cancel_cause, without_cancel):
        with pytest.raises(TypeError, match=r"^cannot create context from nil parent$"):
            make(nil)
    with pytest.raises(TypeError, match=r"^cannot create context from nil parent$"):
        with_value(nil, "k", 1)
    with pytest.raises(TypeError, match=r"^nil key$"):
        with_value(background(), None, 1)


# -- with_cancel -----------------------------------------------------------------------------------


def test_cancel_closes_done_and_sets_the_same_err_every_time() -> None:
    def main() -> None:
        ctx, cancel = with_cancel(background())
        done = ctx.done()
        assert ctx.err() is None
        assert not is_closed(done)
        cancel()
        assert is_closed(done)
        assert ctx.done() is done
        assert ctx.err() is CANCELED
        assert ctx.err() is ctx.err()
        cancel()  # idempotent
        assert ctx.err() is CANCELED

    run(main)


def test_cancel_wakes_goroutines_blocked_on_done() -> None:
    def main() -> list[str]:
        events: list[str] = []
        ctx, cancel = with_cancel(background())
        finished: Chan[None] = Chan()

        def waiter(name: str) -> None:
            d = ctx.done()
            assert d is not None
            d.recv()
            events.append(f"{name} woke: {ctx.err()}")
            finished.send(None)

        go(waiter, "a")
        go(waiter, "b")
        gosched()
        events.append("cancel")
        cancel()
        finished.recv()
        finished.recv()
        return events

    events = run(main)
    assert events[0] == "cancel"  # both were parked on done (or had not got there yet)
    assert sorted(events[1:]) == ["a woke: context canceled", "b woke: context canceled"]  # in either order


def test_done_in_select_with_a_work_channel() -> None:
    def main() -> list[int]:
        ctx, cancel = with_cancel(background())
        jobs: Chan[int] = Chan()
        got: list[int] = []
        finished: Chan[None] = Chan()

        def worker() -> None:
            while True:
                match select(recv(ctx.done()), recv(jobs)):
                    case (0, _, _):
                        finished.send(None)
                        return
                    case (1, job, _):
                        assert job is not None
                        got.append(job)

        go(worker)
        for j in (1, 2, 3):
            jobs.send(j)
        cancel()
        finished.recv()
        return got

    assert run(main) == [1, 2, 3]


def test_done_asked_after_cancel_is_closed() -> None:
    ctx, cancel = with_cancel(background())
    cancel()
    assert is_closed(ctx.done())
    assert ctx.done() is ctx.done()


def test_parent_cancel_cancels_every_descendant_child_cancel_does_not_touch_parent() -> None:
    def main() -> None:
        root, cancel_root = with_cancel(background())
        a, cancel_a = with_cancel(root)
        b, _ = with_cancel(with_value(a, "k", 1))
        c, _ = with_cancel(root)
        cancel_a()
        assert (a.err(), b.err(), c.err(), root.err()) == (CANCELED, CANCELED, None, None)
        assert not is_closed(root.done())
        assert not is_closed(c.done())
        cancel_root()
        assert c.err() is CANCELED
        assert is_closed(c.done())

    run(main)


def test_child_of_a_cancelled_parent_is_cancelled_at_once() -> None:
    parent, cancel = with_cancel(background())
    cancel()
    child, _ = with_cancel(parent)
    assert child.err() is CANCELED
    assert is_closed(child.done())
    assert nkids(parent) == 0


def test_cancelled_child_detaches_from_a_long_lived_parent() -> None:
    parent, cancel_parent = with_cancel(background())
    for _ in range(1000):
        _, cancel = with_cancel(with_value(parent, "req", 1))
        assert nkids(parent) == 1
        cancel()
        assert nkids(parent) == 0
    live = [with_cancel(parent) for _ in range(3)]
    assert nkids(parent) == 3
    live[1].cancel()
    assert nkids(parent) == 2
    cancel_parent()
    assert nkids(parent) == 0
    assert all(p.ctx.err() is CANCELED for p in live)


def test_cancel_of_a_deep_chain_does_not_recurse() -> None:
    root, cancel = with_cancel(background())
    ctx: Context = root
    for i in range(3 * sys.getrecursionlimit()):
        ctx = with_cancel(ctx).ctx if i % 2 else with_value(ctx, i, i)
    assert ctx.value(0) == 0
    cancel()
    assert ctx.err() is CANCELED
    assert repr(ctx).startswith("context.background.with_cancel.with_value(0, 0).with_cancel")


def test_cancellation_order_is_deterministic() -> None:
    def main() -> list[str]:
        order: list[str] = []
        root, cancel = with_cancel(background())
        a, _ = with_cancel(root)
        a1, _ = with_cancel(a)
        b, _ = with_cancel(root)
        for name, ctx in (("b", b), ("a1", a1), ("a", a), ("root", root)):
            after_func(ctx, functools.partial(order.append, name))
        cancel()
        settle()
        return order

    first = vrun(main)
    assert sorted(first) == ["a", "a1", "b", "root"]
    assert all(vrun(main) == first for _ in range(5))  # children in creation order, not map order


def test_with_form_cancels_on_exit_and_on_exception(implicit_scheduler: Scheduler) -> None:
    with with_cancel(background()) as (ctx, cancel):
        assert ctx.err() is None
        assert callable(cancel)
    assert ctx.err() is CANCELED

    with pytest.raises(Boom, match=r"^inside$"), with_timeout(background(), 60.0) as (ctx2, _):
        raise Boom("inside")
    assert ctx2.err() is CANCELED

    pair = with_cancel(background())
    assert isinstance(pair, Cancelable)
    assert isinstance(pair, tuple)
    assert pair.ctx is pair[0]
    assert pair.cancel == pair[1]


def test_err_clears_the_sentinel_so_raising_it_repeatedly_does_not_grow_its_traceback() -> None:
    ctx, cancel = with_cancel(background())
    cancel()

    def fail() -> None:
        err = ctx.err()
        assert err is not None
        raise err

    depths = []
    for _ in range(20):
        try:
            fail()
        except CanceledError as e:
            depths.append(chain_depth(e))
            e.add_note("handled")
    assert depths == [depths[0]] * 20
    err = ctx.err()
    assert err is not None
    assert err.__traceback__ is None
    assert not hasattr(err, "__notes__")


def test_semaphore_acquire_honours_a_context() -> None:
    def main() -> list[str]:
        sem = Semaphore(1)
        sem.acquire()
        events: list[str] = []
        ctx, cancel = with_cancel(background())

        def canceller() -> None:
            events.append("cancel")
            cancel()

        go(canceller)
        try:
            sem.acquire(1, ctx)
        except CanceledError as e:
            events.append(f"acquire: {e}")
        with with_timeout(background(), 3.0) as (tctx, _):
            try:
                sem.acquire(1, tctx)
            except TimeoutError as e:
                events.append(f"acquire: {e} at +{now() - EPOCH:g}s")
        return events

    assert vrun(main) == ["cancel", "acquire: context canceled", "acquire: context deadline exceeded at +3s"]


# -- with_cancel_cause and cause ---------------------------------------------------------------------


def test_cancel_cause_records_the_cause_err_stays_canceled() -> None:
    ctx, cancel = with_cancel_cause(background())
    assert cause(ctx) is None
    why = Boom("shutting down")
    cancel(why)
    assert ctx.err() is CANCELED
    assert cause(ctx) is why
    cancel(Boom("later"))  # the first cancellation wins
    assert cause(ctx) is why


def test_cancel_cause_none_records_canceled() -> None:
    ctx, cancel = with_cancel_cause(background())
    cancel()
    assert cause(ctx) is CANCELED
    ctx2, cancel2 = with_cancel_cause(background())
    cancel2(None)
    assert cause(ctx2) is CANCELED


def test_descendants_inherit_the_cause_through_values(implicit_scheduler: Scheduler) -> None:
    parent, cancel = with_cancel_cause(background())
    child, _ = with_cancel(parent)
    timed, _ = with_timeout(with_value(child, "k", "v"), 60.0)
    val = with_value(timed, "k2", "v2")
    why = Boom("why")
    cancel(why)
    for ctx in (child, timed, val):
        assert ctx.err() is CANCELED
        assert cause(ctx) is why


def test_cause_of_a_plain_cancel_is_its_err() -> None:
    ctx, cancel = with_cancel(background())
    cancel()
    assert cause(ctx) is CANCELED
    assert cause(with_value(ctx, "k", 1)) is CANCELED


def test_cause_of_a_child_created_after_cancel_is_the_parents() -> None:
    parent, cancel = with_cancel_cause(background())
    why = Boom("early")
    cancel(why)
    child, _ = with_cancel(parent)
    assert cause(child) is why


# -- deadlines -------------------------------------------------------------------------------------


def test_timeout_fires_at_its_deadline_on_virtual_time() -> None:
    def main() -> list[str]:
        events: list[str] = []
        ctx, cancel = with_timeout(background(), 3600.0)
        assert ctx.deadline() == EPOCH + 3600.0

        def waiter() -> None:
            d = ctx.done()
            assert d is not None
            d.recv()
            events.append(f"done at +{now() - EPOCH:g}s: {ctx.err()}")

        go(waiter)
        advance(3599.0)
        events.append(f"+{now() - EPOCH:g}s err={ctx.err()}")
        advance(1.0)
        settle()
        cancel()  # after expiry: changes nothing
        assert ctx.err() is DEADLINE_EXCEEDED
        assert cause(ctx) is DEADLINE_EXCEEDED
        return events

    assert vrun(main) == ["+3599s err=None", "done at +3600s: context deadline exceeded"]


def test_deadline_is_the_earlier_of_parents_and_own() -> None:
    def main() -> None:
        parent, _ = with_timeout(background(), 10.0)
        later, _ = with_timeout(parent, 20.0)
        earlier, _ = with_timeout(parent, 5.0)
        same, _ = with_deadline(parent, EPOCH + 10.0)
        plain, _ = with_cancel(with_value(parent, "k", 1))
        assert parent.deadline() == EPOCH + 10.0
        assert later.deadline() == EPOCH + 10.0
        assert earlier.deadline() == EPOCH + 5.0
        assert same.deadline() == EPOCH + 10.0
        assert plain.deadline() == EPOCH + 10.0
        assert with_value(earlier, "k", 1).deadline() == EPOCH + 5.0
        assert without_cancel(earlier).deadline() is None
        advance(5.0)
        assert (earlier.err(), parent.err(), later.err()) == (DEADLINE_EXCEEDED, None, None)
        advance(5.0)
        assert later.err() is DEADLINE_EXCEEDED  # through its parent: it has no timer of its own
        assert same.err() is DEADLINE_EXCEEDED
        assert plain.err() is DEADLINE_EXCEEDED

    vrun(main)


def test_a_deadline_in_the_past_cancels_at_once() -> None:
    def main() -> None:
        s = current_scheduler()
        armed = len(s.timers.heap)
        ctx, cancel = with_deadline(background(), now() - 1.0)
        assert ctx.err() is DEADLINE_EXCEEDED
        assert is_closed(ctx.done())
        zero, _ = with_timeout(background(), 0.0)
        assert zero.err() is DEADLINE_EXCEEDED
        neg, _ = with_timeout_cause(background(), -5.0, Boom("too late"))
        assert neg.err() is DEADLINE_EXCEEDED
        assert str(cause(neg)) == "too late"
        assert len(s.timers.heap) == armed  # no timer was armed
        cancel()
        assert ctx.err() is DEADLINE_EXCEEDED

    vrun(main)


def test_cancel_stops_the_timer() -> None:
    def main() -> None:
        s = current_scheduler()
        ctx, cancel = with_timeout(background(), 60.0)
        rt = ctx._timer  # type: ignore[attr-defined]  # white box: the runtime timer
        assert rt is not None and rt.pending
        cancel()
        assert not rt.pending
        assert s.timers.next_when() is None
        advance(120.0)
        assert ctx.err() is CANCELED

    vrun(main)


def test_parent_cancel_stops_a_childs_timer() -> None:
    def main() -> None:
        s = current_scheduler()
        parent, cancel = with_cancel(background())
        child, _ = with_timeout(parent, 60.0)
        cancel()
        assert child.err() is CANCELED
        assert s.timers.next_when() is None

    vrun(main)


def test_expired_child_detaches_from_its_parent() -> None:
    def main() -> None:
        parent, _ = with_cancel(background())
        for _ in range(100):
            with_timeout(parent, 1.0)
        assert nkids(parent) == 100
        advance(1.0)
        assert nkids(parent) == 0
        assert parent.err() is None

    vrun(main)


def test_timeout_cause_is_recorded_only_by_expiry() -> None:
    def main() -> None:
        why = Boom("backend too slow")
        ctx, _ = with_timeout_cause(background(), 2.0, why)
        child, _ = with_cancel(ctx)
        advance(2.0)
        assert ctx.err() is DEADLINE_EXCEEDED
        assert cause(ctx) is why
        assert cause(child) is why

        ctx2, cancel2 = with_deadline_cause(background(), now() + 2.0, why)
        cancel2()
        assert ctx2.err() is CANCELED
        assert cause(ctx2) is CANCELED

    vrun(main)


def test_deadline_cause_later_than_parents_uses_the_parents_expiry() -> None:
    def main() -> None:
        parent, _ = with_timeout(background(), 1.0)
        ctx, _ = with_timeout_cause(parent, 5.0, Boom("mine"))  # Go: plain WithCancel
        advance(1.0)
        assert ctx.err() is DEADLINE_EXCEEDED
        assert cause(ctx) is DEADLINE_EXCEEDED

    vrun(main)


def test_timers_fire_while_goroutines_are_busy() -> None:
    def main() -> int:
        ctx, _ = with_timeout(background(), 0.01)
        spins = 0
        while ctx.err() is None:  # real time: the timer fires from the scheduler's checks
            gosched()
            spins += 1
        return spins

    assert run(main) > 0


def test_repr_names_the_chain() -> None:
    def main() -> None:
        ctx, _ = with_timeout(with_value(background(), "k", 1), 5.0)
        assert repr(ctx) == f"context.background.with_value('k', 1).with_deadline({EPOCH + 5.0!r})"
        assert repr(without_cancel(with_cancel(todo()).ctx)) == "context.todo.with_cancel.without_cancel"

    vrun(main)


# -- with_value ------------------------------------------------------------------------------------


class _Key:
    """A private key type, as Go recommends."""


def test_value_lookup_shadowing_and_missing() -> None:
    user = _Key()
    ctx = with_value(background(), user, "alice")
    ctx2 = with_value(ctx, "trace", 42)
    ctx3 = with_value(ctx2, user, "bob")
    assert ctx.value(user) == "alice"
    assert ctx2.value(user) == "alice"
    assert ctx3.value(user) == "bob"
    assert ctx3.value("trace") == 42
    assert ctx3.value(_Key()) is None
    assert ctx3.value("missing") is None


def test_value_keys_match_by_type_and_equality() -> None:
    ctx = with_value(with_value(background(), 1, "int one"), True, "bool true")
    assert ctx.value(1) == "int one"
    assert ctx.value(True) == "bool true"
    assert ctx.value(1.0) is None
    assert with_value(background(), ("a", 1), "tuple").value(("a", 1)) == "tuple"


def test_values_are_seen_through_every_kind_of_context() -> None:
    def main() -> None:
        base = with_value(background(), "k", "v")
        chain: Context = base
        makers: list[Callable[[Context], Context]] = [
            lambda c: with_cancel(c).ctx,
            lambda c: with_cancel_cause(c).ctx,
            lambda c: with_timeout(c, 10.0).ctx,
            without_cancel,
        ]
        for make in makers:
            chain = make(chain)
            assert chain.value("k") == "v"

    vrun(main)


def test_value_context_reports_its_parents_cancellation() -> None:
    parent, cancel = with_cancel(background())
    ctx = with_value(parent, "k", 1)
    assert ctx.done() is parent.done()
    assert ctx.err() is None
    cancel()
    assert ctx.err() is CANCELED
    assert with_value(background(), "k", 1).done() is None


# -- without_cancel ----------------------------------------------------------------------------------


def test_without_cancel_keeps_values_drops_cancellation() -> None:
    def main() -> None:
        parent, cancel = with_timeout(with_value(background(), "k", "v"), 1.0)
        detached = without_cancel(parent)
        child, cancel_child = with_cancel(detached)
        cancel()
        advance(2.0)
        assert parent.err() is CANCELED
        assert detached.done() is None
        assert detached.err() is None
        assert detached.deadline() is None
        assert cause(detached) is None
        assert detached.value("k") == "v"
        assert child.err() is None
        cancel_child()
        assert child.err() is CANCELED

    vrun(main)


# -- after_func -----------------------------------------------------------------------------------------


def test_after_func_runs_fn_in_its_own_goroutine_after_cancel() -> None:
    def main() -> list[str]:
        events: list[str] = []
        ctx, cancel = with_cancel(background())
        me = current_scheduler().current.id

        def fn() -> None:
            other = current_scheduler().current.id != me
            events.append(f"fn ran in another goroutine: {other}; err={ctx.err()}")

        after_func(ctx, fn)
        events.append("cancel")
        cancel()
        events.append("cancel returned")
        settle()
        return events

    assert vrun(main) == [
        "cancel",
        "cancel returned",
        "fn ran in another goroutine: True; err=context canceled",
    ]


def test_after_func_stop_before_cancel_prevents_fn() -> None:
    def main() -> list[object]:
        ran: list[str] = []
        ctx, cancel = with_cancel(background())
        stop = after_func(ctx, lambda: ran.append("ran"))
        assert nkids(ctx) == 1
        first = stop()
        assert nkids(ctx) == 0  # stop unregisters: nothing left behind
        second = stop()
        cancel()
        settle()
        return [first, second, ran]

    assert vrun(main) == [True, False, []]


def test_after_func_stop_after_cancel_returns_false_and_fn_runs_once() -> None:
    def main() -> list[object]:
        ran: list[str] = []
        ctx, cancel = with_cancel(background())
        stop = after_func(ctx, lambda: ran.append("ran"))
        cancel()
        cancel()
        result = stop()
        settle()
        return [result, ran]

    assert vrun(main) == [False, ["ran"]]


def test_after_func_on_a_done_context_runs_at_once() -> None:
    def main() -> list[str]:
        ran: list[str] = []
        ctx, cancel = with_cancel(background())
        cancel()
        stop = after_func(ctx, lambda: ran.append("ran"))
        assert not stop()
        settle()
        return ran

    assert vrun(main) == ["ran"]


def test_after_func_fires_from_a_deadline() -> None:
    def main() -> list[str]:
        events: list[str] = []
        ctx, _ = with_timeout(background(), 30.0)
        after_func(ctx, lambda: events.append(f"fn at +{now() - EPOCH:g}s: {ctx.err()}"))
        advance(60.0)
        return events

    assert vrun(main) == ["fn at +30s: context deadline exceeded"]


def test_after_func_on_background_never_runs_and_stop_returns_true(implicit_scheduler: Scheduler) -> None:
    ran: list[str] = []
    stop = after_func(background(), lambda: ran.append("ran"))
    assert stop()
    assert ran == []


def test_after_func_goroutine_is_created_at_the_after_func_call() -> None:
    def main() -> str:
        ctx, cancel = with_cancel(background())
        gate: Chan[None] = Chan()

        def fn() -> None:
            gate.recv()

        after_func(ctx, fn)
        cancel()
        settle()
        return dump_goroutines()

    dump = vrun(main)
    assert "[chan receive]" in dump
    assert "test_after_func_goroutine_is_created_at_the_after_func_call.<locals>.main in goroutine 1" in dump
    assert __file__ in dump


# -- foreign contexts ---------------------------------------------------------------------------------


class MyCtx(Context):
    """A user's own Context: its own done channel, cancelled by hand."""

    def __init__(self) -> None:
        self.ch: Chan[None] = Chan()
        self.error: BaseException | None = None

    def deadline(self) -> float | None:
        return None

    def done(self) -> RecvChan[None] | None:
        return self.ch

    def err(self) -> BaseException | None:
        return self.error

    def value(self, key: object) -> object:
        return "mine" if key == "who" else None

    def cancel(self) -> None:
        self.error = Boom("custom")
        self.ch.close()


def test_a_foreign_parent_is_watched_by_a_goroutine() -> None:
    def main() -> None:
        parent = MyCtx()
        n = num_goroutine()
        child, _ = with_cancel(parent)
        grandchild = with_value(child, "k", 1)
        assert num_goroutine() == n + 1
        assert grandchild.value("who") == "mine"
        parent.cancel()
        settle()
        assert child.err() is parent.error
        assert cause(child) is parent.error
        assert grandchild.err() is parent.error
        assert num_goroutine() == n

    vrun(main)


def test_a_foreign_watcher_ends_when_the_child_is_cancelled() -> None:
    def main() -> None:
        parent = MyCtx()
        n = num_goroutine()
        _, cancel = with_cancel(parent)
        stop = after_func(parent, lambda: None)
        settle()
        assert num_goroutine() == n + 2
        cancel()
        assert stop()
        settle()
        assert num_goroutine() == n
        assert parent.err() is None

    vrun(main)


def test_a_done_foreign_parent_cancels_the_child_at_once() -> None:
    parent = MyCtx()
    parent.cancel()
    child, _ = with_cancel(parent)
    assert child.err() is parent.error


class Wrapper(Context):
    """A foreign context that delegates everything to one of ours (Go: embedding a Context)."""

    def __init__(self, inner: Context) -> None:
        self.inner = inner

    def deadline(self) -> float | None:
        return self.inner.deadline()

    def done(self) -> RecvChan[None] | None:
        return self.inner.done()

    def err(self) -> BaseException | None:
        return self.inner.err()

    def value(self, key: object) -> object:
        return self.inner.value(key)


def test_a_wrapper_around_our_context_needs_no_watcher_goroutine() -> None:
    def main() -> None:
        inner, cancel = with_cancel_cause(background())
        n = num_goroutine()
        child, _ = with_cancel(Wrapper(inner))
        assert num_goroutine() == n
        assert nkids(inner) == 1
        why = Boom("why")
        cancel(why)
        assert child.err() is CANCELED
        assert cause(child) is why
        assert cause(Wrapper(inner)) is why

    vrun(main)


# Go's src/context/afterfunc_test.go: a foreign context with Go 1.21's AfterFunc hook.


class AfterFuncContext(Context):
    """Go's ``afterFuncContext``: signals cancellation only through its after_func hook.

    Its ``cancel`` starts the registered functions and never closes ``done()``: a child that
    watched ``done()`` instead of using the hook would never be cancelled.
    """

    def __init__(self) -> None:
        self.after_funcs: dict[object, Callable[[], None]] = {}
        self.ch: Chan[None] | None = None
        self.error: BaseException | None = None

    def deadline(self) -> float | None:
        return None

    def done(self) -> RecvChan[None] | None:
        if self.ch is None:
            self.ch = Chan()
        return self.ch

    def err(self) -> BaseException | None:
        return self.error

    def value(self, key: object) -> object:
        return None

    def after_func(self, f: Callable[[], None]) -> Callable[[], bool]:
        k = object()
        self.after_funcs[k] = f

        def stop() -> bool:
            return self.after_funcs.pop(k, None) is not None

        return stop

    def cancel(self, err: BaseException) -> None:
        if self.error is not None:
            return
        self.error = err
        for f in self.after_funcs.values():
            go(f)
        self.after_funcs = {}


def test_custom_context_after_func_cancel() -> None:
    def main() -> None:
        ctx0 = AfterFuncContext()
        ctx1, cancel = with_cancel(ctx0)
        ctx0.cancel(CANCELED)
        done = ctx1.done()
        assert done is not None
        done.recv()  # before the fix: a watcher on ctx0.done(), never closed: deadlock
        assert ctx1.err() is CANCELED
        cancel()

    vrun(main)


def test_custom_context_after_func_timeout() -> None:
    def main() -> None:
        ctx0 = AfterFuncContext()
        ctx1, cancel = with_timeout(ctx0, 3600.0 * 24 * 365)  # Go: veryLongDuration
        why = Boom("why")
        ctx0.cancel(why)
        done = ctx1.done()
        assert done is not None
        done.recv()
        assert ctx1.err() is why  # Go: child.cancel(false, parent.Err(), Cause(parent))
        assert cause(ctx1) is why
        cancel()

    vrun(main)


def test_custom_context_after_func_after_func() -> None:
    def main() -> None:
        ctx0 = AfterFuncContext()
        donec: Chan[None] = Chan()
        stop = after_func(ctx0, donec.close)
        ctx0.cancel(CANCELED)
        donec.recv()
        assert stop() is False

    vrun(main)


def test_custom_context_after_func_unregister_cancel() -> None:
    def main() -> None:
        ctx0 = AfterFuncContext()
        n = num_goroutine()
        _, cancel1 = with_cancel(ctx0)
        _, cancel2 = with_cancel(ctx0)
        assert len(ctx0.after_funcs) == 2
        assert num_goroutine() == n  # the hook, not a watching goroutine
        cancel1()
        cancel2()
        assert len(ctx0.after_funcs) == 0

    vrun(main)


def test_custom_context_after_func_unregister_timeout() -> None:
    def main() -> None:
        ctx0 = AfterFuncContext()
        _, cancel = with_timeout(ctx0, 3600.0 * 24 * 365)
        assert len(ctx0.after_funcs) == 1
        cancel()
        assert len(ctx0.after_funcs) == 0

    vrun(main)


def test_custom_context_after_func_unregister_after_func() -> None:
    def main() -> None:
        ctx0 = AfterFuncContext()
        stop = after_func(ctx0, lambda: None)
        assert len(ctx0.after_funcs) == 1
        assert stop() is True
        assert len(ctx0.after_funcs) == 0

    vrun(main)


def test_custom_context_after_func_unregisters_when_the_deadline_passes_and_cancels_the_subtree() -> None:
    def main() -> None:
        ctx0 = AfterFuncContext()
        ctx1, _ = with_timeout(ctx0, 1.0)
        ctx2, _ = with_cancel(with_value(ctx1, "k", 1))
        assert len(ctx0.after_funcs) == 1  # ctx2 registers with ctx1, one of ours
        advance(1.0)
        assert len(ctx0.after_funcs) == 0
        assert ctx2.err() is DEADLINE_EXCEEDED

    vrun(main)


def test_a_value_context_over_a_custom_context_still_uses_its_hook() -> None:
    def main() -> None:
        ctx0 = AfterFuncContext()
        ctx1, cancel = with_cancel(with_value(ctx0, "k", 1))
        assert len(ctx0.after_funcs) == 1
        ctx0.cancel(CANCELED)
        settle()
        assert ctx1.err() is CANCELED
        cancel()

    vrun(main)


# -- programs ----------------------------------------------------------------------------------------


def test_a_blocked_receive_on_done_deadlocks_like_go() -> None:
    def main() -> None:
        ctx, _ = with_cancel(background())
        d = ctx.done()
        assert d is not None
        d.recv()

    with pytest.raises(DeadlockError) as ei:
        run(main)
    assert "goroutine 1 [chan receive]:" in ei.value.dump


def test_cancelled_contexts_are_collectable() -> None:
    parent, _ = with_cancel(background())
    ctx, cancel = with_cancel(parent)
    cancel()
    del ctx, cancel
    gc.collect()
    assert nkids(parent) == 0


def test_err_keeps_the_traceback_of_the_sentinel_being_handled() -> None:
    ctx, cancel = with_cancel(background())
    cancel()

    def fail() -> None:
        err = ctx.err()
        assert err is not None
        raise err

    with pytest.raises(CanceledError) as ei:
        try:
            fail()
        finally:
            assert ctx.err() is CANCELED  # while CANCELED propagates: left alone
    assert chain_depth(ei.value) >= 2
    try:
        fail()
    except CanceledError as e:
        e.add_note("note")
        assert ctx.err() is e
        assert e.__traceback__ is not None
        assert e.__notes__ == ["note"]


def test_public_signatures_type_check() -> None:
    pair = with_cancel(background())
    assert_type(pair, Cancelable[Callable[[], None]])
    with with_cancel_cause(background()) as (ctx, cancel):
        assert_type(ctx, Context)
        assert_type(cancel, CancelCauseFunc)
        assert_type(ctx.done(), RecvChan[None] | None)
        assert_type(ctx.err(), BaseException | None)
        assert_type(ctx.deadline(), float | None)
        assert_type(ctx.value("k"), object)
        cancel(Boom("why"))
    assert_type(after_func(ctx, lambda: None), Callable[[], bool])
    assert_type(cause(ctx), BaseException | None)
    assert set(ctxmod.__all__) <= set(dir(ctxmod))


SECONDS = "a number of seconds"


# Each called with bad arguments on purpose: hence the ignores.
def _timeout(p: Context, d: object) -> object:
    return with_timeout(p, d)  # type: ignore[arg-type]


def _timeout_cause(p: Context, d: object) -> object:
    return with_timeout_cause(p, d, None)  # type: ignore[arg-type]


def _deadline(p: Context, d: object) -> object:
    return with_deadline(p, d)  # type: ignore[arg-type]


def _deadline_cause(p: Context, d: object) -> object:
    return with_deadline_cause(p, d, None)  # type: ignore[arg-type]


BAD_DEADLINE_CALLS = [
    ("with_timeout: timeout", SECONDS, _timeout),
    ("with_timeout_cause: timeout", SECONDS, _timeout_cause),
    ("with_deadline: deadline", ON_CLOCK, _deadline),
    ("with_deadline_cause: deadline", ON_CLOCK, _deadline_cause),
]
CALL_IDS = [c[0].split(":")[0] for c in BAD_DEADLINE_CALLS]


@pytest.mark.parametrize(("what", "expected", "call"), BAD_DEADLINE_CALLS, ids=CALL_IDS)
def test_a_nan_deadline_or_timeout_is_refused_in_the_callers_terms(
    what: str, expected: str, call: Callable[[Context, object], object]
) -> None:
    with pytest.raises(ValueError, match=rf"^{what} is NaN; pass {re.escape(expected)}$"):
        call(background(), float("nan"))


@pytest.mark.parametrize(("what", "expected", "call"), BAD_DEADLINE_CALLS, ids=CALL_IDS)
@pytest.mark.parametrize("bad", [("5", r"'5' \(str\)"), (None, r"None \(NoneType\)"), (False, r"False \(bool\)")])
def test_a_deadline_or_timeout_that_is_not_a_number_is_refused_before_anything_is_registered(
    what: str, expected: str, call: Callable[[Context, object], object], bad: tuple[object, str]
) -> None:
    arg, shown = bad
    parent, cancel = with_cancel(background())
    with pytest.raises(TypeError, match=rf"^{what} must be {re.escape(expected)}, got {shown}$"):
        call(parent, arg)
    assert nkids(parent) == 0
    cancel()


def test_an_infinite_timeout_or_deadline_never_passes_and_arms_no_timer() -> None:
    def main() -> None:
        heap = current_scheduler().timers.heap
        ctx, cancel = with_timeout(background(), math.inf)
        dctx, dcancel = with_deadline(ctx, math.inf)
        assert ctx.deadline() == math.inf
        assert dctx.deadline() == math.inf
        assert heap == []  # a timer at inf would drag the bubble's clock to inf
        sleep(1e6)
        assert ctx.err() is None
        assert now() == EPOCH + 1e6
        cancel()
        assert dctx.err() is CANCELED
        dcancel()

    vrun(main)


def test_a_timeout_of_minus_infinity_has_already_passed() -> None:
    def main() -> None:
        ctx, _ = with_timeout(background(), -math.inf)
        assert ctx.err() is DEADLINE_EXCEEDED

    vrun(main)
