"""Runs every benchmark in bench/ in one go and writes their results to one JSON file.

    python bench/run.py [--json bench/results/latest.json] [--only core,csv,...] [--quick]

Each bench_*.py module has ``main(argv) -> dict`` and prints its own table; the numbers for
BENCHMARKS.md come from one run of this command on one machine.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import sys
import time
from pathlib import Path

from _common import write_json

HERE = Path(__file__).resolve().parent


def modules() -> dict[str, Path]:
    return {p.stem.removeprefix("bench_"): p for p in sorted(HERE.glob("bench_*.py"))}


def load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json")
    parser.add_argument("--only", help="comma-separated names, e.g. core,csv")
    parser.add_argument("--quick", action="store_true", help="pass --quick to benches that take it")
    args = parser.parse_args(argv)
    chosen = modules()
    if args.only:
        chosen = {k: v for k, v in chosen.items() if k in args.only.split(",")}
    results: dict = {"machine": {"python": sys.version.split()[0], "platform": platform.platform(),
                                 "cpus": os.cpu_count(), "time": time.strftime("%Y-%m-%d %H:%M:%S")}}
    for name, path in chosen.items():
        print(f"\n== {name} ({path.name}) ==", flush=True)
        module = load(path)
        bench_args = ["--quick"] if args.quick and "--quick" in (module.__doc__ or "") else []
        results[name] = module.main(bench_args)
    if args.json:
        write_json(args.json, results, indent=2)
    return results


if __name__ == "__main__":
    main()
