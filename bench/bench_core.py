"""Core benchmark: a hand-built 4-16-3 MLP through our builder and session, against the same model
as a tf.function train step and as Keras fit/predict, measured in the same run; plus the floor: the same
GraphDef run by a small C program calling TF_SessionRun in a loop (bench/floor.c), and the same MLP as a
``models.Sequential`` through ``train_on_batch`` / ``predict_on_batch`` (the user-facing per-call cost).

Each side runs in its own fresh process (so neither's thread pools or imports affect the other):
    python bench/bench_core.py [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
from functools import partial

import numpy as np
from _common import ROOT, round_times, run_fresh, write_json

BATCH, STEPS, ROUNDS = 32, 2000, 5


def _data(rows: int = BATCH * 64) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 4)).astype(np.float32)
    y = ((x[:, 0] > 0).astype(np.int32) + (x[:, 1] > 0)).astype(np.int32)
    return x, y


def _best_us(fn, steps: int) -> float:
    """Best of ROUNDS runs of ``steps`` calls, in microseconds per call (least disturbed by noise)."""
    return min(round_times(fn, ROUNDS, calls=steps)) * 1e6


def _graph():
    """The 4-16-3 MLP with an SGD step: placeholders x, y; fetches loss, probs; targets init, optimizer/train."""
    from tfkg_graph.autodiff import gradients
    from tfkg_graph.graph import Graph, array, math, nn, placeholder, state

    g = Graph(seed=1)
    with g.as_default():
        x = placeholder("float32", [None, 4], name="x")
        y = placeholder("int32", [None], name="y")
        w1 = state.Variable(lambda: state.GlorotUniform()([4, 16], graph=g), name="dense/kernel")
        b1 = state.Variable(lambda: state.Zeros()([16], graph=g), name="dense/bias")
        w2 = state.Variable(lambda: state.GlorotUniform()([16, 3], graph=g), name="dense_1/kernel")
        b2 = state.Variable(lambda: state.Zeros()([3], graph=g), name="dense_1/bias")
        h = nn.relu(nn.bias_add(math.matmul(x, w1.value()), b1.value()))
        logits = nn.bias_add(math.matmul(h, w2.value()), b2.value(), name="logits")
        nn.softmax(logits, name="probs")
        loss = math.reduce_mean(nn.sparse_softmax_cross_entropy_with_logits(y, logits), name="loss")
        params = [w1, b1, w2, b2]
        grads = gradients(loss, params)
        with g.name_scope("optimizer"):
            array.group([p.assign_sub(gr * 0.01) for p, gr in zip(params, grads)], name="train")
        array.group([p.initializer for p in params], name="init")
    return g


def ours() -> dict[str, float]:
    from tfkg_graph.runtime import Session, SessionConfig
    sess = Session(_graph(), config=SessionConfig(intra_op_threads=1, inter_op_threads=-1))
    sess.run([], targets=["init"])
    X, Y = _data()
    xb, yb = X[:BATCH], Y[:BATCH]
    step = sess.make_callable(["x", "y"], ["loss"], ["optimizer/train"])
    predict = sess.make_callable(["x"], ["probs"])
    row = X[:1]
    for _ in range(200):
        step(xb, yb)
        predict(row)
    return {"train_step_us": _best_us(lambda: step(xb, yb), STEPS),
            "predict_row_us": _best_us(lambda: predict(row), STEPS)}


def _keras_model():
    import keras
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy")
    return model


def tf_function() -> dict[str, float]:
    import tensorflow as tf
    model = _keras_model()
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy()
    opt = tf.keras.optimizers.SGD(0.01)

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        opt.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
        return loss

    @tf.function
    def forward(x):
        return model(x, training=False)

    X, Y = _data()
    xb, yb = tf.constant(X[:BATCH]), tf.constant(Y[:BATCH])
    row = X[:1]
    for _ in range(200):
        train_step(xb, yb)
        forward(row)
    return {"train_step_us": _best_us(lambda: train_step(xb, yb), STEPS // 4),
            "predict_row_us": _best_us(lambda: forward(row), STEPS // 4)}


def keras_fit() -> dict[str, float]:
    X, Y = _data()
    model = _keras_model()
    model.fit(X, Y, batch_size=BATCH, epochs=1, verbose=0)
    steps = 3 * (len(X) // BATCH)
    fit = partial(model.fit, X, Y, batch_size=BATCH, epochs=3, verbose=0, shuffle=False)
    fit_us = min(round_times(fit, ROUNDS)) / steps * 1e6
    row = X[:1]
    model.predict(row, verbose=0)
    return {"train_step_us": fit_us, "predict_row_us": _best_us(lambda: model.predict(row, verbose=0), 50)}


def ours_model() -> dict[str, float]:
    """The same MLP as a Sequential: train_on_batch / predict_on_batch, all our Python around the run."""
    from tfkg_graph import layers, models, optimizers
    model = models.Sequential([layers.Input((4,)), layers.Dense(16, activation="relu"),
                               layers.Dense(3, activation="softmax")])
    model.compile(optimizer=optimizers.SGD(0.01), loss="sparse_categorical_crossentropy")
    X, Y = _data()
    xb, yb, row = X[:BATCH], Y[:BATCH], X[:1]
    for _ in range(200):
        model.train_on_batch(xb, yb)
        model.predict_on_batch(row)
    return {"train_step_us": _best_us(lambda: model.train_on_batch(xb, yb), STEPS),
            "predict_row_us": _best_us(lambda: model.predict_on_batch(row), STEPS)}


def c_floor() -> dict[str, float]:
    """bench/floor.c on this graph's GraphDef: TF_SessionRun in a C loop, nothing else."""
    from tfkg_graph import capi_flags
    with tempfile.TemporaryDirectory() as tmp:
        graph_file, program = os.path.join(tmp, "graph.pb"), os.path.join(tmp, "floor")
        with open(graph_file, "wb") as f:
            f.write(_graph().to_bytes())
        subprocess.run(["cc", "-O2", "-std=c11", os.path.join(ROOT, "bench", "floor.c"), *capi_flags.cflags(),
                        *capi_flags.libs(), "-o", program], check=True, capture_output=True)
        done = subprocess.run([program, graph_file, str(STEPS), str(ROUNDS)], capture_output=True, text=True,
                              check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])


PARTS = {"tfkg_graph": ours, "tfkg_graph_model": ours_model, "c_floor": c_floor, "tf.function": tf_function,
         "keras": keras_fit, "tfkg_graph_cffi": ours}
# the prepared callable with runtime/fastrun.py off: each step as ~8 cffi calls
PART_ENV = {"tfkg_graph_cffi": {"TFKG_FASTRUN": "0"}}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--part", choices=sorted(PARTS))
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    if args.part:
        print(json.dumps(PARTS[args.part]()))
        return {}
    results = {name: run_fresh([os.path.abspath(__file__), "--part", name], **PART_ENV.get(name, {}))
               for name in PARTS}
    rows = [  # (what, key, our part, reference part, reference label)
        ("4-16-3 MLP train step, batch 32", "train_step_us", "tfkg_graph", "keras", "Keras fit"),
        ("4-16-3 MLP train step, batch 32", "train_step_us", "tfkg_graph", "tf.function", "tf.function step"),
        ("single-row forward", "predict_row_us", "tfkg_graph", "tf.function", "tf.function call"),
        ("single-row forward", "predict_row_us", "tfkg_graph", "keras", "Keras predict"),
        ("train step (prepared callable)", "train_step_us", "tfkg_graph", "c_floor", "C TF_SessionRun"),
        ("single-row forward (callable)", "predict_row_us", "tfkg_graph", "c_floor", "C TF_SessionRun"),
        ("train step, per-call cffi path", "train_step_us", "tfkg_graph_cffi", "c_floor", "C TF_SessionRun"),
        ("single-row forward, per-call cffi", "predict_row_us", "tfkg_graph_cffi", "c_floor", "C TF_SessionRun"),
        ("model.train_on_batch, batch 32", "train_step_us", "tfkg_graph_model", "c_floor", "C TF_SessionRun"),
        ("model.predict_on_batch, one row", "predict_row_us", "tfkg_graph_model", "c_floor", "C TF_SessionRun"),
    ]
    print(f"{'benchmark':36} {'tfkg_graph':>12} {'reference':>22} {'ref µs':>10} {'speed-up':>9}")
    table = []
    for label, key, part, ref, ref_label in rows:
        mine, theirs = results[part][key], results[ref][key]
        table.append({"benchmark": label, "ours_us": mine, "reference": ref_label, "reference_us": theirs,
                      "speedup": theirs / mine})
        # against the C floor the speed-up is below 1: 0.67x means 1.5x the floor
        print(f"{label:36} {mine:10.1f}µs {ref_label:>22} {theirs:10.1f} {theirs / mine:8.2f}x")
    if args.json:
        write_json(args.json, {"core": table, "raw": results}, indent=2)
    return {"core": table}


if __name__ == "__main__":
    main()
