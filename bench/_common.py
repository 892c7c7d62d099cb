"""What every bench shares: sides in fresh processes, timing rounds, tables, result files.

Importing it puts this checkout first on ``sys.path``, so every side measures this tree's tfkg_graph.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

SIDES = ("tfkg_graph", "keras")  # module names: each side imports its library by this name


def run_fresh(args: Sequence[str], **env: str) -> Any:
    """Runs ``python *args`` in a new interpreter (TF logging off) and returns the JSON of its last line.

    A fresh process per side keeps one library's imports and thread pools from affecting the other.
    """
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **env})
    if done.returncode:
        raise RuntimeError(f"bench child {' '.join(args[:3])} failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_sides(argv: list[str] | None, doc: str | None, script: str, measure: Callable[..., dict],
                  full: Sequence[int], quick: Sequence[int]) -> tuple[dict, str | None]:
    """The command line of a bench that measures the same thing in each side.

    ``--part SIDE`` (the child) prints ``measure(SIDE, *sizes)`` as JSON and returns ``({}, None)``; otherwise
    each side runs ``script --part SIDE`` in a fresh process: returns ``({side: result}, --json path)``.
    """
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("--part", choices=SIDES)
    parser.add_argument("--sizes", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="fewer steps and rounds")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    sizes = [int(v) for v in args.sizes.split(",")] if args.sizes else (quick if args.quick else full)
    if args.part:
        print(json.dumps(measure(args.part, *sizes)))
        return {}, None
    sizes_arg = ",".join(map(str, sizes))
    return {side: run_fresh([os.path.abspath(script), "--part", side, "--sizes", sizes_arg]) for side in SIDES}, args.json


def round_times(fn: Callable[[], object], rounds: int, calls: int = 1) -> list[float]:
    """Seconds per call of ``fn`` in each of ``rounds`` timed runs of ``calls`` calls.

    Benches report the min (the run least disturbed by noise) or the median.
    """
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - start) / calls)
    return times


def print_header(titles: Sequence[str], widths: Sequence[int]) -> None:
    print(format_row(titles, widths))
    print("-|-".join("-" * w for w in widths))


def format_row(cells: Sequence[str], widths: Sequence[int]) -> str:
    """' | '-separated cells: the first left-aligned (a label), the rest right-aligned (numbers)."""
    return " | ".join(f"{c:<{w}}" if i == 0 else f"{c:>{w}}" for i, (c, w) in enumerate(zip(cells, widths)))


def write_json(path: str, results: object, indent: int = 1) -> None:
    """Writes results atomically (temp file + os.replace), creating the directory if needed."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(results, f, indent=indent, default=str)
    os.replace(tmp, path)
