"""semaphore: Go's x/sync/semaphore weighted semaphore, on the runtime's wait queue and select."""

from __future__ import annotations

import pytest

from gochan import Chan, go, gosched, run
from gochan.errors import SyncError
from gochan.semaphore import Semaphore
from gochan.sync import WaitGroup

from .test_sync import SEM_OVER_RELEASE, Boom, FakeCtx, NeverDoneCtx, crash, dump_of, run_interrupted, stack_under


def test_semaphore_module_exports_only_the_semaphore() -> None:
    import gochan.semaphore

    assert gochan.semaphore.__all__ == ["Semaphore"]


# -- Semaphore ------------------------------------------------------------------------------------


def test_semaphore_acquire_release_and_try_acquire() -> None:
    def main() -> None:
        sem = Semaphore(3)
        sem.acquire()
        sem.acquire(2)
        assert not sem.try_acquire()
        assert repr(sem) == "<Semaphore size=3 held=3 waiters=0>"
        sem.release(3)
        assert sem.try_acquire(3)
        sem.release(3)
        with sem:
            assert repr(sem) == "<Semaphore size=3 held=1 waiters=0>"
        assert repr(sem) == "<Semaphore size=3 held=0 waiters=0>"

    run(main)


def test_release_more_than_held_raises_go_text_and_releases_nothing() -> None:
    def main() -> str:
        sem = Semaphore(3)
        with pytest.raises(SyncError, match=SEM_OVER_RELEASE):
            sem.release()
        sem.acquire(2)
        with pytest.raises(SyncError, match=SEM_OVER_RELEASE):
            sem.release(3)
        return repr(sem)

    assert run(main) == "<Semaphore size=3 held=2 waiters=0>"


def test_negative_weight_and_size_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"^semaphore: size -1 is negative; a semaphore's size must be >= 0$"):
        Semaphore(-1)
    sem = Semaphore(1)
    weight = r"^semaphore: weight -1 is negative; acquire and release take a weight >= 0$"
    for op in (sem.acquire, sem.try_acquire, sem.release):
        with pytest.raises(ValueError, match=weight):
            op(-1)


def test_big_request_at_the_head_blocks_later_small_ones() -> None:
    events: list[str] = []

    def acquirer(sem: Semaphore, n: int) -> None:
        events.append(f"acquire {n}")
        sem.acquire(n)
        events.append(f"got {n}")

    def main() -> None:
        sem = Semaphore(10)
        wg = WaitGroup()
        sem.acquire(8)
        wg.go(acquirer, sem, 5)
        gosched()
        wg.go(acquirer, sem, 1)
        gosched()
        events.append(f"try_acquire 1: {sem.try_acquire(1)}")  # 2 are free, but 5 is queued first
        events.append("release 3")
        sem.release(3)  # 5 free: the 5 goes, then nothing is left for the 1
        gosched()
        events.append("release 5")
        sem.release(5)
        wg.wait()
        assert repr(sem) == "<Semaphore size=10 held=6 waiters=0>"

    run(main)
    assert events == [
        "acquire 5",
        "acquire 1",
        "try_acquire 1: False",
        "release 3",
        "got 5",
        "release 5",
        "got 1",
    ]


def test_release_grants_every_queued_request_that_fits_in_order() -> None:
    got: list[int] = []

    def acquirer(sem: Semaphore, n: int) -> None:
        sem.acquire(n)
        got.append(n)

    def main() -> str:
        sem = Semaphore(4)
        wg = WaitGroup()
        sem.acquire(4)
        for n in (1, 2, 1, 3):
            wg.go(acquirer, sem, n)
            gosched()
        sem.release(4)  # 1+2+1 fit; 3 does not
        gosched()
        return repr(sem)

    assert run(main) == "<Semaphore size=4 held=4 waiters=1>"
    assert sorted(got) == [1, 1, 2]


def test_oversized_acquire_without_ctx_blocks_forever_without_blocking_others() -> None:
    def main() -> None:
        sem = Semaphore(2)
        go(sem.acquire, 3)
        gosched()
        sem.acquire(2)  # not queued behind the doomed request
        assert repr(sem) == "<Semaphore size=2 held=2 waiters=0>"
        Chan[int]().recv()

    lines = dump_of(main)
    block = "goroutine 2 [sync.Semaphore.Acquire]:"
    assert stack_under(lines, block) == "gochan.semaphore.Semaphore._acquire_park(...)"


def test_acquire_with_a_done_ctx_fails_even_when_the_weight_is_free() -> None:
    def main() -> str:
        sem = Semaphore(1)
        ctx = FakeCtx()
        ctx.cancel()
        with pytest.raises(Boom, match=r"^context canceled$"):
            sem.acquire(1, ctx)
        return repr(sem)

    assert run(main) == "<Semaphore size=1 held=0 waiters=0>"


def test_acquire_with_a_never_done_ctx_behaves_as_without_ctx() -> None:
    def main() -> None:
        sem = Semaphore(1)
        sem.acquire(1, NeverDoneCtx())
        sem.acquire(1, NeverDoneCtx())

    lines = dump_of(main)
    assert "goroutine 1 [sync.Semaphore.Acquire]:" in lines


def test_ctx_cancel_ends_a_blocked_acquire_and_unblocks_the_smaller_ones_behind_it() -> None:
    events: list[str] = []

    def big(sem: Semaphore, ctx: FakeCtx) -> None:
        try:
            sem.acquire(3, ctx)
        except Boom as e:
            events.append(f"big: {e}")

    def small(sem: Semaphore) -> None:
        sem.acquire(1)
        events.append("small got 1")

    def main() -> str:
        sem = Semaphore(3)
        ctx = FakeCtx()
        wg = WaitGroup()
        sem.acquire(2)
        wg.go(big, sem, ctx)
        gosched()
        wg.go(small, sem)
        gosched()
        events.append("cancel")
        ctx.cancel()
        wg.wait()
        return repr(sem)

    assert run(main) == "<Semaphore size=3 held=3 waiters=0>"
    assert events == ["cancel", "big: context canceled", "small got 1"]


def test_blocked_acquire_with_ctx_waits_in_select() -> None:
    def main() -> None:
        sem = Semaphore(1)
        sem.acquire()
        sem.acquire(1, FakeCtx())

    lines = dump_of(main)
    assert stack_under(lines, "goroutine 1 [select]:").startswith("gochan.semaphore.Semaphore._acquire_select")


def test_oversized_acquire_with_ctx_waits_for_done_then_raises_its_err() -> None:
    def main() -> str:
        sem = Semaphore(2)
        ctx = FakeCtx()
        go(ctx.cancel)
        with pytest.raises(Boom, match=r"^context canceled$"):
            sem.acquire(3, ctx)
        return repr(sem)

    assert run(main) == "<Semaphore size=2 held=0 waiters=0>"

    def stuck() -> None:
        Semaphore(2).acquire(3, FakeCtx())

    assert "goroutine 1 [chan receive]:" in dump_of(stuck)


def test_acquire_with_ctx_granted_after_cancel_gives_the_weight_back() -> None:
    def main() -> str:
        sem = Semaphore(1)
        ctx = FakeCtx()
        sem.acquire()

        def grant_then_cancel() -> None:
            sem.release()  # grants the waiter ...
            ctx.cancel()  # ... whose ctx is done before it runs: Go prefers to fail

        go(grant_then_cancel)
        with pytest.raises(Boom, match=r"^context canceled$"):
            sem.acquire(1, ctx)
        return repr(sem)

    assert run(main) == "<Semaphore size=1 held=0 waiters=0>"


def test_acquire_with_ctx_succeeds_when_granted() -> None:
    def main() -> str:
        sem = Semaphore(1)
        sem.acquire()
        go(sem.release)
        sem.acquire(1, FakeCtx())
        return repr(sem)

    assert run(main) == "<Semaphore size=1 held=1 waiters=0>"


def test_acquire_interrupted_at_the_head_unblocks_the_requests_behind_it() -> None:
    got: list[str] = []

    def small(sem: Semaphore) -> None:
        sem.acquire(1)
        got.append("small")

    def main() -> str:
        sem = Semaphore(2)
        sem.acquire(1)
        go(small, sem)  # runs after main parks: queues behind main's request
        go(crash)
        with pytest.raises(Boom):
            sem.acquire(2)
        gosched()
        return repr(sem)

    assert run_interrupted(main) == "<Semaphore size=2 held=2 waiters=0>"
    assert got == ["small"]


def test_acquire_granted_while_interrupted_gives_the_weight_back() -> None:
    def releaser(sem: Semaphore) -> None:
        sem.release(2)  # grants main's 2 ...
        raise Boom("boom")  # ... but main gets this crash instead

    def main() -> str:
        sem = Semaphore(2)
        sem.acquire(2)
        go(releaser, sem)
        with pytest.raises(Boom):
            sem.acquire(2)
        return repr(sem)

    assert run_interrupted(main) == "<Semaphore size=2 held=0 waiters=0>"


def test_acquire_with_ctx_interrupted_leaves_the_queue() -> None:
    def main() -> str:
        sem = Semaphore(1)
        sem.acquire()
        go(crash)
        with pytest.raises(Boom):
            sem.acquire(1, FakeCtx())
        return repr(sem)

    assert run_interrupted(main) == "<Semaphore size=1 held=1 waiters=0>"
