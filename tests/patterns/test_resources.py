"""ResourcePool: reuse up to size idle resources, make more on demand, close the surplus and everything at close."""

from __future__ import annotations

import pytest

from gochan import go, sleep
from gochan import testing as synctest
from gochan.patterns import PoolClosedError, ResourcePool
from gochan.sync import WaitGroup


class Conn:
    made = 0

    def __init__(self) -> None:
        Conn.made += 1
        self.id = Conn.made
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


@pytest.fixture(autouse=True)
def _reset() -> None:
    Conn.made = 0


@synctest.synctest
def test_acquire_reuses_a_released_resource() -> None:
    pool = ResourcePool(Conn, 2)
    with pool.acquire() as a:
        pass
    with pool.acquire() as b:
        assert b is a
    assert Conn.made == 1 and len(pool) == 1
    pool.close()
    assert a.closed == 1


@synctest.synctest
def test_a_release_to_a_full_pool_closes_the_resource() -> None:
    pool = ResourcePool(Conn, 1)
    la, lb = pool.acquire(), pool.acquire()  # none idle: both made
    la.release()
    lb.release()
    assert (la.resource.closed, lb.resource.closed) == (0, 1)
    pool.close()
    assert la.resource.closed == 1


@synctest.synctest
def test_after_close_acquire_raises_and_release_closes() -> None:
    pool = ResourcePool(Conn, 2)
    lease = pool.acquire()
    pool.close()
    pool.close()  # twice: nothing more
    with pytest.raises(PoolClosedError, match=r"^pool has been closed$"):
        pool.acquire()
    lease.release()
    assert lease.resource.closed == 1
    with pytest.raises(PoolClosedError, match="released"):
        lease.release()


@synctest.synctest
def test_a_custom_closer_and_go_style_release() -> None:
    closed: list[int] = []
    pool: ResourcePool[int] = ResourcePool(lambda: 7, 1, closer=closed.append)
    r = pool.acquire().resource
    pool.release(r)
    pool.release(8)  # full: closed
    pool.close()
    assert closed == [8, 7]


def test_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1, got 0"):
        ResourcePool(Conn, 0)


@synctest.synctest
def test_many_goroutines_share_two_pooled_connections() -> None:
    """The seed's program: 2 pooled connections, 10 goroutines querying."""
    pool = ResourcePool(Conn, 2)
    wg = WaitGroup()
    in_use: set[int] = set()

    def query(q: int) -> None:
        with pool.acquire() as c:
            assert c.id not in in_use  # a resource is held by one goroutine at a time
            in_use.add(c.id)
            sleep(0.1 * (q % 3 + 1))
            in_use.discard(c.id)
        wg.done()

    for q in range(10):
        wg.add(1)
        go(query, q)
    wg.wait()
    assert len(pool) == 2
    pool.close()
    kept = Conn.made
    assert kept >= 2
