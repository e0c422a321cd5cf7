"""GroupCommit (gochan/jobs/group.py): callers that come while a call is in flight share the next,
each gets its own item's result, and an error reaches every caller of its batch and no other."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from gochan import Chan, go
from gochan.jobs.group import GroupCommit
from gochan.testing import run

N = 6


def test_callers_during_a_call_share_the_next_and_get_their_own_results() -> None:
    sizes: list[int] = []
    first = threading.Event()

    def double(items: Sequence[int], offset: int) -> list[int]:  # on an OS thread
        sizes.append(len(items))
        if len(sizes) == 1:
            assert first.wait(60)
        return [2 * i + offset for i in items]

    def main() -> None:
        group: GroupCommit[int, int, int] = GroupCommit(double, lambda items: 100)
        calling: Chan[None] = Chan(N)
        results: Chan[tuple[int, int]] = Chan(N)

        def call(i: int) -> None:
            calling.send(None)  # buffered: the call follows without a switch
            results.send((i, group(i)))

        for i in range(N):
            go(call, i)
        for _ in range(N):
            calling.recv()
        first.set()
        got = [results.recv() for _ in range(N)]
        assert sorted(r for r in got if r is not None) == [(i, 2 * i + 100) for i in range(N)]

    run(main)
    assert sizes == [1, N - 1]


@pytest.mark.parametrize("where", ["fn", "arg"])
def test_an_error_reaches_every_caller_of_its_batch_and_the_next_batch_goes_on(where: str) -> None:
    failing = [True]

    def fn(items: Sequence[int], arg: int) -> list[int]:
        if where == "fn" and failing[0]:
            raise ValueError("store down")
        return list(items)

    def arg(items: Sequence[int]) -> int:
        if where == "arg" and failing[0]:
            raise ValueError("store down")
        return 0

    def main() -> None:
        group: GroupCommit[int, int, int] = GroupCommit(fn, arg)
        errors: Chan[str] = Chan(N)

        def call(i: int) -> None:
            try:
                group(i)
            except ValueError as e:
                errors.send(str(e))

        for i in range(N):
            go(call, i)
        assert [errors.recv() for _ in range(N)] == ["store down"] * N  # the first batch, then the rest
        failing[0] = False
        assert group(7) == 7

    run(main)
