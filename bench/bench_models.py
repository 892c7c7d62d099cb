"""model.fit throughput, tfkg_graph vs Keras 3, same model, same data, same machine, same run:

* the iris MLP (4 -> 100 swish -> 100 swish -> 3 softmax, Adam, batch 3: the seed's example),
* a compute-bound MLP (1024 -> 1024 -> 1024 -> 1024 relu -> 10 softmax, Adam, batch 512),
* the same wide MLP in a process that first trained the iris MLP (``wide_after_small``): TF sizes its
  thread pools when the first session starts, so the order models are built in could matter.

Each side runs in its own fresh process; throughput is the best of several ``fit`` calls
(epoch overhead included, verbose=0, shuffle on as users run it).
    python bench/bench_models.py [--json out.json] [--quick]
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
from functools import partial

import numpy as np
from _common import SIDES, round_times, run_fresh, write_json

AFTER_SMALL = {"wide_after_small": "mlp_3x1024"}  # case -> the case it measures after one iris fit
CASES = {
    "iris_mlp": {"features": 4, "hidden": [100, 100], "activation": "swish", "classes": 3, "rows": 150,
                 "batch": 3, "epochs": 3},
    "mlp_3x1024": {"features": 1024, "hidden": [1024, 1024, 1024], "activation": "relu", "classes": 10,
                   "rows": 512 * 8, "batch": 512, "epochs": 1},
}
ROUNDS = 3


def _data(case: dict) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(case["rows"], case["features"])).astype(np.float32)
    y = rng.integers(0, case["classes"], size=case["rows"]).astype(np.int32)
    return x, y


def _build(lib, case: dict, jit_compile: bool = False):
    layers = [lib.layers.Input((case["features"],))]
    layers += [lib.layers.Dense(units, activation=case["activation"]) for units in case["hidden"]]
    layers.append(lib.layers.Dense(case["classes"], activation="softmax"))
    model = lib.models.Sequential(layers)
    model.compile(optimizer=lib.optimizers.Adam(), loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  jit_compile=jit_compile)
    return model


def measure(side: str, name: str, quick: bool, jit_compile: bool = False) -> dict[str, float]:
    if name in AFTER_SMALL:
        small = CASES["iris_mlp"]
        _build(importlib.import_module(side), small).fit(*_data(small), batch_size=small["batch"], epochs=1, verbose=0)
        name = AFTER_SMALL[name]
    case = dict(CASES[name])
    if quick:
        case["rows"] = max(case["batch"] * 2, case["rows"] // 4)
    x, y = _data(case)
    model = _build(importlib.import_module(side), case, jit_compile)
    model.fit(x, y, batch_size=case["batch"], epochs=1, verbose=0)  # build, trace, warm up
    fit = partial(model.fit, x, y, batch_size=case["batch"], epochs=case["epochs"], verbose=0)
    best = min(round_times(fit, 1 if quick else ROUNDS))
    samples = case["rows"] * case["epochs"]
    steps = -(-case["rows"] // case["batch"]) * case["epochs"]
    return {"samples_per_s": samples / best, "step_us": best / steps * 1e6}


def run_case(script: str, side: str, case: str, quick: bool, *extra: str) -> dict[str, float]:
    """``script --side SIDE --case CASE`` in a fresh process (the benches built on these cases share it)."""
    return run_fresh([os.path.abspath(script), "--side", side, "--case", case, *extra] + (["--quick"] if quick else []))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--side", choices=SIDES)
    parser.add_argument("--case", choices=sorted(CASES) + sorted(AFTER_SMALL))
    args = parser.parse_args(argv)
    if args.side:
        print(json.dumps(measure(args.side, args.case, args.quick)))
        return {}
    table = []
    print(f"{'model.fit':14} {'tfkg_graph samples/s':>21} {'Keras samples/s':>16} {'µs/step ours':>13} "
          f"{'µs/step Keras':>14} {'speed-up':>9}")
    for name in [*CASES, *AFTER_SMALL]:
        ours, keras = (run_case(__file__, side, name, args.quick) for side in ("tfkg_graph", "keras"))
        ratio = ours["samples_per_s"] / keras["samples_per_s"]
        table.append({"case": name, "ours": ours, "keras": keras, "speedup": ratio})
        print(f"{name:14} {ours['samples_per_s']:21,.0f} {keras['samples_per_s']:16,.0f} "
              f"{ours['step_us']:13.1f} {keras['step_us']:14.1f} {ratio:8.1f}x")
    if args.json:
        write_json(args.json, table, indent=2)
    return {"models": table}


if __name__ == "__main__":
    main()
