"""Serving throughput: one model shared by 1, 2, 4 and 8 threads, single-row and 32-row requests.

Sides, each in its own fresh process, the same 64-256-256-10 MLP: our ``model.predict_on_batch``, our C
library (``csrc/tfkg.c``, one handle shared by the threads, ``bench/serve_threads.c``), Keras'
``predict_on_batch`` and a ``tf.function`` of the Keras model called from the same number of threads.
Every thread sends requests until the time is up; the table shows requests per second (all threads).
    python bench/bench_threads.py [--quick] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
from _common import ROOT, format_row, print_header, run_fresh, write_json

THREADS = (1, 2, 4, 8)
ROWS = (1, 32)
FEATURES, HIDDEN, CLASSES = 64, 256, 10
SIDES = ("tfkg_graph", "c_library", "keras", "tf_function", "tfkg_graph_cffi")
# the same Python side with runtime/fastrun.py off: every step as ~8 cffi calls, as before the helper
SIDE_ENV = {"tfkg_graph_cffi": {"TFKG_FASTRUN": "0"}}


def _throughput(predict, rows: int, threads: int, seconds: float) -> float:
    """Requests per second of ``predict(x)`` called by ``threads`` threads for ``seconds``."""
    x = np.random.default_rng(0).normal(size=(rows, FEATURES)).astype(np.float32)
    end = time.perf_counter() + 0.2
    while time.perf_counter() < end:  # warm up: lazy initialisation, first-run graph passes
        predict(x)
    counts = [0] * threads
    start_line = threading.Barrier(threads + 1)

    def serve(i: int) -> None:
        start_line.wait()
        stop = time.perf_counter() + seconds
        n = 0
        while time.perf_counter() < stop:
            predict(x)
            n += 1
        counts[i] = n

    workers = [threading.Thread(target=serve, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    start_line.wait()
    start = time.perf_counter()
    for w in workers:
        w.join()
    return sum(counts) / (time.perf_counter() - start)


def _ours_model():
    from tfkg_graph import layers, models
    from tfkg_graph.layers import base
    base.set_random_seed(0)
    return models.Sequential([layers.Input((FEATURES,), name="x"), layers.Dense(HIDDEN, activation="relu"),
                              layers.Dense(HIDDEN, activation="relu"), layers.Dense(CLASSES)])


def _keras_model():
    import keras
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((FEATURES,)), keras.layers.Dense(HIDDEN, activation="relu"),
                             keras.layers.Dense(HIDDEN, activation="relu"), keras.layers.Dense(CLASSES)])


def _c_library(configs: list[tuple[int, int]], seconds: float) -> dict[str, float]:
    from tfkg_graph import capi_flags
    with tempfile.TemporaryDirectory() as tmp:
        _ours_model().save(os.path.join(tmp, "model"))
        program = os.path.join(tmp, "serve_threads")
        subprocess.run(["cc", "-O2", "-std=c11", "-pthread", f"-I{ROOT}/csrc", os.path.join(ROOT, "bench", "serve_threads.c"),
                        os.path.join(ROOT, "csrc", "tfkg.c"), *capi_flags.cflags(), *capi_flags.libs(), "-o", program],
                       check=True, capture_output=True)
        out = {}
        for rows, threads in configs:
            done = subprocess.run([program, os.path.join(tmp, "model"), str(threads), str(rows), str(seconds)],
                                  capture_output=True, text=True, check=True)
            result = json.loads(done.stdout.strip().splitlines()[-1])
            out[f"{rows}x{threads}"] = result["requests"] / result["seconds"]
        return out


def measure(side: str, seconds: float) -> dict[str, float]:
    configs = [(rows, threads) for rows in ROWS for threads in THREADS]
    if side == "c_library":
        return _c_library(configs, seconds)
    if side.startswith("tfkg_graph"):
        model = _ours_model()
        predict = model.predict_on_batch
    else:
        model = _keras_model()
        if side == "keras":
            predict = model.predict_on_batch
        else:
            import tensorflow as tf
            call = tf.function(lambda x: model(x, training=False), jit_compile=False,
                               input_signature=[tf.TensorSpec((None, FEATURES), tf.float32)])
            predict = lambda x: call(x).numpy()
    return {f"{rows}x{threads}": _throughput(predict, rows, threads, seconds) for rows, threads in configs}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--part", choices=SIDES)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--quick", action="store_true", help="0.3 s per configuration")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    seconds = 0.3 if args.quick else args.seconds
    if args.part:
        print(json.dumps(measure(args.part, seconds)))
        return {}
    results = {side: run_fresh([os.path.abspath(__file__), "--part", side, "--seconds", str(seconds)],
                               **SIDE_ENV.get(side, {}))
               for side in SIDES}
    widths = (14, 12, 12, 12, 12, 12, 9, 9)
    print_header(("rows x threads", "tfkg req/s", "C req/s", "Keras req/s", "tf.fn req/s", "cffi req/s", "py/Keras",
                  "C/Keras"), widths)
    for key in results["keras"]:
        ours, c, keras, tf_fn, cffi_only = (results[s][key] for s in SIDES)
        print(format_row((key, f"{ours:,.0f}", f"{c:,.0f}", f"{keras:,.0f}", f"{tf_fn:,.0f}", f"{cffi_only:,.0f}",
                          f"{ours / keras:.1f}x", f"{c / keras:.1f}x"), widths))
    if args.json:
        write_json(args.json, results)
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
