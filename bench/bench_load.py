"""Start to first prediction: a fresh process imports, loads a saved model and predicts one row.

    python bench/bench_load.py [--json out.json] [--repeats 5] [--quick]

An iris-like classifier (4 -> 16 relu -> 16 relu -> 3 softmax, compiled with Adam and sparse
categorical crossentropy, trained for a few steps) is saved the way each library's user saves it:
``model.save(dir)`` by tfkg_graph (SavedModel + tfkg_model.json) and ``model.save("model.keras")`` by
Keras 3, with the same weights. Each timed run is a new interpreter (wall clock from spawn to exit):
  * tfkg_graph load_model: ``import tfkg_graph.saving``; ``saving.load_model(dir).predict(row)``
    (the full model back: rebuilt, compiled, every variable restored, ready to ``fit``),
  * tfkg_graph predictor:  ``import tfkg_graph.saving``; ``SavedModelPredictor(dir).predict(row)``
    (inference only, through the serving signature),
  * Keras 3:               ``import keras``; ``keras.models.load_model(path).predict(row)``.
All print their prediction, which must agree. The median of ``--repeats`` interleaved runs is reported.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time

import numpy as np

from _common import ROOT, run_fresh, write_json

HIDDEN, CLASSES = (16, 16), 3
ROW = np.array([[5.1, 3.5, 1.4, 0.2]], np.float32)

OURS_LOAD_MODEL = """
import sys, json, numpy as np
import tfkg_graph.saving as saving
m = saving.load_model(sys.argv[1])
print(json.dumps(m.predict(np.asarray(json.loads(sys.argv[2]), np.float32), verbose=0).tolist()))
"""
OURS_PREDICTOR = """
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
CASES = (("tfkg_graph: saving.load_model(dir).predict", OURS_LOAD_MODEL, "ours"),
         ("tfkg_graph: SavedModelPredictor(dir).predict", OURS_PREDICTOR, "ours"),
         ("keras.models.load_model(.keras).predict", KERAS, "keras"))


def architecture(L, Sequential, Input):
    return Sequential([Input((4,)), *(L.Dense(units, activation="relu") for units in HIDDEN),
                       L.Dense(CLASSES, activation="softmax")])


def build(work: str) -> dict[str, str]:
    """Trains ours briefly, saves it, and saves a Keras model with the same weights as .keras."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    from tfkg_graph import layers, models
    rng = np.random.default_rng(0)
    x = rng.normal([5.8, 3.0, 3.7, 1.2], [0.8, 0.4, 1.7, 0.7], (120, 4)).astype(np.float32)
    y = np.digitize(x[:, 2], [2.5, 5.0]).astype(np.int32)
    ours = architecture(layers, models.Sequential, layers.Input)
    ours.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    ours.fit(x, y, batch_size=16, epochs=2, verbose=0)
    theirs = architecture(keras.layers, keras.Sequential, keras.Input)
    theirs.set_weights(ours.get_weights())
    theirs.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    keras_path = os.path.join(work, "model.keras")
    theirs.save(keras_path)
    return {"ours": ours.save(os.path.join(work, "model")), "keras": keras_path}


def time_fresh(code: str, path: str) -> tuple[float, list]:
    start = time.perf_counter()
    prediction = run_fresh(["-c", code, path, json.dumps(ROW.tolist())], PYTHONPATH=ROOT)
    return time.perf_counter() - start, prediction


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", help="write results here")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="2 repeats")
    args = ap.parse_args(argv)
    repeats = 2 if args.quick else args.repeats
    work = tempfile.mkdtemp(prefix="bench_load_", dir="/tmp")
    try:
        paths = build(work)
        runs: dict[str, list[float]] = {name: [] for name, _, _ in CASES}
        preds = {}
        for _ in range(repeats):  # interleaved so all see the same machine load
            for name, code, which in CASES:
                seconds, preds[name] = time_fresh(code, paths[which])
                runs[name].append(seconds)
        reference = preds[CASES[-1][0]]
        for name, pred in preds.items():
            np.testing.assert_allclose(pred, reference, rtol=1e-5, atol=1e-6, err_msg=name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    median = {k: statistics.median(v) for k, v in runs.items()}
    keras_s = median[CASES[-1][0]]
    speedup = {name: keras_s / median[name] for name, _, which in CASES if which == "ours"}
    results = {"repeats": repeats, "seconds": runs, "median_s": median, "speedup_vs_keras": speedup}
    print(f"{'fresh process: import, load, predict 1 row':46s} {'median s':>9s} {'min s':>7s}")
    for name, values in runs.items():
        print(f"{name:46s} {median[name]:9.2f} {min(values):7.2f}")
    for name, factor in speedup.items():
        print(f"speedup (keras / {name.split(': ')[1]}): {factor:.1f}x")
    if args.json:
        write_json(args.json, results, indent=2)
    return results


if __name__ == "__main__":
    main()
