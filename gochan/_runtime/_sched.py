"""The scheduler: Go's runtime ``schedule``/``gopark``/``goready`` for goroutines on greenlets.

Design. One Scheduler per OS thread. Goroutines are ``G`` records run by pooled worker
greenlets; the thread's greenlet that first used the scheduler (or that called ``run``) is the
main goroutine. Everything above the runtime blocks through one door, ``park(reason)``, and wakes
goroutines through one door, ``ready(g, param)``.

A goroutine that parks switches *directly* to the next runnable goroutine: ``runnext`` first
(the goroutine just readied, as in Go), then the run queue's head. A ping-pong round trip
therefore costs two greenlet switches. These quick picks are counted: after ``HANDOFF_LIMIT`` of
them, ``_findrunnable`` runs instead — it ends runnext's inherited time slice (runnext goes to
the tail of the run queue, so a ping-pong pair cannot starve anyone) and lets outside events in
(due timers, other threads' callbacks, now and then ready fds). ``gosched`` lets them in too.

There is no hub greenlet. When nothing is runnable, the parking goroutine itself runs the idle
step on its own stack: wait in the poller until the next timer, an fd or another thread (or, on
virtual time, jump the clock to the next timer), or report deadlock. When the idle step makes
the parker itself runnable it simply returns, with no switch at all. Alternative: a gevent-style
hub costs two extra switches for every wake-up that goes through it.

Spawning is the hot path of every worker pool, so finished goroutines are recycled (Go's
gfput/gfget): their G records go to ``gfree``, and their greenlets run the next goroutine in
place if it has not started yet, else go back to the pool from which the next start takes one.
New worker greenlets are started from one shallow ``starter`` greenlet (see ``_starter``).

Invariants:
  self.current is the G whose greenlet is running (main included)
  a G is in at most one of: runnext, runq, a channel queue, running
  every live G (started or not, main included) is in self.allg
  runnext is None or a G that is runnable and not in runq
"""

from __future__ import annotations

import inspect
import random
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from os import PathLike, environ
from types import CodeType, FrameType, MethodType
from typing import Any, Final, Protocol, TypeVar

from greenlet import GreenletExit, getcurrent, greenlet

from ..errors import ALL_ASLEEP, DeadlockError, ProgramExit
from ._dump import describe_creation, dump_all, goroutine_block, wait_graph
from ._g import DISCARDED, G, new_g
from ._poll import Poller
from ._timers import TimerHeap

__all__ = ["HANDOFF_LIMIT", "Scheduler", "current_scheduler", "run"]

T = TypeVar("T")

HANDOFF_LIMIT: Final = 64  # quick picks (runnext, or the run queue's head) between looks for events
MAX_WAIT: Final = 3600.0  # longest single idle wait: epoll rejects timeouts past ~24.8 days
POLL_EVERY: Final = 61  # _findrunnable calls between non-blocking polls of waiting fds (Go: 61)
_NO_KWARGS: Final[dict[str, Any]] = {}  # shared by goroutines started without keyword arguments
_TIMED_OUT: Final = object()  # what a deadline's timer readies a wait_fd goroutine with
VIRTUAL_EPOCH: Final = 946684800.0  # a bubble's clock starts at 2000-01-01 00:00:00 UTC, as Go's synctest
POOL_LIMIT: Final = 1024  # idle worker greenlets kept for reuse
_NO_QUICK_PICKS: Final = 1 << 62  # handoffs value that sends every pick to _findrunnable (closing)


class _TLS(threading.local):
    sched: Scheduler | None = None


tls: Final = _TLS()


def current_scheduler() -> Scheduler:
    """The scheduler of this thread, created on first use with the calling greenlet as main."""
    s = tls.sched
    if s is None:
        s = tls.sched = Scheduler(None)
    return s


class Scheduler:
    """Run queue, park/ready, greenlet pool and deadlock detection for one OS thread."""

    __slots__ = (
        "current",
        "main",
        "runq",
        "runnext",
        "handoffs",
        "allg",
        "free",
        "starter",
        "gfree",
        "rng",
        "rand",
        "nextid",
        "closed",
        "now",
        "clock",
        "virtual",
        "vnow",
        "timers",
        "poller",
        "ticks",
        "outstanding",
        "listening",
        "syncwaiter",
        "idling",
        "panic",
        "inrun",
        "tid",
        "used_threads",
        "atclose",
        "add_timer",
        "stop_timer",
        "reset_timer",
        "timer_orphans",
        "chooser",
        "__weakref__",
    )

    def __init__(self, seed: int | None, virtual: bool = False) -> None:
        main = new_g(self, 1, None)
        main.glet = getcurrent()
        self.main: Final = main
        self.current: G = main
        self.runq: Final[deque[G]] = deque()
        self.runnext: G | None = None
        self.handoffs = 0
        self.allg: Final[dict[int, G]] = {1: main}
        self.free: Final[list[greenlet]] = []
        self.starter: greenlet | None = None  # creates new worker greenlets: see _starter
        self.gfree: Final[list[G]] = []  # records of finished goroutines, reused by spawn
        self.rng: Final = random.Random(seed)
        self.rand = self.rng.random  # bound once: select calls it on its hot path; control() replaces it
        self.nextid = 2
        self.closed = False
        self.virtual: Final = virtual
        self.vnow = VIRTUAL_EPOCH
        self.clock: Final[Callable[[], float]] = self.vclock if virtual else time.monotonic
        self.now = self.clock()  # coarse clock: refreshed when the scheduler looks for work
        self.timers: Final = TimerHeap()
        # The timer operations of the door, bound once: a timeout costs no extra call for them.
        self.add_timer: Final = self.timers.add  # (when, fn, arg) -> RTimer
        self.stop_timer: Final = self.timers.stop  # (rt) -> whether it was pending
        self.reset_timer: Final = self.timers.arm  # (rt, when): re-arm, replacing a pending arming
        self.timer_orphans: Final = self.timers.orphans  # where weakref callbacks queue timers to stop
        self.poller: Poller | None = None
        self.ticks = 0
        # Holds (see hold): things outside the scheduler that may still wake a goroutine, so idle
        # is not deadlock. outstanding: real work under way (to_thread calls, open bridges), during
        # which a bubble's clock must not jump. listening: sources that may fire at any time or
        # never (signal subscriptions): a goroutine waiting on one is durably blocked (Go's synctest).
        self.outstanding = 0
        self.listening = 0
        self.syncwaiter: G | None = None  # the goroutine in synctest.Wait, if any
        self.idling = False  # True while blocked waiting for timers, fds or other threads
        self.panic: BaseException | None = None  # what ends the program: the first crash (run raises it)
        self.inrun = False  # run() owns this scheduler: a crash unwinds main with ProgramExit
        self.tid: Final = threading.get_ident()  # the OS thread whose goroutines this scheduler runs
        _note_thread(self.tid)
        self.used_threads = False  # this program has called to_thread
        self.atclose: Final[list[Callable[[], None]]] = []  # run once the program has ended
        self.chooser: Chooser | None = None  # a controlled run's scheduling decisions: see control

    # -- spawning -------------------------------------------------------------------------

    def spawn(  # noqa: PLR0917 - positional defaults: keyword-only ones cost go() a dict lookup per call
        self,
        fn: Callable[..., object],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        depth: int,
        where: tuple[CodeType, int] | None = None,
        goid: int = 0,
    ) -> G:
        """Create a goroutine running ``fn(*args, **kwargs)`` and make it runnext (Go's newproc).

        ``depth`` is how many frames above this call the user's ``go(...)`` call sits; ``where``
        (code, line) replaces it when the goroutine is started later on someone's behalf (by a
        timer, another thread, a signal): ``goid`` then names the goroutine that asked for it
        (0: another OS thread).
        """
        if self.closed:
            raise GreenletExit("goroutine started after its program ended")
        gfree = self.gfree
        if gfree:  # a finished goroutine's record (Go's gfget): fewer objects for the collector
            g = gfree.pop()
        else:  # inline copy of new_g, less the fields set below: through new_g the spawn shape ran 14% slower
            g = G()
            g.sched = self
            g.glet = None
            g.waitreason = None  # (waitsince is left unset: park writes it with waitreason, before any read)
            g.selws = None
            g.param = g.val = None
            g.ok = g.selectdone = False
        g.id = gid = self.nextid
        self.nextid = gid + 1
        g.fn = fn
        g.args = args
        g.kwargs = kwargs or _NO_KWARGS  # go() always passes a fresh dict: keep none alive
        if where is None:  # inline copy of call_site(depth): a call here costs the spawn shape
            f = sys._getframe(depth)
            g.cr_code = f.f_code
            g.cr_line = f.f_lineno
            g.cr_goid = self.current.id
        else:
            g.cr_code, g.cr_line = where
            g.cr_goid = goid
        self.allg[gid] = g
        old = self.runnext
        self.runnext = g
        if old is not None:
            self.runq.append(old)
        return g

    # -- the two doors ----------------------------------------------------------------------

    def ready(self, g: G, param: object = None) -> None:
        """Make parked ``g`` runnable; its ``park`` returns ``param`` (Go's goready: runnext)."""
        if _threaded and threading.get_ident() != self.tid:  # one global load while single-threaded
            raise RuntimeError(_CROSS_THREAD)
        g.param = param
        g.waitreason = None
        old = self.runnext
        self.runnext = g
        if old is not None:
            self.runq.append(old)

    def park(self, reason: str | None) -> Any:  # what ready passed: each caller knows its type
        """Block the current goroutine until ``ready`` is called on it; return ready's param.

        The caller must already have published the goroutine where a waker will find it (a
        channel queue, a timer). If an exception is thrown in (a crashed goroutine, deadlock,
        KeyboardInterrupt), it propagates from here and the caller must undo its publication.
        """
        g = self.current
        g.waitreason = reason
        g.waitsince = self.now
        nxt = self.runnext
        if self.handoffs < HANDOFF_LIMIT and (nxt is not None or self.runq):
            # The quick pick: runnext, else the run queue's head. Every HANDOFF_LIMIT quick picks
            # _findrunnable runs instead: it ends runnext's slice and looks for outside events.
            if nxt is None:
                nxt = self.runq.popleft()
            else:
                self.runnext = None
            self.handoffs += 1
        else:
            nxt = self._findrunnable()
        if nxt is not g:
            self.current = nxt
            glet = nxt.glet
            if glet is None:
                glet = self._worker_for()
            glet.switch()  # no argument: cheaper; a fresh worker reads self.current
        return g.param  # not cleared: every ready() overwrites it

    def gosched(self) -> None:
        """Yield: the current goroutine goes to the tail of the run queue (Go's Gosched)."""
        self._events()  # an explicit yield also lets due timers and ready fds in, as Go's schedule
        rn = self.runnext
        if rn is not None and self.handoffs >= HANDOFF_LIMIT:
            # The time slice is up, so _findrunnable would queue runnext behind the caller; the
            # caller yields, so runnext keeps its turn: every goroutine runnable now runs first.
            self.runnext = None
            self.runq.appendleft(rn)
        self.runq.append(self.current)
        self.park(None)  # runnable, not waiting: no wait reason

    # -- finding work -------------------------------------------------------------------------

    def _findrunnable(self) -> G:
        """Next G to run once runnext is empty or has used up its time slice.

        Outside events are checked here first: due timers, callbacks from other threads, and
        (every ``POLL_EVERY`` calls) ready file descriptors, so busy goroutines cannot starve them.
        """
        if self.closed:
            raise GreenletExit("goroutine blocked after its program ended")
        self.handoffs = 0
        self._events()
        if self.chooser is not None:
            return self._chosen(self.chooser)
        runq = self.runq
        while True:
            rn = self.runnext
            if rn is not None:
                self.runnext = None
                runq.append(rn)
            if runq:
                return runq.popleft()
            resumed = self._idle()
            if resumed is not None:
                return resumed

    def _chosen(self, chooser: Chooser) -> G:
        """_findrunnable of a controlled run: the chooser picks among every runnable goroutine.

        Candidates in the order the scheduler would take them (runnext, then the run queue), so
        choice 0 is the uncontrolled schedule. Keeps ``handoffs`` at the limit: no quick pick
        bypasses the chooser.
        """
        self.handoffs = HANDOFF_LIMIT
        runq = self.runq
        while True:
            rn = self.runnext
            if rn is not None:
                self.runnext = None
                runq.appendleft(rn)
            if runq:
                i = chooser.pick(runq) if len(runq) > 1 else 0
                g = runq[i]
                del runq[i]
                return g
            resumed = self._idle()
            if resumed is not None:
                return resumed

    def control(self, chooser: Chooser | None) -> None:
        """Hand every scheduling decision of this program to ``chooser`` (None: back to the default).

        ``chooser.pick(runnable)`` returns the index of the goroutine to run next, ``chooser.rand()``
        replaces the rng for select's choices. Schedule exploration (``gochan.testing``) installs
        one; nothing on the hot paths tests for it: they reach ``_findrunnable`` because
        ``handoffs`` stays at the limit.
        """
        self.chooser = chooser
        if chooser is None:
            self.rand = self.rng.random
            self.handoffs = 0
        else:
            self.rand = chooser.rand
            self.handoffs = HANDOFF_LIMIT

    def runnable(self) -> int:
        """How many goroutines are runnable (not counting the caller)."""
        return len(self.runq) + (self.runnext is not None)

    def _events(self) -> None:
        """Let outside events in: due timers, other threads' callbacks, (now and then) ready fds."""
        self.now = now = self.clock()
        if self.timers:
            self.timers.run_due(now)
        p = self.poller
        if p is not None:
            if p.pending:
                p.run_pending()
            self.ticks += 1
            if self.ticks % POLL_EVERY == 0 and p.nwaiting():
                p.poll(0, self.ready)

    def _idle(self) -> G | None:
        """Nothing is runnable: wait for outside events (advance virtual time), or report deadlock.

        Returns None once something is runnable. Returns a G only when this greenlet was itself
        switched back to while idle (after a deadlock was thrown into main and main made it
        runnable again); that G is current.
        """
        while not (self.runq or self.runnext):
            # real: outside work under way (time must stand still); held: anything outside may
            # still wake a goroutine (a signal too), so an empty timer heap is not deadlock.
            real = self.outstanding or (self.poller is not None and self.poller.nwaiting())
            if self.syncwaiter is not None and not real:
                g, self.syncwaiter = self.syncwaiter, None
                self.ready(g)  # synctest.Wait: every other goroutine is durably blocked
                break
            when = self.timers.next_when()
            if when is None and not (real or self.listening):
                return self._deadlock()
            if self.virtual and not real and when is not None:
                self.vnow = max(self.vnow, when)  # durably blocked: jump to the next timer
                self.now = self.vnow
                self.timers.run_due(self.vnow)
                continue
            timeout = None if when is None or self.virtual else min(MAX_WAIT, max(0.0, when - self.clock()))
            self.idling = True  # for the watchdog: waiting for events is not a goroutine hogging
            try:
                self.get_poller().poll(timeout, self.ready)
            finally:
                self.idling = False
            self.now = now = self.clock()
            if self.timers:
                self.timers.run_due(now)
        return None

    def _deadlock(self) -> G | None:
        me = self.current
        err = DeadlockError(ALL_ASLEEP, self.dump())
        graph = self.wait_graph()
        if graph:
            err.add_note(graph)  # after the dump: who waits on which channel, who holds which mutex
        if me is self.main:
            raise err
        self._drop_from_runq(self.main)
        self.current = self.main
        assert self.main.glet is not None
        self.main.glet.throw(err)
        return self.current

    # -- outside work ---------------------------------------------------------------------------

    def hold(self, *, durable: bool = False) -> None:
        """Count one source of outside wake-ups: while it is held, idling is not deadlock.

        A plain hold is real work under way (a to_thread call, an open bridge): a bubble's clock
        stands still until it is released. A ``durable`` hold is a source that may fire at any
        time or never (a signal subscription): goroutines waiting on it are durably blocked, as
        in Go's synctest, so a bubble's clock still jumps to its next timer. Creates the wake-up
        socket, which other threads and signal handlers use from now on.
        """
        self.get_poller()
        if durable:
            self.listening += 1
        else:
            self.outstanding += 1

    def release(self, *, durable: bool = False) -> None:
        """End a :meth:`hold` of the same kind."""
        if durable:
            self.listening -= 1
        else:
            self.outstanding -= 1

    # -- synctest.Wait ----------------------------------------------------------------------------

    def sync_wait(self) -> None:
        """Park the current goroutine until every other one is durably blocked (Go's synctest.Wait).

        The caller has checked that no other goroutine is waiting so (see :meth:`take_sync_waiter`).
        """
        g = self.syncwaiter = self.current
        try:
            self.park("synctest.Wait")
        except BaseException:
            if self.syncwaiter is g:  # undo the publication unless _idle already took it
                self.syncwaiter = None
            raise

    def sync_waiting(self) -> bool:
        """Is a goroutine parked in :meth:`sync_wait`?"""
        return self.syncwaiter is not None

    def take_sync_waiter(self) -> G | None:
        """The goroutine parked in :meth:`sync_wait`, if any, no longer published as waiting."""
        g, self.syncwaiter = self.syncwaiter, None
        return g

    def num_goroutine(self) -> int:
        """How many goroutines exist, main included."""
        return len(self.allg)

    # -- time, file descriptors, other threads --------------------------------------------------

    def vclock(self) -> float:
        """The virtual clock (a bubble's ``clock``)."""
        return self.vnow

    def get_poller(self) -> Poller:
        """This scheduler's poller, created on first use."""
        p = self.poller
        if p is None:
            p = self.poller = Poller()
        return p

    def call_soon_threadsafe(self, fn: Callable[[], None]) -> None:
        """Run ``fn()`` on this scheduler's thread soon; callable from any thread or a signal handler.

        ``fn`` runs in scheduler context: it may ready goroutines or start new ones, never block.
        """
        self.get_poller().call_soon(fn)

    def wait_fd(self, fd: int, write: bool, deadline: float | None = None) -> bool:
        """Park until ``fd`` is readable (or writable); False if ``deadline`` passed first.

        Go's netpoll wait with a deadline. ``deadline`` is on the scheduler clock.
        """
        p = self.get_poller()
        g = self.current
        p.watch(fd, g, write)
        rt = None if deadline is None else self.add_timer(deadline, self._fd_timeout, (fd, write, g))
        try:
            r = self.park("IO wait")
        except BaseException:
            p.unwatch(fd, write)
            raise
        finally:
            if rt is not None:
                self.stop_timer(rt)
        return r is not _TIMED_OUT

    def forget_fd(self, fd: int) -> None:
        """Drop ``fd`` from the poller before it is closed (Go's netpollclose)."""
        if self.poller is not None:
            self.poller.forget(fd)

    def unblock_fd(self, fd: int, write: bool) -> bool:
        """Wake the goroutine waiting in ``wait_fd`` on ``fd`` in that direction, if any.

        Go's netpollunblock (used on close and deadline changes). Its ``wait_fd`` returns True;
        the caller re-checks why it woke. Returns whether a goroutine was woken.
        """
        p = self.poller
        if p is None:
            return False
        g = (p.writers if write else p.readers).get(fd)
        if g is None:  # not waiting, or already readied by the fd or its timer
            return False
        p.unwatch(fd, write)
        self.ready(g)
        return True

    def _fd_timeout(self, arg: tuple[int, bool, G]) -> None:
        fd, write, g = arg
        p = self.get_poller()
        if (p.writers if write else p.readers).get(fd) is g:  # still waiting: not readied by the fd
            p.unwatch(fd, write)
            self.ready(g, _TIMED_OUT)

    def sleep_until(self, when: float) -> None:
        """Park the current goroutine until the scheduler clock reaches ``when`` (Go's timeSleep)."""
        rt = self.add_timer(when, self._ready_arg, self.current)
        try:
            self.park("sleep")
        except BaseException:
            self.stop_timer(rt)
            raise

    def _ready_arg(self, g: G) -> None:
        self.ready(g)

    def _drop_from_runq(self, g: G) -> None:
        if self.runnext is g:
            self.runnext = None
        else:
            try:
                self.runq.remove(g)
            except ValueError:
                pass

    # -- worker greenlets -----------------------------------------------------------------------

    def _worker_for(self) -> greenlet:
        """A greenlet to switch to so that the unstarted ``self.current`` runs.

        A pooled worker if there is one; otherwise the starter, which creates a new worker.
        """
        if self.free:
            return self.free.pop()
        if self.starter is None:
            self.starter = greenlet(self._starter, parent=self.main.glet)
        return self.starter

    def _starter(self) -> None:
        """Create each new worker greenlet and switch into it, always from this shallow stack.

        A new greenlet inherits the Python recursion depth of the greenlet that first switches
        into it; starting workers from parked goroutines would add their depths up (a chain of
        thousands of goroutines hits RecursionError). Costs one switch per greenlet created.
        """
        main = self.main.glet
        while True:
            greenlet(self._worker, parent=main).switch()

    def _worker(self) -> None:
        """Body of every worker greenlet: run goroutines until the program ends.

        It is started (or resumed from the pool) by a switch to it after ``self.current`` was set
        to the goroutine it must run.
        """
        glet = getcurrent()
        allg = self.allg
        g = self.current
        while True:
            g.glet = glet
            fn = g.fn
            assert fn is not None
            try:
                # Plain calls run in this eval loop; fn(*args) would nest a C-level eval loop,
                # which every parked goroutine then keeps on its saved stack (~0.7 KiB each).
                args = g.args
                n = len(args)
                if g.kwargs is not _NO_KWARGS or n > 3:
                    fn(*args, **g.kwargs)
                elif n == 0:
                    fn()
                elif n == 1:
                    fn(args[0])
                elif n == 2:
                    fn(args[0], args[1])
                else:
                    fn(args[0], args[1], args[2])
            except BaseException as e:  # noqa: BLE001 - every escape is reported, as a Go panic
                if not isinstance(e, (GreenletExit, ProgramExit)):  # those unwind; anything else is a crash
                    self._crash(g, e)
                return
            # goexit: release the goroutine, then run the next one here or hand the greenlet back.
            del fn, args  # a pooled greenlet must not keep the last goroutine's function and arguments
            del allg[g.id]
            g.glet = g.fn = g.param = g.val = None  # drop references; keep selws for the next user
            g.args = ()
            if len(self.gfree) < POOL_LIMIT:
                self.gfree.append(g)  # Go's gfput
            else:
                g.selws = None  # break the G <-> SelWaiter cycle of a record nobody will reuse
            # Inline copy of park's quick pick (a call here costs the spawn shape about 8%).
            nxt = self.runnext
            if self.handoffs < HANDOFF_LIMIT and (nxt is not None or self.runq):  # as in park
                if nxt is None:
                    nxt = self.runq.popleft()
                else:
                    self.runnext = None
                self.handoffs += 1
            else:
                nxt = self._findrunnable()
            self.current = nxt
            if nxt.glet is None:
                g = nxt
                continue
            if len(self.free) < POOL_LIMIT:
                self.free.append(glet)
            nxt.glet.switch()
            g = self.current

    def _crash(self, g: G, e: BaseException) -> None:
        """An exception escaped goroutine ``g``: the program ends (Go: an unrecovered panic).

        Under ``run``: no goroutine runs again; main is unwound with ProgramExit (which ``except
        Exception`` cannot swallow) and ``run`` raises ``e``. On the implicit scheduler there is
        no program boundary, so ``e`` itself is raised at the caller's blocking call. While the
        program is already ending, ``e`` is kept with the exception ``run`` raises (see _also).
        """
        if self.closed:
            self._also(g, e)
            return
        if not isinstance(e, (KeyboardInterrupt, SystemExit)):  # an interrupt or exit is not a crash
            e.add_note(f"goroutine {g.id} ({_fname(g)}) crashed; {describe_creation(g)}")
        main = self.main
        assert main.glet is not None
        if self.inrun:
            self.panic = e
            self._end()  # this greenlet stays in allg: close() unwinds it with the others
            self.current = main
            main.glet.throw(ProgramExit(f"the program is ending: goroutine {g.id} ({_fname(g)}) raised {e!r}"))
            return  # pragma: no cover - close() throws GreenletExit into this frame
        self.allg.pop(g.id, None)
        self._drop_from_runq(main)
        self.current = main
        main.glet.throw(e)

    def _also(self, g: G, e: BaseException) -> None:
        """``e`` escaped goroutine ``g`` while the program was ending: keep it, never drop it.

        It becomes the program's panic if there is none yet (main returned, then a goroutine's
        ``finally`` raised while being unwound); otherwise a note on the panic carries it.
        """
        if isinstance(e, (GreenletExit, ProgramExit)):
            return
        where = f"goroutine {g.id} ({_fname(g)})"
        if self.panic is None:
            if g is not self.main:
                e.add_note(f"{where} crashed while the program was ending; {describe_creation(g)}")
            self.panic = e
            return
        if e is self.panic:
            return
        tb = "".join(traceback.format_exception(e)).rstrip()
        self.panic.add_note(f"{where} also raised while the program was ending:\n{tb}")

    def _end(self) -> None:
        """No goroutine but main runs again; hand-offs to the goroutines being discarded fail."""
        self.closed = True
        self.handoffs = _NO_QUICK_PICKS
        self.runq.clear()
        self.runnext = None
        for g in self.allg.values():
            if g is not self.main:
                g.sched = DISCARDED

    # -- inspection ---------------------------------------------------------------------------

    def dump(self) -> str:
        """Every goroutine's state and stack in Go's traceback format."""
        return dump_all(self, run_in.__code__)

    def wait_graph(self) -> str:
        """Per channel, the goroutines waiting to send and to receive; per mutex, holder and waiters."""
        return wait_graph(self)

    def goroutine_block(self, g: G, frame: FrameType | None = None, state: str | None = None) -> str:
        """One goroutine's block of a dump (the watchdog's report): see ``_dump.goroutine_block``."""
        return goroutine_block(self, g, run_in.__code__, frame, state)

    def close(self) -> None:
        """End the program: unwind every goroutine still alive (their ``finally`` blocks run).

        A goroutine that tries to block while being unwound gets GreenletExit again; an
        exception it raises is kept (see _also). Then every greenlet, timer and fd of the
        program is released, so nothing reachable from outside keeps the scheduler alive.
        """
        self._end()
        main = self.main
        for g in list(self.allg.values()):
            glet = g.glet
            if g is main or glet is None or glet.dead:
                continue
            self.current = g
            glet.throw(GreenletExit)  # its worker reports what else escapes; the greenlet ends
        self.current = main
        self.allg.clear()
        self.allg[1] = main
        self.gfree.clear()
        for glet in self.free:  # pooled workers wait in a switch; GreenletExit ends them
            glet.throw(GreenletExit)
        self.free.clear()
        if self.starter is not None:
            self.starter.throw(GreenletExit)
            self.starter = None
        self.timers.clear()
        if self.poller is not None:
            self.poller.close()
        while self.atclose:
            self.atclose.pop()()




def _fname(g: G) -> str:
    """The goroutine's function name for notes."""
    if g.fn is None:
        return "main"
    return str(getattr(g.fn, "__qualname__", repr(g.fn)))


class Chooser(Protocol):
    """The scheduling decisions of a controlled run (see Scheduler.control)."""

    def pick(self, runnable: deque[G], /) -> int:
        """Index in ``runnable`` (two or more goroutines, in default order) of the one to run next."""
        ...

    def rand(self) -> float:
        """A float in [0, 1): select's random choices."""
        ...


_threaded = False  # set once schedulers exist on two OS threads: ready() then checks its thread
_tids: set[int] = set()
_CROSS_THREAD: Final = (
    "a goroutine was woken from another OS thread than its scheduler's: channels, timers and "
    "sync primitives belong to the goroutines of one thread. Pass values between threads "
    "with gochan.thread_bridge() (bridge.go(ch.send, v)) instead of sharing a channel."
)


def _note_thread(tid: int) -> None:
    global _threaded
    _tids.add(tid)
    if len(_tids) > 1:
        _threaded = True


_CO_ASYNC: Final = inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR | inspect.CO_ITERABLE_COROUTINE


def check_call(who: str, fn: object, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Raise TypeError, at the ``go``/``run`` call, if ``fn(*args, **kwargs)`` cannot run as a goroutine.

    Checks that ``fn`` is callable, is not an ``async def`` function (a goroutine is a plain
    function; calling a coroutine function would only create a coroutine object), and accepts
    these arguments. The usual call (a plain function or method, positional arguments that fit)
    is checked with a few attribute reads; anything else goes through ``inspect.signature``.
    """
    code = getattr(fn, "__code__", None)
    if code is not None:
        flags = code.co_flags
        if flags & _CO_ASYNC:
            raise TypeError(_async_message(who, fn))
        if not kwargs and not code.co_kwonlyargcount:
            n = len(args) + (type(fn) is MethodType)  # a bound method's code counts self
            top = code.co_argcount
            if n == top or (n < top and n >= top - len(getattr(fn, "__defaults__", None) or ())):
                return
            if n > top and flags & inspect.CO_VARARGS:
                return
    elif not callable(fn):
        raise TypeError(f"{who}: {fn!r} is not callable; pass a function and its arguments: {who}(fn, *args)")
    elif inspect.iscoroutinefunction(fn):  # partials and other wrappers of an async def
        raise TypeError(_async_message(who, fn))
    assert callable(fn)  # checked above: not callable raised
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # no signature to check (some builtins): the call will tell
        return
    try:
        sig.bind(*args, **kwargs)
    except TypeError as e:
        name = getattr(fn, "__qualname__", repr(fn))
        bare = sig.replace(
            parameters=[p.replace(annotation=p.empty) for p in sig.parameters.values()],
            return_annotation=sig.empty,
        )
        raise TypeError(f"{who}: {name}{bare} cannot be called with these arguments: {e}") from None


def _async_message(who: str, fn: object) -> str:
    name = getattr(fn, "__qualname__", repr(fn))
    return (
        f"{who}: {name} is an async function; goroutines are plain functions that block on channels. "
        f"Write it as a plain def, or run it with asyncio outside gochan."
    )


def run(
    main: Callable[..., T], *args: Any, seed: int | None = None, trace: str | PathLike[str] | None = None, **kwargs: Any
) -> T:
    """Run ``main(*args, **kwargs)`` as the main goroutine of a new program; return its result.

    Go: a program's ``func main``. Raises ``DeadlockError`` when every goroutine is asleep and
    re-raises an exception that escaped any goroutine (with a note naming it). Goroutines still
    alive when main returns are discarded: unwound with ``GreenletExit``, never resumed.
    ``seed`` fixes the scheduler's random choices (select), so a run can be replayed.
    ``trace`` (or the environment variable ``GOCHAN_TRACE``) is a path: the program's execution
    trace is written there as Chrome trace-event JSON when it ends (``gochan.trace``).
    """
    check_call("run", main, args, kwargs)
    s = Scheduler(seed)
    if trace is None and "GOCHAN_TRACE" not in environ:
        return run_in(s, main, *args, **kwargs)
    from ._trace import trace_path, tracing  # a subclass of Scheduler: imported only when tracing

    with tracing(s, trace_path(trace), main):
        return run_in(s, main, *args, **kwargs)


_NESTED_RUN: Final = (
    "run called inside a running program (from goroutine {}): a thread runs one program at a time, and "
    "a nested one would freeze this one. Call the function directly, start it with go(f), or run a "
    "separate program on a thread of its own with to_thread(run, f)."
)


def run_in(s: Scheduler, main: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``main`` as the main goroutine of the fresh scheduler ``s`` (see :func:`run`)."""
    prev = tls.sched
    if prev is not None and prev.inrun:
        raise RuntimeError(_NESTED_RUN.format(prev.current.id))
    tls.sched = s
    s.inrun = True
    try:
        try:
            result = main(*args, **kwargs)
        except BaseException as e:
            if s.panic is None:
                s.panic = e  # main's own exception: re-raised as is, after the others are unwound
                s.close()
                raise
            s._also(s.main, e)  # main's finally raised while a crash unwound it
        s.close()
    finally:
        tls.sched = prev
    if s.panic is not None:
        raise s.panic  # a crash (its traceback holds the crashing goroutine's frames)
    return result
