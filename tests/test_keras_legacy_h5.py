"""Legacy whole-model .h5 files: Keras' legacy writer's files load here (predictions, compile settings),
and Keras 2 spelled configs (list-form inbound nodes, ``batch_input_shape``), which Keras 3 itself still
reads, load the same."""
import json

import h5py
import numpy as np
import pytest

from tfkg_graph import models, optimizers
from _keras_names import fresh_names  # noqa: F401  (autouse)
from _parity import assert_arrays_match

RNG = np.random.default_rng(9)


def keras_model(keras):
    """Two inputs, a shared layer, a nested Sequential, a merge, two outputs."""
    L = keras.layers
    a, b = L.Input((3,), name="a"), L.Input((3,), name="b")
    shared = L.Dense(4, activation="relu", name="shared")
    inner = keras.Sequential([L.Input((4,)), L.Dense(4), L.BatchNormalization()], name="inner")
    merged = L.Concatenate(name="merge")([inner(shared(a)), shared(b)])
    return keras.Model([a, b], [L.Dense(1, name="score")(merged), L.Dense(2, name="other")(merged)])


def keras2_spelling(config):
    """The Keras 2 form of a functional config: inbound nodes ``[[[layer, node, tensor, {}], ...]]``
    and InputLayer's ``batch_input_shape``."""
    def node(n):
        first = n["args"][0]
        refs = first if isinstance(first, list) else [first]
        return [[*r["config"]["keras_history"], {}] for r in refs]
    for layer in config["config"]["layers"]:
        layer["inbound_nodes"] = [node(n) for n in layer["inbound_nodes"]]
        if layer["class_name"] == "InputLayer":
            layer["config"]["batch_input_shape"] = layer["config"].pop("batch_shape")
    return config


def test_legacy_h5_files_load_with_their_compile_settings(keras, tmp_path):
    theirs = keras_model(keras)
    theirs.compile(optimizer=keras.optimizers.Adam(0.01), loss=["mse", "mae"], loss_weights=[1.0, 0.5])
    x = [RNG.standard_normal((8, 3)).astype(np.float32) for _ in range(2)]
    y = [RNG.standard_normal((8, 1)).astype(np.float32), RNG.standard_normal((8, 2)).astype(np.float32)]
    theirs.fit(x, y, verbose=0)
    theirs.save(tmp_path / "model.h5")
    with pytest.warns(UserWarning, match="fresh optimizer"):
        ours = models.load_model(str(tmp_path / "model.h5"))
    for a, b in zip(ours.predict(x, verbose=0), theirs.predict(x, verbose=0)):
        assert_arrays_match(a, b)
    assert isinstance(ours.optimizer, optimizers.Adam) and ours.optimizer.learning_rate == pytest.approx(0.01)
    assert ours.evaluate(x, y, verbose=0) == pytest.approx(theirs.evaluate(x, y, verbose=0), rel=1e-5)

    with h5py.File(tmp_path / "model.h5", "r+") as f:
        config = keras2_spelling(json.loads(f.attrs["model_config"]))
        f.attrs["model_config"] = json.dumps(config)
    keras_reads_it = keras.models.load_model(tmp_path / "model.h5", compile=False)  # Keras reads this spelling
    assert [l.name for l in keras_reads_it.layers] == [l.name for l in theirs.layers]
    again = models.load_model(str(tmp_path / "model.h5"), compile=False)
    assert again.optimizer is None
    for a, b in zip(again.predict(x, verbose=0), theirs.predict(x, verbose=0)):
        assert_arrays_match(a, b)
