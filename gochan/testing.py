"""Go's ``testing/synctest`` for gochan: run a test in a bubble on virtual time, and wait for it to settle.

``run(fn)`` runs ``fn`` as the main goroutine of a fresh scheduler whose clock is virtual (a
*bubble*): the clock starts at 946684800.0 (midnight UTC 2000-01-01), stands still while any
goroutine can run, and jumps to the next timer when every goroutine is durably blocked. A test of
a one-hour timeout therefore runs in milliseconds, and always sees exactly one hour pass.
``wait()`` blocks until every other goroutine in the bubble is durably blocked, so a test can
assert on what they did. ``@synctest`` makes a pytest test (or any function) run in a bubble.

Rules, as in Go (``synctest.Test``/``synctest.Run``):
  - every goroutine started in the bubble belongs to it; ``run`` returns ``fn``'s result only
    after all of them have exited. Time stops when ``fn`` returns: a goroutine still blocked then
    (even in ``sleep``) is a leak, reported as DeadlockError("deadlock: main bubble goroutine has
    exited but blocked goroutines remain");
  - if every goroutine is blocked and no timer is pending, ``run`` raises
    DeadlockError("deadlock: all goroutines in bubble are blocked"), with the goroutine dump;
  - ``run`` inside a bubble raises SyncError("synctest.Run called from within a synctest bubble");
    ``wait`` outside a bubble raises SyncError("goroutine is not in a bubble"), and while another
    goroutine is in ``wait``, SyncError("wait already in progress").

"Durably blocked" means parked on anything gochan provides (channels, select, sleep and timers,
sync primitives — Go excludes ``sync.Mutex``, but here only a goroutine of the bubble can unlock
it), and on a channel that ``gochan.signal.notify`` relays to (a signal may come, or never: as in
Go, time still advances, and with no timer left the bubble waits for the signal rather than
reporting deadlock). A goroutine waiting for something outside the scheduler that is under way
(``to_thread``, a socket, a thread bridge) is not durably blocked: while one does, time does not
advance and ``wait`` does not return.

Design: the runtime does the work. A bubble is ``Scheduler(seed, virtual=True)``; its idle step
advances the virtual clock instead of sleeping, and readies the goroutine in ``wait`` (before
advancing time) once nothing else can run. Wait reasons in dumps: "synctest.Wait".
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Final, ParamSpec, TypeVar, overload

from ._runtime import Scheduler, current_scheduler, run_in, tls
from .errors import ALL_ASLEEP, DeadlockError, SyncError

__all__ = ["run", "synctest", "wait"]

T = TypeVar("T")
P = ParamSpec("P")

BUBBLE_DEADLOCK: Final = "deadlock: all goroutines in bubble are blocked"
EXITED_DEADLOCK: Final = "deadlock: main bubble goroutine has exited but blocked goroutines remain"
_NESTED: Final = "synctest.Run called from within a synctest bubble"
_NOT_IN_BUBBLE: Final = "goroutine is not in a bubble"
_WAIT_IN_PROGRESS: Final = "wait already in progress"


def run(fn: Callable[..., T], /, *args: Any, seed: int | None = None, **kwargs: Any) -> T:
    """Run ``fn(*args, **kwargs)`` in a new bubble on virtual time; return its result.

    Go: ``synctest.Test(t, f)`` (formerly ``synctest.Run(f)``). Returns once ``fn`` and every
    goroutine it started have finished. Raises DeadlockError when the bubble deadlocks (see the
    module docstring for the two texts) and re-raises an exception escaping any of its goroutines.
    ``seed`` fixes the scheduler's random choices (select), so a run can be replayed.
    """
    return _run(fn, args, kwargs, seed)


def _run(fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any], seed: int | None) -> T:
    cur = tls.sched
    if cur is not None and cur.virtual:
        raise SyncError(_NESTED)
    s = Scheduler(seed, virtual=True)
    result: T = run_in(s, _bubble_main, s, fn, args, kwargs)
    return result


def _bubble_main(s: Scheduler, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    """The bubble's main goroutine: run ``fn``, then wait for the rest of the bubble to exit."""
    try:
        result = fn(*args, **kwargs)
    except DeadlockError as e:
        if str(e) != ALL_ASLEEP or not _raised_by(e, s):
            raise  # not this bubble's deadlock (a program run inside the bubble deadlocked)
        raise DeadlockError(BUBBLE_DEADLOCK, e.dump).with_traceback(e.__traceback__) from None
    _await_exit(s)
    return result


def _raised_by(e: BaseException, s: Scheduler) -> bool:
    """Was ``e`` raised by scheduler ``s`` (its innermost frame is one of ``s``'s methods)?"""
    tb = e.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_locals.get("self") is s


def _await_exit(s: Scheduler) -> None:
    """Main has returned: wait, on stopped time, until every other goroutine has exited."""
    while s.num_goroutine() > 1:
        other = s.take_sync_waiter()  # a goroutine in wait(): main takes its place, then hands over
        s.sync_wait()
        if other is not None:
            s.ready(other)  # every goroutine but it is durably blocked (main is exiting)
            s.gosched()  # let it run until it blocks again, maybe in wait(): the slot is its
            continue
        if s.num_goroutine() > 1:
            raise DeadlockError(EXITED_DEADLOCK, s.dump())


def wait() -> None:
    """Block until every other goroutine in the current bubble is durably blocked or has exited.

    Go: ``synctest.Wait()``. Time does not advance while waiting: goroutines asleep stay asleep.
    Raises SyncError("goroutine is not in a bubble") outside a bubble and SyncError("wait
    already in progress") while another goroutine is waiting.
    """
    s = tls.sched or current_scheduler()
    if not s.virtual:
        raise SyncError(_NOT_IN_BUBBLE)
    if s.sync_waiting():
        raise SyncError(_WAIT_IN_PROGRESS)
    s.sync_wait()


@overload
def synctest(fn: Callable[P, T], /) -> Callable[P, T]: ...
@overload
def synctest(*, seed: int | None = None) -> Callable[[Callable[P, T]], Callable[P, T]]: ...


def synctest(
    fn: Callable[P, T] | None = None, /, *, seed: int | None = None
) -> Callable[P, T] | Callable[[Callable[P, T]], Callable[P, T]]:
    """Decorate a function (typically a pytest test) so that each call runs it in a new bubble.

    ``@synctest`` or ``@synctest(seed=N)``. The wrapper keeps the function's name and signature
    (``functools.wraps``), so pytest still sees, and injects, its fixtures; fixtures are set up
    outside the bubble, the test body runs inside it.
    """

    def decorate(f: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(f)
        def in_bubble(*args: P.args, **kwargs: P.kwargs) -> T:
            return _run(f, args, kwargs, seed)

        return in_bubble

    return decorate if fn is None else decorate(fn)
