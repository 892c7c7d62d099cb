"""compile(jit_compile=True) on CPU: model.fit step time with and without XLA, ours and Keras', for the
iris MLP and the 3x1024 MLP of bench_models (each side and setting in its own fresh process).
    python bench/bench_xla.py [--quick] [--json out.json]
"""
from __future__ import annotations

import argparse
import json

from _common import SIDES, write_json
from bench_models import CASES, measure, run_case


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--side", choices=SIDES)
    parser.add_argument("--case", choices=sorted(CASES))
    parser.add_argument("--jit", action="store_true")
    args = parser.parse_args(argv)
    if args.side:
        print(json.dumps(measure(args.side, args.case, args.quick, jit_compile=args.jit)))
        return {}
    rows = []
    print(f"{'µs/step':12} {'ours':>10} {'ours XLA':>10} {'Keras':>10} {'Keras XLA':>10}")
    for case in CASES:
        row = {"case": case}
        for side in SIDES:
            for jit in (False, True):
                result = run_case(__file__, side, case, args.quick, *(["--jit"] if jit else []))
                row[f"{side}{'_xla' if jit else ''}"] = result["step_us"]
        rows.append(row)
        print(f"{case:12} {row['tfkg_graph']:10.1f} {row['tfkg_graph_xla']:10.1f} {row['keras']:10.1f} "
              f"{row['keras_xla']:10.1f}")
    if args.json:
        write_json(args.json, rows, indent=2)
    return {"xla": rows}


if __name__ == "__main__":
    main()
