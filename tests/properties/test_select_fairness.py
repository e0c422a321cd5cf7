"""select fairness: every ready case is equally likely (Go polls the cases in a random order).

A chi-square goodness-of-fit test against the uniform distribution over 4 always-ready cases,
40 000 selects under a fixed seed (so the test is deterministic). The critical value of the
chi-square distribution with 3 degrees of freedom at p = 0.001 is 16.27. A control runs a slightly
biased picker through the same check and shows that it fails, so the check has teeth.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from gochan import Chan, go, recv, run, select, send

N = 40_000
CASES = 4
CRITICAL_3DOF_P001 = 16.27
SEED = 20240601


def chi_square(counts: list[int]) -> float:
    expected = sum(counts) / len(counts)
    return sum((c - expected) ** 2 / expected for c in counts)


def assert_uniform(counts: list[int], total: int = N) -> None:
    assert len(counts) == CASES
    assert sum(counts) == total
    stat = chi_square(counts)
    assert stat < CRITICAL_3DOF_P001, f"chi-square {stat:.2f} >= {CRITICAL_3DOF_P001} for counts {counts}"


def closed_recv_cases() -> list[int]:
    """Four closed channels: a receive case on each is always ready."""
    chans: list[Chan[int]] = [Chan() for _ in range(CASES)]
    for ch in chans:
        ch.close()
    a, b, c, d = chans
    counts = [0] * CASES
    for _ in range(N):
        i, _, ok = select(recv(a), recv(b), recv(c), recv(d))
        assert not ok
        counts[i] += 1
    return counts


def buffered_send_cases() -> list[int]:
    """Four channels with room for every send: a send case on each is always ready."""
    a, b, c, d = (Chan[int](N) for _ in range(CASES))
    counts = [0] * CASES
    for v in range(N):
        i, _, _ = select(send(a, v), send(b, v), send(c, v), send(d, v))
        counts[i] += 1
    assert [len(a), len(b), len(c), len(d)] == counts
    return counts


def mixed_cases() -> list[int]:
    """A buffered value, a closed channel, room to send, and a waiting sender: all ready."""
    buffered: Chan[int] = Chan(N)
    for v in range(N):
        buffered.send(v)
    closed: Chan[int] = Chan()
    closed.close()
    room: Chan[int] = Chan(N)
    counts = [0] * CASES
    for v in range(N):
        i, _, _ = select(recv(buffered), recv(closed), send(room, v), recv(buffered))
        counts[i] += 1
    return counts


@pytest.mark.parametrize("program", [closed_recv_cases, buffered_send_cases, mixed_cases])
def test_select_chooses_uniformly_among_ready_cases(program: Callable[[], list[int]]) -> None:
    assert_uniform(run(program, seed=SEED))


# A blocked select with several cases on one channel: Go enqueues them in a lock order permuted by
# the random poll order, so the case the channel fires is uniform among them too.


def _take(ch: Chan[int]) -> None:
    ch.recv()


def _give(ch: Chan[int]) -> None:
    ch.send(0)


def parked_send_cases() -> list[int]:
    """Four send cases on one channel; a receiver started each round fires the parked select."""
    c: Chan[int] = Chan()
    counts = [0] * CASES
    for _ in range(N // 4):
        go(_take, c)  # runs once the select has parked
        i, _, _ = select(send(c, 0), send(c, 1), send(c, 2), send(c, 3))
        counts[i] += 1
    return counts


def parked_recv_cases_among_others() -> list[int]:
    """Four receive cases on one channel, interleaved with cases on two idle channels."""
    c: Chan[int] = Chan()
    idle: Chan[int] = Chan()
    full: Chan[int] = Chan()
    counts = [0] * CASES
    for _ in range(N // 4):
        go(_give, c)
        i, _, _ = select(recv(c), recv(idle), recv(c), send(full, 0), recv(c), recv(c))
        counts[{0: 0, 2: 1, 4: 2, 5: 3}[i]] += 1
    return counts


@pytest.mark.parametrize("program", [parked_send_cases, parked_recv_cases_among_others])
def test_blocked_select_fires_uniformly_among_its_cases_on_one_channel(program: Callable[[], list[int]]) -> None:
    assert_uniform(run(program, seed=SEED), total=N // 4)


def test_a_biased_picker_fails_the_same_check() -> None:
    rng = random.Random(SEED)
    counts = [0] * CASES
    for _ in range(N):
        # take the first ready case 4% of the time, else choose uniformly: P(case 0) = 0.28
        i = 0 if rng.random() < 0.04 else rng.randrange(CASES)
        counts[i] += 1
    with pytest.raises(AssertionError, match=r"^chi-square "):
        assert_uniform(counts)


def test_an_unbiased_picker_passes_the_check() -> None:
    rng = random.Random(SEED)
    counts = [0] * CASES
    for _ in range(N):
        counts[rng.randrange(CASES)] += 1
    assert_uniform(counts)
