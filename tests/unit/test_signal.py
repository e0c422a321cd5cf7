"""gochan.signal: Go's os/signal — delivery as a non-blocking send, stop, ignore, reset, handlers restored.

Signals are sent with ``os.kill(os.getpid(), sig)``. CPython runs the Python handler before
``os.kill`` returns when the signal is for the calling process (it checks for pending signals right
after the syscall), so the delivery is queued on the scheduler by then; ``flush()`` waits until the
scheduler has run everything queued so far. Nothing here sleeps.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

import pytest

import gochan
import gochan.testing
from gochan import Chan, ClosedChannelError, DeadlockError, context, run
from gochan import signal as gosignal
from gochan._runtime import Scheduler, current_scheduler

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="needs POSIX signals")

USR1 = signal.SIGUSR1
USR2 = signal.SIGUSR2
WATCHED = (signal.SIGUSR1, signal.SIGUSR2, signal.SIGINT, signal.SIGTERM)


@pytest.fixture(autouse=True)
def clean_signals() -> Iterator[None]:
    """Every test leaves gochan.signal empty and the process's handlers as it found them."""
    before = {s: signal.getsignal(s) for s in WATCHED}
    yield
    gosignal.reset()
    assert not gosignal._subs and not gosignal._handled
    assert {s: signal.getsignal(s) for s in WATCHED} == before


@contextmanager
def recording_handler(sig: int) -> Iterator[list[int]]:
    """A plain Python handler for ``sig`` that records what it gets (restored afterwards)."""
    got: list[int] = []

    def h(signum: int, frame: FrameType | None) -> None:
        got.append(signum)

    prev = signal.signal(sig, h)
    try:
        yield got
    finally:
        signal.signal(sig, prev)


def kill(sig: int) -> None:
    os.kill(os.getpid(), sig)


def flush() -> None:
    """Wait until the scheduler has run every callback queued so far (deliveries included)."""
    done: Chan[None] = Chan(1)

    def mark() -> None:
        done.try_send(None)

    current_scheduler().call_soon_threadsafe(mark)
    done.recv()


def drain(ch: Chan[signal.Signals]) -> list[signal.Signals]:
    out: list[signal.Signals] = []
    while (r := ch.try_recv()) is not None:
        v, ok = r
        assert ok and v is not None
        out.append(v)
    return out


# -- delivery -----------------------------------------------------------------------------------------


def test_notify_delivers_the_signal_as_a_signals_value() -> None:
    def main() -> object:
        ch: Chan[signal.Signals] = Chan(1)
        gosignal.notify(ch, USR1)
        kill(USR1)
        v = ch.recv()
        gosignal.stop(ch)
        return v

    v = run(main)
    assert v is USR1
    assert isinstance(v, signal.Signals)


def test_a_signal_that_finds_the_channel_full_is_dropped() -> None:
    def main() -> list[signal.Signals]:
        ch: Chan[signal.Signals] = Chan(1)
        gosignal.notify(ch, USR1, USR2)
        kill(USR1)
        kill(USR2)  # the buffer already holds USR1: dropped, as Go drops it
        kill(USR1)
        flush()
        got = drain(ch)
        gosignal.stop(ch)
        return got

    assert run(main) == [USR1]


def test_an_unbuffered_channel_without_a_waiting_receiver_drops_the_signal() -> None:
    def main() -> list[signal.Signals]:
        ch: Chan[signal.Signals] = Chan()
        gosignal.notify(ch, USR1)
        kill(USR1)
        flush()
        got = drain(ch)
        gosignal.stop(ch)
        return got

    assert run(main) == []


def test_each_notified_channel_gets_its_own_copy_and_notify_again_adds_signals() -> None:
    def main() -> tuple[list[signal.Signals], list[signal.Signals]]:
        a: Chan[signal.Signals] = Chan(4)
        b: Chan[signal.Signals] = Chan(4)
        gosignal.notify(a, USR1)
        gosignal.notify(b, USR1)
        gosignal.notify(b, USR2)  # adds to b's signals
        kill(USR1)
        kill(USR2)
        flush()
        got = drain(a), drain(b)
        gosignal.stop(a)
        gosignal.stop(b)
        return got

    assert run(main) == ([USR1], [USR1, USR2])


def test_notify_with_no_signals_relays_every_catchable_signal() -> None:
    catchable = gosignal.catchable()
    assert {USR1, USR2, signal.SIGINT, signal.SIGTERM, signal.SIGHUP} <= catchable
    assert not {signal.SIGKILL, signal.SIGSTOP, signal.SIGSEGV, signal.SIGBUS} & catchable
    before = {s: signal.getsignal(s) for s in catchable}

    def main() -> list[signal.Signals]:
        ch: Chan[signal.Signals] = Chan(4)
        gosignal.notify(ch)
        assert all(signal.getsignal(s) is gosignal._handler for s in catchable)
        kill(USR2)
        kill(signal.SIGINT)  # no KeyboardInterrupt: relayed instead
        flush()
        got = drain(ch)
        gosignal.stop(ch)
        return got

    assert run(main) == [USR2, signal.SIGINT]
    assert {s: signal.getsignal(s) for s in catchable} == before


def test_a_goroutine_waiting_for_a_signal_is_woken_from_the_idle_scheduler() -> None:
    def main() -> object:
        ch: Chan[signal.Signals] = Chan(1)
        gosignal.notify(ch, USR1)
        killer = threading.Thread(target=kill_when_idle, args=(current_scheduler(), USR1))
        killer.start()
        v = ch.recv()  # nothing else can run: the scheduler waits for the signal
        killer.join()
        gosignal.stop(ch)
        return v

    assert run(main) is USR1


def kill_when_idle(s: Scheduler, sig: int) -> None:
    """From another thread: send ``sig`` once the scheduler is idle (so not reporting deadlock)."""
    deadline = time.monotonic() + 5
    while not s.idling:
        assert time.monotonic() < deadline, "the scheduler never went idle"
        time.sleep(0)  # yield the GIL
    kill(sig)


# -- stop, outstanding, deadlock ------------------------------------------------------------------------


def test_stop_drops_a_delivery_already_queued_and_restores_the_previous_handler() -> None:
    with recording_handler(USR1) as plain:

        def main() -> list[signal.Signals]:
            ch: Chan[signal.Signals] = Chan(4)
            gosignal.notify(ch, USR1)
            kill(USR1)  # handled: a delivery is queued on the scheduler ...
            gosignal.stop(ch)  # ... and stop is final for it
            flush()
            kill(USR1)  # the plain handler is back
            flush()
            return drain(ch)

        assert run(main) == []
        assert plain == [USR1]


def test_stop_of_a_channel_never_notified_does_nothing() -> None:
    def main() -> None:
        gosignal.stop(Chan(1))

    run(main)


def test_each_notified_channel_counts_once_as_a_hold_until_stopped() -> None:
    def main() -> list[int]:
        s = current_scheduler()
        a: Chan[signal.Signals] = Chan(1)
        b: Chan[signal.Signals] = Chan(1)
        counts = [s.listening]
        gosignal.notify(a, USR1, USR2)
        gosignal.notify(a, signal.SIGTERM)
        counts.append(s.listening)
        gosignal.notify(b, USR1)
        counts.append(s.listening)
        gosignal.stop(a)
        gosignal.stop(a)
        counts.append(s.listening)
        gosignal.stop(b)
        counts.append(s.listening)
        return counts

    assert run(main) == [0, 1, 2, 1, 0]


def test_deadlock_is_reported_again_once_the_channel_is_stopped() -> None:
    def main() -> None:
        ch: Chan[signal.Signals] = Chan(1)
        gosignal.notify(ch, USR1)
        gosignal.stop(ch)
        ch.recv()

    with pytest.raises(DeadlockError, match=r"^all goroutines are asleep - deadlock!\n"):
        run(main)


def test_the_replaced_handler_comes_back_only_when_the_last_channel_stops() -> None:
    with recording_handler(USR1) as plain:
        plain_handler = signal.getsignal(USR1)

        def main() -> list[object]:
            a: Chan[signal.Signals] = Chan(1)
            b: Chan[signal.Signals] = Chan(1)
            gosignal.notify(a, USR1)
            gosignal.notify(b, USR1)
            seen: list[object] = []
            gosignal.stop(a)
            seen.append(signal.getsignal(USR1))
            gosignal.stop(b)
            seen.append(signal.getsignal(USR1))
            return seen

        assert run(main) == [gosignal._handler, plain_handler]
        assert plain == []


# -- ignore, reset, ignored -------------------------------------------------------------------------------


def test_ignore_undoes_notify_and_reset_restores_the_original_handler() -> None:
    def main() -> tuple[list[signal.Signals], bool, int]:
        s = current_scheduler()
        ch: Chan[signal.Signals] = Chan(4)
        gosignal.notify(ch, USR1)
        gosignal.ignore(USR1)
        kill(USR1)  # ignored: the process is not terminated and ch gets nothing
        flush()
        return drain(ch), gosignal.ignored(USR1), s.listening

    got, was_ignored, outstanding = run(main)
    assert got == []
    assert was_ignored
    assert outstanding == 0  # ch wants no signal any more: it no longer counts
    gosignal.reset(USR1)
    assert not gosignal.ignored(USR1)
    assert signal.getsignal(USR1) == signal.SIG_DFL


def test_ignore_keeps_a_channels_other_signals() -> None:
    def main() -> list[signal.Signals]:
        ch: Chan[signal.Signals] = Chan(4)
        gosignal.notify(ch, USR1, USR2)
        gosignal.ignore(USR1)
        kill(USR1)
        kill(USR2)
        flush()
        got = drain(ch)
        gosignal.stop(ch)
        return got

    assert run(main) == [USR2]
    assert gosignal.ignored(USR1)  # stop does not undo ignore; reset does (fixture)


def test_reset_undoes_notify_for_the_given_signals() -> None:
    def main() -> tuple[list[signal.Signals], object]:
        ch: Chan[signal.Signals] = Chan(4)
        gosignal.notify(ch, USR1, USR2)
        gosignal.reset(USR1)
        handler = signal.getsignal(USR1)
        kill(USR2)
        flush()
        got = drain(ch)
        gosignal.stop(ch)
        return got, handler

    assert run(main) == ([USR2], signal.SIG_DFL)


def test_ignored_sees_sig_ign_set_outside_gochan() -> None:
    prev = signal.signal(USR2, signal.SIG_IGN)
    try:
        assert gosignal.ignored(USR2)
    finally:
        signal.signal(USR2, prev)
    assert not gosignal.ignored(USR2)


# -- misuse and programs that end --------------------------------------------------------------------------


def test_notify_off_the_main_thread_raises_a_clear_error() -> None:
    errors: list[BaseException] = []

    def main() -> None:
        gosignal.notify(Chan(1), USR1)

    def thread() -> None:
        try:
            run(main)
        except BaseException as e:
            errors.append(e)

    t = threading.Thread(target=thread)
    t.start()
    t.join()
    assert len(errors) == 1
    assert isinstance(errors[0], RuntimeError)
    assert str(errors[0]) == (
        "signal.notify must be called from the main thread: Python runs signal handlers only there; "
        "call it from a program started on the main thread"
    )


@pytest.mark.parametrize("op", [gosignal.ignore, gosignal.reset])
def test_ignore_and_reset_off_the_main_thread_raise(op: Callable[..., None]) -> None:
    errors: list[BaseException] = []

    def thread() -> None:
        try:
            op(USR1)
        except BaseException as e:
            errors.append(e)

    t = threading.Thread(target=thread)
    t.start()
    t.join()
    assert [type(e) for e in errors] == [RuntimeError]
    assert str(errors[0]).startswith(f"signal.{op.__name__} must be called from the main thread")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGSTOP])
def test_notify_of_an_uncatchable_signal_raises(sig: signal.Signals) -> None:
    with pytest.raises(ValueError, match=rf"^signal: {sig.name} cannot be caught, ignored or reset$"):
        gosignal.notify(Chan(1), sig)
    assert not gosignal._subs


def test_notify_of_an_unknown_signal_number_raises() -> None:
    with pytest.raises(ValueError, match=r"^signal: unknown signal number 4242$"):
        gosignal.notify(Chan(1), 4242)


def test_a_subscription_dies_with_its_program_and_the_replaced_handler_gets_the_signal() -> None:
    with recording_handler(USR1) as plain:

        def main() -> None:
            gosignal.notify(Chan(1), USR1)  # never stopped, as Go programs often do

        run(main)
        kill(USR1)
        assert plain == [USR1]
        assert signal.getsignal(USR1) is not gosignal._handler
        assert not gosignal._subs


def test_a_signal_for_a_closed_channel_crashes_the_program_as_go_does() -> None:
    def main() -> None:
        ch: Chan[signal.Signals] = Chan(1)
        gosignal.notify(ch, USR1)
        ch.close()  # without stop: a bug
        kill(USR1)
        Chan[int]().recv()

    with pytest.raises(ClosedChannelError) as info:
        run(main)
    assert str(info.value) == "send on closed channel"
    notes = "\n".join(info.value.__notes__)
    assert "a channel given to signal.notify was closed without signal.stop(ch)" in notes
    assert re.search(r"created by .*main in goroutine 0 at " + re.escape(__file__), notes), notes


def test_signals_keep_working_in_the_implicit_scheduler(implicit_scheduler: Scheduler) -> None:
    ch: Chan[signal.Signals] = Chan(1)
    gosignal.notify(ch, USR2)
    kill(USR2)
    assert ch.recv() is USR2
    gosignal.stop(ch)
    assert implicit_scheduler.listening == 0


# -- notify_context --------------------------------------------------------------------------------


def test_notify_context_is_cancelled_when_the_signal_arrives() -> None:
    from gochan import context

    def main() -> tuple[bool, bool, object]:
        ctx, stop = gosignal.notify_context(context.background(), USR1)
        done = ctx.done()
        assert done is not None
        before = done.try_recv() is not None
        kill(USR1)
        done.recv()  # the watcher goroutine cancels the context on delivery
        stop()
        return before, ctx.err() is context.CANCELED, signal.getsignal(USR1)

    prev = signal.getsignal(USR1)
    before, canceled, handler_after_stop = run(main)
    assert (before, canceled) == (False, True)
    assert handler_after_stop == prev


def test_notify_context_stop_cancels_and_unregisters() -> None:
    from gochan import context

    def main() -> None:
        ctx, stop = gosignal.notify_context(context.background(), USR2)
        assert ctx.err() is None
        stop()
        assert ctx.err() is context.CANCELED
        assert not gosignal._subs  # unregistered: nothing keeps the program alive any more
        ch: Chan[int] = Chan()
        ch.recv()  # so this is a deadlock again, not a wait for signals

    with pytest.raises(DeadlockError):
        run(main)


def test_notify_context_follows_its_parent_and_works_as_a_with_block() -> None:
    from gochan import context

    def main() -> list[object]:
        parent, cancel = context.with_cancel(context.background())
        with gosignal.notify_context(parent, USR1) as (ctx, _stop):
            cancel()
            done = ctx.done()
            assert done is not None
            done.recv()
            errs: list[object] = [ctx.err()]
        errs.append(bool(gosignal._subs))  # the with block's exit called stop
        return errs

    assert run(main) == [context.CANCELED, False]


# -- a signal the kernel hands to another thread ------------------------------------------------------


def test_a_signal_delivered_to_another_thread_ends_the_idle_wait_at_once() -> None:
    from gochan import after, recv, select

    def main() -> str:
        ch: Chan[signal.Signals] = Chan(1)
        gosignal.notify(ch, USR1)
        s = current_scheduler()

        def shoot() -> None:  # aimed at this thread: the main thread stays blocked in epoll
            deadline = time.monotonic() + 5
            while not s.idling:
                assert time.monotonic() < deadline, "the scheduler never went idle"
                time.sleep(0)  # yield the GIL
            signal.pthread_kill(threading.get_ident(), USR1)

        shooter = threading.Thread(target=shoot)
        shooter.start()
        try:
            # Without the wake-up fd the idle wait would only end at this timer, 30 s later.
            match select(recv(ch), recv(after(30.0))):
                case (0, sig, True):
                    return f"got {sig!r}"
                case _:
                    return "the idle wait ran to its timer"
        finally:
            shooter.join()
            gosignal.stop(ch)

    assert run(main) == f"got {USR1!r}"


def test_the_signal_wakeup_fd_is_restored_when_a_program_ends() -> None:
    before = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(before)

    def main() -> bool:
        current_scheduler().get_poller()
        mine = signal.set_wakeup_fd(-1)
        signal.set_wakeup_fd(mine)
        return mine == current_scheduler().get_poller().wake_w.fileno()

    assert run(main)
    after_run = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(after_run)
    assert after_run == before


# -- virtual time: a subscription is a durable hold ------------------------------------------------


def test_a_bubble_with_notify_active_still_jumps_its_clock_to_the_next_timer() -> None:
    # Go's synctest: a goroutine waiting on a signal channel is durably blocked, so time advances.
    def main() -> float:
        ch: Chan[signal.Signals] = Chan(1)
        gosignal.notify(ch, USR1)
        t0 = gochan.now()
        gochan.sleep(5)
        elapsed = gochan.now() - t0
        gosignal.stop(ch)
        return elapsed

    assert gochan.testing.run(main) == 5.0


def test_a_bubble_with_notify_context_active_still_jumps_its_clock_to_the_next_timer() -> None:
    def main() -> float:
        with gosignal.notify_context(context.background(), USR1) as (ctx, _stop):
            t0 = gochan.now()
            i, _, _ = gochan.select(gochan.recv(ctx.done()), gochan.recv(gochan.after(5)))
            assert i == 1
            return gochan.now() - t0

    assert gochan.testing.run(main) == 5.0


def test_a_bubble_with_only_a_signal_subscription_waits_for_the_signal_not_deadlock() -> None:
    def main() -> signal.Signals | None:
        ch: Chan[signal.Signals] = Chan(1)
        gosignal.notify(ch, USR1)
        killer = threading.Thread(target=kill_when_idle, args=(current_scheduler(), USR1))
        killer.start()
        v = ch.recv()  # no timer, nothing runnable: the bubble waits for the signal
        killer.join()
        gosignal.stop(ch)
        return v

    assert gochan.testing.run(main) is USR1
