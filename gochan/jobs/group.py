"""Group commit: the calls that goroutines make while one is in flight on an OS thread share the next.

Go: what a database's commit queue does (and Go programs write with a channel and a leader); here
for a blocking store, whose every call is a round trip to an OS thread (``to_thread``) on top of
its own (a transaction, a network round trip). The job runtime commits submits and completions
through it.

Design: callers append their item to the gathering batch. If no call is in flight, the caller leads:
it takes the gathering batch, makes the one call for it, and closes the batch's ``ready`` channel
(Go's broadcast by close), which wakes every caller of that batch with its result, and the callers
of the next batch, the first of whom leads next. A leader makes its own batch's call only.

Invariants (between goroutine switches; on one scheduler's thread, so no lock):
  at most one batch is in flight, and at most one gathers
  an item's batch is gathering, in flight, or committed (then its result or error is set)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar, final

from gochan import Chan, to_thread

__all__ = ["GroupCommit"]

T = TypeVar("T")
A = TypeVar("A")
R = TypeVar("R")


@final
class _Batch(Generic[T, R]):
    """Items that one ``to_thread`` call handles together; ``ready`` is closed once it returned
    (made only when someone waits: a lone caller's batch needs no channel)."""

    __slots__ = ("committed", "error", "items", "ready", "results")

    def __init__(self) -> None:
        self.items: list[T] = []
        self.ready: Chan[None] | None = None  # made by the first caller that waits for it
        self.committed = False
        self.results: list[R] = []
        self.error: Exception | None = None


@final
class GroupCommit(Generic[T, A, R]):
    """Group commit for a blocking store: the calls made while one is in flight share the next.

    ``fn(items, arg(items))`` runs on an OS thread (``to_thread``) for a whole batch and returns a
    result per item; ``arg`` is called on the scheduler's thread by the batch's leader, and so is
    ``then(arg)`` once ``fn`` returned, before any caller of the batch runs again. While a batch is
    in flight, callers gather in the next one; when the call in flight returns, the first of them
    to run leads its batch. Each leader makes its own batch's call only, so no caller is held for
    others' work beyond one call. On the scheduler's thread only (no lock: goroutines are never
    preempted).
    """

    __slots__ = ("_arg", "_fn", "_gathering", "_in_flight", "_then")

    def __init__(
        self,
        fn: Callable[[list[T], A], list[R]],
        arg: Callable[[list[T]], A],
        then: Callable[[A], None] | None = None,
    ) -> None:
        self._fn = fn
        self._arg = arg
        self._then = then
        self._gathering: _Batch[T, R] | None = None  # items waiting for the call in flight to return
        self._in_flight: _Batch[T, R] | None = None  # the batch whose call is running now

    def __call__(self, item: T) -> R:
        """``fn``'s result for ``item``, after its batch's call returned; raises the call's error."""
        batch = self._gathering
        if batch is None:
            batch = self._gathering = _Batch()
        i = len(batch.items)
        batch.items.append(item)
        while not batch.committed:
            flight = self._in_flight
            if flight is not None:
                if flight.ready is None:
                    flight.ready = Chan()
                flight.ready.recv()
                continue
            self._gathering, self._in_flight = None, batch  # lead: this batch is the gathering one
            try:
                arg = self._arg(batch.items)
                batch.results = to_thread(self._fn, batch.items, arg)
            except Exception as e:  # noqa: BLE001 - raised in every caller of the batch
                batch.error = e
            finally:
                batch.committed = True
                self._in_flight = None
                if batch.ready is not None:
                    batch.ready.close()  # its callers run once this goroutine switches: after then()
            if self._then is not None and batch.error is None:
                self._then(arg)
        if batch.error is not None:
            raise batch.error
        return batch.results[i]
