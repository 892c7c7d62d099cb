"""Recurrent benchmark: Embedding -> LSTM -> Dense sigmoid trained with model.fit, ours against Keras 3.

Model: 20 token ids -> Embedding(1000, 32[, mask_zero]) -> LSTM(32) -> Dense(1, sigmoid); Adam, binary
crossentropy, batch 32; sequences zero-padded at the end to random lengths. Ours is a static unroll
of 20 steps in the graph, Keras' TF backend a While loop (no cuDNN on CPU). Each side runs in a fresh
process, one after the other in the same run; the number is the best per-step wall time over a few
fit() calls of several epochs. "first fit" is the time of the first fit() of one epoch (graph build,
session, tracing) minus the steps it ran at the measured rate.

    python bench/bench_rnn.py [--json out.json] [--quick]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

BATCH, STEPS, VOCAB, UNITS = 32, 20, 1000, 32


def _data(rows: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    lengths = rng.integers(3, STEPS + 1, rows)
    tokens = np.where(np.arange(STEPS)[None] < lengths[:, None], rng.integers(1, VOCAB, (rows, STEPS)), 0)
    return tokens.astype(np.int32), rng.integers(0, 2, (rows, 1)).astype(np.float32)


def _model(root, mask: bool):
    L = root.layers
    model = root.models.Sequential([L.Input((STEPS,), dtype="int32"), L.Embedding(VOCAB, 32, mask_zero=mask),
                                    L.LSTM(UNITS), L.Dense(1, activation="sigmoid")])
    model.compile(optimizer=root.optimizers.Adam(0.001), loss="binary_crossentropy")
    return model


def _fit_step_ms(root, rows: int, epochs: int, rounds: int) -> dict[str, float]:
    x, y = _data(rows)
    steps = epochs * (rows // BATCH)
    out: dict[str, float] = {"steps_per_round": steps}
    for mask in (False, True):
        model = _model(root, mask)
        start = time.perf_counter()
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)  # build, compile and warm up
        first = time.perf_counter() - start
        best = float("inf")
        for _ in range(rounds):
            start = time.perf_counter()
            model.fit(x, y, batch_size=BATCH, epochs=epochs, shuffle=False, verbose=0)
            best = min(best, (time.perf_counter() - start) / steps)
        key = "masked" if mask else "unmasked"
        out[f"{key}_train_step_ms"] = best * 1e3
        out[f"{key}_first_fit_s"] = first - best * (rows // BATCH)
    return out


def ours(rows: int, epochs: int, rounds: int) -> dict[str, float]:
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import tfkg_graph
    return _fit_step_ms(tfkg_graph, rows, epochs, rounds)


def keras_fit(rows: int, epochs: int, rounds: int) -> dict[str, float]:
    import keras
    return _fit_step_ms(keras, rows, epochs, rounds)


PARTS = {"tfkg_graph": ours, "keras": keras_fit}


def run_part(name: str, sizes: list[int]) -> dict[str, float]:
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--part", name,
                          "--sizes", ",".join(map(str, sizes))], check=True, capture_output=True, text=True,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--part", choices=sorted(PARTS))
    parser.add_argument("--sizes", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="fewer steps and rounds")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    sizes = [int(v) for v in args.sizes.split(",")] if args.sizes else (
        [BATCH * 8, 2, 2] if args.quick else [BATCH * 16, 3, 3])  # rows, epochs, rounds
    if args.part:
        print(json.dumps(PARTS[args.part](*sizes)))
        return {}
    results: dict = {name: run_part(name, sizes) for name in PARTS}
    title = f"Embedding->LSTM({UNITS})->Dense, {STEPS} steps, batch {BATCH}"
    print(f"{title:<44} | {'ms/step':>8} | {'first fit s':>11}")
    print(f"{'-' * 44}-|-{'-' * 8}-|-{'-' * 11}")
    for key in ("unmasked", "masked"):
        for name, label in (("tfkg_graph", "tfkg_graph"), ("keras", "Keras 3")):
            r = results[name]
            print(f"{label + ' model.fit, ' + key:<44} | {r[key + '_train_step_ms']:8.2f} | "
                  f"{r[key + '_first_fit_s']:11.2f}")
        results[f"{key}_speedup_vs_keras"] = (results["keras"][f"{key}_train_step_ms"]
                                              / results["tfkg_graph"][f"{key}_train_step_ms"])
        print(f"  speedup {key}: {results[key + '_speedup_vs_keras']:.2f}x")
    if args.json:
        tmp = f"{args.json}.tmp-{os.getpid()}"
        with open(tmp, "w") as f:
            json.dump(results, f, indent=1)
        os.replace(tmp, args.json)
    return results


if __name__ == "__main__":
    main()
