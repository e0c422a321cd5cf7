"""Seed 002 ("Go Concurrency pipelines"): collecting metrics without the data race.

The article's metrics version writes two maps (``passedUsers``, ``skippedUsers``) from every
batch goroutine; ``go run -race`` reports the data race, and concurrent map writes can crash a Go
program. (In gochan the goroutines never run in parallel, so the racy version would not crash
here; it is still wrong Go, and it is not ported.) The fix the article announces, the Go way: one
*stats goroutine owns the maps*. Batch goroutines send each result on a ``stats`` channel; the
stats goroutine alone writes the maps, and when the channel is closed it logs the metrics and
hands the maps over on ``metrics``. The EXIT stage closes ``stats`` and ``resp`` once every batch
is done. Printed::

    4 batches of 250 users
    metrics: 499 passed, 501 skipped
    499 users with a balance above 500

Adapted: the article adds every user to ``skippedUsers``, passed ones included; here a user is one
or the other.
"""

from __future__ import annotations

from dataclasses import dataclass

from gochan import Chan, RecvChan, go, run
from gochan.sync import WaitGroup

from ._common import Out, args, say
from ._users import User, make_request_to_third_party, split, users

BATCH_SIZE = 250


@dataclass(frozen=True)
class Result:
    user: User
    passed: bool


@dataclass(frozen=True)
class Metrics:
    passed_users: dict[int, User]
    skipped_users: dict[int, User]


def stats_owner(stats: RecvChan[Result], metrics: Chan[Metrics], out: Out) -> None:
    """The only goroutine that touches the maps."""
    passed_users: dict[int, User] = {}
    skipped_users: dict[int, User] = {}
    for r in stats:
        if r.passed:
            passed_users[r.user.user_id] = r.user
        else:
            skipped_users[r.user.user_id] = r.user
    out(f"metrics: {len(passed_users)} passed, {len(skipped_users)} skipped")  # LogMetrics
    metrics.send(Metrics(passed_users, skipped_users))


def request(users: list[User], out: Out, metrics: Chan[Metrics], unit: float = 1.0) -> RecvChan[User]:
    resp: Chan[User] = Chan()
    stats: Chan[Result] = Chan()
    go(stats_owner, stats, metrics, out)
    batches = split(users, BATCH_SIZE)
    out(f"{len(batches)} batches of {BATCH_SIZE} users")
    wg = WaitGroup()
    for batch in batches:
        wg.add(1)

        def call(batch: list[User]) -> None:
            try:
                for r in make_request_to_third_party(batch, unit):
                    passed = r.current_balance > 500
                    if passed:
                        resp.send(r.user)
                    stats.send(Result(r.user, passed))
            finally:
                wg.done()

        go(call, batch)

    def exit_stage() -> None:
        wg.wait()
        stats.close()  # the stats goroutine logs the metrics once it has them all
        resp.close()

    go(exit_stage)
    return resp


def main(out: Out = print, unit: float = 1.0) -> Metrics:
    metrics: Chan[Metrics] = Chan(1)
    filtered_users = list(request(users(1000), out, metrics, unit))
    m = metrics.recv()  # after the metrics are logged: the two lines print in a fixed order
    assert m is not None  # sent once, never closed
    out(f"{len(filtered_users)} users with a balance above 500")
    return m


if __name__ == "__main__":
    run(main, say, args(__doc__).unit)
