"""The users and the third-party service of seed 002's pipeline, shared by ``batching`` and ``batching_metrics``."""

from __future__ import annotations

from dataclasses import dataclass

from gochan import sleep


@dataclass(frozen=True)
class User:
    user_id: int


@dataclass(frozen=True)
class Response:
    user: User
    current_balance: int


def users(n: int = 1000) -> list[User]:
    return [User(i) for i in range(1, n + 1)]


def make_request_to_third_party(batch: list[User], unit: float) -> list[Response]:
    """The external call: one round trip per batch; a user's balance is a fixed function of its id."""
    sleep(0.2 * unit)
    return [Response(u, u.user_id * 37 % 1000) for u in batch]


def split(users: list[User], batch_size: int) -> list[list[User]]:
    """Batches of ``batch_size`` and the remainder (what the article's loop means to do).

    The article's ``users, batches := users[batchSize:], append(...)`` declares new variables in
    the loop body, so the loop never advances; and it appends ``batchSize`` for the remainder.
    """
    batches: list[list[User]] = []
    while batch_size < len(users):
        users, batches = users[batch_size:], [*batches, users[0:batch_size]]
    return [*batches, users]
