"""Future and promise: one result for many waiters, done() usable in select, exceptions carried and never lost."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from gochan import Chan, after, go, recv, select, sleep
from gochan import testing as synctest
from gochan.context import DEADLINE_EXCEEDED, background, with_timeout
from gochan.patterns import Future, promise, set_unobserved_error_hook


class Boom(Exception):
    pass


@pytest.fixture
def reported() -> Iterator[list[str]]:
    got: list[str] = []
    prev = set_unobserved_error_hook(lambda exc: got.append(str(exc)))
    try:
        yield got
    finally:
        set_unobserved_error_hook(prev)


@synctest.synctest
def test_promise_result_is_delivered_to_every_waiter() -> None:
    f = promise(lambda a, b: a + b, 2, 3)
    got: Chan[int] = Chan(3)
    for _ in range(3):
        go(lambda: got.send(f.result()))
    assert sorted(got.recv() or 0 for _ in range(3)) == [5, 5, 5]
    assert f.result() == 5 and f.ready()


@synctest.synctest
def test_done_is_a_channel_closed_on_completion_usable_in_select() -> None:
    f = promise(lambda: sleep(2.0))
    match select(recv(f.done()), recv(after(1.0))):
        case (0, _, _):
            pytest.fail("the future was done before its computation ended")
    assert not f.ready()
    match select(recv(f.done()), recv(after(5.0))):
        case (1, _, _):
            pytest.fail("done() was not closed on completion")
    assert f.done().recv_ok() == (None, False)  # closed, not sent on


@synctest.synctest
def test_done_asked_after_completion_is_already_closed() -> None:
    f = promise(lambda: 1)
    assert f.result() == 1
    assert f.done().try_recv() == (None, False)


@synctest.synctest
def test_an_exception_is_carried_and_raised_each_time_with_its_own_traceback() -> None:
    def fail() -> int:
        raise Boom("no")

    f = promise(fail)
    for _ in range(3):
        with pytest.raises(Boom, match=r"^no$") as info:
            f.result()
    depth = len(list(_frames(info.value.__traceback__)))
    with pytest.raises(Boom) as again:
        f.result()
    assert len(list(_frames(again.value.__traceback__))) == depth  # not a traceback growing at each raise
    assert isinstance(f.exception(), Boom)


def _frames(tb: object) -> Iterator[object]:
    while tb is not None:
        yield tb
        tb = tb.tb_next  # type: ignore[attr-defined]  # a traceback object


@synctest.synctest
def test_result_with_a_context_stops_waiting_when_it_is_done() -> None:
    f = promise(lambda: sleep(10.0))
    with with_timeout(background(), 1.0) as (ctx, _), pytest.raises(TimeoutError) as info:
        f.result(ctx)
    assert info.value is DEADLINE_EXCEEDED
    f.result()  # the computation went on


def test_an_unread_exception_is_reported_once_the_future_is_collected(reported: list[str]) -> None:
    def main() -> None:
        def fail() -> None:
            raise Boom("unread")

        f = promise(fail)
        f.done().recv()
        del f

    synctest.run(main)
    assert reported == ["unread"]


def test_a_read_exception_is_not_reported(reported: list[str]) -> None:
    def main() -> None:
        def fail() -> None:
            raise Boom("read")

        f = promise(fail)
        assert isinstance(f.exception(), Boom)

    synctest.run(main)
    gc.collect()
    assert reported == []


def test_a_base_exception_is_not_caught_it_ends_the_program() -> None:
    def main() -> None:
        def interrupt() -> None:
            raise KeyboardInterrupt

        f: Future[None] = promise(interrupt)
        f.result()

    with pytest.raises(KeyboardInterrupt):
        synctest.run(main)
