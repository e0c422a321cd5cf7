"""Runtime: goroutines, run(), the scheduler's order (runq, runnext, time slice), crashes, deadlock dumps.

Every test runs as a program under ``gochan.run`` except those that test the implicit per-thread
scheduler; interleavings are asserted as transcripts.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable

import pytest
from greenlet import GreenletExit, getcurrent, greenlet

import gochan
from gochan import (
    Chan,
    DeadlockError,
    dump_goroutines,
    go,
    gosched,
    num_goroutine,
    recv,
    run,
    select,
    send,
)
from gochan._runtime import HANDOFF_LIMIT, Scheduler

HERE = re.escape(__file__)
MOD = re.escape(__name__)
DEADLOCK = "all goroutines are asleep - deadlock!"
GOCHAN_DIR = os.path.dirname(os.path.abspath(gochan.__file__))


def line() -> int:
    """The caller's current line number (pins frame lines in dumps and notes)."""
    return sys._getframe(1).f_lineno


def blocked_sender(ch: Chan[int]) -> None:
    ch.send(1)


def idle() -> None:
    pass


def boom() -> None:
    raise ValueError("boom")


# -- go and run ---------------------------------------------------------------------------------------


def test_run_returns_main_result_and_passes_arguments() -> None:
    def main(a: int, *, b: int) -> int:
        return a + b

    assert run(main, 40, b=2) == 42


def test_go_passes_positional_and_keyword_arguments() -> None:
    def worker(out: Chan[str], a: str, *, b: str) -> None:
        out.send(a + b)

    def main() -> str | None:
        out: Chan[str] = Chan()
        go(worker, out, "x", b="y")
        return out.recv()

    assert run(main) == "xy"


def select_heavy_program() -> list[str]:
    """Three producers into buffered channels, drained by a select loop: a transcript of choices."""

    def producer(i: int, ch: Chan[int]) -> None:
        for v in range(10):
            ch.send(i * 100 + v)
        ch.close()

    chans: list[Chan[int] | None] = []
    for i in range(3):
        ch: Chan[int] = Chan(4)
        chans.append(ch)
        go(producer, i, ch)
    gosched()  # every producer fills its buffer: the selects below see several ready cases
    transcript: list[str] = []
    while any(c is not None for c in chans):
        i, v, ok = select(recv(chans[0]), recv(chans[1]), recv(chans[2]))
        if ok:
            transcript.append(f"{i}:{v}")
        else:
            transcript.append(f"{i} closed")
            chans[i] = None
    return transcript


def test_run_with_the_same_seed_replays_the_same_interleaving() -> None:
    first = run(select_heavy_program, seed=7)
    assert len(first) == 33
    assert run(select_heavy_program, seed=7) == first
    assert len({tuple(run(select_heavy_program, seed=s)) for s in range(8)}) > 1


def test_goroutines_alive_when_main_returns_are_discarded() -> None:
    events: list[str] = []

    def parked(ch: Chan[int]) -> None:
        try:
            events.append("parked start")
            ch.recv()
            events.append("parked after recv")
        except GreenletExit:
            events.append("parked got GreenletExit")
            raise
        finally:
            events.append("parked finally")

    def runnable() -> None:
        events.append("runnable ran")

    def main() -> str:
        go(parked, Chan[int]())
        gosched()
        go(runnable)  # never started: main returns first
        events.append("main returns")
        return "done"

    assert run(main) == "done"
    assert events == ["parked start", "main returns", "parked got GreenletExit", "parked finally"]


# -- scheduling order -----------------------------------------------------------------------------------


def test_gosched_lets_other_goroutines_run() -> None:
    events: list[str] = []

    def worker() -> None:
        events.append("worker")

    def main() -> None:
        go(worker)
        events.append("main before gosched")
        gosched()
        events.append("main after gosched")

    run(main)
    assert events == ["main before gosched", "worker", "main after gosched"]


def test_gosched_goes_to_the_tail_of_the_run_queue() -> None:
    events: list[str] = []

    def worker(name: str) -> None:
        events.append(f"{name}1")
        gosched()
        events.append(f"{name}2")

    def main() -> None:
        go(worker, "a")
        go(worker, "b")
        gosched()
        events.append("main")
        gosched()
        events.append("main end")

    run(main)
    assert events == ["b1", "a1", "main", "b2", "a2", "main end"]


@pytest.mark.parametrize("handoffs", [0, HANDOFF_LIMIT - 1, HANDOFF_LIMIT, 3 * HANDOFF_LIMIT])
def test_gosched_runs_every_runnable_goroutine_first_even_when_the_time_slice_is_used_up(handoffs: int) -> None:
    events: list[str] = []

    def echo(ping: Chan[int], pong: Chan[int]) -> None:
        for v in ping:
            pong.send(v)

    def main() -> None:
        ping: Chan[int] = Chan()
        pong: Chan[int] = Chan()
        go(echo, ping, pong)
        for i in range(handoffs):  # quick hand-offs use up runnext's time slice
            ping.send(i)
            pong.recv()
        go(events.append, "started before gosched")
        gosched()
        events.append("main after gosched")
        ping.close()

    run(main)
    assert events == ["started before gosched", "main after gosched"]


def test_num_goroutine_counts_live_goroutines_including_main() -> None:
    def main() -> list[int]:
        counts = [num_goroutine()]
        ch: Chan[int] = Chan()
        go(idle)
        go(ch.recv)
        counts.append(num_goroutine())
        gosched()  # idle finishes, the receiver parks
        counts.append(num_goroutine())
        ch.send(1)
        gosched()
        counts.append(num_goroutine())
        return counts

    assert run(main) == [1, 3, 2, 1]


def test_spawned_goroutine_runs_when_the_spawner_blocks_not_before() -> None:
    events: list[str] = []

    def worker(ch: Chan[int]) -> None:
        events.append("worker runs")
        ch.send(1)

    def main() -> None:
        ch: Chan[int] = Chan()
        go(worker, ch)
        events.append("after go")
        events.append(f"main got {ch.recv()}")

    run(main)
    assert events == ["after go", "worker runs", "main got 1"]


def test_spawned_goroutine_runs_when_the_spawner_yields_not_before() -> None:
    events: list[str] = []

    def main() -> None:
        go(events.append, "worker runs")
        events.append("after go")
        gosched()
        events.append("after gosched")

    run(main)
    assert events == ["after go", "worker runs", "after gosched"]


def test_last_spawned_goroutine_runs_first_as_go_runnext() -> None:
    events: list[str] = []

    def main() -> None:
        for name in ("a", "b", "c"):
            go(events.append, name)
        gosched()
        events.append("main")

    run(main)
    assert events == ["c", "a", "b", "main"]


def test_goroutine_readied_by_a_send_runs_next() -> None:
    events: list[str] = []

    def receiver(ch: Chan[int]) -> None:
        events.append(f"receiver got {ch.recv()}")

    def main() -> None:
        ch: Chan[int] = Chan()
        go(receiver, ch)
        gosched()  # the receiver parks
        go(events.append, "other runs")  # runnable, queued before the receiver is readied
        ch.send(1)
        gosched()
        events.append("main")

    run(main)
    assert events == ["receiver got 1", "other runs", "main"]


def test_runnext_time_slice_is_bounded_so_a_ping_pong_pair_cannot_starve_main() -> None:
    limit = 100 * HANDOFF_LIMIT  # the pair stops here; a starved main would see it all at once
    exchanges = 0

    def ping(out: Chan[int], inbox: Chan[int]) -> None:
        nonlocal exchanges
        while exchanges < limit:
            out.send(exchanges)
            inbox.recv()
            exchanges += 1

    def pong(inbox: Chan[int], out: Chan[int]) -> None:
        while True:
            out.send(inbox.recv() or 0)

    def main() -> list[int]:
        a: Chan[int] = Chan()
        b: Chan[int] = Chan()
        go(pong, a, b)
        go(ping, a, b)
        seen = []
        for _ in range(20):
            gosched()
            seen.append(exchanges)
        return seen

    seen = run(main)
    deltas = [later - earlier for earlier, later in zip([0, *seen], seen, strict=False)]
    assert seen[-1] < limit  # main ran 20 turns while the pair was still exchanging
    assert all(0 < d <= 2 * HANDOFF_LIMIT for d in deltas[1:]), deltas


def test_ten_thousand_trivial_goroutines_all_run_on_reused_greenlets() -> None:
    ran = 0
    glets: set[greenlet] = set()

    def worker() -> None:
        nonlocal ran
        ran += 1
        glets.add(getcurrent())

    def main() -> tuple[int, int]:
        for _ in range(10_000):
            go(worker)
        before = num_goroutine()
        gosched()
        return before, num_goroutine()

    assert run(main) == (10_001, 1)
    assert ran == 10_000
    assert len(glets) < 100


def test_thousands_of_goroutines_can_be_parked_at_once() -> None:
    n = 3000

    def main() -> list[int]:
        ch: Chan[int] = Chan()
        out: Chan[int] = Chan(n)

        def worker() -> None:
            out.send(ch.recv() or 0)

        for _ in range(n):
            go(worker)
        gosched()  # every worker starts and parks in recv before main runs again
        assert num_goroutine() == n + 1
        for v in range(n):
            ch.send(v)
        return sorted(out.recv() or 0 for _ in range(n))

    assert run(main) == list(range(3000))


# -- crashes ------------------------------------------------------------------------------------------


def test_exception_escaping_a_goroutine_is_raised_by_run_with_a_note_naming_it() -> None:
    where: list[int] = []

    def main() -> None:
        where.append(line() + 1)
        go(boom)
        gosched()

    with pytest.raises(ValueError) as info:
        run(main)
    assert str(info.value) == "boom"
    assert type(info.value) is ValueError
    notes = info.value.__notes__
    assert len(notes) == 1
    assert re.fullmatch(
        rf"goroutine 2 \(boom\) crashed; created by ({MOD}\.)?"
        rf"test_exception_escaping_a_goroutine_is_raised_by_run_with_a_note_naming_it\.<locals>\.main "
        rf"in goroutine 1 at {HERE}:{where[0]}",
        notes[0],
    ), notes[0]


def test_crash_note_names_the_goroutine_that_started_the_crashing_one() -> None:
    where: list[int] = []

    def spawner() -> None:
        where.append(line() + 1)
        go(boom)
        Chan[int]().recv()

    def main() -> None:
        go(spawner)
        Chan[int]().recv()

    with pytest.raises(ValueError) as info:
        run(main)
    assert re.fullmatch(
        rf"goroutine 3 \(boom\) crashed; created by ({MOD}\.)?"
        rf"test_crash_note_names_the_goroutine_that_started_the_crashing_one\.<locals>\.spawner "
        rf"in goroutine 2 at {HERE}:{where[0]}",
        info.value.__notes__[0],
    ), info.value.__notes__


def main_recv() -> str:
    Chan[int]().recv()
    return "survived"


def main_select() -> str:
    select(recv(Chan[int]()), send(Chan[int](), 1))
    return "survived"


def main_gosched() -> str:
    for _ in range(1000):
        gosched()
    return "survived"


@pytest.mark.parametrize("block", [main_recv, main_select, main_gosched], ids=["recv", "select", "gosched"])
def test_crash_reaches_main_while_main_is_blocked(block: Callable[[], str]) -> None:
    events: list[str] = []

    def crasher() -> None:
        gosched()
        gosched()
        raise KeyError("lost")

    def bystander(ch: Chan[int]) -> None:
        try:
            ch.recv()
        finally:
            events.append("bystander unwound")

    def main() -> str:
        go(bystander, Chan[int]())
        go(crasher)
        return block()

    with pytest.raises(KeyError) as info:
        run(main)
    assert info.value.args == ("lost",)
    assert info.value.__notes__[0].startswith("goroutine 3 (")
    assert events == ["bystander unwound"]


# -- deadlock -------------------------------------------------------------------------------------------


def test_deadlock_error_text_is_gos() -> None:
    with pytest.raises(DeadlockError) as info:
        run(Chan[int]().recv)
    assert str(info.value) == DEADLOCK
    assert info.value.args == (DEADLOCK,)


def test_deadlock_dump_shows_each_goroutine_with_reason_stack_and_creator() -> None:
    where: dict[str, int] = {}

    def main() -> None:
        a: Chan[int] = Chan()
        b: Chan[int] = Chan()
        where["go"] = line() + 1
        go(blocked_sender, a)
        gosched()
        where["recv"] = line() + 1
        b.recv()

    with pytest.raises(DeadlockError) as info:
        run(main)
    fn = "test_deadlock_dump_shows_each_goroutine_with_reason_stack_and_creator"
    expected = [
        r"goroutine 1 \[chan receive\]:",
        rf"{MOD}\.{fn}\.<locals>\.main\(\.\.\.\)",
        rf"\t{HERE}:{where['recv']}",
        r"",
        r"goroutine 2 \[chan send\]:",
        rf"{MOD}\.blocked_sender\(\.\.\.\)",
        rf"\t{HERE}:{blocked_sender.__code__.co_firstlineno + 1}",
        rf"created by {MOD}\.{fn}\.<locals>\.main in goroutine 1",
        rf"\t{HERE}:{where['go']}",
    ]
    got = info.value.dump.splitlines()
    assert len(got) == len(expected), info.value.dump
    for pattern, text in zip(expected, got, strict=True):
        assert re.fullmatch(pattern, text), (pattern, text)
    assert info.value.dump in info.value.__notes__


def test_deadlock_dump_shows_the_whole_stack_of_a_parked_goroutine() -> None:
    where: dict[str, int] = {}

    def inner(ch: Chan[int]) -> None:
        where["inner"] = line() + 1
        ch.recv()

    def outer(ch: Chan[int]) -> None:
        where["outer"] = line() + 1
        inner(ch)

    def main() -> None:
        where["go"] = line() + 1
        go(outer, Chan[int]())
        gosched()
        Chan[int]().recv()

    with pytest.raises(DeadlockError) as info:
        run(main)
    fn = "test_deadlock_dump_shows_the_whole_stack_of_a_parked_goroutine"
    block = info.value.dump.split("\n\n")[1].splitlines()
    expected = [
        r"goroutine 2 \[chan receive\]:",
        rf"{MOD}\.{fn}\.<locals>\.inner\(\.\.\.\)",
        rf"\t{HERE}:{where['inner']}",
        rf"{MOD}\.{fn}\.<locals>\.outer\(\.\.\.\)",
        rf"\t{HERE}:{where['outer']}",
        rf"created by {MOD}\.{fn}\.<locals>\.main in goroutine 1",
        rf"\t{HERE}:{where['go']}",
    ]
    assert len(block) == len(expected), info.value.dump
    for pattern, text in zip(expected, block, strict=True):
        assert re.fullmatch(pattern, text), (pattern, text)


def test_deadlock_found_by_a_goroutine_is_raised_by_run_and_dumped_in_id_order() -> None:
    def main() -> None:
        a: Chan[int] = Chan()
        go(blocked_sender, Chan[int]())  # blocks after main: it is the one that finds the deadlock
        a.recv()

    with pytest.raises(DeadlockError) as info:
        run(main)
    headers = [b.splitlines()[0] for b in info.value.dump.split("\n\n")]
    # Go prints every goroutine in allg order on deadlock: goroutine 1 first.
    assert headers == ["goroutine 1 [chan receive]:", "goroutine 2 [chan send]:"]


@pytest.mark.parametrize(
    ("op", "reason"),
    [
        (lambda: Chan[int]().send(1), "chan send"),
        (lambda: Chan[int]().recv(), "chan receive"),
        (lambda: Chan[int]().recv_ok(), "chan receive"),
        (lambda: list(Chan[int]()), "chan receive"),
        (lambda: select(recv(Chan[int]()), send(Chan[int](), 1)), "select"),
        (lambda: select(), "select (no cases)"),
        (lambda: select(send(None, 1)), "chan send (nil chan)"),
        (lambda: select(recv(None)), "chan receive (nil chan)"),
    ],
    ids=["send", "recv", "recv_ok", "range", "select", "select-no-cases", "send-nil", "recv-nil"],
)
def test_deadlock_dump_names_the_wait_reason(op: Callable[[], object], reason: str) -> None:
    def main() -> None:
        go(op)
        gosched()
        op()

    with pytest.raises(DeadlockError) as info:
        run(main)
    headers = sorted(b.splitlines()[0] for b in info.value.dump.split("\n\n"))
    assert headers == [f"goroutine 1 [{reason}]:", f"goroutine 2 [{reason}]:"]


def test_dumps_never_show_gochan_private_frames() -> None:
    def main() -> None:
        a: Chan[int] = Chan()
        go(a.send, 1)
        go(select, recv(Chan[int]()), send(Chan[int](), 1))
        go(select)
        go(select, recv(None))
        gosched()
        go(a.recv)
        go(list, Chan[int]())
        gosched()
        assert GOCHAN_DIR not in dump_goroutines()
        Chan[int]().recv()

    with pytest.raises(DeadlockError) as info:
        run(main)
    assert GOCHAN_DIR not in info.value.dump
    assert len(re.findall(r"^goroutine \d+ \[", info.value.dump, re.M)) == 5, info.value.dump


def test_dump_goroutines_shows_the_caller_running_and_unstarted_goroutines_runnable() -> None:
    where: dict[str, int] = {}

    def main() -> str:
        where["go"] = line() + 1
        go(idle)
        where["dump"] = line() + 1
        return dump_goroutines()

    dump = run(main)
    fn = "test_dump_goroutines_shows_the_caller_running_and_unstarted_goroutines_runnable"
    expected = [
        r"goroutine 1 \[running\]:",
        rf"{MOD}\.{fn}\.<locals>\.main\(\.\.\.\)",
        rf"\t{HERE}:{where['dump']}",
        r"",
        r"goroutine 2 \[runnable\]:",
        rf"{MOD}\.idle\(\.\.\.\)",
        rf"\t{HERE}:{idle.__code__.co_firstlineno}",
        rf"created by {MOD}\.{fn}\.<locals>\.main in goroutine 1",
        rf"\t{HERE}:{where['go']}",
    ]
    assert dump.endswith("\n")
    got = dump.splitlines()
    assert len(got) == len(expected), dump
    for pattern, text in zip(expected, got, strict=True):
        assert re.fullmatch(pattern, text), (pattern, text)


def test_dump_goroutines_from_a_goroutine_lists_it_first_as_running() -> None:
    def reporter(out: Chan[str]) -> None:
        out.send(dump_goroutines())

    def main() -> str | None:
        out: Chan[str] = Chan(1)
        go(reporter, out)
        return out.recv()

    dump = run(main)
    assert dump is not None
    headers = [b.splitlines()[0] for b in dump.split("\n\n")]
    assert headers == ["goroutine 2 [running]:", "goroutine 1 [chan receive]:"]


# -- the implicit scheduler -----------------------------------------------------------------------------


def test_implicit_scheduler_lets_the_test_thread_go_and_recv(implicit_scheduler: Scheduler) -> None:
    events: list[str] = []

    def worker(ch: Chan[int]) -> None:
        events.append("worker sends")
        ch.send(5)
        events.append("worker done")

    ch: Chan[int] = Chan()
    go(worker, ch)
    events.append(f"test thread got {ch.recv()}")
    gosched()
    assert events == ["worker sends", "worker done", "test thread got 5"]
    assert num_goroutine() == 1


def test_implicit_scheduler_deadlock_raises_in_the_caller(implicit_scheduler: Scheduler) -> None:
    ch: Chan[int] = Chan()
    go(blocked_sender, Chan[int]())
    with pytest.raises(DeadlockError) as info:
        ch.recv()
    assert str(info.value) == DEADLOCK
    headers = sorted(b.splitlines()[0] for b in info.value.dump.split("\n\n"))
    assert headers == ["goroutine 1 [chan receive]:", "goroutine 2 [chan send]:"]


def test_implicit_scheduler_crash_raises_in_the_caller(implicit_scheduler: Scheduler) -> None:
    go(boom)
    with pytest.raises(ValueError) as info:
        gosched()
    assert str(info.value) == "boom"
    assert info.value.__notes__[0].startswith("goroutine 2 (boom) crashed; created by ")


# -- how goroutines are called and recycled ---------------------------------------------------------


@pytest.mark.parametrize("nargs", [0, 1, 2, 3, 4, 6])
def test_goroutines_receive_every_positional_argument(nargs: int) -> None:
    def main() -> tuple[object, ...]:
        out: Chan[tuple[object, ...]] = Chan(1)

        def body(*args: object) -> None:
            out.send(args)

        go(body, *range(nargs))
        return out.recv() or ()

    assert run(main) == tuple(range(nargs))


def test_goroutines_receive_keyword_arguments_with_any_number_of_positionals() -> None:
    def main() -> list[tuple[tuple[object, ...], dict[str, object]]]:
        out: Chan[tuple[tuple[object, ...], dict[str, object]]] = Chan(3)

        def body(*args: object, **kwargs: object) -> None:
            out.send((args, kwargs))

        go(body, k=0)
        go(body, 1, k=1)
        go(body, 1, 2, 3, 4, k=2)
        return sorted((out.recv() or ((), {})) for _ in range(3))

    assert run(main) == [((), {"k": 0}), ((1,), {"k": 1}), ((1, 2, 3, 4), {"k": 2})]


def test_a_recycled_goroutine_gets_a_fresh_id_and_no_state_of_its_predecessor() -> None:
    def main() -> list[int]:
        ids: list[int] = []
        done: Chan[None] = Chan()

        def record() -> None:
            s = gochan._runtime.current_scheduler()
            ids.append(s.current.id)
            assert s.current.args == () and s.current.waitreason is None
            done.send(None)

        for _ in range(3):
            go(record)
            done.recv()  # the goroutine finishes before the next starts: its record is reused
        return ids

    assert run(main) == [2, 3, 4]


def test_a_finished_goroutine_does_not_keep_its_arguments_alive() -> None:
    import gc
    import weakref

    class Big:
        pass

    def main() -> bool:
        big = Big()
        ref = weakref.ref(big)
        done: Chan[None] = Chan()

        def use(b: Big) -> None:
            done.send(None)

        go(use, big)
        done.recv()
        gosched()  # let it finish; its greenlet goes back to the pool
        del big
        gc.collect()
        return ref() is None

    assert run(main)
