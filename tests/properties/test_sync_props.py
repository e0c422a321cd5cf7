"""sync under many goroutines and random schedules: the invariants hold on every interleaving.

A schedule is a seed: each goroutine calls ``gosched()`` at points drawn from ``random.Random(seed)``
(the scheduler itself is deterministic, and ``run(..., seed=seed)`` fixes select's choices), so a
failing example replays exactly.

The yields only vary the interleaving; no property depends on what a ``gosched()`` lets run
before it returns (Go promises nothing about that, and our scheduler ends a time slice after
``HANDOFF_LIMIT`` quick hand-offs). The properties are Go's guarantees, plus the strict FIFO
hand-off our Mutex and Semaphore document; progress is checked by the program ending, since a
goroutine left parked for good makes ``run`` raise DeadlockError.
"""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from gochan import gosched, run
from gochan._runtime import current_scheduler
from gochan.semaphore import Semaphore
from gochan.sync import Cond, Mutex, RWMutex, WaitGroup

from . import examples

SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
YIELD_P = st.sampled_from([0.0, 0.2, 0.5, 0.9])
SETTINGS = settings(max_examples=examples(150), deadline=None)


class Schedule:
    """Random yield points, fixed by a seed."""

    def __init__(self, seed: int, p: float) -> None:
        self.rng = random.Random(seed)
        self.p = p

    def maybe_yield(self) -> None:
        while self.rng.random() < self.p:
            gosched()


@SETTINGS
@given(seed=SEEDS, p=YIELD_P, n=st.integers(1, 12), iters=st.integers(1, 4))
def test_mutex_excludes_and_grants_in_call_order(seed: int, p: float, n: int, iters: int) -> None:
    calls: list[tuple[int, int]] = []
    grants: list[tuple[int, int]] = []
    holders = [0]

    def main() -> None:
        sched = Schedule(seed, p)
        mu = Mutex()
        wg = WaitGroup()

        def worker(i: int) -> None:
            for k in range(iters):
                sched.maybe_yield()
                calls.append((i, k))
                mu.lock()
                grants.append((i, k))
                holders[0] += 1
                assert holders[0] == 1, "two goroutines hold the mutex"
                sched.maybe_yield()
                holders[0] -= 1
                mu.unlock()

        for i in range(n):
            wg.go(worker, i)
            sched.maybe_yield()
        wg.wait()
        assert mu.try_lock()

    run(main, seed=seed)
    assert len(grants) == n * iters  # every goroutine finished
    assert grants == calls  # FIFO hand-off: no barging, no overtaking


@SETTINGS
@given(seed=SEEDS, p=YIELD_P, n=st.integers(0, 10), waiters=st.integers(1, 4), use_go=st.booleans())
def test_waitgroup_wait_returns_only_once_every_done_ran_and_releases_every_waiter(
    seed: int, p: float, n: int, waiters: int, use_go: bool
) -> None:
    # Go's guarantees only: every done happens before any wait it releases returns, and the
    # done that brings the counter to zero releases every goroutine blocked in wait. Not *when*
    # a released waiter runs: a waiter left parked by the last done is a deadlock of the program
    # below (nothing else ever changes the counter), which run() reports.
    finished = [0]
    returned: list[int] = []

    def main() -> None:
        sched = Schedule(seed, p)
        wg = WaitGroup()
        all_done = WaitGroup()

        def worker() -> None:
            sched.maybe_yield()
            finished[0] += 1
            if not use_go:
                wg.done()  # with wg.go, the group calls done once we return
            sched.maybe_yield()

        def waiter(w: int) -> None:
            sched.maybe_yield()
            wg.wait()
            assert finished[0] == n, "wait returned before the counter reached zero"
            returned.append(w)

        if not use_go:
            wg.add(n)
            for w in range(waiters):
                all_done.go(waiter, w)
        for _ in range(n):
            if use_go:
                wg.go(worker)
            else:
                all_done.go(worker)
            sched.maybe_yield()
        if use_go:  # Go's rule: on an empty group, Go must happen before Wait
            for w in range(waiters):
                all_done.go(waiter, w)
        all_done.wait()  # a waiter the last done failed to release: DeadlockError
        wg.wait()
        assert finished[0] == n

    run(main, seed=seed)
    assert sorted(returned) == list(range(waiters))


@SETTINGS
@given(seed=SEEDS, p=YIELD_P, roles=st.lists(st.booleans(), min_size=1, max_size=12), iters=st.integers(1, 3))
def test_rwmutex_admits_many_readers_or_one_writer(seed: int, p: float, roles: list[bool], iters: int) -> None:
    active = {"r": 0, "w": 0}
    done: list[int] = []

    def check() -> None:
        assert active["w"] <= 1, "two writers"
        assert not (active["w"] and active["r"]), "a writer and a reader"

    def main() -> None:
        sched = Schedule(seed, p)
        rw = RWMutex()
        wg = WaitGroup()

        def worker(i: int, writer: bool) -> None:
            kind = "w" if writer else "r"
            for _ in range(iters):
                sched.maybe_yield()
                with rw if writer else rw.reading():
                    active[kind] += 1
                    check()
                    sched.maybe_yield()
                    check()
                    active[kind] -= 1
            done.append(i)

        for i, writer in enumerate(roles):
            wg.go(worker, i, writer)
            sched.maybe_yield()
        wg.wait()
        assert rw.try_lock()

    run(main, seed=seed)
    assert sorted(done) == list(range(len(roles)))


@SETTINGS
@given(
    seed=SEEDS,
    p=YIELD_P,
    size=st.integers(1, 6),
    weights=st.lists(st.integers(0, 6), min_size=1, max_size=10),
)
def test_semaphore_never_overcommits_and_grants_in_call_order(
    seed: int, p: float, size: int, weights: list[int]
) -> None:
    weights = [min(w, size) for w in weights]  # a weight over size blocks forever by design
    held = [0]
    calls: list[int] = []  # goroutine ids, in the order they called acquire
    granted: list[int] = []

    def check_fifo(sem: Semaphore) -> None:
        # White-box: the blocked acquires are always the latest callers, in call order, so no
        # request is ever granted before an earlier one; and the head never fits.
        queued = [w.g.id for w in sem._waiters if w.g is not None]
        assert queued == calls[len(calls) - len(queued) :], "a request overtook an earlier one"
        if sem._waiters:
            assert sem._waiters[0].n > size - sem._cur, "the head of the queue fits but waits"

    def main() -> None:
        sched = Schedule(seed, p)
        sem = Semaphore(size)
        wg = WaitGroup()

        def worker(i: int) -> None:
            n = weights[i]
            sched.maybe_yield()
            calls.append(current_scheduler().current.id)
            sem.acquire(n)
            granted.append(i)
            check_fifo(sem)
            held[0] += n
            assert held[0] <= size, "more weight held than the semaphore's size"
            sched.maybe_yield()
            check_fifo(sem)
            held[0] -= n
            sem.release(n)
            check_fifo(sem)

        for i in range(len(weights)):
            wg.go(worker, i)
            sched.maybe_yield()
        wg.wait()
        assert sem.try_acquire(size)

    run(main, seed=seed)
    assert sorted(granted) == list(range(len(weights)))


@SETTINGS
@given(seed=SEEDS, p=YIELD_P, waiters=st.integers(1, 8))
def test_cond_broadcast_releases_every_waiter_of_the_condition(seed: int, p: float, waiters: int) -> None:
    woke: list[int] = []

    def main() -> None:
        sched = Schedule(seed, p)
        mu = Mutex()
        c = Cond(mu)
        ready = [False]
        wg = WaitGroup()

        def waiter(i: int) -> None:
            sched.maybe_yield()
            with mu:
                while not ready[0]:
                    c.wait()
                woke.append(i)

        for i in range(waiters):
            wg.go(waiter, i)
            sched.maybe_yield()
        with mu:
            ready[0] = True
            c.broadcast()
        wg.wait()

    run(main, seed=seed)
    assert sorted(woke) == list(range(waiters))
