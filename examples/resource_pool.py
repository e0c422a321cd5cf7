"""Seed 004 ("Go Concurrency 实战"), Pooling: a pool of "database connections" shared by goroutines.

``Pool`` (from *Go in Action*) keeps resources in a buffered channel of size 2 and a ``factory``
for new ones, behind a mutex that makes ``Release`` and ``Close`` safe together. ``Acquire`` takes
a pooled resource if one is there (``select`` with ``default``), else makes a new one; ``Release``
puts it back, or closes it when the pool is full or closed; ``Close`` closes the channel *before*
draining it (else the range would block) and closes every resource. ``ErrPoolClosed`` is "Pool has
been closed.".

Main starts ``maxGoroutines`` (25, as in the article's code) goroutines, each acquiring a
connection, "querying" for a random 0-999 ms and releasing it; then it closes the pool. Every
goroutine starts before any query ends, so most connections are new and most releases close them.
Printed (``log.Println`` without timestamps), in an order set by the random query times::

    Acquire: New Resource
    Create: New Connection 1
    ...
    Query: QID[7] CID[8]
    Release: In Queue
    ...
    Release: Closing
    Close: Connection 9
    ...
    Shutdown Program.
    Close: Connection 8
    Close: Connection 3
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Protocol

from gochan import Chan, go, recv, run, select, send, sleep
from gochan.sync import Mutex, WaitGroup

from ._common import Out, args, say

MAX_GOROUTINES = 25  # the number of goroutines to use
POOLED_RESOURCES = 2  # the number of resources in the pool


class Closer(Protocol):
    """Go's ``io.Closer``."""

    def close(self) -> None: ...


class PoolClosedError(Exception):
    pass


ERR_POOL_CLOSED = PoolClosedError("Pool has been closed.")


class Pool:
    """Manages a set of resources that can be shared safely by multiple goroutines."""

    def __init__(self, fn: Callable[[], Closer], size: int, out: Out) -> None:
        if size <= 0:
            raise ValueError("Size value too small.")
        self.m = Mutex()
        self.resources: Chan[Closer] = Chan(size)
        self.factory = fn
        self.closed = False
        self.out = out

    def acquire(self) -> Closer:
        """Retrieve a resource from the pool, or a new one; raises ERR_POOL_CLOSED once closed."""
        match select(recv(self.resources), default=True):
            case (0, r, ok):  # check for a free resource
                self.out("Acquire: Shared Resource")
                if not ok or r is None:
                    raise ERR_POOL_CLOSED
                return r
            case _:  # provide a new resource since there are none available
                self.out("Acquire: New Resource")
                return self.factory()

    def release(self, r: Closer) -> None:
        """Place a resource back in the pool, or close it."""
        with self.m:  # secure this operation with the Close operation
            if self.closed:  # if the pool is closed, discard the resource
                r.close()
                return
            match select(send(self.resources, r), default=True):
                case (0, _, _):  # attempt to place the new resource on the queue
                    self.out("Release: In Queue")
                case _:  # if the queue is already at cap we close the resource
                    self.out("Release: Closing")
                    r.close()

    def close(self) -> None:
        """Shut down the pool and close every resource in it."""
        with self.m:
            if self.closed:
                return
            self.closed = True
            # Close the channel before we drain it of its resources: else the range would deadlock.
            self.resources.close()
            for r in self.resources:
                r.close()


class DBConnection:
    """Simulates a resource to share."""

    def __init__(self, id: int, out: Out) -> None:
        self.id = id
        self.out = out

    def close(self) -> None:
        self.out(f"Close: Connection {self.id}")


def main(out: Out = print, unit: float = 1.0, rng: random.Random | None = None) -> None:
    rng = rng or random.Random()
    id_counter = 0  # gives each connection a unique id (Go: atomic.AddInt32; one scheduler here)

    def create_connection() -> Closer:
        nonlocal id_counter
        id_counter += 1
        out(f"Create: New Connection {id_counter}")
        return DBConnection(id_counter, out)

    wg = WaitGroup()
    wg.add(MAX_GOROUTINES)
    p = Pool(create_connection, POOLED_RESOURCES, out)  # the pool to manage our connections

    def perform_queries(query: int) -> None:
        try:
            conn = p.acquire()
        except PoolClosedError as err:
            out(str(err))
            return
        try:  # defer p.Release(conn)
            sleep(rng.randrange(1000) / 1000 * unit)  # wait to simulate a query response
            assert isinstance(conn, DBConnection)
            out(f"Query: QID[{query}] CID[{conn.id}]")
        finally:
            p.release(conn)

    for query in range(MAX_GOROUTINES):

        def one(q: int) -> None:  # each goroutine gets its own copy of the query value
            perform_queries(q)
            wg.done()

        go(one, query)
    wg.wait()
    out("Shutdown Program.")
    p.close()


if __name__ == "__main__":
    run(main, say, args(__doc__).unit)
