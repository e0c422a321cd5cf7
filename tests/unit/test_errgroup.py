"""errgroup: wait for all, first error wins, context cancelled on first error and at wait, limits, try_go.

Every test runs as a program (``gochan.run``, or ``vrun`` on virtual time); interleavings are
asserted as transcripts, concurrency by counting goroutines inside the group at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gochan import Chan, DeadlockError, dump_goroutines, go, gosched, num_goroutine, run
from gochan._runtime import Scheduler, current_scheduler, run_in
from gochan.context import CANCELED, DEADLINE_EXCEEDED, Context, background, cause, with_cancel, with_timeout
from gochan.errgroup import Group, with_context
from gochan.errors import SyncError

T = TypeVar("T")


class Boom(Exception):
    """An error a group's function raises."""


def vrun(main: Callable[[], T]) -> T:
    return run_in(Scheduler(None, virtual=True), main)


def settle() -> None:
    """Return once every other goroutine is blocked (Go's synctest.Wait)."""
    s = current_scheduler()
    s.syncwaiter = s.current
    s.park("synctest.Wait")


def limit_text(n: int) -> str:
    return rf"^errgroup: modify limit while {n} goroutines in the group are still active$"


# -- wait ------------------------------------------------------------------------------------------


def test_wait_returns_after_every_goroutine_has_finished() -> None:
    def main() -> list[str]:
        events: list[str] = []
        g = Group()
        gate: Chan[None] = Chan()

        def work(name: str, blocks: bool) -> int:
            if blocks:
                gate.recv()
            events.append(f"{name} done")
            return 42  # ignored

        g.go(work, "a", True)
        g.go(work, "b", False)

        def opener() -> None:
            events.append("open gate")
            gate.send(None)

        go(opener)
        g.wait()
        events.append("wait returned")
        return events

    events = run(main)
    assert sorted(events) == ["a done", "b done", "open gate", "wait returned"]
    assert events.index("a done") > events.index("open gate")
    assert events[-1] == "wait returned"


def test_wait_on_an_empty_group_returns_at_once() -> None:
    def main() -> None:
        Group().wait()
        g, ctx = with_context(background())
        g.wait()
        assert ctx.err() is CANCELED

    run(main)


def test_first_error_wins_and_wait_raises_it_after_all_finish() -> None:
    def main() -> list[str]:
        events: list[str] = []
        g = Group()
        second: Chan[None] = Chan()
        slow: Chan[None] = Chan()

        def first() -> None:
            raise Boom("first")

        def later() -> None:
            second.recv()
            raise Boom("second")

        def slowpoke() -> None:
            slow.recv()
            events.append("slowpoke finished")

        g.go(later)
        g.go(slowpoke)
        g.go(first)
        gosched()
        second.send(None)

        def release() -> None:
            events.append("release slowpoke")
            slow.send(None)

        go(release)
        try:
            g.wait()
        except Boom as e:
            events.append(f"wait raised {e}")
        return events

    assert run(main) == ["release slowpoke", "slowpoke finished", "wait raised first"]


def test_an_error_does_not_crash_the_program_and_siblings_keep_running() -> None:
    def main() -> list[str]:
        events: list[str] = []
        g = Group()

        def failing() -> None:
            raise Boom("boom")

        def sibling() -> None:
            gosched()
            gosched()
            events.append("sibling still ran")

        g.go(failing)
        g.go(sibling)
        with pytest.raises(Boom) as ei:
            g.wait()
        assert str(ei.value) == "boom"  # match= would also see the note
        events.append("main continues")
        return events

    assert run(main) == ["sibling still ran", "main continues"]


def test_the_error_carries_its_traceback_and_a_note_naming_the_goroutine() -> None:
    def failing() -> None:
        raise Boom("boom")

    def main() -> Boom:
        g = Group()
        g.go(failing)
        try:
            g.wait()
        except Boom as e:
            return e
        raise AssertionError("wait did not raise")

    e = run(main)
    names = []
    tb = e.__traceback__
    while tb is not None:
        names.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    assert names[:2] == ["main", "wait"]  # caught in main, raised by wait ...
    assert names[-1] == "failing"  # ... where the function raised it
    notes = getattr(e, "__notes__", [])
    assert len(notes) == 1
    assert notes[0].startswith("errgroup: raised in goroutine 2; created by ")
    assert "main in goroutine 1 at " in notes[0]


def test_wait_again_raises_the_same_error_without_growing_its_traceback() -> None:
    def main() -> list[int]:
        g = Group()

        def failing() -> None:
            raise Boom("boom")

        g.go(failing)
        depths: list[int] = []
        seen: list[BaseException] = []
        for _ in range(3):
            try:
                g.wait()
            except Boom as e:
                seen.append(e)
                n, tb = 0, e.__traceback__
                while tb is not None:
                    n, tb = n + 1, tb.tb_next
                depths.append(n)
        assert seen[0] is seen[1] is seen[2]
        return depths

    depths = run(main)
    assert depths == [depths[0]] * 3


def test_a_base_exception_is_not_an_error_it_ends_the_program() -> None:
    class Fatal(BaseException):
        pass

    def main() -> None:
        g = Group()

        def fatal() -> None:
            raise Fatal("fatal")

        g.go(fatal)
        g.wait()

    with pytest.raises(Fatal) as ei:
        run(main)
    assert str(ei.value) == "fatal"
    assert ei.value.__notes__[0].startswith("goroutine 2 (")  # the runtime's crash note


def test_go_from_inside_the_group() -> None:
    def main() -> list[int]:
        got: list[int] = []
        g = Group()

        def spawner() -> None:
            for i in range(3):
                g.go(got.append, i)

        g.go(spawner)
        g.wait()  # also waits for goroutines added while it waits
        return got

    assert sorted(run(main)) == [0, 1, 2]


# -- with_context ------------------------------------------------------------------------------------


def test_first_error_cancels_the_context_and_siblings_see_it() -> None:
    def main() -> list[str]:
        events: list[str] = []
        g, ctx = with_context(background())
        err = Boom("fetch failed")

        def sibling(name: str) -> None:
            d = ctx.done()
            assert d is not None
            d.recv()
            events.append(f"{name} saw {ctx.err()} caused by {cause(ctx)}")

        def failing() -> None:
            raise err

        g.go(sibling, "s1")
        g.go(sibling, "s2")
        gosched()
        g.go(failing)
        try:
            g.wait()
        except Boom as e:
            events.append(f"wait raised {e}; same object: {e is err}")
        assert cause(ctx) is err
        return events

    assert sorted(run(main)) == [
        "s1 saw context canceled caused by fetch failed",
        "s2 saw context canceled caused by fetch failed",
        "wait raised fetch failed; same object: True",
    ]


def test_wait_cancels_the_context_even_without_error() -> None:
    def main() -> None:
        g, ctx = with_context(background())
        g.go(lambda: None)
        assert ctx.err() is None
        g.wait()
        assert ctx.err() is CANCELED
        assert cause(ctx) is CANCELED

    run(main)


def test_parent_cancellation_reaches_the_groups_context() -> None:
    def main() -> list[str]:
        events: list[str] = []
        parent, cancel = with_cancel(background())
        g, ctx = with_context(parent)

        def worker() -> None:
            d = ctx.done()
            assert d is not None
            d.recv()
            events.append(f"worker stopped: {ctx.err()}")

        g.go(worker)
        gosched()
        cancel()
        g.wait()
        return events

    assert run(main) == ["worker stopped: context canceled"]


def test_group_under_a_timeout_on_virtual_time() -> None:
    def main() -> list[str]:
        events: list[str] = []
        parent, _ = with_timeout(background(), 30.0)
        g, ctx = with_context(parent)

        def worker(ctx: Context) -> None:
            d = ctx.done()
            assert d is not None
            d.recv()
            err = ctx.err()
            assert err is not None
            raise err

        g.go(worker, ctx)
        try:
            g.wait()
        except TimeoutError as e:
            t = current_scheduler().clock() - 946684800.0
            events.append(f"{e} at +{t:g}s")
            assert e is DEADLINE_EXCEEDED
        return events

    assert vrun(main) == ["context deadline exceeded at +30s"]


# -- set_limit / try_go ------------------------------------------------------------------------------


def test_limit_bounds_concurrency_and_go_blocks_at_the_limit() -> None:
    def main() -> tuple[int, list[str]]:
        events: list[str] = []
        g = Group()
        g.set_limit(2)
        active = 0
        peak = 0

        def work(i: int) -> None:
            nonlocal active, peak
            active += 1
            peak = max(peak, active)
            gosched()
            gosched()
            active -= 1
            events.append(f"done {i}")

        for i in range(6):
            g.go(work, i)
            events.append(f"started {i}")
        g.wait()
        return peak, events

    peak, events = run(main)
    assert peak == 2
    first_done = min(i for i, e in enumerate(events) if e.startswith("done"))
    assert events.index("started 2") > first_done  # go(2) waited for a slot
    assert sorted(e for e in events if e.startswith("done")) == [f"done {i}" for i in range(6)]


def test_go_blocked_at_the_limit_shows_chan_send_in_a_dump() -> None:
    def main() -> str:
        g = Group()
        g.set_limit(1)
        gate: Chan[None] = Chan()
        g.go(gate.recv)
        blocked_dump: list[str] = []

        def starter() -> None:
            g.go(lambda: None)

        go(starter)
        settle()
        blocked_dump.append(dump_goroutines())
        gate.send(None)
        g.wait()
        return blocked_dump[0]

    dump = vrun(main)
    assert "goroutine 3 [chan send]:" in dump  # the starter, blocked in g.go


def test_limit_one_runs_goroutines_one_at_a_time_in_order() -> None:
    def main() -> list[str]:
        events: list[str] = []
        g = Group()
        g.set_limit(1)

        def work(i: int) -> None:
            events.append(f"begin {i}")
            gosched()
            events.append(f"end {i}")

        for i in range(3):
            g.go(work, i)
        g.wait()
        return events

    assert run(main) == ["begin 0", "end 0", "begin 1", "end 1", "begin 2", "end 2"]


def test_try_go_fails_at_the_limit_and_succeeds_when_a_slot_frees() -> None:
    def main() -> list[bool]:
        g = Group()
        g.set_limit(2)
        gate: Chan[None] = Chan()
        results = [g.try_go(gate.recv), g.try_go(gate.recv), g.try_go(gate.recv)]
        gate.send(None)
        settle()
        results.append(g.try_go(gate.recv))
        results.append(g.try_go(gate.recv))
        gate.send(None)
        gate.send(None)
        g.wait()
        return results

    assert vrun(main) == [True, True, False, True, False]


def test_try_go_without_limit_always_starts() -> None:
    def main() -> int:
        g = Group()
        started = sum(g.try_go(gosched) for _ in range(100))
        g.wait()
        return started

    assert run(main) == 100


def test_set_limit_while_active_raises_go_text() -> None:
    def main() -> None:
        g = Group()
        g.set_limit(3)
        gate: Chan[None] = Chan()
        g.go(gate.recv)
        g.go(gate.recv)
        with pytest.raises(SyncError, match=limit_text(2)):
            g.set_limit(5)
        with pytest.raises(RuntimeError, match=limit_text(2)):
            g.set_limit(0)
        g.set_limit(-1)  # removing the limit is always allowed
        g.go(gate.recv)  # no limit: does not block
        for _ in range(3):
            gate.send(None)
        g.wait()
        g.set_limit(1)  # nothing active: allowed

    run(main)


def test_set_limit_after_unlimited_goroutines_does_not_strand_them() -> None:
    def main() -> list[str]:
        events: list[str] = []
        g = Group()
        gate: Chan[None] = Chan()
        g.go(gate.recv)  # no limit: takes no token
        g.set_limit(1)  # allowed: no goroutine runs under a limit (Go's rule)
        g.go(lambda: events.append("limited ran"))
        gate.send(None)  # the unlimited one ends: it must not take the limited one's token
        g.wait()
        events.append("waited")
        assert g.try_go(lambda: None)
        g.wait()
        return events

    assert run(main) == ["limited ran", "waited"]


def test_limit_zero_blocks_go_forever_as_in_go() -> None:
    def main() -> None:
        g = Group()
        g.set_limit(0)
        assert not g.try_go(lambda: None)
        g.go(lambda: None)

    with pytest.raises(DeadlockError) as ei:
        run(main)
    assert "goroutine 1 [chan send]:" in ei.value.dump


def test_goroutines_are_counted_and_released() -> None:
    def main() -> None:
        n = num_goroutine()
        g = Group()
        g.set_limit(3)
        for _ in range(10):
            g.go(gosched)
        g.wait()
        assert num_goroutine() == n

    run(main)


def test_repr() -> None:
    g = Group()
    assert repr(g) == "<errgroup.Group limit=none err=None>"
    g.set_limit(4)
    assert repr(g) == "<errgroup.Group limit=0/4 err=None>"


# -- under random schedules ------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 12),
    limit=st.integers(-1, 5).filter(lambda x: x != 0),
    yields=st.lists(st.integers(0, 3), min_size=12, max_size=12),
    failing=st.sets(st.integers(0, 11)),
)
def test_limit_and_first_error_hold_on_random_schedules(
    n: int, limit: int, yields: list[int], failing: set[int]
) -> None:
    def main() -> None:
        g, ctx = with_context(background())
        g.set_limit(limit)
        active = peak = 0
        raised: list[Boom] = []

        def work(i: int) -> None:
            nonlocal active, peak
            active += 1
            peak = max(peak, active)
            for _ in range(yields[i]):
                gosched()
            active -= 1
            if i in failing:
                e = Boom(f"task {i}")
                raised.append(e)
                raise e

        for i in range(n):
            g.go(work, i)
        try:
            g.wait()
        except Boom as e:
            assert raised and e is raised[0]  # the first to fail, not the first started
            assert cause(ctx) is e
        else:
            assert not raised
            assert cause(ctx) is CANCELED
        assert active == 0
        if limit > 0:
            assert peak <= limit
            if min(yields[:n]) > 0:
                assert peak == min(limit, n)
        elif min(yields[:n]) > 0:
            assert peak == n

    run(main)
