"""Seed 002 ("Go Concurrency pipelines", dev-resources.site): batches, one goroutine each, a WaitGroup closer.

``Request(users)`` splits 1 000 users into batches of 250, starts one goroutine per batch (each
registered with a WaitGroup, ``defer wg.Done()``), and returns the response channel at once. Each
goroutine makes its third-party call and sends every user whose balance is above 500. The EXIT
stage, a goroutine waiting on the WaitGroup, closes the channel once every batch is done, which
ends the caller's ``for user := range Request(users)``. Printed::

    4 batches of 250 users
    499 users with a balance above 500

The users of one batch arrive in order; batches interleave as their goroutines run.
"""

from __future__ import annotations

from gochan import Chan, RecvChan, go, run
from gochan.sync import WaitGroup

from ._common import Out, args, say
from ._users import User, make_request_to_third_party, split, users

BATCH_SIZE = 250


def request(users: list[User], out: Out, unit: float = 1.0) -> RecvChan[User]:
    resp: Chan[User] = Chan()
    batches = split(users, BATCH_SIZE)
    out(f"{len(batches)} batches of {BATCH_SIZE} users")
    wg = WaitGroup()
    for batch in batches:
        wg.add(1)

        def call(batch: list[User]) -> None:
            try:  # defer wg.Done()
                for r in make_request_to_third_party(batch, unit):
                    if r.current_balance > 500:
                        resp.send(r.user)  # we've got our user: push it on our channel
            finally:
                wg.done()

        go(call, batch)

    def exit_stage() -> None:
        wg.wait()  # wait for the counter to drop to 0: every batch's goroutine is done
        resp.close()  # this makes the caller's range loop exit

    go(exit_stage)
    return resp


def perform_operation_after_filtering(users: list[User], out: Out, unit: float = 1.0) -> list[User]:
    filtered_users = list(request(users, out, unit))  # for user := range Request(users)
    out(f"{len(filtered_users)} users with a balance above 500")
    return filtered_users


def main(out: Out = print, unit: float = 1.0) -> list[User]:
    return perform_operation_after_filtering(users(1000), out, unit)


if __name__ == "__main__":
    run(main, say, args(__doc__).unit)
