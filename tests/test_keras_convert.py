"""Keras -> tfkg_graph -> C: the examples' Keras twins (the example's own source run over ``keras``) load,
train and convert with ``tfkg-convert``; TF Python runs the converted signatures; the C iris host trains
a converted Keras model; signature method names are ones TF Serving accepts for their inputs."""
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tfkg_graph import layers, models
from tfkg_graph.saving import convert
from _keras_names import fresh_names  # noqa: F401  (autouse)
from _parity import assert_arrays_match, assert_weights_match

ROOT = Path(__file__).resolve().parents[1]
RNG = np.random.default_rng(3)
ROWS = 16


def load_example(path: str, over_keras: bool):
    """The example module; ``over_keras`` runs its source with ``from keras import ...`` in place of
    ``from tfkg_graph import ...`` (the data helpers and the seed stay ours)."""
    source = (ROOT / path).read_text()
    if over_keras:
        def swap(match):
            names = [n.strip() for n in match.group(1).split(",")]
            keras_names = [n for n in names if n != "set_random_seed"]
            return f"from keras import {', '.join(keras_names)}\nfrom tfkg_graph import set_random_seed"
        source = re.sub(r"^from tfkg_graph import (.+)$", swap, source, flags=re.M)
    sys.path.insert(0, str((ROOT / path).parent))
    other_train = sys.modules.pop("train", None)  # the transformer's ``import train`` means its neighbour
    try:
        module = importlib.util.module_from_spec(importlib.util.spec_from_loader(f"twin_{Path(path).stem}", None))
        module.__file__ = str(ROOT / path)
        exec(compile(source, str(ROOT / path), "exec"), module.__dict__)
    finally:
        sys.path.remove(str((ROOT / path).parent))
        sys.modules.pop("train", None)
        if other_train is not None:
            sys.modules["train"] = other_train
    return module


def _ids(length, vocabulary=20):
    ids = RNG.integers(1, vocabulary, (ROWS, length)).astype(np.int32)
    ids[:, length // 2:] *= RNG.integers(0, 2, (ROWS, 1)).astype(np.int32)  # padded tails for the mask
    return ids


def _classes(n):
    return RNG.integers(0, n, ROWS).astype(np.int32)


# example -> (build(module), x, y, compile settings as in the example, Keras-on-TF Adam matches ours)
TWINS = {
    "iris": (lambda m: m.build_model(), lambda: RNG.uniform(0, 1, (ROWS, 4)).astype(np.float32),
             lambda: _classes(3), dict(loss="sparse_categorical_crossentropy", metrics=["accuracy"]), True),
    "multiple_inputs": (lambda m: m.build_model(), lambda: [RNG.uniform(0, 1, (ROWS, 1)).astype(np.float32)
                                                            for _ in range(4)],
                        lambda: _classes(3), dict(loss="sparse_categorical_crossentropy", metrics=["accuracy"]),
                        True),
    "images": (lambda m: m.build_model((8, 8), 3, 2), lambda: RNG.uniform(0, 1, (ROWS, 8, 8, 3)).astype(np.float32),
               lambda: _classes(2), dict(loss="sparse_categorical_crossentropy", metrics=["accuracy"]), True),
    "text": (lambda m: m.build_model(20), lambda: _ids(16), lambda: _classes(2).astype(np.float32),
             dict(loss="binary_crossentropy", metrics=["accuracy", "auc"]), False),
    "text_transformer": (lambda m: m.build_model(20), lambda: _ids(16), lambda: _classes(2).astype(np.float32),
                         dict(loss="binary_crossentropy", metrics=["accuracy"]), False),
}
PATHS = {"iris": "examples/iris/train.py", "multiple_inputs": "examples/multiple_inputs/train.py",
         "images": "examples/images/train.py", "text": "examples/text/train.py",
         "text_transformer": "examples/text/train_transformer.py"}


@pytest.mark.parametrize("name", sorted(TWINS))
def test_example_keras_twin_loads_trains_and_converts(name, keras, tf, tmp_path):
    build, make_x, make_y, settings, adam_matches = TWINS[name]
    ours_example, twin = load_example(PATHS[name], False), load_example(PATHS[name], True)
    x, y = make_x(), make_y()
    theirs = build(twin)
    theirs.compile(optimizer=keras.optimizers.Adam(0.01), run_eagerly=True, **settings)
    theirs.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    theirs.save(tmp_path / "twin.keras")
    custom = {"PositionEmbedding": ours_example.PositionEmbedding} if name == "text_transformer" else None

    ours = models.load_model(str(tmp_path / "twin.keras"), custom_objects=custom)
    reference = build(ours_example)  # the twin is the example's architecture
    assert [type(l).__name__ for l in ours.layers] == [type(l).__name__ for l in reference.layers]
    assert [w.shape for w in ours.weights] == [w.shape for w in reference.weights]
    assert_arrays_match(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), "loaded predictions")

    flags = ["--custom-objects", str(ROOT / PATHS[name])] if custom else []
    assert convert.main([str(tmp_path / "twin.keras"), str(tmp_path / "saved"), *flags]) == 0
    loaded = tf.saved_model.load(str(tmp_path / "saved"))
    assert set(loaded.signatures) == {"serving_default", "train", "evaluate"}
    xs = x if isinstance(x, list) else [x]
    feeds = {n: tf.constant(a) for n, a in zip(ours.input_names, xs)}
    served = loaded.signatures["serving_default"](**feeds)[ours.output_names[0]].numpy()
    assert_arrays_match(served, theirs.predict(x, verbose=0), "converted predictions")
    output = ours.output_names[0]
    target = y[:8].astype(np.float32).reshape((8,) if "sparse" in settings["loss"] else (8, -1))
    labels = {f"{output}_target": tf.constant(target), f"{output}_sample_weight": tf.ones(8)}
    step_loss = loaded.signatures["train"](**{k: v[:8] for k, v in feeds.items()}, **labels)["loss"].numpy()
    batch = [a[:8] for a in xs] if isinstance(x, list) else x[:8]
    expected = theirs.evaluate(batch, y[:8], verbose=0, return_dict=True)["loss"]  # before the step's update
    assert_arrays_match(step_loss, expected, "train signature loss")

    ours.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    theirs.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    if adam_matches:  # else Keras-on-TF's sparse Embedding update differs (docs/differences.md)
        assert_weights_match(ours, theirs)


def test_signature_method_names_suit_their_inputs(tf, tmp_path):
    """TF's own validity check: ``regress``/``classify`` need one serialized-Example input; ours are predict."""
    from tensorflow.python.saved_model import signature_def_utils
    model = models.Sequential([layers.Input((3,)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((4, 3), np.float32), np.ones((4, 2), np.float32), verbose=0)
    model.save(str(tmp_path / "m"))
    from tensorflow.core.protobuf import saved_model_pb2
    saved = saved_model_pb2.SavedModel.FromString((tmp_path / "m" / "saved_model.pb").read_bytes())
    signatures = saved.meta_graphs[0].signature_def
    assert set(signatures) == {"serving_default", "train", "evaluate"}
    for name, signature in signatures.items():
        assert signature.method_name == tf.saved_model.PREDICT_METHOD_NAME, name
        assert signature_def_utils.is_valid_signature(signature), name


def test_convert_reports_errors_without_a_traceback(tmp_path, capsys):
    assert convert.main([str(tmp_path / "missing.keras"), str(tmp_path / "out")]) == 1
    assert "tfkg-convert: " in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(not (shutil.which("cc") and shutil.which("make")), reason="needs cc and make")
def test_c_host_trains_a_converted_keras_model(keras, tmp_path):
    """README's Keras -> C path: examples/iris/train_keras.py, tfkg-convert, ``make csrc``, iris_host."""
    keras_example = load_example("examples/iris/train_keras.py", False)
    keras_example.main(str(tmp_path / "iris.keras"), epochs=2)
    assert convert.main([str(tmp_path / "iris.keras"), str(tmp_path / "iris_model")]) == 0
    build = tmp_path / "csrc-build"
    made = subprocess.run(["make", "-C", str(ROOT / "csrc"), f"PYTHON={sys.executable}", f"BUILD={build}"],
                          capture_output=True, text=True, timeout=600)
    assert made.returncode == 0, made.stdout + made.stderr
    ran = subprocess.run([str(build / "iris_host"), str(tmp_path / "iris_model"), str(ROOT / "examples/iris/iris.data"),
                          "30", "10"], capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    losses = re.search(r"trained 30 steps of 10 rows: loss ([\d.]+) -> ([\d.]+)", ran.stdout)
    assert losses and float(losses.group(2)) < float(losses.group(1)), ran.stdout
    theirs = keras.models.load_model(tmp_path / "iris.keras")
    x, y = keras_example.load_iris()
    accuracy = float(np.mean(theirs.predict(x / x.max(axis=0), verbose=0).argmax(axis=1) == y))
    assert f"accuracy before training: {accuracy:.4f}" in ran.stdout  # C predicts what Keras predicts
