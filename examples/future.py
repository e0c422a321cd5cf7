"""Seed 004 ("Go Concurrency 实战"), Future 技术: call now, supply the argument later, read the result when ready.

``execQuery(q)`` starts a goroutine that waits for the SQL on ``q.sql`` and sends "get " + sql on
``q.result``; both channels have a buffer of one, so neither side waits for the other. Main calls
it *before* preparing the argument, then sends the SQL and reads the result. Printed::

    get select * from table
"""

from __future__ import annotations

from dataclasses import dataclass

from gochan import Chan, go, run

from ._common import Out, args, say


@dataclass(frozen=True)
class Query:
    sql: Chan[str]
    result: Chan[str]


def exec_query(q: Query) -> None:
    def do() -> None:
        sql = q.sql.recv()
        q.result.send(f"get {sql}")

    go(do)


def main(out: Out = print) -> str:
    q = Query(Chan(1), Chan(1))
    exec_query(q)
    q.sql.send("select * from table")  # prepare the argument
    result = q.result.recv()
    assert result is not None
    out(result)
    return result


if __name__ == "__main__":
    args(__doc__, unit=False)
    run(main, say)
