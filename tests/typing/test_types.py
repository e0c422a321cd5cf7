"""Static types of the channel and select API, pinned with ``typing.assert_type``.

``mypy --strict tests`` must accept this file: it proves that receives are typed ``T | None``
(``T`` once ``ok`` is known to be True), that ``select`` results narrow per case index under
``match`` without casts, and that the send/receive views have the right variance. The tests
also run the same code, so the pinned types are the types of real values.
"""

from __future__ import annotations

from typing import Literal, NoReturn, assert_never, assert_type

from gochan import Chan, RecvChan, SendChan, go, recv, run, select, send

Default = tuple[Literal[-1], None, Literal[False]]


def test_receive_forms_have_precise_types() -> None:
    def main() -> None:
        ch: Chan[int] = Chan(4)
        for v in (1, 2, 3, 4):
            ch.send(v)
        assert assert_type(ch.recv(), int | None) == 1
        got = assert_type(ch.recv_ok(), tuple[int, Literal[True]] | tuple[int | None, Literal[False]])
        assert got == (2, True)
        match ch.recv_ok():  # `v, ok = ...; if ok:` cannot narrow v: mypy loses the pairing
            case (third, True):
                assert assert_type(third, int) == 3
            case _:
                raise AssertionError("a buffered value was expected")
        tried = assert_type(
            ch.try_recv(),
            tuple[int, Literal[True]] | tuple[int | None, Literal[False]] | None,
        )
        assert tried == (4, True)
        ch.close()
        assert [assert_type(x, int) for x in ch] == []

    run(main)


def test_views_have_the_right_variance() -> None:
    def main() -> None:
        ints: Chan[int] = Chan(1)
        out: SendChan[int] = ints.send_only()
        inp: RecvChan[int] = ints.recv_only()
        widened: RecvChan[object] = ints  # covariant: a receiver of ints receives objects
        objects: Chan[object] = Chan(1)
        narrowed: SendChan[int] = objects  # contravariant: a sink for objects accepts ints
        # a case built from a view carries the view's element type into select's result
        r = select(recv(inp), send(narrowed, 1))
        assert_type(
            r,
            tuple[Literal[0], int, Literal[True]]
            | tuple[Literal[0], int | None, Literal[False]]
            | tuple[Literal[1], None, Literal[True]]
            | tuple[Literal[1], None, Literal[False]],
        )
        assert r == (1, None, True)
        out.send(7)
        assert assert_type(widened.recv(), object | None) == 7
        assert objects.recv() == 1

    run(main)


def test_select_results_are_typed_per_case() -> None:
    def main() -> None:
        a: Chan[int] = Chan(1)
        b: Chan[str] = Chan(1)
        a.send(1)
        r = select(recv(a), recv(b))
        assert_type(
            r,
            tuple[Literal[0], int, Literal[True]]
            | tuple[Literal[0], int | None, Literal[False]]
            | tuple[Literal[1], str, Literal[True]]
            | tuple[Literal[1], str | None, Literal[False]],
        )
        assert r == (0, 1, True)
        d = select(recv(a), send(b, "x"), default=True)
        assert_type(
            d,
            tuple[Literal[0], int, Literal[True]]
            | tuple[Literal[0], int | None, Literal[False]]
            | tuple[Literal[1], None, Literal[True]]
            | tuple[Literal[1], None, Literal[False]]
            | Default,
        )
        assert d == (1, None, True)
        assert assert_type(select(default=True), Default) == (-1, None, False)
        one = select(recv(b))
        assert_type(one, tuple[Literal[0], str, Literal[True]] | tuple[Literal[0], str | None, Literal[False]])
        assert one == (0, "x", True)

    run(main)


def block_forever() -> NoReturn:
    """``select()`` with no cases never returns, and mypy knows it."""
    select()


def test_match_narrows_select_results() -> None:
    handled: list[str] = []

    def step(jobs: Chan[int], quit: Chan[str], out: Chan[float], x: float) -> None:
        match select(recv(jobs), recv(quit), send(out, x), default=True):
            case (0, job, True):
                handled.append(f"job {assert_type(job, int) + 1}")
            case (0, zero, False):
                handled.append(f"jobs closed {assert_type(zero, int | None)}")
            case (1, why, _):
                handled.append(f"quit {assert_type(why, str | None)}")
            case (2, sent, ok):
                assert_type(sent, None)
                handled.append(f"sent {assert_type(ok, bool)}")
            case (-1, nothing, ok):
                assert_type(nothing, None)
                handled.append(f"idle {assert_type(ok, Literal[False])}")
            case unreachable:
                assert_never(unreachable)

    def main() -> None:
        jobs: Chan[int] = Chan(1)
        quit: Chan[str] = Chan(1)
        out: Chan[float] = Chan(1)
        out.send(0.0)
        step(jobs, quit, out, 1.5)  # nothing ready
        jobs.send(41)
        step(jobs, quit, out, 1.5)
        out.recv()
        step(jobs, quit, out, 1.5)  # room in out
        quit.send("done")
        step(jobs, Chan[str](), Chan[float](), 1.5)
        step(Chan[int](), quit, Chan[float](), 1.5)
        jobs.close()
        step(jobs, Chan[str](), Chan[float](), 1.5)
        go(block_forever)  # started and discarded when main returns

    run(main)
    assert handled == ["idle False", "job 42", "sent True", "idle False", "quit done", "jobs closed None"]
