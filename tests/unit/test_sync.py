"""sync: WaitGroup, Mutex, RWMutex, Once and Cond, on the runtime's wait queue (the semaphore: test_semaphore.py).

Every test runs as a program under ``gochan.run``; interleavings are asserted as transcripts.
Exceptions thrown into a parked goroutine are produced the way a program produces them: everything
deadlocks, or (``run_interrupted``, outside ``run``) another goroutine crashes and the exception is
thrown into the caller's blocking call.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable
from typing import TypeVar

import pytest

from gochan import Chan, DeadlockError, dump_goroutines, go, gosched, num_goroutine, run, sync
from gochan._runtime import Scheduler, current_scheduler, tls
from gochan.errors import ProgramExit, SyncError
from gochan.semaphore import Semaphore
from gochan.sync import Cond, Mutex, Once, RWMutex, WaitGroup, once_func, once_value

NEGATIVE_WG = r"^sync: negative WaitGroup counter$"
UNLOCK_UNLOCKED = r"^sync: unlock of unlocked mutex$"
RUNLOCK_UNLOCKED = r"^sync: RUnlock of unlocked RWMutex$"
UNLOCK_UNLOCKED_RW = r"^sync: Unlock of unlocked RWMutex$"
SEM_OVER_RELEASE = r"^semaphore: released more than held$"

T = TypeVar("T")


class Boom(Exception):
    """The exception a test's goroutine crashes with."""


def crash() -> None:
    raise Boom("boom")


def run_interrupted(main: Callable[[], T]) -> T:
    """Run ``main`` on a fresh implicit scheduler, where a crash is thrown into main's park.

    Under ``run`` a crash ends the program; outside it (no program boundary) the caller's
    blocking call raises the crash and the caller goes on, which lets these tests throw an
    exception into a parked primitive and check its undo.
    """
    prev = tls.sched
    tls.sched = None
    s = current_scheduler()
    try:
        return main()
    finally:
        try:
            s.close()
        finally:
            tls.sched = prev


def dump_of(main: object) -> list[str]:
    """Run ``main`` expecting a deadlock; return the dump's lines."""
    with pytest.raises(DeadlockError) as ei:
        run(main)  # type: ignore[arg-type]  # tests pass zero-argument functions
    assert str(ei.value) == "all goroutines are asleep - deadlock!"  # match= would also see the dump note
    return ei.value.dump.splitlines()


def stack_under(lines: list[str], header: str) -> str:
    """The first frame line below goroutine block ``header`` in a dump."""
    return lines[lines.index(header) + 1]


class FakeCtx:
    """The part of a context.Context that Semaphore.acquire uses: done() and err()."""

    def __init__(self) -> None:
        self._done: Chan[None] = Chan()
        self._err: BaseException | None = None

    def done(self) -> Chan[None]:
        return self._done

    def err(self) -> BaseException | None:
        return self._err

    def cancel(self) -> None:
        self._err = Boom("context canceled")
        self._done.close()


class NeverDoneCtx:
    """A context that can never be cancelled (Go's Background: Done() is nil)."""

    def done(self) -> None:
        return None

    def err(self) -> BaseException | None:
        return None


# -- WaitGroup ------------------------------------------------------------------------------------


def test_submodule_is_reachable_as_gochan_sync() -> None:
    assert sync.WaitGroup is WaitGroup
    assert sorted(sync.__all__) == sorted(
        ["Cond", "Locker", "Mutex", "Once", "RWMutex", "WaitGroup", "once_func", "once_value"]
    )


def test_wait_returns_at_once_when_the_counter_is_zero() -> None:
    def main() -> str:
        wg = WaitGroup()
        wg.wait()
        wg.add(2)
        wg.add(-2)
        wg.wait()
        return repr(wg)

    assert run(main) == "<WaitGroup counter=0 waiters=0>"


def test_wait_blocks_until_the_last_done() -> None:
    events: list[str] = []

    def worker(wg: WaitGroup, name: str) -> None:
        events.append(f"{name} done")
        wg.done()

    def main() -> None:
        wg = WaitGroup()
        wg.add(2)
        go(worker, wg, "a")
        go(worker, wg, "b")
        events.append("main waits")
        wg.wait()
        events.append("main returned")

    run(main)
    assert events[0] == "main waits"  # go() starts nothing until main blocks (no preemption)
    assert sorted(events[1:3]) == ["a done", "b done"]  # in either order: Go promises none
    assert events[3] == "main returned"


def test_counter_reaching_zero_releases_every_waiter() -> None:
    released: list[str] = []

    def waiter(wg: WaitGroup, name: str) -> None:
        wg.wait()
        released.append(name)

    def main() -> None:
        wg = WaitGroup()
        wg.add(1)
        done = WaitGroup()
        for name in ("a", "b", "c"):
            done.go(waiter, wg, name)
        gosched()
        assert repr(wg) == "<WaitGroup counter=1 waiters=3>"
        assert released == []
        wg.done()
        done.wait()
        assert repr(wg) == "<WaitGroup counter=0 waiters=0>"

    run(main)
    assert sorted(released) == ["a", "b", "c"]


def test_negative_counter_raises_go_text_and_leaves_the_counter_alone() -> None:
    def main() -> None:
        wg = WaitGroup()
        with pytest.raises(SyncError, match=NEGATIVE_WG):
            wg.done()
        wg.add(1)
        with pytest.raises(SyncError, match=NEGATIVE_WG):
            wg.add(-2)
        assert repr(wg) == "<WaitGroup counter=1 waiters=0>"

    run(main)


def test_waitgroup_is_reusable_after_wait_returns() -> None:
    rounds: list[int] = []

    def main() -> None:
        wg = WaitGroup()
        for r in range(3):
            for _ in range(4):
                wg.go(rounds.append, r)
            wg.wait()
            assert rounds.count(r) == 4

    run(main)
    assert len(rounds) == 12


def test_wg_go_runs_fn_with_args_in_a_new_goroutine() -> None:
    events: list[str] = []

    def main() -> None:
        wg = WaitGroup()
        wg.go(lambda a, *, b: events.append(f"{a}{b}"), "x", b="y")
        assert repr(wg) == "<WaitGroup counter=1 waiters=0>"
        events.append("main before wait")  # the goroutine has not run yet: go never switches
        wg.wait()

    run(main)
    assert events == ["main before wait", "xy"]


def test_wg_go_calls_done_even_when_fn_raises_and_the_crash_still_reaches_main() -> None:
    seen: list[str] = []

    def boom() -> None:
        raise Boom("boom")

    def main() -> None:
        wg = WaitGroup()
        wg.go(boom)
        try:
            wg.wait()
        except ProgramExit:  # another goroutine's crash unwinds main
            seen.append(repr(wg))  # Go defers wg.Done(): the counter is back to zero
            raise
        seen.append("wait returned normally")

    with pytest.raises(Boom) as ei:
        run(main)
    assert seen == ["<WaitGroup counter=0 waiters=0>"]
    assert str(ei.value) == "boom"
    # the note names the user's function and the wg.go call, not the wrapper inside sync
    (note,) = ei.value.__notes__
    assert note.startswith(f"goroutine 2 ({boom.__qualname__}) crashed; created by ")
    assert boom.__qualname__.endswith("<locals>.boom")
    assert note.endswith(f"test_sync.py:{main.__code__.co_firstlineno + 2}")


def test_wg_go_goroutine_is_created_at_the_callers_line() -> None:
    def blocked(ch: Chan[int]) -> None:
        ch.recv()

    def main() -> list[str]:
        wg = WaitGroup()
        ch: Chan[int] = Chan()
        wg.go(blocked, ch)
        line = main.__code__.co_firstlineno + 3  # the wg.go line above
        gosched()
        dump = dump_goroutines().splitlines()
        ch.send(1)
        wg.wait()
        return [*dump, f"LINE {line}"]

    lines = run(main)
    line = lines.pop()
    block = lines[lines.index("goroutine 2 [chan receive]:") :]
    assert any(ln.startswith("created by ") and ln.endswith(".main in goroutine 1") for ln in block)
    assert any(ln.endswith(f"test_sync.py:{line.split()[1]}") for ln in block)


# -- Mutex ----------------------------------------------------------------------------------------


def test_mutex_lock_unlock_and_with() -> None:
    def main() -> None:
        mu = Mutex()
        mu.lock()
        assert repr(mu) == "<Mutex locked waiters=0>"
        mu.unlock()
        with mu:
            assert not mu.try_lock()
        assert repr(mu) == "<Mutex unlocked waiters=0>"

    run(main)


def test_mutex_with_unlocks_when_the_block_raises() -> None:
    def main() -> None:
        mu = Mutex()
        with pytest.raises(Boom), mu:
            raise Boom
        assert mu.try_lock()

    run(main)


def test_try_lock_succeeds_only_when_unlocked() -> None:
    def main() -> None:
        mu = Mutex()
        assert mu.try_lock() is True
        assert mu.try_lock() is False
        mu.unlock()
        assert mu.try_lock() is True

    run(main)


def test_unlock_of_unlocked_mutex_raises_go_text() -> None:
    def main() -> None:
        mu = Mutex()
        with pytest.raises(SyncError, match=UNLOCK_UNLOCKED):
            mu.unlock()
        mu.lock()
        mu.unlock()
        with pytest.raises(SyncError, match=UNLOCK_UNLOCKED):
            mu.unlock()

    run(main)


def test_mutex_waiters_acquire_in_arrival_order() -> None:
    events: list[str] = []

    def worker(mu: Mutex, name: str) -> None:
        events.append(f"{name} lock")
        mu.lock()
        events.append(f"{name} locked")
        gosched()  # hold the lock across a yield: nobody else may get in
        events.append(f"{name} unlock")
        mu.unlock()

    def main() -> None:
        mu = Mutex()
        wg = WaitGroup()
        mu.lock()
        for name in ("a", "b", "c"):
            wg.go(worker, mu, name)
            gosched()  # let it run until it parks in lock
        events.append("main unlock")
        mu.unlock()
        wg.wait()

    run(main)
    assert events == [
        "a lock",
        "b lock",
        "c lock",
        "main unlock",
        "a locked",
        "a unlock",
        "b locked",
        "b unlock",
        "c locked",
        "c unlock",
    ]


def test_unlock_hands_the_mutex_to_the_waiter_so_the_unlocker_cannot_barge() -> None:
    events: list[str] = []

    def waiter(mu: Mutex) -> None:
        mu.lock()
        events.append("waiter locked")
        mu.unlock()

    def main() -> None:
        mu = Mutex()
        mu.lock()
        go(waiter, mu)
        gosched()
        mu.unlock()
        events.append(f"main try_lock {mu.try_lock()}")
        mu.lock()
        events.append("main locked")

    run(main)
    assert events == ["main try_lock False", "waiter locked", "main locked"]


def test_mutex_may_be_unlocked_by_another_goroutine() -> None:
    def main() -> None:
        mu = Mutex()
        mu.lock()
        go(mu.unlock)
        mu.lock()  # parks until the other goroutine unlocks (and hands it to us)

    run(main)


def test_lock_handed_to_an_interrupted_waiter_is_passed_on_to_the_next() -> None:
    events: list[str] = []

    def holder(mu: Mutex) -> None:
        mu.lock()
        gosched()  # main and then waiter queue up
        mu.unlock()  # hands the lock to main ...
        raise Boom("boom")  # ... but main gets this crash before it can run

    def waiter(mu: Mutex) -> None:
        mu.lock()
        events.append("waiter locked")
        mu.unlock()

    def main() -> None:
        mu = Mutex()
        go(holder, mu)
        gosched()
        go(waiter, mu)
        with pytest.raises(Boom):
            mu.lock()
        events.append("main interrupted")
        gosched()
        assert mu.try_lock()

    run_interrupted(main)
    assert events == ["main interrupted", "waiter locked"]


# -- RWMutex --------------------------------------------------------------------------------------


def test_readers_share_the_lock_and_exclude_writers() -> None:
    def main() -> None:
        rw = RWMutex()
        rw.r_lock()
        assert rw.try_r_lock()
        assert not rw.try_lock()
        assert repr(rw) == "<RWMutex read-locked readers=2 queued readers=0 writers=0>"
        rw.r_unlock()
        rw.r_unlock()
        assert rw.try_lock()
        assert not rw.try_r_lock()
        assert not rw.try_lock()
        assert repr(rw) == "<RWMutex write-locked readers=0 queued readers=0 writers=0>"
        rw.unlock()
        assert repr(rw) == "<RWMutex unlocked readers=0 queued readers=0 writers=0>"

    run(main)


def test_with_rw_is_the_write_lock_and_reading_is_a_read_lock() -> None:
    def main() -> None:
        rw = RWMutex()
        with rw:
            assert not rw.try_r_lock()
        with rw.reading(), rw.reading():
            assert not rw.try_lock()
        with rw.r_locker():
            assert rw.try_r_lock()
            rw.r_unlock()
        rl = rw.r_locker()
        rl.lock()
        rl.unlock()
        assert rw.try_lock()

    run(main)


def test_rw_unlock_misuse_raises_go_texts() -> None:
    def main() -> None:
        rw = RWMutex()
        with pytest.raises(SyncError, match=RUNLOCK_UNLOCKED):
            rw.r_unlock()
        with pytest.raises(SyncError, match=UNLOCK_UNLOCKED_RW):
            rw.unlock()
        rw.r_lock()
        with pytest.raises(SyncError, match=UNLOCK_UNLOCKED_RW):
            rw.unlock()  # a read lock is not a write lock
        rw.r_unlock()
        rw.lock()
        with pytest.raises(SyncError, match=RUNLOCK_UNLOCKED):
            rw.r_unlock()  # a write lock is not a read lock
        rw.unlock()

    run(main)


def test_waiting_writer_blocks_new_readers() -> None:
    events: list[str] = []

    def writer(rw: RWMutex) -> None:
        events.append("W lock")
        rw.lock()
        events.append("W locked")
        rw.unlock()
        events.append("W unlocked")

    def reader(rw: RWMutex) -> None:
        events.append("R2 rlock")
        rw.r_lock()
        events.append("R2 rlocked")
        rw.r_unlock()

    def main() -> None:
        rw = RWMutex()
        wg = WaitGroup()
        rw.r_lock()
        events.append("R1 rlocked")
        wg.go(writer, rw)
        gosched()
        wg.go(reader, rw)
        gosched()
        assert not rw.try_r_lock()  # only a reader holds it, but a writer is waiting
        assert repr(rw) == "<RWMutex writer pending readers=1 queued readers=1 writers=0>"
        events.append("R1 runlock")
        rw.r_unlock()
        wg.wait()

    run(main)
    assert events == [
        "R1 rlocked",
        "W lock",
        "R2 rlock",
        "R1 runlock",
        "W locked",
        "W unlocked",
        "R2 rlocked",
    ]


def test_readers_queued_behind_a_writer_go_before_the_next_writer() -> None:
    events: list[str] = []

    def reader(rw: RWMutex, name: str) -> None:
        rw.r_lock()
        events.append(f"{name} rlocked")
        gosched()
        events.append(f"{name} runlock")
        rw.r_unlock()

    def writer(rw: RWMutex) -> None:
        rw.lock()
        events.append("W2 locked")
        rw.unlock()

    def main() -> None:
        rw = RWMutex()
        wg = WaitGroup()
        rw.lock()
        for fn, args in ((reader, ("R1",)), (writer, ()), (reader, ("R2",))):
            wg.go(fn, rw, *args)
            gosched()
        assert repr(rw) == "<RWMutex write-locked readers=0 queued readers=2 writers=1>"
        events.append("W1 unlock")
        rw.unlock()
        assert repr(rw) == "<RWMutex writer pending readers=2 queued readers=0 writers=0>"
        wg.wait()

    run(main)
    assert events[0] == "W1 unlock"
    assert sorted(events[1:5]) == ["R1 rlocked", "R1 runlock", "R2 rlocked", "R2 runlock"]
    assert events[5:] == ["W2 locked"]


def test_writers_take_the_lock_in_arrival_order() -> None:
    events: list[str] = []

    def writer(rw: RWMutex, name: str) -> None:
        rw.lock()
        events.append(name)
        gosched()
        rw.unlock()

    def main() -> None:
        rw = RWMutex()
        wg = WaitGroup()
        rw.lock()
        for name in ("a", "b", "c"):
            wg.go(writer, rw, name)
            gosched()
        rw.unlock()
        wg.wait()

    run(main)
    assert events == ["a", "b", "c"]


def test_pending_writer_interrupted_admits_the_readers_it_was_blocking() -> None:
    events: list[str] = []

    def reader(rw: RWMutex) -> None:
        rw.r_lock()
        events.append("R2 rlocked")

    def main() -> str:
        rw = RWMutex()
        rw.r_lock()
        go(reader, rw)
        go(crash)
        with pytest.raises(Boom):
            rw.lock()  # pending behind our own read lock; R2 queues behind us; then the crash
        events.append("main interrupted")
        gosched()
        return repr(rw)

    assert run_interrupted(main) == "<RWMutex read-locked readers=2 queued readers=0 writers=0>"
    assert events == ["main interrupted", "R2 rlocked"]


def test_reader_handed_a_read_lock_while_interrupted_gives_it_back() -> None:
    def holder(rw: RWMutex) -> None:
        rw.lock()
        gosched()
        rw.unlock()  # admits main as a reader ...
        raise Boom("boom")  # ... which gets this crash instead

    def main() -> str:
        rw = RWMutex()
        go(holder, rw)
        gosched()
        with pytest.raises(Boom):
            rw.r_lock()
        return repr(rw)

    assert run_interrupted(main) == "<RWMutex unlocked readers=0 queued readers=0 writers=0>"


# -- Once -----------------------------------------------------------------------------------------


def test_once_runs_fn_once() -> None:
    calls: list[int] = []

    def main() -> None:
        once = Once()
        for i in range(3):
            once.do(lambda i=i: calls.append(i))  # type: ignore[misc]  # default-arg capture

    run(main)
    assert calls == [0]


def test_concurrent_once_callers_wait_until_fn_returns() -> None:
    events: list[str] = []

    def slow() -> None:
        events.append("fn start")
        gosched()
        gosched()
        events.append("fn end")

    def caller(once: Once, name: str) -> None:
        once.do(slow)
        events.append(f"{name} returned")

    def main() -> None:
        once = Once()
        wg = WaitGroup()
        wg.go(caller, once, "a")
        wg.go(caller, once, "b")
        wg.wait()

    run(main)
    assert events[:2] == ["fn start", "fn end"]  # neither caller returns before fn has returned
    assert sorted(events[2:]) == ["a returned", "b returned"]  # released in either order


def test_once_waiters_show_the_internal_mutex_wait_reason() -> None:
    def main() -> None:
        once = Once()
        go(once.do, lambda: Chan[int]().recv())  # first call blocks forever inside fn
        gosched()
        go(once.do, lambda: None)
        Chan[int]().recv()

    lines = dump_of(main)
    assert "goroutine 3 [sync.Mutex.Lock]:" in lines


def test_once_do_called_from_its_own_fn_deadlocks_as_in_go() -> None:
    def main() -> None:
        once = Once()
        once.do(lambda: once.do(lambda: None))

    assert "goroutine 1 [sync.Mutex.Lock]:" in dump_of(main)


def test_once_counts_as_done_when_fn_raises() -> None:
    calls: list[str] = []

    def boom() -> None:
        calls.append("boom")
        raise Boom("boom")

    def main() -> None:
        once = Once()
        with pytest.raises(Boom, match=r"^boom$"):
            once.do(boom)
        once.do(boom)

    run(main)
    assert calls == ["boom"]


def test_once_func_calls_fn_once() -> None:
    calls: list[str] = []

    def main() -> None:
        f = once_func(lambda: calls.append("x"))
        assert f() is None
        f()

    run(main)
    assert calls == ["x"]


def test_once_func_reraises_the_same_exception_on_every_call() -> None:
    calls: list[str] = []

    def boom() -> None:
        calls.append("boom")
        raise Boom("boom")

    def main() -> None:
        f = once_func(boom)
        errs = []
        for _ in range(3):
            with pytest.raises(Boom, match=r"^boom$") as ei:
                f()
            errs.append(ei.value)
        assert errs[0] is errs[1] is errs[2]

    run(main)
    assert calls == ["boom"]


def test_once_value_returns_the_first_result_to_every_caller() -> None:
    calls: list[str] = []

    def compute() -> int:
        calls.append("compute")
        gosched()
        return 42

    def main() -> list[int]:
        get = once_value(compute)
        got: list[int] = []
        wg = WaitGroup()
        for _ in range(3):
            wg.go(lambda: got.append(get()))
        wg.wait()
        got.append(get())
        return got

    assert run(main) == [42, 42, 42, 42]
    assert calls == ["compute"]


def test_once_value_reraises_to_every_caller_including_concurrent_ones() -> None:
    def boom() -> int:
        gosched()
        raise Boom("boom")

    def main() -> list[str]:
        get = once_value(boom)
        seen: list[str] = []

        def caller() -> None:
            try:
                get()
            except Boom as e:
                seen.append(str(e))

        wg = WaitGroup()
        wg.go(caller)
        wg.go(caller)
        wg.wait()
        caller()
        return seen

    assert run(main) == ["boom", "boom", "boom"]


def _closure_watched(result: object = None, raises: bool = False) -> tuple[Callable[[], object], weakref.ref[Boom]]:
    """A function closing over an object, and a weak reference to that object."""
    captured = Boom("captured")  # any object the function closes over

    def fn() -> object:
        assert captured is not None
        if raises:
            raise Boom("boom")
        return result

    return fn, weakref.ref(captured)


def test_once_func_drops_fn_and_its_closure_after_the_call() -> None:
    fn, ref = _closure_watched()
    f = once_func(fn)
    fn_ref = weakref.ref(fn)
    del fn
    gc.collect()
    assert ref() is not None  # not called yet: fn must be kept
    f()
    gc.collect()
    assert ref() is None, "once_func still holds fn (functools.wraps' __wrapped__?)"
    assert fn_ref() is None
    assert f.__name__ == "fn"  # the wrapper still carries fn's name, for reprs and crash notes
    f()  # and still does nothing


@pytest.mark.parametrize("result", [42, (1, "two")], ids=["once_value", "once_values"])
def test_once_value_drops_fn_after_the_call_and_keeps_only_its_result(result: object) -> None:
    fn, ref = _closure_watched(result)
    get = once_value(fn)
    del fn
    assert get() == result
    gc.collect()
    assert ref() is None
    assert get() == result


# -- Cond -----------------------------------------------------------------------------------------


def _cond_waiter(c: Cond, name: str, events: list[str]) -> None:
    with c.L:  # type: ignore[attr-defined]  # the tests' locker is a Mutex
        events.append(f"{name} wait")
        c.wait()
        events.append(f"{name} woke")


def test_cond_signal_wakes_exactly_one_waiter_the_oldest() -> None:
    events: list[str] = []

    def main() -> None:
        mu = Mutex()
        c = Cond(mu)
        wg = WaitGroup()
        for name in ("a", "b", "c"):
            wg.go(_cond_waiter, c, name, events)
            gosched()
        with mu:
            c.signal()
            events.append("signal")
        for _ in range(3):
            gosched()
        assert repr(c) == "<Cond waiters=2>"
        with mu:
            c.signal()
            events.append("signal")
        for _ in range(3):
            gosched()
        assert repr(c) == "<Cond waiters=1>"
        with mu:
            c.signal()
        wg.wait()

    run(main)
    assert events == ["a wait", "b wait", "c wait", "signal", "a woke", "signal", "b woke", "c woke"]


def test_cond_broadcast_wakes_every_waiter() -> None:
    events: list[str] = []

    def main() -> None:
        mu = Mutex()
        c = Cond(mu)
        wg = WaitGroup()
        for name in ("a", "b", "c"):
            wg.go(_cond_waiter, c, name, events)
            gosched()
        with mu:
            c.broadcast()
        wg.wait()
        assert repr(c) == "<Cond waiters=0>"

    run(main)
    assert events[:3] == ["a wait", "b wait", "c wait"]
    assert sorted(events[3:]) == ["a woke", "b woke", "c woke"]


def test_cond_signal_and_broadcast_without_waiters_do_nothing() -> None:
    def main() -> None:
        c = Cond(Mutex())
        c.signal()
        c.broadcast()

    run(main)


def test_cond_wait_unlocks_while_parked_and_relocks_before_returning() -> None:
    events: list[str] = []

    def other(mu: Mutex, c: Cond) -> None:
        with mu:  # would block forever if wait had not unlocked
            events.append("other locked")
            c.signal()

    def main() -> None:
        mu = Mutex()
        c = Cond(mu)
        mu.lock()
        go(other, mu, c)
        c.wait()
        events.append(f"main woke, try_lock {mu.try_lock()}")
        mu.unlock()

    run(main)
    assert events == ["other locked", "main woke, try_lock False"]


def test_cond_waits_with_a_read_locker() -> None:
    def main() -> None:
        rw = RWMutex()
        c = Cond(rw.r_locker())
        rw.r_lock()

        def writer() -> None:
            with rw:  # possible only while the waiter's read lock is released
                c.broadcast()

        go(writer)
        c.wait()
        rw.r_unlock()

    run(main)


def test_cond_wait_without_holding_the_lock_raises_and_leaves_no_waiter() -> None:
    def main() -> None:
        c = Cond(Mutex())
        with pytest.raises(SyncError, match=UNLOCK_UNLOCKED):
            c.wait()
        assert repr(c) == "<Cond waiters=0>"

    run(main)


def test_cond_wait_interrupted_relocks_and_passes_a_signal_on() -> None:
    events: list[str] = []

    def signaller(mu: Mutex, c: Cond) -> None:
        with mu:
            c.signal()  # wakes main, the oldest waiter ...
        raise Boom("boom")  # ... which gets this crash instead

    def main() -> None:
        mu = Mutex()
        c = Cond(mu)
        mu.lock()
        go(signaller, mu, c)
        go(_cond_waiter, c, "b", events)
        with pytest.raises(Boom):
            c.wait()
        events.append(f"main relocked {not mu.try_lock()}")
        mu.unlock()
        gosched()

    run_interrupted(main)
    assert events == ["b wait", "main relocked True", "b woke"]


# -- interrupted waiters: one table for every primitive ----------------------------------------------


def _blocked_mutex() -> tuple[Callable[[], object], object]:
    mu = Mutex()
    mu.lock()
    return mu.lock, mu


def _blocked_reader() -> tuple[Callable[[], object], object]:
    rw = RWMutex()
    rw.lock()
    return rw.r_lock, rw


def _blocked_writer() -> tuple[Callable[[], object], object]:
    rw = RWMutex()
    rw.lock()
    return rw.lock, rw


def _blocked_wait_group() -> tuple[Callable[[], object], object]:
    wg = WaitGroup()
    wg.add(1)
    return wg.wait, wg


def _blocked_cond() -> tuple[Callable[[], object], object]:
    mu = Mutex()
    c = Cond(mu)
    mu.lock()
    return c.wait, c


def _blocked_semaphore() -> tuple[Callable[[], object], object]:
    sem = Semaphore(1)
    sem.acquire()
    return sem.acquire, sem


# (a primitive and a call on it that blocks, its repr after the blocked call was interrupted):
# a waiter interrupted before anything was handed to it leaves the queue and changes nothing.
INTERRUPTED = [
    (_blocked_mutex, "<Mutex locked waiters=0>"),
    (_blocked_reader, "<RWMutex write-locked readers=0 queued readers=0 writers=0>"),
    (_blocked_writer, "<RWMutex write-locked readers=0 queued readers=0 writers=0>"),
    (_blocked_wait_group, "<WaitGroup counter=1 waiters=0>"),
    (_blocked_cond, "<Cond waiters=0>"),
    (_blocked_semaphore, "<Semaphore size=1 held=1 waiters=0>"),
]


@pytest.mark.parametrize(("blocked", "after"), INTERRUPTED, ids=[a.split()[0][1:] + f.__name__ for f, a in INTERRUPTED])
def test_waiter_interrupted_before_anything_was_handed_to_it_leaves_the_queue(
    blocked: Callable[[], tuple[Callable[[], object], object]], after: str
) -> None:
    def main() -> str:
        call, primitive = blocked()
        go(crash)
        with pytest.raises(Boom):
            call()
        return repr(primitive)

    assert run_interrupted(main) == after


# -- wait reasons: one table for every primitive ------------------------------------------------------


def _wg_waits() -> None:
    wg = WaitGroup()
    wg.add(1)
    wg.wait()


def _mutex_locks_twice() -> None:
    mu = Mutex()
    mu.lock()
    mu.lock()


def _rw_writers_and_a_reader_queue() -> None:
    rw = RWMutex()
    rw.lock()
    go(rw.r_lock)
    go(rw.lock)
    rw.lock()


def _cond_waits() -> None:
    mu = Mutex()
    c = Cond(mu)
    with mu:
        c.wait()


def _sem_acquires_twice() -> None:
    sem = Semaphore(1)
    sem.acquire()
    sem.acquire()


# (program, goroutine block header, the first frame under it or None): Go's reasons, and the
# primitive's own method as the top visible frame (the runtime's are hidden, as Go hides runtime.*).
WAIT_REASONS = [
    (_wg_waits, "goroutine 1 [sync.WaitGroup.Wait]:", "gochan.sync.WaitGroup.wait(...)"),
    (_mutex_locks_twice, "goroutine 1 [sync.Mutex.Lock]:", "gochan.sync.Mutex.lock(...)"),
    (_rw_writers_and_a_reader_queue, "goroutine 1 [sync.RWMutex.Lock]:", "gochan.sync.RWMutex.lock(...)"),
    (_rw_writers_and_a_reader_queue, "goroutine 2 [sync.RWMutex.RLock]:", "gochan.sync.RWMutex.r_lock(...)"),
    # a writer behind another writer: Go shows its inner "sync.Mutex.Lock" here
    (_rw_writers_and_a_reader_queue, "goroutine 3 [sync.RWMutex.Lock]:", "gochan.sync.RWMutex.lock(...)"),
    (_cond_waits, "goroutine 1 [sync.Cond.Wait]:", "gochan.sync.Cond.wait(...)"),
    (_sem_acquires_twice, "goroutine 1 [sync.Semaphore.Acquire]:", "gochan.semaphore.Semaphore._acquire_park(...)"),
]


@pytest.mark.parametrize(("main", "header", "frame"), WAIT_REASONS, ids=[h for _, h, _ in WAIT_REASONS])
def test_deadlock_dump_shows_each_primitives_wait_reason_and_frame(
    main: Callable[[], None], header: str, frame: str
) -> None:
    lines = dump_of(main)
    assert header in lines
    assert stack_under(lines, header) == frame


# -- outside run() ----------------------------------------------------------------------------------


def test_primitives_work_on_the_implicit_scheduler_outside_run(implicit_scheduler: Scheduler) -> None:
    events: list[str] = []
    mu = Mutex()
    wg = WaitGroup()
    mu.lock()

    def worker(name: str) -> None:
        with mu:
            events.append(name)

    wg.go(worker, "a")
    wg.go(worker, "b")
    gosched()
    mu.unlock()
    wg.wait()  # the test's own greenlet parks as the main goroutine
    assert sorted(events) == ["a", "b"]
    assert num_goroutine() == 1
