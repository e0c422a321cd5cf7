"""Classic Go concurrency programs, translated line by line, with their known outputs.

- the concurrent prime sieve (go.dev/doc/play/sieve.go);
- Rob Pike's "whispers" daisy chain of 100 000 goroutines (Google I/O 2012, "Go Concurrency Patterns");
- ping-pong of a ball between two players (Sameer Ajmani, "Advanced Go Concurrency Patterns");
- fan-in of several producers (Pike's fanIn, with select and nil-ing out closed channels);
- the Go tour's Fibonacci generator driven by select with a quit channel (go.dev/tour/concurrency/5).
"""

from __future__ import annotations

from gochan import Chan, go, recv, run, select, send


def generate(ch: Chan[int]) -> None:
    """Send the sequence 2, 3, 4, ... to channel ch."""
    i = 2
    while True:
        ch.send(i)
        i += 1


def prime_filter(inp: Chan[int], out: Chan[int], prime: int) -> None:
    """Copy the values from channel inp to channel out, removing those divisible by prime."""
    while True:
        i = inp.recv()
        assert i is not None
        if i % prime != 0:
            out.send(i)


def sieve(n: int) -> list[int]:
    ch: Chan[int] = Chan()
    go(generate, ch)
    primes = []
    for _ in range(n):
        prime = ch.recv()
        assert prime is not None
        primes.append(prime)
        ch1: Chan[int] = Chan()
        go(prime_filter, ch, ch1, prime)
        ch = ch1
    return primes


def test_prime_sieve_prints_the_first_100_primes() -> None:
    primes = run(sieve, 100)
    assert len(primes) == 100
    assert primes[:10] == [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]
    assert primes[-1] == 541
    assert all(all(p % q for q in range(2, int(p**0.5) + 1)) for p in primes)


def whisper(left: Chan[int], right: Chan[int]) -> None:
    left.send(1 + (right.recv() or 0))


def whispers(n: int) -> int | None:
    leftmost: Chan[int] = Chan()
    right = leftmost
    left = leftmost
    for _ in range(n):
        right = Chan()
        go(whisper, left, right)
        left = right

    def first(c: Chan[int]) -> None:
        c.send(1)

    go(first, right)
    return leftmost.recv()


def test_daisy_chain_of_100000_goroutines_passes_the_whisper_along() -> None:
    assert run(whispers, 100_000) == 100_001


def test_ping_pong_players_alternate_hitting_the_ball() -> None:
    hits: list[str] = []

    def player(name: str, table: Chan[int], done: Chan[int]) -> None:
        while True:
            ball = table.recv()
            assert ball is not None
            if ball == 20:
                done.send(ball)
                return
            ball += 1
            hits.append(f"{name} {ball}")
            table.send(ball)

    def main() -> int | None:
        table: Chan[int] = Chan()
        done: Chan[int] = Chan()
        go(player, "ping", table, done)
        go(player, "pong", table, done)
        table.send(0)  # toss the ball
        return done.recv()

    assert run(main) == 20
    assert [int(h.split()[1]) for h in hits] == list(range(1, 21))
    names = [h.split()[0] for h in hits]
    assert names[0::2] == [names[0]] * 10
    assert names[1::2] == [names[1]] * 10
    assert {names[0], names[1]} == {"ping", "pong"}


def test_fan_in_merges_four_producers_keeping_each_ones_order() -> None:
    def producer(name: str, out: Chan[str], n: int) -> None:
        for i in range(n):
            out.send(f"{name}{i}")
        out.close()

    def fan_in(inputs: list[Chan[str]], out: Chan[str]) -> None:
        a: Chan[str] | None
        a, b, c, d = inputs
        live: list[Chan[str] | None] = [a, b, c, d]
        while any(ch is not None for ch in live):
            i, v, ok = select(recv(live[0]), recv(live[1]), recv(live[2]), recv(live[3]))
            if not ok:
                live[i] = None  # a nil channel is never ready: stop selecting on it
                continue
            assert v is not None
            out.send(v)
        out.close()

    def main() -> list[str]:
        inputs: list[Chan[str]] = [Chan() for _ in range(4)]
        for name, ch in zip("abcd", inputs, strict=True):
            go(producer, name, ch, 25)
        merged: Chan[str] = Chan()
        go(fan_in, inputs, merged)
        return list(merged)

    got = run(main, seed=3)
    assert sorted(got) == sorted(f"{name}{i}" for name in "abcd" for i in range(25))
    for name in "abcd":
        assert [v for v in got if v[0] == name] == [f"{name}{i}" for i in range(25)]
    assert got != sorted(got)  # select interleaved the producers


def test_select_with_quit_drives_the_fibonacci_generator() -> None:
    printed: list[str] = []

    def fibonacci(c: Chan[int], quit: Chan[int]) -> None:
        x, y = 0, 1
        while True:
            match select(send(c, x), recv(quit)):
                case (0, _, _):
                    x, y = y, x + y
                case (1, _, _):
                    printed.append("quit")
                    return

    def main() -> None:
        c: Chan[int] = Chan()
        quit: Chan[int] = Chan()

        def consumer() -> None:
            for _ in range(10):
                printed.append(str(c.recv()))
            quit.send(0)

        go(consumer)
        fibonacci(c, quit)

    run(main)
    assert printed == ["0", "1", "1", "2", "3", "5", "8", "13", "21", "34", "quit"]
