"""Seed 004 ("Go Concurrency 实战"), 共享变量 (shared variable): a goroutine that owns the value, and a mutex.

The article's ``sharded_var`` has a ``reader`` and a ``writer`` channel; its watchdog goroutine
owns ``value`` and loops on ``select { case value = <-v.writer: case v.reader <- value: }``. Main
reads 0, writes 1, reads 1. Printed::

    0
    1
    owner goroutine: 100 increments -> 100
    mutex: 100 increments -> 100

The last two lines compare the two ways of sharing a counter among 100 goroutines: the owner
goroutine applies increments it receives on a channel (nobody else touches the value; "share
memory by communicating"), the mutex version guards ``value += 1`` with ``sync.Mutex``. Reading
through ``reader`` and writing back through ``writer`` would *not* be an increment: another
goroutine can write in between (a lost update), which is why the owner takes the operation
itself. The article's watchdog loops forever; this one also selects on a ``quit`` channel so the
program can stop it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gochan import Chan, go, recv, run, select, send
from gochan.sync import Mutex, WaitGroup

from ._common import Out, args, say

GOROUTINES = 100


@dataclass(frozen=True)
class ShardedVar:
    reader: Chan[int]
    writer: Chan[int]
    inc: Chan[int] = field(default_factory=Chan)  # added: an increment the owner applies itself
    quit: Chan[None] = field(default_factory=Chan)  # added: stops the owner


def sharded_var_watchdog(v: ShardedVar) -> None:
    """The goroutine that owns the value: it serves reads and writes, one at a time."""

    def own() -> None:
        value = 0
        while True:  # listen on the read and write channels
            match select(recv(v.writer), send(v.reader, value), recv(v.inc), recv(v.quit)):
                case (0, new, True):
                    value = new
                case (2, delta, True):
                    value += delta
                case (3, _, _):
                    return
                case _:
                    pass  # a reader took the value

    go(own)


def owner_counter() -> int:
    v = ShardedVar(Chan(), Chan())
    sharded_var_watchdog(v)
    wg = WaitGroup()
    for _ in range(GOROUTINES):
        wg.go(v.inc.send, 1)
    wg.wait()
    total = v.reader.recv()
    v.quit.close()
    assert total is not None
    return total


def mutex_counter() -> int:
    mu = Mutex()
    value = 0

    def inc() -> None:
        nonlocal value
        with mu:
            value += 1

    wg = WaitGroup()
    for _ in range(GOROUTINES):
        wg.go(inc)
    wg.wait()
    return value


def main(out: Out = print) -> None:
    v = ShardedVar(Chan(), Chan())  # initialise, and start the goroutine that keeps it
    sharded_var_watchdog(v)
    out(f"{v.reader.recv()}")
    v.writer.send(1)
    out(f"{v.reader.recv()}")
    v.quit.close()
    out(f"owner goroutine: {GOROUTINES} increments -> {owner_counter()}")
    out(f"mutex: {GOROUTINES} increments -> {mutex_counter()}")


if __name__ == "__main__":
    args(__doc__, unit=False)
    run(main, say)
