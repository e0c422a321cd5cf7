"""Random context trees, cancelled in random orders, against a model.

A program is a random sequence of steps run on virtual time: create a node (with_cancel,
with_cancel_cause, with_value or with_timeout, under a random existing node), cancel a node,
let time pass (timeouts fire), register or stop an after_func. After every step:

- every node's ``err()`` and ``cause()`` are the model's (the error and cause of the cancellation
  that reached it first; value nodes report their nearest cancellable ancestor's);
- every node with a watcher (a goroutine blocked on its ``done()``) was woken exactly once if it
  is cancelled and never otherwise: cancellation touches exactly the nodes it should;
- every after_func ran exactly once iff its context is done and it was not stopped first;
- exactly the live timeout nodes with a deadline of their own have a pending runtime timer;
- the tree does not leak: each live cancellable node's registry of children holds exactly its
  live cancellable descendants that have no cancellable node in between, plus its pending
  after_funcs; a cancelled node holds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from hypothesis import given, settings
from hypothesis import strategies as st

from gochan import Chan, go
from gochan._runtime import Scheduler, current_scheduler, run_in
from gochan.context import (
    CANCELED,
    DEADLINE_EXCEEDED,
    Context,
    _AfterFuncCtx,  # white box: after_func's hidden child in a registry
    after_func,
    background,
    cause,
    with_cancel,
    with_cancel_cause,
    with_timeout,
    with_value,
)

from . import examples

Kind = Literal["cancel", "cause", "value", "timeout"]


@dataclass
class Node:
    """One context of the tree and what the model expects of it."""

    kind: Kind
    parent: int | None  # index of the parent node; None: background()
    ctx: Context
    cancel: object  # the cancel function (None for value nodes)
    deadline: float | None  # model: its deadline() (own or inherited)
    own_timer: float | None  # model: when its own timer fires (None: no timer)
    err: BaseException | None = None  # model: expected err()
    why: BaseException | None = None  # model: expected cause()
    watched: bool = False
    woken: int = 0  # times its watcher woke


@dataclass
class After:
    node: int
    stop: object
    stopped: bool = False
    ran: int = 0


@dataclass
class World:
    nodes: list[Node] = field(default_factory=list)
    afters: list[After] = field(default_factory=list)


# Steps: ("new", parent_choice, kind, param, watch) | ("cancel", choice) | ("advance", dt)
#        | ("after", choice) | ("stop", choice). A choice is reduced modulo the current count.
NEW = st.tuples(
    st.just("new"),
    st.integers(0, 10**6),
    st.sampled_from(["cancel", "cause", "value", "timeout"]),
    st.integers(0, 6),
    st.booleans(),
)
CANCEL = st.tuples(st.just("cancel"), st.integers(0, 10**6))
ADVANCE = st.tuples(st.just("advance"), st.integers(1, 4))
AFTER = st.tuples(st.just("after"), st.integers(0, 10**6))
STOP = st.tuples(st.just("stop"), st.integers(0, 10**6))
STEPS = st.lists(st.one_of(NEW, NEW, CANCEL, ADVANCE, AFTER, STOP), min_size=1, max_size=40)


def settle() -> None:
    """Return once every other goroutine is blocked (Go's synctest.Wait), without advancing time."""
    s = current_scheduler()
    s.syncwaiter = s.current
    s.park("synctest.Wait")


def nearest_cancellable(w: World, i: int | None) -> int | None:
    """The closest node at or above ``i`` that is not a value node (None: background)."""
    while i is not None and w.nodes[i].kind == "value":
        i = w.nodes[i].parent
    return i


def model_cancel(w: World, i: int, err: BaseException, why: BaseException) -> None:
    """Cancel node ``i`` and its not-yet-cancelled subtree in the model."""
    todo = [i]
    while todo:
        k = todo.pop()
        n = w.nodes[k]
        if n.err is not None:
            continue  # already cancelled: so is its subtree
        n.err, n.why = err, why
        n.own_timer = None  # its timer is stopped
        todo.extend(j for j, m in enumerate(w.nodes) if m.parent == k)


def model_time(w: World, now: float) -> None:
    """Fire, in deadline order, every own timer due by ``now``."""
    due = sorted((n.own_timer, k) for k, n in enumerate(w.nodes) if n.own_timer is not None and n.own_timer <= now)
    for _, k in due:
        w.nodes[k].own_timer = None
        model_cancel(w, k, DEADLINE_EXCEEDED, DEADLINE_EXCEEDED)


def new_node(w: World, step: tuple[object, ...], log: Chan[int], now: float) -> None:
    _, pchoice, kind, param, watch = step
    assert isinstance(pchoice, int) and isinstance(param, int) and isinstance(kind, str)
    pi = None if not w.nodes or pchoice % (len(w.nodes) + 1) == len(w.nodes) else pchoice % (len(w.nodes) + 1)
    pctx = background() if pi is None else w.nodes[pi].ctx
    pdl = None if pi is None else w.nodes[pi].deadline
    k = len(w.nodes)
    own: float | None = None
    if kind == "value":
        ctx, cancel, dl = with_value(pctx, ("key", k), k), None, pdl
    elif kind == "cancel":
        (ctx, cancel), dl = with_cancel(pctx), pdl
    elif kind == "cause":
        (ctx, cancel), dl = with_cancel_cause(pctx), pdl
    else:
        ctx, cancel = with_timeout(pctx, float(param))
        when = now + param
        if pdl is not None and pdl < when:
            dl = pdl  # Go: WithCancel(parent): no timer of its own
        else:
            dl, own = when, when
    n = Node(kind, pi, ctx, cancel, dl, own)  # type: ignore[arg-type]  # kind drawn from Kind
    w.nodes.append(n)
    parent_err = None if pi is None else w.nodes[pi].err
    if parent_err is not None:
        assert pi is not None
        n.err, n.why = parent_err, w.nodes[pi].why
        n.own_timer = None
    elif own is not None and own <= now:
        n.own_timer = None
        n.err = n.why = DEADLINE_EXCEEDED
    done = ctx.done() if watch else None  # unwatched nodes create their done channel lazily, if ever
    if done is not None:  # None: a value node over background(), never done
        n.watched = True

        def watcher() -> None:
            done.recv()
            log.send(k)

        go(watcher)


def cancel_choice(w: World, choice: int) -> None:
    cands = [k for k, n in enumerate(w.nodes) if n.kind != "value"]
    if cands:
        cancel_node(w, cands[choice % len(cands)])


def cancel_node(w: World, k: int) -> None:
    n = w.nodes[k]
    why: BaseException
    if n.kind == "cause":
        why = RuntimeError(f"cause {k}")
        n.cancel(why)  # type: ignore[operator]  # a CancelCauseFunc
    else:
        why = CANCELED
        n.cancel()  # type: ignore[operator]  # a CancelFunc
    if n.err is None:
        model_cancel(w, k, CANCELED, why)


def check(w: World, log: Chan[int]) -> None:
    settle()
    while (r := log.try_recv()) is not None:
        w.nodes[r[0]].woken += 1  # type: ignore[index]  # the log only carries ints
    for k, n in enumerate(w.nodes):
        assert n.ctx.err() is n.err, (k, n.kind, n.ctx.err(), n.err)
        assert cause(n.ctx) is (n.why if nearest_cancellable(w, k) is not None else None), k
        assert n.ctx.deadline() == n.deadline, k
        if n.watched:
            assert n.woken == (1 if n.err is not None else 0), (k, n.woken)
    heap = current_scheduler().timers.heap
    armed = sum(1 for _, seq, rt in heap if rt.pending and rt.seq == seq)
    assert armed == sum(1 for n in w.nodes if n.own_timer is not None)  # cancel stops timers
    for a in w.afters:
        expect = 1 if w.nodes[a.node].err is not None and not a.stopped else 0
        assert a.ran == expect, (a.node, a.ran, expect)
    for k, n in enumerate(w.nodes):
        if n.kind == "value":
            continue
        kids = n.ctx._children  # type: ignore[attr-defined]  # white box: the registry
        if n.err is not None:
            assert kids is None, k
            continue
        expect_nodes = {
            id(m.ctx)
            for j, m in enumerate(w.nodes)
            if m.kind != "value" and m.err is None and nearest_cancellable(w, m.parent) == k and j != k
        }
        expect_afters = sum(
            1 for a in w.afters if not a.stopped and w.nodes[a.node].err is None and nearest_cancellable(w, a.node) == k
        )
        got_nodes = {id(c) for c in kids if not isinstance(c, _AfterFuncCtx)}
        assert got_nodes == expect_nodes, k
        assert len(kids) == len(expect_nodes) + expect_afters, k


@settings(max_examples=examples(120), deadline=None)
@given(steps=STEPS, seed=st.integers(0, 2**16))
def test_random_context_trees_cancel_exactly_their_subtrees(steps: list[tuple[object, ...]], seed: int) -> None:
    def main() -> None:
        s = current_scheduler()
        w = World()
        log: Chan[int] = Chan(10_000)
        for step in steps:
            match step[0]:
                case "new":
                    new_node(w, step, log, s.clock())
                case "cancel":
                    assert isinstance(step[1], int)
                    cancel_choice(w, step[1])
                case "advance":
                    assert isinstance(step[1], int)
                    s.sleep_until(s.clock() + step[1])
                    model_time(w, s.clock())
                case "after" if w.nodes:
                    assert isinstance(step[1], int)
                    k = step[1] % len(w.nodes)
                    a = After(k, None)

                    def fn(a: After = a) -> None:
                        a.ran += 1

                    a.stop = after_func(w.nodes[k].ctx, fn)
                    w.afters.append(a)
                case "stop" if w.afters:
                    assert isinstance(step[1], int)
                    a = w.afters[step[1] % len(w.afters)]
                    expect = not a.stopped and w.nodes[a.node].err is None
                    assert a.stop() is expect  # type: ignore[operator]  # the stop function
                    a.stopped = a.stopped or expect
            check(w, log)
        # cancel everything that is left: every registry drains
        for k, n in enumerate(w.nodes):
            if n.kind != "value":
                cancel_node(w, k)
        check(w, log)

    run_in(Scheduler(seed, virtual=True), main)
