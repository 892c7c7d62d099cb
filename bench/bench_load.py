"""Start to first prediction: a fresh process imports, loads a saved model and predicts one row.

    python bench/bench_load.py [--json out.json] [--repeats 5] [--quick]

The same MLP (32 -> 128 relu -> 128 relu -> 10 softmax, Keras' initial weights) is saved twice:
by Keras as ``model.keras`` and by tfkg_graph as a SavedModel. Each timed run is a new interpreter
(wall clock from spawn to exit) doing
  * tfkg_graph: ``import tfkg_graph.saving``; ``SavedModelPredictor(dir).predict(row)``,
  * Keras 3:    ``import keras``; ``keras.models.load_model(path).predict(row)``,
and both print their prediction, which must agree. The median of ``--repeats`` runs is reported.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

SIZES = (32, 128, 128, 10)
ROW = np.linspace(-1, 1, SIZES[0], dtype=np.float32).reshape(1, -1)

OURS = """
import sys, json, numpy as np
import tfkg_graph.saving as saving
p = saving.SavedModelPredictor(sys.argv[1])
print(json.dumps(p.predict(np.asarray(json.loads(sys.argv[2]), np.float32)).tolist()))
"""
KERAS = """
import os, sys, json, numpy as np
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import keras
m = keras.models.load_model(sys.argv[1])
print(json.dumps(m.predict(np.asarray(json.loads(sys.argv[2]), np.float32), verbose=0).tolist()))
"""


def build(work: str) -> tuple[str, str]:
    """Saves the Keras model and our equivalent SavedModel with the same weights."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    from tfkg_graph.graph import Graph, Variable, constants, math, nn
    from tfkg_graph.runtime import Session
    from tfkg_graph.saving import Saver, Signature, write_saved_model
    inputs = keras.Input((SIZES[0],), name="x")
    h = inputs
    for i, units in enumerate(SIZES[1:]):
        h = keras.layers.Dense(units, activation="softmax" if i == len(SIZES) - 2 else "relu")(h)
    model = keras.Model(inputs, h)
    keras_path = os.path.join(work, "model.keras")
    model.save(keras_path)

    g = Graph()
    with g.as_default():
        x = constants.placeholder("float32", (None, SIZES[0]), name="x")
        h, variables = x, []
        for i, layer in enumerate(model.layers[1:]):
            kernel, bias = (np.asarray(w) for w in layer.get_weights())
            name = "dense" if i == 0 else f"dense_{i}"
            k = Variable(kernel, name=f"{name}/kernel")
            b = Variable(bias, name=f"{name}/bias")
            variables += [k, b]
            with g.name_scope(name):
                h = nn.bias_add(math.matmul(h, k.value()), b.value())
                h = nn.softmax(h) if i == len(SIZES) - 2 else nn.relu(h)
        saver = Saver(variables)
    sess = Session(g)
    sess.run([], targets=[v.initializer.name for v in variables])
    ours_path = write_saved_model(os.path.join(work, "savedmodel"), g, sess, saver,
                                  {"serving_default": Signature({"x": x}, {"output": h})})
    return ours_path, keras_path


def time_fresh(code: str, path: str) -> tuple[float, list]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, path, json.dumps(ROW.tolist())], capture_output=True,
                          text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ROOT})
    elapsed = time.perf_counter() - start
    if done.returncode:
        raise RuntimeError(f"child failed: {done.stderr[-2000:]}")
    return elapsed, json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", help="write results here")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="2 repeats")
    args = ap.parse_args(argv)
    repeats = 2 if args.quick else args.repeats
    work = tempfile.mkdtemp(prefix="bench_load_", dir="/tmp")
    try:
        ours_path, keras_path = build(work)
        runs: dict[str, list[float]] = {"tfkg_graph SavedModel": [], "keras.models.load_model": []}
        preds = {}
        for _ in range(repeats):  # interleaved so both see the same machine load
            for name, code, path in (("tfkg_graph SavedModel", OURS, ours_path),
                                     ("keras.models.load_model", KERAS, keras_path)):
                seconds, preds[name] = time_fresh(code, path)
                runs[name].append(seconds)
        np.testing.assert_allclose(*preds.values(), rtol=1e-5, atol=1e-6)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    median = {k: statistics.median(v) for k, v in runs.items()}
    results = {"repeats": repeats, "seconds": runs, "median_s": median,
               "speedup": median["keras.models.load_model"] / median["tfkg_graph SavedModel"]}
    print(f"{'fresh process: import, load, predict 1 row':46s} {'median s':>9s} {'min s':>7s}")
    for name, values in runs.items():
        print(f"{name:46s} {median[name]:9.2f} {min(values):7.2f}")
    print(f"speedup (keras / tfkg_graph): {results['speedup']:.1f}x")
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(results, f, indent=2)
        os.replace(tmp, args.json)
    return results


if __name__ == "__main__":
    main()
