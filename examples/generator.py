"""Seed 004 ("Go Concurrency 实战"), 生成器 (generator): a goroutine serving values on a channel.

``rand_generator_2`` starts a goroutine that sends random ints forever and returns its channel;
main takes one value ("random numbers as a service"). Printed: one non-negative int.

As in Go, the generator goroutine is still blocked in its send when main returns and dies with
the program; ``gochan.run`` discards it, as Go's exit does. (A ``gochan.testing`` bubble, like
Go's ``synctest``, would report it as a leak: a generator meant to stop takes a done channel, as
in ``multiplex``'s notes.) ``rng`` stands in for ``math/rand`` so that a run can be repeated.
"""

from __future__ import annotations

import random

from gochan import Chan, go, run

from ._common import Out, args, say

MAX_INT = (1 << 63) - 1


def rand_generator_2(rng: random.Random) -> Chan[int]:
    out: Chan[int] = Chan()

    def serve() -> None:
        while True:
            out.send(rng.randint(0, MAX_INT))  # rand.Int(): a non-negative int63

    go(serve)
    return out


def main(out: Out = print, rng: random.Random | None = None) -> int:
    rand_service_handler = rand_generator_2(rng or random.Random())
    n = rand_service_handler.recv()
    assert n is not None  # the generator never closes its channel
    out(f"{n}")
    return n


if __name__ == "__main__":
    args(__doc__, unit=False)
    run(main, say)
