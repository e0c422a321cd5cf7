"""One measurement in a fresh process: ``python -m benchmarks.worker LIB SHAPE PARAMS``.

PARAMS is a JSON object (``target_s`` and ``repeat`` for timed shapes; ``buffer`` for buffered
shapes; ``count`` for memory).
Prints exactly one JSON object on stdout, and exits 0 for every verdict the runner can report:
  {"value": v, "unit": "ns" | "bytes", "n": ops, "seconds": s, "note": ..., "extra": {...}}
  {"unsupported": reason}       the library cannot express this shape or buffer size
  {"missing": reason}           the library is not installed (its import failed)
Any other failure is a crash: a traceback on stderr and a non-zero exit.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import partial

from .libs import Bench, Unsupported, load
from .measure import calibrate

__all__ = ["main", "measure"]

N0 = 200  # ops in the warm-up run


def measure(bench: Bench, shape: str, params: dict[str, float]) -> dict[str, object]:
    """Run ``shape`` on ``bench`` with ``params``; the result object the worker prints."""
    note = bench.notes.get(shape)
    if shape == "memory":
        n, grown = bench.parked(int(params["count"]))
        out: dict[str, object] = {"value": grown / n, "unit": "bytes", "n": n, "note": note}
        parked_in_c = getattr(bench, "parked_in_c", None)
        if parked_in_c is not None:
            n2, grown2 = parked_in_c(n)
            out["extra"] = {"parked_in_c_bytes": grown2 / n2}
        return out
    cap = int(params.get("buffer", 0))
    timed: Callable[[int], float]
    if shape in ("pingpong", "fanin", "select", "spawn"):
        timed = getattr(bench, shape)
    elif shape == "pool":
        timed = partial(bench.pool, cap=cap)
    else:
        timed = partial(bench.transfer, cap=cap, regime_name=shape)
    n, seconds = calibrate(timed, N0, params["target_s"], int(params.get("repeat", 1)))
    return {"value": seconds * 1e9 / n, "unit": "ns", "n": n, "seconds": seconds, "note": note}


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python -m benchmarks.worker LIB SHAPE PARAMS_JSON", file=sys.stderr)
        return 2
    lib, shape, raw = argv
    params: dict[str, float] = json.loads(raw)
    try:
        bench = load(lib)
    except ImportError as e:
        print(json.dumps({"missing": f"not installed ({e})"}))
        return 0
    try:
        result = measure(bench, shape, params)
    except Unsupported as e:
        result = {"unsupported": str(e)}
    except BaseExceptionGroup as eg:  # a task group (trio, anyio, asyncio) wraps what its body raised
        unsupported, rest = eg.split(Unsupported)
        if unsupported is None or rest is not None:
            raise
        result = {"unsupported": str(unsupported.exceptions[0])}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
