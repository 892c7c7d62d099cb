"""Convolution benchmark: a small Conv2D classifier trained with model.fit, ours against Keras 3.

Model: 28x28x1 -> Conv2D(8, 3, same, relu) -> MaxPooling2D -> Conv2D(16, 3, same, relu) ->
GlobalAveragePooling2D -> Dense(10, softmax); SGD, sparse categorical crossentropy, batch 32.
Each side runs in a fresh process; the number is the best per-step wall time over a few fit() calls
of several epochs (so per-epoch overhead is included, as a user sees it).

    python bench/bench_conv.py [--json out.json] [--quick]
"""
from __future__ import annotations

import importlib
from functools import partial

import numpy as np

from _common import format_row, measure_sides, print_header, round_times, write_json

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


def _fit_step_ms(side: str, rows: int, epochs: int, rounds: int) -> dict[str, float]:
    x, y = _data(rows)
    model = _model(importlib.import_module(side))
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)  # build, compile and warm up
    steps = epochs * (rows // BATCH)
    fit = partial(model.fit, x, y, batch_size=BATCH, epochs=epochs, shuffle=False, verbose=0)
    return {"train_step_ms": min(round_times(fit, rounds)) / steps * 1e3, "steps_per_round": steps}


def main(argv: list[str] | None = None) -> dict:
    results, json_path = measure_sides(argv, __doc__, __file__, _fit_step_ms,
                                       full=[BATCH * 16, 3, 3], quick=[BATCH * 8, 2, 2])  # rows, epochs, rounds
    if not results:
        return results
    ours_ms, keras_ms = results["tfkg_graph"]["train_step_ms"], results["keras"]["train_step_ms"]
    results["speedup_vs_keras"] = keras_ms / ours_ms
    widths = (52, 8)
    print_header(("small Conv2D model, fit step (batch 32, 28x28x1)", "ms/step"), widths)
    print(format_row(("tfkg_graph model.fit", f"{ours_ms:.2f}"), widths))
    print(format_row(("Keras 3 model.fit", f"{keras_ms:.2f}"), widths))
    print(f"speedup {results['speedup_vs_keras']:.2f}x ({results['tfkg_graph']['steps_per_round']} steps per round)")
    if json_path:
        write_json(json_path, results)
    return results


if __name__ == "__main__":
    main()
