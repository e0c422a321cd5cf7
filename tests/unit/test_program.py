"""A program's life: what run() frees when it returns, how a crash ends it, misuse at go()/run().

Go's rules: a panic in one goroutine cannot be recovered by another, the program dies; when main
returns the program exits, whatever other goroutines (and system calls) are doing. gochan unwinds
the goroutines (their ``finally`` blocks run) and then frees every greenlet, record and timer.
"""

from __future__ import annotations

import functools
import gc
import os
import signal
import subprocess
import sys
import textwrap
import threading
import traceback
import weakref
from collections.abc import Callable
from typing import Any

import pytest
from greenlet import GreenletExit, greenlet

import gochan.testing
from gochan import Chan, DeadlockError, after, go, gosched, new_ticker, recv, run, select, thread_bridge, to_thread
from gochan._runtime import G, RTimer, Scheduler, current_scheduler
from gochan.errgroup import Group
from gochan.errors import ProgramExit
from gochan.sync import Mutex, WaitGroup

HERE = __file__


def count(kind: type) -> int:
    """How many objects of ``kind`` the collector can see."""
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, kind))


def busy_program(leave: bool = True) -> None:
    """Goroutines (finished, parked and never started), channels, a select, an unstopped ticker."""
    wg = WaitGroup()
    out: Chan[int] = Chan(4)
    for i in range(100):
        wg.go(out.send if i % 2 else gosched, *((i,) if i % 2 else ()))
        if i % 2:
            out.recv()
    wg.wait()
    if leave:
        go(Chan[int]().recv)  # parked forever: discarded when main returns
        go(gosched)  # runnable, never run: discarded too
    new_ticker(1.0)  # never stopped
    select(recv(out), recv(after(0.0)))


# -- run() frees everything --------------------------------------------------------------------------


@pytest.mark.parametrize("runner", [run, gochan.testing.run], ids=["run", "testing.run"])
def test_nothing_of_a_program_is_reachable_after_run_returns(runner: Callable[..., object]) -> None:
    seen: list[weakref.ref[Any]] = []

    def main() -> None:
        s = current_scheduler()
        seen.append(weakref.ref(s))
        busy_program(leave=runner is run)  # a bubble must not leave goroutines behind
        seen.extend(weakref.ref(g.glet) for g in s.allg.values() if g.glet is not None and g is not s.main)
        seen.extend(weakref.ref(glet) for glet in s.free)

    runner(main)  # warm up: the thread's own greenlet object is made on first use
    seen.clear()
    greenlets, records, timers = count(greenlet), count(G), count(RTimer)
    for _ in range(3):
        runner(main)
    gc.collect()
    assert len(seen) > 3
    assert [r for r in seen if r() is not None] == []
    assert (count(greenlet), count(G), count(RTimer)) == (greenlets, records, timers)


def test_three_hundred_runs_do_not_grow_memory() -> None:
    def rss_mib() -> float:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    before = 0.0
    for i in range(300):
        run(busy_program)
        if i == 50:
            gc.collect()
            before = rss_mib()
    gc.collect()
    assert rss_mib() - before < 20.0


def test_an_unstopped_ticker_does_not_keep_its_scheduler_alive() -> None:
    refs: list[weakref.ref[Scheduler]] = []

    def main() -> None:
        refs.append(weakref.ref(current_scheduler()))
        new_ticker(1.0)

    for _ in range(100):
        run(main)
    gc.collect()
    assert sum(r() is not None for r in refs) == 0


# -- a crash ends the program ---------------------------------------------------------------------


def test_a_crash_cannot_be_caught_by_another_goroutine() -> None:
    def worker(out: Chan[int]) -> None:
        out.send(1)
        bugs: dict[str, int] = {}
        bugs["bug"] += 1  # the crash: KeyError('bug')

    def main() -> str:
        out: Chan[int] = Chan()
        go(worker, out)
        try:
            out.recv()
            return f"got {out.recv()}"
        except Exception as e:
            return f"caught {e!r}"

    with pytest.raises(KeyError) as info:
        run(main)
    assert info.value.args == ("bug",)


def test_the_crash_traceback_holds_the_crashing_goroutines_frames_and_the_note() -> None:
    def parse(text: str) -> int:
        return int(text)

    def worker() -> None:
        parse("x")

    def main() -> None:
        go(worker)
        Chan[int]().recv()

    with pytest.raises(ValueError) as info:
        run(main)
    text = "".join(traceback.format_exception(info.value))
    frames = [f.name for f in traceback.extract_tb(info.value.__traceback__)]
    assert frames[-3:] == ["worker", "parse", "int"] or frames[-2:] == ["worker", "parse"]
    assert "main" not in frames  # main's park is not where the crash happened
    assert f"goroutine 2 ({worker.__qualname__}) crashed; created by {main.__qualname__} in goroutine 1" in text


def test_a_crash_unwinds_main_and_every_goroutine_running_their_finally_blocks() -> None:
    events: list[str] = []

    class Resource:
        def __enter__(self) -> None:
            events.append("enter")

        def __exit__(self, *exc: object) -> None:
            events.append(f"exit {type(exc[1]).__name__}")

    def bystander() -> None:
        try:
            Chan[int]().recv()
        finally:
            events.append("bystander finally")

    def crasher() -> None:
        gosched()
        raise KeyError("boom")

    def main() -> None:
        go(bystander)
        go(crasher)
        with Resource():
            try:
                Chan[int]().recv()
            except Exception:
                events.append("main caught an Exception")
            finally:
                events.append("main finally")

    with pytest.raises(KeyError):
        run(main)
    assert events == ["enter", "main finally", "exit ProgramExit", "bystander finally"]


def test_main_that_swallows_the_program_exit_cannot_block_again_and_run_still_raises() -> None:
    after_swallow: list[str] = []

    def crasher() -> None:
        raise KeyError("boom")

    def main() -> str:
        go(crasher)
        try:
            gosched()
        except BaseException as e:
            after_swallow.append(type(e).__name__)
        try:
            Chan[int]().recv()
        except BaseException as e:
            after_swallow.append(type(e).__name__)
        return "finished"

    with pytest.raises(KeyError):
        run(main)
    assert after_swallow == ["ProgramExit", "GreenletExit"]


@pytest.mark.parametrize("exc", [KeyboardInterrupt, SystemExit], ids=["KeyboardInterrupt", "SystemExit"])
def test_an_interrupt_or_exit_in_a_goroutine_ends_the_program_without_a_crash_note(exc: type) -> None:
    def interrupted() -> None:
        raise exc()

    def main() -> None:
        go(interrupted)
        Chan[int]().recv()

    with pytest.raises(exc) as info:
        run(main)
    assert getattr(info.value, "__notes__", []) == []


def test_an_exception_raised_in_a_finally_while_the_program_ends_is_raised_by_run() -> None:
    def stubborn() -> None:
        try:
            Chan[int]().recv()
        finally:
            raise ValueError("cleanup failed")

    def main() -> str:
        go(stubborn)
        gosched()
        return "main done"

    with pytest.raises(ValueError) as info:
        run(main)
    assert info.value.args == ("cleanup failed",)
    (note,) = info.value.__notes__
    assert note.startswith(f"goroutine 2 ({stubborn.__qualname__}) crashed while the program was ending; created by ")


def test_an_exception_raised_in_a_finally_during_a_crash_is_attached_to_the_crash() -> None:
    def stubborn() -> None:
        try:
            Chan[int]().recv()
        finally:
            raise ValueError("cleanup failed")

    def crasher() -> None:
        raise KeyError("boom")

    def main() -> None:
        go(stubborn)
        gosched()
        go(crasher)
        try:
            Chan[int]().recv()
        finally:
            raise OSError("main cleanup failed")

    with pytest.raises(KeyError) as info:
        run(main)
    notes = info.value.__notes__
    assert len(notes) == 3
    assert notes[0].startswith("goroutine 3 (")
    assert notes[1].startswith("goroutine 1 (main) also raised while the program was ending:\n")
    assert "OSError: main cleanup failed" in notes[1]
    assert notes[2].startswith(f"goroutine 2 ({stubborn.__qualname__}) also raised while the program was ending:\n")
    assert "ValueError: cleanup failed" in notes[2]


@pytest.mark.parametrize("receiver_first", [True, False], ids=["receiver-started-first", "sender-started-first"])
def test_a_value_sent_from_a_finally_is_not_handed_to_a_discarded_goroutine(receiver_first: bool) -> None:
    events: list[str] = []
    out: Chan[int] = Chan()

    def receiver() -> None:
        events.append(f"received {out.recv()}")

    def receiver_select() -> None:
        events.append(f"selected {select(recv(out), recv(Chan[int]()))}")

    def sender() -> None:
        try:
            Chan[int]().recv()
        finally:
            try:
                out.send(7)
                events.append("sent")
            except GreenletExit:
                events.append("send refused")

    def main() -> None:
        order = [receiver, receiver_select, sender] if receiver_first else [sender, receiver, receiver_select]
        for fn in order:
            go(fn)
        gosched()

    run(main)
    assert events == ["send refused"]


def test_a_lock_released_in_a_finally_while_the_program_ends_lets_the_unwinding_go_on() -> None:
    events: list[str] = []
    mu = Mutex()
    locked: Chan[None] = Chan()

    def holder() -> None:
        try:
            with mu:
                locked.send(None)
                Chan[int]().recv()
        finally:
            events.append("holder unwound past its unlock")

    def waiter() -> None:
        try:
            mu.lock()
        finally:
            events.append("waiter unwound")

    def main() -> None:
        go(holder)
        locked.recv()
        go(waiter)
        gosched()

    run(main)
    assert events == ["holder unwound past its unlock", "waiter unwound"]
    assert repr(mu) == "<Mutex unlocked waiters=0>"


# -- misuse at the call -------------------------------------------------------------------------


@pytest.mark.parametrize("runner", [run, gochan.testing.run], ids=["run", "testing.run"])
def test_run_inside_a_running_program_is_refused_with_the_ways_out(runner: Callable[..., object]) -> None:
    others: list[str] = []

    def main() -> str:
        go(others.append, "the program went on")
        with pytest.raises(RuntimeError, match=r"^run called inside a running program \(from goroutine 1\)"):
            runner(lambda: "inner")
        return str(to_thread(run, lambda: "inner on its own thread"))

    assert run(main) == "inner on its own thread"
    assert others == ["the program went on"]



def two(a: int, b: int) -> None:
    pass


async def coroutine_fn() -> None:
    pass


class Worker:
    def work(self, n: int) -> None:
        pass


BAD_CALLS: list[tuple[str, Any, tuple[Any, ...], dict[str, Any], str]] = [
    ("not callable", 42, (), {}, r"^go: 42 is not callable; pass a function and its arguments: go\(fn, \*args\)$"),
    ("too few", two, (1,), {}, r"^go: two\(a, b\) cannot be called with these arguments: missing a"),
    ("too many", two, (1, 2, 3), {}, r"too many positional arguments$"),
    ("bad keyword", two, (1, 2), {"c": 3}, r"got an unexpected keyword argument 'c'$"),
    ("method", Worker().work, (), {}, r"^go: Worker\.work\(n\) cannot be called"),
    ("async", coroutine_fn, (), {}, r"^go: coroutine_fn is an async function; goroutines are plain functions"),
    ("async partial", functools.partial(coroutine_fn), (), {}, r"is an async function"),
]


@pytest.mark.parametrize(("fn", "args", "kwargs", "match"), [c[1:] for c in BAD_CALLS], ids=[c[0] for c in BAD_CALLS])
def test_go_rejects_a_call_that_cannot_run_at_the_call(
    fn: Callable[..., object], args: tuple[Any, ...], kwargs: dict[str, Any], match: str
) -> None:
    started: list[str] = []

    def main() -> None:
        with pytest.raises(TypeError, match=match):
            go(fn, *args, **kwargs)
        gosched()
        started.append("main went on")

    run(main)
    assert started == ["main went on"]


@pytest.mark.parametrize(
    "start",
    [
        lambda fn, *a: WaitGroup().go(fn, *a),
        lambda fn, *a: Group().go(fn, *a),
        lambda fn, *a: Group().try_go(fn, *a),
    ],
    ids=["WaitGroup.go", "Group.go", "Group.try_go"],
)
def test_every_way_to_start_a_goroutine_checks_the_call(start: Callable[..., object]) -> None:
    def main() -> None:
        with pytest.raises(TypeError, match=r"cannot be called with these arguments"):
            start(two, 1)
        with pytest.raises(TypeError, match=r"is an async function"):
            start(coroutine_fn)

    run(main)


def test_run_rejects_an_async_main_and_bad_arguments() -> None:
    with pytest.raises(TypeError, match=r"^run: coroutine_fn is an async function"):
        refused: object = run(coroutine_fn)  # the point: an async main is refused at the call
        assert refused is None  # not reached
    with pytest.raises(TypeError, match=r"^run: two\(a, b\) cannot be called"):
        run(two, 1)


def test_calls_that_fit_are_accepted_by_every_path() -> None:
    got: list[object] = []

    def defaults(a: int, b: int = 2, *rest: int) -> None:
        got.append((a, b, rest))

    def main() -> None:
        go(defaults, 1)
        go(defaults, 1, 5)
        go(defaults, 1, 5, 6, 7)
        go(functools.partial(defaults, 9))
        go(got.append, "builtin")
        go(print, end="")
        gosched()

    run(main)
    assert sorted(map(str, got)) == sorted(map(str, [(1, 2, ()), (1, 5, ()), (1, 5, (6, 7)), (9, 2, ()), "builtin"]))


# -- threads -------------------------------------------------------------------------------------


def test_a_channel_shared_by_the_schedulers_of_two_threads_raises_a_clear_error() -> None:
    ch: Chan[int] = Chan()
    errors: list[str] = []
    parked = threading.Event()

    def other_thread(bridge: gochan.ThreadBridge) -> None:
        parked.wait()
        try:
            run(ch.send, 1)
        except RuntimeError as e:
            errors.append(str(e))
        finally:
            bridge.close()

    def main() -> None:
        bridge = thread_bridge()
        t = threading.Thread(target=other_thread, args=(bridge,))
        t.start()
        go(parked.set)  # runs once main is parked in recv
        try:
            with pytest.raises(DeadlockError):  # the receiver was taken off the queue, never woken
                ch.recv()
        finally:
            to_thread(t.join)

    run(main)
    (message,) = errors
    assert message.startswith("a goroutine was woken from another OS thread than its scheduler's")
    assert "gochan.thread_bridge()" in message


def test_main_returning_abandons_a_running_to_thread_call_as_go_does() -> None:
    started = threading.Event()
    release = threading.Event()
    failsafe = threading.Timer(30.0, release.set)
    failsafe.start()

    def blocked() -> None:
        started.set()
        release.wait()

    def main() -> None:
        go(to_thread, blocked)
        to_thread(started.wait)

    try:
        run(main)
        returned_while_running = not release.is_set()
    finally:
        release.set()
        failsafe.cancel()
    assert returned_while_running


def run_script(code: str, *, interrupt_after: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter; SIGINT it once it prints ``interrupt_after``."""
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    if interrupt_after is not None:
        assert proc.stdout.readline().strip() == interrupt_after
        proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=60)  # a bound on a hang, not a measure of speed
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"the program hung:\n{err}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_ctrl_c_during_a_to_thread_call_exits_without_hanging_and_is_no_crash() -> None:
    done = run_script(
        """
        import time
        from gochan import Chan, go, run, to_thread

        def sleeper() -> None:
            print("ready", flush=True)
            to_thread(time.sleep, 1000)

        def main() -> None:
            go(sleeper)
            Chan().recv()

        run(main)
        """,
        interrupt_after="ready",
    )
    assert done.returncode != 0
    assert done.stderr.rstrip().endswith("KeyboardInterrupt")
    assert "crashed" not in done.stderr


def test_idle_syscall_threads_exit_once_no_program_uses_them() -> None:
    done = run_script(
        """
        import threading
        from gochan import go, run, to_thread
        from gochan.sync import WaitGroup

        def main() -> None:
            wg = WaitGroup()
            barrier = threading.Barrier(4)
            for _ in range(4):
                wg.go(to_thread, barrier.wait)
            wg.wait()

        run(main)
        pool = [t for t in threading.enumerate() if t.name.startswith("gochan-syscall")]
        for t in pool:
            t.join(timeout=30)
        print(len(pool), sum(t.is_alive() for t in pool))
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["4", "0"]


def test_to_thread_passes_results_and_exceptions_back() -> None:
    def main() -> tuple[int, str]:
        n = to_thread(sum, [1, 2, 3])
        try:
            to_thread(int, "x")
        except ValueError as e:
            return n, str(e)
        return n, "no error"

    assert run(main) == (6, "invalid literal for int() with base 10: 'x'")


def test_program_exit_is_not_an_exception() -> None:
    assert not issubclass(ProgramExit, Exception)
