"""Seed 004 ("Go Concurrency 实战"), 多路复用 (multiplexing): two generators merged onto one channel.

``rand_generator_3`` starts two ``rand_generator_2`` services and two goroutines, each copying one
of them onto a shared ``out`` channel (``out <- <-rand_generator_1``). Main reads ten values.
Which generator each value comes from depends on scheduling; each generator's own values arrive
in the order it made them. Printed: ten non-negative ints.

As in ``generator``, the four goroutines are blocked when main returns and die with the program.
"""

from __future__ import annotations

import random

from gochan import Chan, go, run

from ._common import Out, args, say
from .generator import rand_generator_2


def rand_generator_3(rng1: random.Random, rng2: random.Random) -> Chan[int]:
    rand_generator_1 = rand_generator_2(rng1)
    rand_generator_2_ = rand_generator_2(rng2)  # Go's local shadows the function's name
    out: Chan[int] = Chan()

    def copy(src: Chan[int]) -> None:
        while True:
            out.send(src.recv() or 0)  # out <- <-src (a generator never closes: never the zero value)

    go(copy, rand_generator_1)
    go(copy, rand_generator_2_)
    return out


def main(out: Out = print, rng1: random.Random | None = None, rng2: random.Random | None = None) -> list[int]:
    merged = rand_generator_3(rng1 or random.Random(), rng2 or random.Random())
    got = []
    for _ in range(10):
        n = merged.recv()
        assert n is not None
        got.append(n)
        out(f"{n}")
    return got


if __name__ == "__main__":
    args(__doc__, unit=False)
    run(main, say)
