"""A deadlock's report lists, after the goroutine dump, what each parked goroutine waits on."""

from __future__ import annotations

import re

import pytest

from gochan import Chan, DeadlockError, go, recv, run, select, send
from gochan.sync import Mutex, WaitGroup


def graph_of(err: DeadlockError) -> str:
    notes = err.__notes__
    assert notes[0] == err.dump  # the Go-format dump first, then the wait graph
    return str(notes[1])


def test_lock_order_cycle_shows_each_mutex_holder_and_waiter() -> None:
    def main() -> None:
        mu_a, mu_b = Mutex(), Mutex()
        held: Chan[None] = Chan()
        proceed: Chan[None] = Chan()

        def worker(first: Mutex, second: Mutex) -> None:
            with first:
                held.send(None)
                proceed.recv()
                with second:
                    pass

        go(worker, mu_a, mu_b)
        go(worker, mu_b, mu_a)
        held.recv()
        held.recv()
        proceed.close()
        done: Chan[None] = Chan()
        done.recv()

    with pytest.raises(DeadlockError) as info:
        run(main)
    graph = graph_of(info.value)
    entry = r"^sync\.Mutex {} \[0x[0-9a-f]+\]:\n\theld by: goroutine (\d+)\n\twaiting: goroutine (\d+)$"
    a = re.search(entry.format("mu_a"), graph, re.M)
    b = re.search(entry.format("mu_b"), graph, re.M)
    assert a is not None and b is not None, graph
    # the cycle: each worker holds the mutex the other waits for
    assert (a[1], a[2]) == (b[2], b[1])
    assert {a[1], b[1]} == {"2", "3"}
    assert re.search(r"^chan done \(unbuffered\) \[0x[0-9a-f]+\]:\n\treceive: goroutine 1$", graph, re.M), graph


def test_channel_lists_senders_and_receivers_select_marked() -> None:
    def main() -> None:
        requests: Chan[int] = Chan()
        replies: Chan[int] = Chan(2)

        def client() -> None:
            requests.send(1)

        def selector() -> None:
            select(send(requests, 2), recv(replies))

        go(client)
        go(selector)
        wg = WaitGroup()
        wg.add(1)
        wg.wait()

    with pytest.raises(DeadlockError) as info:
        run(main)
    graph = graph_of(info.value)
    expected = (
        r"chan requests \(unbuffered\) \[0x[0-9a-f]+\]:\n\tsend:    goroutine 2, goroutine 3 \(select\)\n"
        r"chan replies \(cap 2, len 0\) \[0x[0-9a-f]+\]:\n\treceive: goroutine 3 \(select\)\n"
    )
    assert re.search(expected, graph), graph
    assert re.search(r"^sync\.WaitGroup wg \[0x[0-9a-f]+\]:\n\twaiting: goroutine 1$", graph, re.M), graph


def test_no_wait_graph_note_when_nothing_waits_on_an_object() -> None:
    def main() -> None:
        select()

    with pytest.raises(DeadlockError) as info:
        run(main)
    assert info.value.__notes__ == [info.value.dump]
