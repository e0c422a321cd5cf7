"""OS signals as channel sends: Go's ``os/signal``.

``notify(ch, *signums)`` relays incoming signals to ``ch`` as ``signal.Signals`` values,
``stop(ch)`` ends that, ``ignore``/``reset``/``ignored`` as in Go. Go's rules of use:

* Delivery never blocks: a signal that finds ``ch`` full is dropped. Give the channel a buffer
  (``Chan(1)`` is enough for "wait for one signal").
* ``notify`` may be called again for the same channel to add signals; several channels may be
  notified of the same signal, and each gets its own copy.
* After ``stop(ch)`` returns, ``ch`` receives no more signals, even one already queued.
* Closing a channel that is still notified is a bug, as in Go: the next signal for it crashes the
  program with "send on closed channel".

Python specifics:

* ``notify``, ``stop``, ``ignore`` and ``reset`` install or restore Python signal handlers, which
  Python only allows on the main thread: call them from a program running on the main thread.
* ``notify(ch)`` with no signals relays every *catchable* signal: each member of
  ``signal.Signals`` that this platform can deliver, except SIGKILL and SIGSTOP (which no process
  can catch, so naming them is a ValueError) and SIGSEGV, SIGBUS, SIGFPE and SIGILL (raised by
  faults in the process itself, which a Python-level handler cannot return from; they can still
  be named explicitly, to catch them when sent with ``kill``). On Linux that includes SIGINT (no
  more ``KeyboardInterrupt``), SIGTERM, SIGHUP, SIGQUIT, SIGTSTP (Ctrl-Z no longer stops the
  process), SIGCHLD, SIGPIPE, SIGWINCH and the two real-time bounds SIGRTMIN and SIGRTMAX;
  :func:`catchable` lists them. ``ignore()`` with no signals ignores the same set; ``reset()``
  with none undoes everything gochan changed.
* When the last channel notified of a signal stops (or is reset/ignored away), the Python handler
  that ``notify`` replaced is put back. ``reset`` puts back the handler that was in place before
  gochan first changed the signal (by ``notify`` or ``ignore``); signals gochan never touched
  are left alone.
* A subscription belongs to the program (scheduler) that made it. When that program ends without
  ``stop``, the subscription is dead: a later signal is handled as if it had never been made
  (the replaced handler is restored and given the signal).
"""
# Design. A Python signal handler runs on the main thread *between any two bytecodes*, possibly
# in the middle of the scheduler's own code, so ours (``_handler``) never touches scheduler state:
# for each subscription to the signal it queues a delivery with ``s.call_soon_threadsafe``
# (an atomic deque append plus a byte on the wake-up socket, which also ends an idle wait). The
# delivery (``_deliver``) runs later on the scheduler's thread, in scheduler context: it re-checks
# that the subscription still wants the signal — this is what makes ``stop`` final for deliveries
# already queued — and does Go's non-blocking send.
#
# The handler reads ``_handled[sig]``, a tuple that the API replaces, never mutates, so the
# handler always sees a consistent set even when it interrupts ``notify`` or ``stop``.
#
# A subscription is a durable hold on its scheduler (``s.hold(durable=True)``): a goroutine waiting
# for a signal is waiting, not deadlocked (Go gets that from its signal-receiving thread), but it
# is durably blocked, as in Go's synctest: a bubble's clock still jumps to its next timer. (A
# to_thread call, by contrast, is real work under way: the clock stands still while it runs.)
#
# A signal the kernel hands to another thread (``pthread_kill``, or the main thread had it pending)
# does not interrupt the main thread's idle wait; the runtime's poller therefore makes its wake-up
# socket Python's ``signal.set_wakeup_fd`` on the main thread (restored when the program ends), so
# the C-level handler's byte ends the wait and our Python handler runs at once.
#
# Invariants (main thread; between API calls):
#   sig in _handled        iff  our handler is installed for sig, and then _prev[sig] is what it replaced
#   sig in _orig           iff  sig in _handled or sig in _ignoring: gochan's change is in effect
#   sub in _handled[sig]   iff  sub.active and sig in sub.sigs
#   sub.active             iff  _subs[sub.ch] is sub; an active sub is one durable hold on sub.sched
#                               (until its scheduler closes; _purge then drops it)

from __future__ import annotations

import contextlib
import signal as _signal
import threading
from collections.abc import Callable, Iterator
from functools import partial
from types import CodeType, FrameType
from typing import TYPE_CHECKING, Final, TypeAlias, final

from . import context
from ._chan import Chan
from ._runtime import call_site, current_scheduler, tls
from ._select import recv, select
from .context import Cancelable, CancelFunc, Context
from .errors import SEND_CLOSED, ClosedChannelError

if TYPE_CHECKING:
    from ._chan import SendChan
    from ._runtime import Scheduler

__all__ = ["Signals", "catchable", "ignore", "ignored", "notify", "notify_context", "reset", "stop"]

Signals = _signal.Signals  # what a notified channel receives; re-exported for annotations

# What signal.signal accepts and returns (None: a handler not installed from Python).
_Handler: TypeAlias = Callable[[int, FrameType | None], object] | int | _signal.Handlers | None

_NEVER: Final = frozenset(("SIGKILL", "SIGSTOP"))  # no process can catch these
# Raised by faults in the process itself; a Python handler cannot return from a real one. Only
# given explicitly (``kill -SEGV`` can be caught), never part of "every catchable signal".
_FAULTS: Final = frozenset(("SIGSEGV", "SIGBUS", "SIGFPE", "SIGILL"))


@final
class _Sub:
    """One notified channel: which signals it wants, and the program it belongs to."""

    __slots__ = ("ch", "sched", "sigs", "active", "where")

    def __init__(self, ch: SendChan[Signals], sched: Scheduler, where: tuple[CodeType, int]) -> None:
        self.ch: Final = ch
        self.sched: Final = sched
        self.sigs: frozenset[int] = frozenset()  # replaced, never mutated
        self.active = True  # False once stopped: a delivery still queued re-checks this
        self.where: Final = where  # the notify call, named if a delivery crashes


_subs: Final[dict[SendChan[Signals], _Sub]] = {}  # by channel (identity): the active subscriptions
_handled: Final[dict[int, tuple[_Sub, ...]]] = {}  # sig -> its subscriptions; read by _handler
_prev: Final[dict[int, _Handler]] = {}  # sig -> the handler ours replaced
_orig: Final[dict[int, _Handler]] = {}  # sig -> the handler before gochan changed it (for reset)
_ignoring: Final[set[int]] = set()  # signals gochan's ignore set to SIG_IGN (until reset)
_busy = False  # an API call is changing the tables: the handler must not repair them


def catchable() -> frozenset[Signals]:
    """The signals ``notify(ch)``, ``ignore()`` and ``reset()`` mean when given none."""
    valid = _signal.valid_signals()
    return frozenset(s for s in Signals if s in valid and s.name not in _NEVER | _FAULTS)


# -- the API ------------------------------------------------------------------------------------


def notify(ch: SendChan[Signals], *signums: int) -> None:
    """Relay the given signals (every catchable one if none) to ``ch`` (Go: ``signal.Notify``).

    Each signal is sent as a ``signal.Signals`` value, without blocking: if ``ch`` is full the
    signal is dropped. Calling ``notify`` again for ``ch`` adds signals. While ``ch`` is notified,
    its program does not report deadlock: a goroutine waiting for a signal is not stuck.
    Main thread only.
    """
    _require_main_thread("notify")
    sigs = _signums(signums) if signums else frozenset(int(s) for s in catchable())
    where = call_site()
    with _mutating():
        _purge()
        sub = _subs.get(ch)
        if sub is None:
            s = tls.sched or current_scheduler()
            s.hold(durable=True)  # also makes the wake-up socket, before the handler can use it
            sub = _subs[ch] = _Sub(ch, s, where)
        for sig in sorted(sigs - sub.sigs):
            sub.sigs |= {sig}
            _attach(sub, sig)


def stop(ch: SendChan[Signals]) -> None:
    """Stop relaying signals to ``ch`` (Go: ``signal.Stop``); a no-op if it is not notified.

    When ``stop`` returns, ``ch`` receives no more signals, not even one already on its way.
    The last channel notified of a signal to stop puts back the Python handler ``notify``
    replaced. Main thread only.
    """
    if ch not in _subs:
        return
    _require_main_thread("stop")
    with _mutating():
        _drop(_subs[ch])
        _purge()


def ignore(*signums: int) -> None:
    """Ignore the given signals (every catchable one if none) (Go: ``signal.Ignore``).

    Undoes ``notify`` for them: no channel receives them any more. Main thread only.
    """
    _require_main_thread("ignore")
    with _mutating():
        _purge()
        for sig in _signums(signums) if signums else frozenset(int(s) for s in catchable()):
            _unsubscribe_all(sig)
            _orig.setdefault(sig, _signal.signal(sig, _signal.SIG_IGN))
            _ignoring.add(sig)


def reset(*signums: int) -> None:
    """Undo ``notify`` and ``ignore`` for the given signals (all if none) (Go: ``signal.Reset``).

    Each signal gets back the Python handler it had before gochan first changed it. Main
    thread only.
    """
    _require_main_thread("reset")
    with _mutating():
        _purge()
        for sig in _signums(signums) if signums else frozenset(_orig):
            _unsubscribe_all(sig)
            if sig in _ignoring:
                _ignoring.discard(sig)
                _signal.signal(sig, _restorable(_orig.pop(sig)))


def ignored(signum: int) -> bool:
    """Whether ``signum`` is currently ignored (Go: ``signal.Ignored``): its handler is ``SIG_IGN``."""
    return _signal.getsignal(signum) == _signal.SIG_IGN


# -- notify_context --------------------------------------------------------------------------------


def notify_context(parent: Context, *signums: int) -> Cancelable[CancelFunc]:
    """A child of ``parent`` that is cancelled when one of ``signums`` arrives (Go: ``signal.NotifyContext``).

    The context is also done when ``parent`` is, or when the returned ``stop`` is called; ``stop``
    unregisters the signals (like :func:`stop`) and cancels the context — call it as soon as the
    context is no longer needed (``with notify_context(parent, SIGINT) as (ctx, stop):``).
    Main thread only.
    """
    _require_main_thread("notify_context")
    where = call_site()
    ctx, cancel = context.with_cancel(parent)
    ch: Chan[Signals] = Chan(1)
    notify(ch, *signums)
    if ctx.err() is None:

        def watch() -> None:
            select(recv(ch), recv(ctx.done()))
            cancel()

        current_scheduler().spawn(watch, (), {}, 0, where)

    def stop_fn() -> None:
        cancel()
        stop(ch)

    return Cancelable(ctx, stop_fn)


# -- the handler and the delivery ----------------------------------------------------------------


def _handler(signum: int, frame: FrameType | None) -> None:
    """The Python handler for every notified signal. Queues deliveries; touches no scheduler state."""
    subs = _handled.get(signum, ())
    live = False
    for sub in subs:
        s = sub.sched
        if not s.closed:
            live = True
            s.call_soon_threadsafe(partial(_deliver, sub, signum))
    if not live and subs and not _busy:
        _forward_dead(signum, frame)


def _deliver(sub: _Sub, signum: int) -> None:
    """Go's non-blocking send of one signal; scheduler context, on the subscription's thread."""
    if not sub.active or signum not in sub.sigs:
        return  # stopped (or ignored/reset) after this delivery was queued
    sig = Signals(signum)
    try:
        sub.ch.try_send(sig)
    except ClosedChannelError:
        # Go's os/signal goroutine panics sending to a closed channel; so does ours.
        sub.sched.spawn(_process_closed, (sig,), {}, 0, sub.where)


def _process_closed(sig: Signals) -> None:
    err = ClosedChannelError(SEND_CLOSED)
    err.add_note(f"delivering {sig.name}: a channel given to signal.notify was closed without signal.stop(ch)")
    raise err


def _forward_dead(signum: int, frame: FrameType | None) -> None:
    """Every program notified of ``signum`` has ended: restore the replaced handler and let it act."""
    with _mutating():
        _purge()
    h = _signal.getsignal(signum)
    if callable(h) and h is not _handler:
        h(signum, frame)
    elif h == _signal.SIG_DFL:
        _signal.raise_signal(signum)  # the default action (terminate, stop, nothing, ...)


# -- table upkeep (main thread) -------------------------------------------------------------------


@contextlib.contextmanager
def _mutating() -> Iterator[None]:
    global _busy
    prev, _busy = _busy, True
    try:
        yield
    finally:
        _busy = prev


def _attach(sub: _Sub, sig: int) -> None:
    """Add ``sub`` to ``sig``'s subscriptions, installing our handler for the first one."""
    subs = _handled.get(sig, ())
    _handled[sig] = (*subs, sub)
    if not subs:
        prev = _signal.signal(sig, _handler)
        _prev[sig] = prev
        _orig.setdefault(sig, prev)


def _detach(sub: _Sub, sig: int) -> None:
    """Remove ``sub`` from ``sig``'s subscriptions; the last one out restores the replaced handler."""
    subs = tuple(x for x in _handled.get(sig, ()) if x is not sub)
    if subs:
        _handled[sig] = subs
    elif sig in _handled:
        del _handled[sig]
        _signal.signal(sig, _restorable(_prev.pop(sig)))
        if sig not in _ignoring:
            del _orig[sig]  # gochan no longer changes sig: a later reset leaves it alone


def _drop(sub: _Sub) -> None:
    """End subscription ``sub`` for good."""
    sub.active = False
    del _subs[sub.ch]
    if not sub.sched.closed:
        sub.sched.release(durable=True)
    for sig in sub.sigs:
        _detach(sub, sig)


def _unsubscribe_all(sig: int) -> None:
    """No channel wants ``sig`` any more; a channel left wanting nothing is dropped."""
    for sub in _handled.get(sig, ()):
        if sub.sigs == {sig}:
            _drop(sub)
        else:
            sub.sigs -= {sig}
            _detach(sub, sig)


def _purge() -> None:
    """Drop the subscriptions of programs that have ended."""
    for sub in [sub for sub in _subs.values() if sub.sched.closed]:
        _drop(sub)


# -- helpers ------------------------------------------------------------------------------------


def _restorable(h: _Handler) -> _Handler:
    """A handler signal.signal accepts: None (installed outside Python) becomes SIG_DFL."""
    return _signal.SIG_DFL if h is None else h


def _signums(signums: tuple[int, ...]) -> frozenset[int]:
    valid = _signal.valid_signals()
    out = set()
    for n in signums:
        try:
            sig = Signals(n)
        except ValueError:
            raise ValueError(f"signal: unknown signal number {n}") from None
        if sig not in valid or sig.name in _NEVER:
            raise ValueError(f"signal: {sig.name} cannot be caught, ignored or reset")
        out.add(int(sig))
    return frozenset(out)


def _require_main_thread(op: str) -> None:
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError(
            f"signal.{op} must be called from the main thread: Python runs signal handlers only there; "
            "call it from a program started on the main thread"
        )
