"""Recurrent benchmark: Embedding -> LSTM -> Dense sigmoid trained with model.fit, ours against Keras 3.

Model: BENCH_RNN_STEPS (20) token ids -> Embedding(1000, 32[, mask_zero]) -> LSTM(BENCH_RNN_UNITS, 32)
-> Dense(1, sigmoid); Adam, binary crossentropy, batch 32; sequences zero-padded at the end to random
lengths. Both sides run a While loop over time (ours: unroll=False, Keras' default; no cuDNN on CPU).
Each side runs in a fresh process, one after the other in the same run; the number is the best
per-step wall time over a few fit() calls of several epochs. "first fit" is the time of the first
fit() of one epoch (graph build, session, tracing) minus the steps it ran at the measured rate.

    python bench/bench_rnn.py [--json out.json] [--quick]
    BENCH_RNN_STEPS=1000 BENCH_RNN_UNITS=16 python bench/bench_rnn.py --quick   # long sequences
    BENCH_GRAPH_REWRITES=off ...   # our side with SessionConfig.graph_rewrites forced (default/one_pass/off)
"""
from __future__ import annotations

import importlib
import os
import time
from functools import partial

import numpy as np

from _common import format_row, measure_sides, print_header, round_times, write_json

BATCH, VOCAB = 32, 1000
UNITS = int(os.environ.get("BENCH_RNN_UNITS", 32))
STEPS = int(os.environ.get("BENCH_RNN_STEPS", 20))


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


def _force_graph_rewrites(mode: str) -> None:
    """Our models pick their session config; this bench overrides the graph-rewrite mode to compare them."""
    from tfkg_graph.models import runtime
    from tfkg_graph.runtime import SessionConfig
    init = runtime.ModelRuntime.__init__

    def with_mode(self, model, spec=None, seed=None, config=None):
        init(self, model, spec, seed, SessionConfig(intra_op_threads=1, inter_op_threads=-1, graph_rewrites=mode))
    runtime.ModelRuntime.__init__ = with_mode


def _fit_step_ms(side: str, rows: int, epochs: int, rounds: int) -> dict[str, float]:
    if side == "tfkg_graph" and os.environ.get("BENCH_GRAPH_REWRITES"):
        _force_graph_rewrites(os.environ["BENCH_GRAPH_REWRITES"])
    root = importlib.import_module(side)
    if side == "tfkg_graph":  # Keras has loaded TF's C library at import; load ours before the clock too
        from tfkg_graph.runtime.library import lib
        lib()
    x, y = _data(rows)
    steps = epochs * (rows // BATCH)
    out: dict[str, float] = {"steps_per_round": steps}
    for mask in (False, True):
        model = _model(root, mask)
        start = time.perf_counter()
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)  # build, compile and warm up
        first = time.perf_counter() - start
        fit = partial(model.fit, x, y, batch_size=BATCH, epochs=epochs, shuffle=False, verbose=0)
        best = min(round_times(fit, rounds)) / steps
        key = "masked" if mask else "unmasked"
        out[f"{key}_train_step_ms"] = best * 1e3
        out[f"{key}_first_fit_s"] = first - best * (rows // BATCH)
    return out


def main(argv: list[str] | None = None) -> dict:
    results, json_path = measure_sides(argv, __doc__, __file__, _fit_step_ms,
                                       full=[BATCH * 16, 3, 3], quick=[BATCH * 8, 2, 2])  # rows, epochs, rounds
    if not results:
        return results
    widths = (44, 8, 11)
    print_header((f"Embedding->LSTM({UNITS})->Dense, {STEPS} steps, batch {BATCH}", "ms/step", "first fit s"), widths)
    for key in ("unmasked", "masked"):
        for side, label in (("tfkg_graph", "tfkg_graph"), ("keras", "Keras 3")):
            r = results[side]
            print(format_row((f"{label} model.fit, {key}", f"{r[key + '_train_step_ms']:.2f}",
                              f"{r[key + '_first_fit_s']:.2f}"), widths))
        results[f"{key}_speedup_vs_keras"] = (results["keras"][f"{key}_train_step_ms"]
                                              / results["tfkg_graph"][f"{key}_train_step_ms"])
        print(f"  speedup {key}: {results[key + '_speedup_vs_keras']:.2f}x")
    if json_path:
        write_json(json_path, results)
    return results


if __name__ == "__main__":
    main()
