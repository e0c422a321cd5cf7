"""Seed 000 ("Distributed workers in Golang", WISESIGHT): the opening slides — goroutines, channels, close, select.

Four small Go programs, run one after the other, each under a header line:

- ``goroutines``: ``go wait(wg)`` and ``wg.Wait()``; prints "Wait for 1 sec".
- ``channels``: six goroutines each send "Number n" after a second; main receives six. Go does not
  order the six sends (they all wake at the same instant), so neither does this port.
- ``channels_close``: main receives only three, then closes the channel. Go's slide leaves three
  senders blocked; closing the channel under them makes them panic "send on closed channel" if
  they get to run before main returns. Under ``gochan.run`` main returns first and they are
  discarded with the program, as in Go; a ``gochan.testing`` bubble, which waits for every
  goroutine, shows the panic (the tests check both).
- ``fibonacci``: the select with a quit channel; prints 0 1 1 2 3 5 8 13 21 34 and "quit".
"""

from __future__ import annotations

from gochan import Chan, go, recv, run, select, send, sleep
from gochan.sync import WaitGroup

from ._common import Out, args, say


def wait(wg: WaitGroup, out: Out, unit: float) -> None:
    # The slide passes ``wg`` by value (``func wait(wg)``), which in Go copies the WaitGroup and
    # deadlocks; it means ``*sync.WaitGroup``, which is what a Python reference is.
    try:  # defer wg.Done()
        sleep(1 * unit)
        out("Wait for 1 sec")
    finally:
        wg.done()


def goroutines(out: Out, unit: float = 1.0) -> None:
    wg = WaitGroup()
    wg.add(1)
    go(wait, wg, out, unit)  # run new routine
    wg.wait()


def wait_send(n: int, c: Chan[str], unit: float) -> None:
    sleep(1 * unit)
    c.send(f"Number {n}")


def channels(out: Out, unit: float = 1.0) -> None:
    s = [1, 2, 3, 4, 5, 6]
    c: Chan[str] = Chan()
    for n in range(len(s)):  # Go's ``for n := range s`` ranges over the indexes 0..5
        go(wait_send, n, c, unit)
    for _ in range(len(s)):
        out(str(c.recv()))


def channels_close(out: Out, unit: float = 1.0) -> None:
    s = [1, 2, 3, 4, 5, 6]
    c: Chan[str] = Chan()
    for n in range(len(s)):
        go(wait_send, n, c, unit)
    for _ in range(3):
        out(str(c.recv()))
    c.close()  # the three senders still blocked will panic "send on closed channel" if they run


def fibonacci(c: Chan[int], quit: Chan[int], out: Out) -> None:
    x, y = 0, 1
    while True:
        match select(send(c, x), recv(quit)):
            case (0, _, _):
                x, y = y, x + y
            case (1, _, _):
                out("quit")
                return


def select_fibonacci(out: Out) -> None:
    c: Chan[int] = Chan()
    quit: Chan[int] = Chan()

    def printer() -> None:
        for _ in range(10):
            out(str(c.recv()))
        quit.send(0)

    go(printer)
    fibonacci(c, quit, out)


def main(out: Out = print, unit: float = 1.0) -> None:
    """Run the four slides' programs in order; ``channels_close`` last, as it leaves senders behind."""
    out("== goroutines ==")
    goroutines(out, unit)
    out("== channels ==")
    channels(out, unit)
    out("== select ==")
    select_fibonacci(out)
    out("== channels (close) ==")
    channels_close(out, unit)


if __name__ == "__main__":
    run(main, say, args(__doc__).unit)
