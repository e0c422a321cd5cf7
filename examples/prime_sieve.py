"""Seed 004 ("Go Concurrency 实战"), Chain Filter 技术: the concurrent prime sieve.

``Generate`` sends 2, 3, 4, ...; each prime found starts a ``Filter`` goroutine that passes on the
numbers it does not divide, chained after the previous filter. Ten filters give the first ten
primes. Printed::

    2
    3
    5
    7
    11
    13
    17
    19
    23
    29

(The article's ``print(prime, "n")`` means a newline.) The generator and the filters are blocked
when main returns and die with the program, as in Go.
"""

from __future__ import annotations

from gochan import Chan, RecvChan, SendChan, go, run

from ._common import Out, args, say


def generate(ch: SendChan[int]) -> None:
    i = 2
    while True:
        ch.send(i)
        i += 1


def filter(inp: RecvChan[int], out: SendChan[int], prime: int) -> None:
    while True:
        i = inp.recv()  # receive value from 'in'
        assert i is not None  # never closed
        if i % prime != 0:
            out.send(i)  # send 'i' to 'out'


def main(out: Out = print, n: int = 10) -> list[int]:
    ch: Chan[int] = Chan()  # create a new channel
    go(generate, ch)  # launch the Generate goroutine
    primes = []
    for _ in range(n):
        prime = ch.recv()
        assert prime is not None
        out(f"{prime}")
        primes.append(prime)
        ch1: Chan[int] = Chan()
        go(filter, ch, ch1, prime)
        ch = ch1
    return primes


if __name__ == "__main__":
    args(__doc__, unit=False)
    run(main, say)
