"""Attention benchmark: a transformer block trained with model.fit, ours against Keras 3.

Model: 32 token ids (zero-padded to random lengths) -> Embedding(1000, 64, mask_zero) ->
MultiHeadAttention(4 heads, key_dim 16) over itself + residual -> LayerNormalization -> Dense(64, relu)
+ residual -> LayerNormalization -> GlobalAveragePooling1D -> Dense(1, sigmoid); Adam, binary
crossentropy, batch 32. Each side runs in a fresh process, one after the other in the same run; the
number is the best per-step wall time over a few fit() calls of several epochs; "first fit" is the
first fit() of one epoch (graph build, session, tracing) minus its steps at the measured rate.

    python bench/bench_attention.py [--json out.json] [--quick]
"""
from __future__ import annotations

import importlib
import time
from functools import partial

import numpy as np

from _common import format_row, measure_sides, print_header, round_times, write_json

BATCH, STEPS, VOCAB, WIDTH = 32, 32, 1000, 64


def _data(rows: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    lengths = rng.integers(4, STEPS + 1, rows)
    tokens = np.where(np.arange(STEPS)[None] < lengths[:, None], rng.integers(1, VOCAB, (rows, STEPS)), 0)
    return tokens.astype(np.int32), rng.integers(0, 2, (rows, 1)).astype(np.float32)


def _model(root):
    L = root.layers
    inputs = L.Input((STEPS,), dtype="int32")
    x = L.Embedding(VOCAB, WIDTH, mask_zero=True)(inputs)
    x = L.LayerNormalization()(L.Add()([x, L.MultiHeadAttention(num_heads=4, key_dim=16)(x, x)]))
    x = L.LayerNormalization()(L.Add()([x, L.Dense(WIDTH, activation="relu")(x)]))
    model = root.models.Model(inputs, L.Dense(1, activation="sigmoid")(L.GlobalAveragePooling1D()(x)))
    model.compile(optimizer=root.optimizers.Adam(0.001), loss="binary_crossentropy")
    return model


def _fit_step_ms(side: str, rows: int, epochs: int, rounds: int) -> dict[str, float]:
    x, y = _data(rows)
    steps = epochs * (rows // BATCH)
    model = _model(importlib.import_module(side))
    start = time.perf_counter()
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)  # build, compile and warm up
    first = time.perf_counter() - start
    fit = partial(model.fit, x, y, batch_size=BATCH, epochs=epochs, shuffle=False, verbose=0)
    best = min(round_times(fit, rounds)) / steps
    return {"steps_per_round": steps, "train_step_ms": best * 1e3, "first_fit_s": first - best * (rows // BATCH)}


def main(argv: list[str] | None = None) -> dict:
    results, json_path = measure_sides(argv, __doc__, __file__, _fit_step_ms,
                                       full=[BATCH * 16, 3, 3], quick=[BATCH * 8, 2, 2])  # rows, epochs, rounds
    if not results:
        return results
    widths = (44, 8, 11)
    print_header((f"Transformer block, {STEPS} tokens, batch {BATCH}", "ms/step", "first fit s"), widths)
    for side, label in (("tfkg_graph", "tfkg_graph"), ("keras", "Keras 3")):
        r = results[side]
        print(format_row((f"{label} model.fit", f"{r['train_step_ms']:.2f}", f"{r['first_fit_s']:.2f}"), widths))
    results["speedup_vs_keras"] = results["keras"]["train_step_ms"] / results["tfkg_graph"]["train_step_ms"]
    print(f"  speedup: {results['speedup_vs_keras']:.2f}x")
    if json_path:
        write_json(json_path, results)
    return results


if __name__ == "__main__":
    main()
