"""Memory of a training run: peak RSS and private (unshared) RSS of a fresh process that builds the
bench_models MLPs and trains them with ``fit``, ours against Keras 3 (each side its own process).
    python bench/bench_memory.py [--quick] [--json out.json]
"""
from __future__ import annotations

import argparse
import importlib
import json
import resource

from _common import SIDES, write_json
from bench_models import CASES, _build, _data, run_case


def _private_mb() -> float:
    """Private_Clean + Private_Dirty of this process (pages no other process shares), in MB."""
    with open("/proc/self/smaps_rollup") as f:
        fields = dict(line.split(":", 1) for line in f if ":" in line)
    return sum(int(fields[k].split()[0]) for k in ("Private_Clean", "Private_Dirty")) / 1024


def measure(side: str, name: str, quick: bool) -> dict[str, float]:
    case = dict(CASES[name])
    if quick:
        case["rows"] = max(case["batch"] * 2, case["rows"] // 4)
    lib = importlib.import_module(side)
    x, y = _data(case)
    model = _build(lib, case)
    model.fit(x, y, batch_size=case["batch"], epochs=2, verbose=0)
    return {"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "private_mb": _private_mb()}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--side", choices=SIDES)
    parser.add_argument("--case", choices=sorted(CASES))
    args = parser.parse_args(argv)
    if args.side:
        print(json.dumps(measure(args.side, args.case, args.quick)))
        return {}
    rows = []
    print(f"{'MB':12} {'peak ours':>10} {'peak Keras':>11} {'private ours':>13} {'private Keras':>14}")
    for case in CASES:
        ours, keras = (run_case(__file__, side, case, args.quick) for side in SIDES)
        rows.append({"case": case, "ours": ours, "keras": keras})
        print(f"{case:12} {ours['peak_rss_mb']:10.0f} {keras['peak_rss_mb']:11.0f} {ours['private_mb']:13.0f} "
              f"{keras['private_mb']:14.0f}")
    if args.json:
        write_json(args.json, rows, indent=2)
    return {"memory": rows}


if __name__ == "__main__":
    main()
