"""Convolution benchmark: a small Conv2D classifier trained with model.fit, ours against Keras 3.

Model: 28x28x1 -> Conv2D(8, 3, same, relu) -> MaxPooling2D -> Conv2D(16, 3, same, relu) ->
GlobalAveragePooling2D -> Dense(10, softmax); SGD, sparse categorical crossentropy, batch 32.
Each side runs in a fresh process; the number is the best per-step wall time over a few fit() calls
of several epochs (so per-epoch overhead is included, as a user sees it).

    python bench/bench_conv.py [--json out.json] [--quick]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

BATCH, SHAPE, CLASSES = 32, (28, 28, 1), 10


def _data(rows: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.random((rows, *SHAPE), dtype=np.float32), rng.integers(0, CLASSES, rows).astype(np.int32)


def _model(root):
    L = root.layers
    model = root.models.Sequential([
        L.Input(SHAPE), L.Conv2D(8, 3, padding="same", activation="relu"), L.MaxPooling2D(),
        L.Conv2D(16, 3, padding="same", activation="relu"), L.GlobalAveragePooling2D(),
        L.Dense(CLASSES, activation="softmax")])
    model.compile(optimizer=root.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy")
    return model


def _fit_step_ms(root, rows: int, epochs: int, rounds: int) -> dict[str, float]:
    x, y = _data(rows)
    model = _model(root)
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)  # build, compile and warm up
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        model.fit(x, y, batch_size=BATCH, epochs=epochs, shuffle=False, verbose=0)
        best = min(best, (time.perf_counter() - start) / (epochs * (rows // BATCH)))
    return {"train_step_ms": best * 1e3, "steps_per_round": epochs * (rows // BATCH)}


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
    results = {name: run_part(name, sizes) for name in PARTS}
    ours_ms, keras_ms = results["tfkg_graph"]["train_step_ms"], results["keras"]["train_step_ms"]
    results["speedup_vs_keras"] = keras_ms / ours_ms
    print(f"{'small Conv2D model, fit step (batch 32, 28x28x1)':<52} | {'ms/step':>8}")
    print(f"{'-' * 52}-|-{'-' * 8}")
    print(f"{'tfkg_graph model.fit':<52} | {ours_ms:8.2f}")
    print(f"{'Keras 3 model.fit':<52} | {keras_ms:8.2f}")
    print(f"speedup {results['speedup_vs_keras']:.2f}x ({results['tfkg_graph']['steps_per_round']} steps per round)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return results


if __name__ == "__main__":
    main()
