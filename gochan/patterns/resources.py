"""Resource pool: a buffered channel of idle resources and a factory (Go's ``pool`` package, "Go in Action").

Go::

    func (p *Pool) Acquire() (io.Closer, error) {
        select {
        case r, ok := <-p.resources:
            if !ok { return nil, ErrPoolClosed }
            return r, nil
        default:
            return p.factory()          // none idle: make one
        }
    }
    func (p *Pool) Release(r io.Closer) {
        p.m.Lock(); defer p.m.Unlock()
        if p.closed { r.Close(); return }
        select {
        case p.resources <- r:          // back into the pool
        default: r.Close()              // the pool is full: discard
        }
    }

:class:`ResourcePool` keeps at most ``size`` idle resources; ``acquire`` never waits (it makes a
new resource when none is idle), so the pool bounds what is *kept*, not what is in use. For a
bound on use, put a :class:`gochan.semaphore.Semaphore` (or a channel of tokens) in front of it.
``with pool.acquire() as r:`` releases on exit.

Many goroutines: every operation decides (closed? idle resource? room?) without blocking, so no
other goroutine can act between the check and the change; only the factory and the closer may
block, and they run after the decision. Go's mutex guards the same window against parallel
threads; a goroutine of gochan is never preempted, so none is needed.

Invariants:
  len(_idle) <= size;  _closed  iff  _idle is closed
  once closed, every released or idle resource is closed exactly once
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Generic, TypeVar, final

from gochan import Chan

from .errors import POOL_CLOSED, PoolClosedError

__all__ = ["Lease", "ResourcePool"]

T = TypeVar("T")

_SIZE_TOO_SMALL = "resource pool size must be at least 1"  # Go: "Size value too small."


def _close_resource(r: object) -> None:
    close = getattr(r, "close", None)
    if close is not None:
        close()


@final
class Lease(Generic[T]):
    """One acquired resource: ``resource``, ``release()``; ``with`` gives the resource and releases it."""

    __slots__ = ("_pool", "resource")

    def __init__(self, pool: ResourcePool[T], resource: T) -> None:
        self._pool: ResourcePool[T] | None = pool
        self.resource = resource

    def __repr__(self) -> str:
        return f"<Lease {self.resource!r}{'' if self._pool else ' released'}>"

    def release(self) -> None:
        """Give the resource back to its pool (see :meth:`ResourcePool.release`); once only."""
        pool = self._pool
        if pool is None:
            raise PoolClosedError("lease already released: a resource goes back to its pool once")
        self._pool = None
        pool.release(self.resource)

    def __enter__(self) -> T:
        return self.resource

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


@final
class ResourcePool(Generic[T]):
    """At most ``size`` idle resources made by ``factory``, shared by goroutines (Go: ``pool.Pool``).

    ``closer(r)`` closes a resource that is not kept (default: ``r.close()`` if it has one).
    """

    __slots__ = ("_closed", "_closer", "_factory", "_idle")

    def __init__(self, factory: Callable[[], T], size: int, *, closer: Callable[[T], object] | None = None) -> None:
        if size.__class__ is not int or size < 1:
            raise ValueError(f"{_SIZE_TOO_SMALL}, got {size!r}")
        self._factory = factory
        self._closer: Callable[[T], object] = closer or _close_resource
        self._idle: Chan[T] = Chan(size)  # Go: resources chan io.Closer
        self._closed = False

    def __repr__(self) -> str:
        state = " closed" if self._closed else ""
        return f"<ResourcePool idle={len(self._idle)}/{self._idle.cap}{state}>"

    def __len__(self) -> int:
        """How many idle resources the pool holds."""
        return len(self._idle)

    def acquire(self) -> Lease[T]:
        """An idle resource, or a new one from the factory; never waits for a release.

        Go: ``p.Acquire()``. Raises PoolClosedError("pool has been closed") after close; an
        exception from the factory propagates. ``with pool.acquire() as r:`` releases ``r`` on exit.
        """
        if self._closed:  # before the channel: close() may still be draining it
            raise PoolClosedError(POOL_CLOSED)
        match self._idle.try_recv():
            case (r, True):  # an idle resource (a closed channel's zero value is not one)
                return Lease(self, r)
        return Lease(self, self._factory())

    def release(self, r: T) -> None:
        """Put ``r`` back among the idle resources, or close it if the pool is full or closed (Go: ``p.Release``)."""
        if self._closed or not self._idle.try_send(r):
            self._closer(r)

    def close(self) -> None:
        """Close the pool and every idle resource; later releases close theirs. Closing twice does nothing.

        Go: ``p.Close()``. A later ``acquire`` raises PoolClosedError.
        """
        if self._closed:
            return
        self._closed = True
        self._idle.close()
        for r in self._idle:  # decided above: the closer may block, nothing else changes
            self._closer(r)
