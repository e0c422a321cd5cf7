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

import contextlib
import functools
import random
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from os import PathLike
from typing import TYPE_CHECKING, Any, Final, ParamSpec, TypeVar, final, overload

from . import _chan as _chan_mod
from . import _select as _select_mod
from ._chan import Chan
from ._runtime import Chooser, G, Scheduler, current_scheduler, run_in, tls, trace_path, tracing
from .errors import ALL_ASLEEP, DeadlockError, LeakError, SyncError

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = [
    "LeakError",
    "PCTSchedule",
    "Schedule",
    "check_leaks",
    "explore_pct",
    "run",
    "run_test",
    "schedules",
    "synctest",
    "wait",
]

T = TypeVar("T")
P = ParamSpec("P")

BUBBLE_DEADLOCK: Final = "deadlock: all goroutines in bubble are blocked"
EXITED_DEADLOCK: Final = "deadlock: main bubble goroutine has exited but blocked goroutines remain"
_NESTED: Final = "synctest.Run called from within a synctest bubble"
_NOT_IN_BUBBLE: Final = "goroutine is not in a bubble"
_WAIT_IN_PROGRESS: Final = "wait already in progress"


def run(
    fn: Callable[..., T],
    /,
    *args: Any,
    seed: int | None = None,
    trace: str | PathLike[str] | None = None,
    **kwargs: Any,
) -> T:
    """Run ``fn(*args, **kwargs)`` in a new bubble on virtual time; return its result.

    Go: ``synctest.Test(t, f)`` (formerly ``synctest.Run(f)``). Returns once ``fn`` and every
    goroutine it started have finished. Raises DeadlockError when the bubble deadlocks (see the
    module docstring for the two texts) and re-raises an exception escaping any of its goroutines.
    ``seed`` fixes the scheduler's random choices (select), so a run can be replayed. ``trace``
    (or ``$GOCHAN_TRACE``): write the execution trace there, timed on the bubble's virtual clock
    (``gochan.trace``).
    """
    return _run(fn, args, kwargs, seed, trace)


def _run(
    fn: Callable[..., T],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    seed: int | None,
    trace: str | PathLike[str] | None = None,
) -> T:
    cur = tls.sched
    if cur is not None and cur.virtual:
        raise SyncError(_NESTED)
    s = Scheduler(seed, virtual=True)
    with tracing(s, trace_path(trace), fn):
        result: T = run_in(s, _bubble_main, s, fn, args, kwargs)
    return result


def _bubble_main(s: Scheduler, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    """The bubble's main goroutine: run ``fn``, then wait for the rest of the bubble to exit."""
    try:
        result = fn(*args, **kwargs)
    except DeadlockError as e:
        if str(e) != ALL_ASLEEP or not _raised_by(e, s):
            raise  # not this bubble's deadlock (a program run inside the bubble deadlocked)
        raise _bubble_deadlock(e) from None
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


# -- leak checks (uber-go/goleak) --------------------------------------------------------------------

_SETTLE_ROUNDS: Final = 10_000  # yields main makes for the other goroutines to finish or block


def check_leaks() -> None:
    """Fail with LeakError if goroutines other than the caller (main) remain (goleak's ``VerifyNone``).

    First every runnable goroutine runs until it exits or blocks (in a bubble: until every
    goroutine is durably blocked; time does not advance); a goroutine then still alive, blocked
    or runnable, has leaked. Call it at the end of a program's main goroutine.
    """
    s = tls.sched or current_scheduler()
    if s.virtual:
        if s.num_goroutine() > 1 and not s.sync_waiting():
            s.sync_wait()
    else:
        for _ in range(_SETTLE_ROUNDS):
            if s.num_goroutine() == 1 or not s.runnable():
                break
            s.gosched()
    if s.num_goroutine() > 1:
        blocks = s.dump().rstrip("\n").split("\n\n")
        leaked = [b for b in blocks if not b.startswith(f"goroutine {s.current.id} [")]
        graph = s.wait_graph()
        report = "\n\n".join(leaked) + "\n" + (f"\n{graph}" if graph else "")
        raise LeakError(f"found unexpected goroutines:\n{report}")


def run_test(
    fn: Callable[..., T],
    args: tuple[Any, ...] = (),
    kwargs: dict[str, Any] | None = None,
    *,
    seed: int | None = None,
    virtual: bool = False,
    leaks: bool = True,
    chooser: Chooser | None = None,
) -> T:
    """Run a test body as a program's main goroutine, then check for leaked goroutines.

    The pytest plugin's engine (``@pytest.mark.gochan``). ``virtual``: in a bubble on virtual
    time (else a plain ``run``); ``leaks``: :func:`check_leaks` after ``fn`` returns (when False,
    goroutines still alive are discarded, as ``run`` does); ``chooser``: the scheduling
    decisions (schedule exploration). Raises what ``fn`` raises, DeadlockError, LeakError.
    """
    cur = tls.sched
    if virtual and cur is not None and cur.virtual:
        raise SyncError(_NESTED)
    s = Scheduler(seed, virtual=virtual)
    if chooser is not None:
        s.control(chooser)
    result: T = run_in(s, _test_main, s, fn, args, kwargs or {}, leaks=leaks, chooser=chooser)
    return result


def _test_main(
    s: Scheduler, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any], *, leaks: bool, chooser: object
) -> T:
    with _yields(chooser):
        if s.virtual:
            try:
                result = fn(*args, **kwargs)
            except DeadlockError as e:
                if str(e) != ALL_ASLEEP or not _raised_by(e, s):
                    raise
                raise _bubble_deadlock(e) from None
        else:
            result = fn(*args, **kwargs)
        if leaks:
            check_leaks()
    return result


def _bubble_deadlock(e: DeadlockError) -> DeadlockError:
    """The bubble's DeadlockError for the runtime's ``e``, keeping ``e``'s traceback and wait graph."""
    err = DeadlockError(BUBBLE_DEADLOCK, e.dump).with_traceback(e.__traceback__)
    for note in getattr(e, "__notes__", [])[1:]:
        err.add_note(note)
    return err


# -- schedule exploration (loom, shuttle) --------------------------------------------------------------
#
# Design. The scheduler makes three kinds of choices; a controlled run hands every one of them to a
# Schedule (Scheduler.control): which runnable goroutine runs next (pick, among runnext and the run
# queue in the order the scheduler would take them, so choice 0 is the default schedule), what
# select's random draws return (a ready case, the order of one select's records on a channel), and,
# at every channel send, receive and close, whether to yield first (so a buffered send or a receive
# from a full buffer, which never park, are scheduling points too). Each choice is an integer drawn
# from a source: hypothesis (shrinks towards 0: towards the default schedule, with fewer yields), a
# recorded list (replay; past its end every choice is 0), or PCT. The Schedule records them all, and
# its repr is the call that replays them.
#
# Cost when off: nothing on any hot path. Scheduling decisions reach the chooser because a controlled
# scheduler keeps its hand-off count at the limit, so every pick goes through _findrunnable; select's
# draws go through the scheduler's ``rand``, which control() rebinds; the yields are wrappers put on
# Chan's methods only while a controlled run is under way on some thread.

RAND_STEPS: Final = 256  # select's draws: an integer k in [0, RAND_STEPS) stands for k / RAND_STEPS
MAX_CHOICES: Final = 5_000  # choices drawn per run; past it every choice is 0 (the default schedule)


class Schedule:
    """Every scheduling decision of one controlled run, drawn from a source and recorded.

    Build one with :func:`schedules` (hypothesis), :meth:`replay` (a recorded list) or
    :func:`explore_pct`; run a program under it with :meth:`run`. ``choices`` is what it decided;
    ``repr()`` is ``Schedule.replay([...])``, which replays the run exactly.
    """

    def __init__(
        self, source: Callable[[int], int], *, yields: bool = True, max_choices: int = MAX_CHOICES
    ) -> None:
        self._source = source
        self.yields = yields
        self.max_choices = max_choices
        self.choices: list[int] = []

    @classmethod
    def replay(cls, choices: Sequence[int], *, yields: bool = True) -> Schedule:
        """The schedule that makes ``choices`` (a recorded run's ``choices``), then the defaults."""
        it = iter(list(choices))
        return cls(lambda n: min(next(it, 0), n - 1), yields=yields, max_choices=len(choices))

    def choose(self, n: int) -> int:
        """A choice in ``range(n)``, recorded."""
        if len(self.choices) >= self.max_choices:
            return 0
        c = self._source(n) if n > 1 else 0
        self.choices.append(c)
        return c

    def pick(self, runnable: Sequence[G], /) -> int:
        """Which runnable goroutine runs next (Chooser protocol)."""
        return self.choose(len(runnable))

    def rand(self) -> float:
        """Select's random draw (Chooser protocol)."""
        return self.choose(RAND_STEPS) / RAND_STEPS

    def yield_here(self) -> bool:
        """Whether to yield before a channel operation."""
        return self.yields and self.choose(2) == 1

    def run(self, fn: Callable[..., T], /, *args: Any, virtual: bool = False, leaks: bool = False, **kwargs: Any) -> T:
        """Run ``fn(*args, **kwargs)`` as a program's main goroutine under this schedule.

        ``virtual``: in a bubble; ``leaks``: fail with LeakError on goroutines left behind.
        """
        self.choices.clear()
        return run_test(fn, args, kwargs, virtual=virtual, leaks=leaks, chooser=self)

    def __repr__(self) -> str:
        return f"Schedule.replay({self.choices!r})"


def schedules(*, yields: bool = True, max_choices: int = MAX_CHOICES) -> SearchStrategy[Schedule]:
    """A hypothesis strategy of schedules: every scheduling choice of a run is a hypothesis draw.

    Use it with ``@given(schedules())`` and ``schedule.run(main)``: hypothesis searches the
    interleavings, shrinks a failing one (towards the default schedule, with fewer yields), and
    reports ``schedule=Schedule.replay([...])``, the exact failing run. ``yields``: whether every
    channel operation is a possible yield point. Needs hypothesis (``pip install hypothesis``).
    """
    from hypothesis import strategies as st  # a test dependency, not gochan's

    return st.randoms(use_true_random=False).map(
        lambda r: Schedule(r.randrange, yields=yields, max_choices=max_choices)
    )


@final
class PCTSchedule(Schedule):
    """Probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010; as Rust's shuttle).

    Each goroutine gets a random priority when first seen runnable; the highest-priority runnable
    goroutine always runs, and a yield before every channel operation lets priorities decide there
    too. At ``depth - 1`` change points, steps drawn uniformly from ``1..steps``, the goroutine
    running drops to a priority below every initial one. Select's draws are uniform random.
    """

    def __init__(self, seed: int, *, depth: int = 3, steps: int = 100) -> None:
        self._rng = random.Random(seed)
        super().__init__(self._rng.randrange)
        self.seed = seed
        self.depth = depth
        self._prio: dict[int, float] = {}
        self._changes = {self._rng.randint(1, steps): depth - 1 - i for i in range(depth - 1)}
        self._step = 0

    def pick(self, runnable: Sequence[G], /) -> int:
        self._step += 1
        prio = self._prio
        for g in runnable:
            if g.id not in prio:
                prio[g.id] = self.depth + self._rng.random()  # above every change point's priority
        best = max(range(len(runnable)), key=lambda i: prio[runnable[i].id])
        low = self._changes.get(self._step)
        if low is not None:  # a change point: the goroutine about to run drops below all others
            prio[runnable[best].id] = low
            best = max(range(len(runnable)), key=lambda i: prio[runnable[i].id])
        self.choices.append(best)
        return best

    def yield_here(self) -> bool:
        self.choices.append(1)
        return True

    def run(self, fn: Callable[..., T], /, *args: Any, virtual: bool = False, leaks: bool = False, **kwargs: Any) -> T:
        self._prio.clear()
        self._step = 0
        return super().run(fn, *args, virtual=virtual, leaks=leaks, **kwargs)


def explore_pct(
    fn: Callable[..., object],
    /,
    *args: Any,
    runs: int = 1_000,
    depth: int = 3,
    steps: int = 100,
    seed: int = 0,
    virtual: bool = False,
    **kwargs: Any,
) -> int:
    """Run ``fn`` under ``runs`` PCT schedules; re-raise the first failure; return the runs made.

    A bug of depth ``d`` (``d`` ordering constraints between goroutines must hold for it to
    show) in a program of at most ``n`` goroutines and ``k`` scheduling steps is found by each
    run with probability at least ``1 / (n * k**(d-1))`` when ``depth >= d`` and ``steps >= k``.
    The exception carries a note with the run's seed and its ``Schedule.replay([...])``.
    """
    for i in range(runs):
        sched = PCTSchedule(seed + i, depth=depth, steps=steps)
        try:
            sched.run(fn, *args, virtual=virtual, **kwargs)
        except Exception as e:
            e.add_note(f"PCT run {i + 1} (seed {seed + i}, depth {depth}) failed; replay: {sched!r}")
            raise
    return runs


# The yields at channel operations: wrappers put on Chan's methods while a controlled run is under way.
_ctl = threading.local()  # .schedule: the Schedule of this thread's controlled run, if any
_patch_lock = threading.Lock()
_patch_users = 0
_YIELDING: Final = ("send", "recv", "recv_ok", "close")
_NO_YIELD: Final = frozenset({_chan_mod.__file__, _select_mod.__file__})


def _yielding(name: str) -> Callable[..., Any]:
    orig = getattr(Chan, name)

    @functools.wraps(orig)
    def op(self: Chan[Any], *args: Any) -> Any:
        sched: Schedule | None = getattr(_ctl, "schedule", None)
        # Not from gochan's own channel code: select's ready case and try_send call these once the
        # operation cannot block, and a yield there would let it block.
        if sched is not None and sys._getframe(1).f_code.co_filename not in _NO_YIELD and sched.yield_here():
            (tls.sched or current_scheduler()).gosched()
        return orig(self, *args)

    setattr(op, "__wrapped_original__", orig)  # noqa: B010 - a function attribute mypy cannot see; _unpatch reads it
    return op


@contextlib.contextmanager
def _yields(chooser: object) -> Iterator[None]:
    """Install the yields of ``chooser`` (if it is a Schedule) for the test body's duration."""
    if not isinstance(chooser, Schedule):
        yield
        return
    global _patch_users
    with _patch_lock:
        if _patch_users == 0:
            for name in _YIELDING:
                setattr(Chan, name, _yielding(name))
        _patch_users += 1
    _ctl.schedule = chooser
    try:
        yield
    finally:
        _ctl.schedule = None
        with _patch_lock:
            _patch_users -= 1
            if _patch_users == 0:
                for name in _YIELDING:
                    setattr(Chan, name, getattr(Chan, name).__wrapped_original__)
