"""CategoryEncoding against Keras 3: the same encodings of the same ids (one_hot, multi_hot, count, count
with weights), a Dense trained on them to the same weights, and equal configs."""
from __future__ import annotations

import json

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import tfkg_graph  # noqa: E402
from _parity import train_both_and_compare  # noqa: E402
from tfkg_graph import layers  # noqa: E402
from tfkg_graph.graph import Graph, placeholder  # noqa: E402
from tfkg_graph.runtime import Session  # noqa: E402

RNG = np.random.default_rng(13)
CASES = [("multi_hot", 3), ("count", 4), ("one_hot", 3), ("one_hot", 1), ("binary", 2)]


def around(root, mode, n):
    L = root.layers
    ids = L.Input((n,), dtype="int32")
    encoded = L.CategoryEncoding(num_tokens=6, output_mode=mode)(ids)
    if len(encoded.shape) > 2:
        encoded = L.Flatten()(encoded)
    return root.models.Model(ids, L.Dense(2, activation="softmax")(encoded))


@pytest.mark.parametrize("mode,n", CASES)
def test_encodings_and_training_match_keras(mode, n):
    x = RNG.integers(0, 6, (48, n)).astype("int32")
    y = RNG.integers(0, 2, 48)
    ours, theirs = around(tfkg_graph, mode, n), around(keras, mode, n)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    train_both_and_compare(ours, theirs, x, y, "sparse_categorical_crossentropy")


def test_count_weights_weight_each_occurrence_like_keras():
    ids = RNG.integers(0, 5, (4, 6)).astype("int32")
    weights = RNG.uniform(0, 2, (4, 6)).astype("float32")
    g = Graph()
    with g.as_default():
        x, w = placeholder("int32", (None, 6), name="x"), placeholder("float32", (None, 6), name="w")
        out = layers.CategoryEncoding(5, output_mode="count")(x, count_weights=w)
    with Session(g) as sess:
        got = sess.run(out.name, {"x:0": ids, "w:0": weights})
    want = keras.layers.CategoryEncoding(5, output_mode="count")(ids, count_weights=weights)
    np.testing.assert_allclose(got, np.asarray(want), rtol=1e-6)


@pytest.mark.parametrize("mode", ["multi_hot", "count", "one_hot", "binary"])
def test_config_matches_keras_and_round_trips(mode):
    ours, theirs = layers.CategoryEncoding(7, output_mode=mode), keras.layers.CategoryEncoding(7, output_mode=mode)
    mine, keras_config = ours.get_config(), json.loads(json.dumps(theirs.get_config()))
    assert set(mine) == set(keras_config)
    assert {k: mine[k] for k in ("num_tokens", "output_mode", "trainable")} == {
        k: keras_config[k] for k in ("num_tokens", "output_mode", "trainable")}
    assert layers.deserialize(layers.serialize(ours)).get_config() == mine


@pytest.mark.parametrize("kwargs", [{}, {"num_tokens": 0}, {"num_tokens": 3, "output_mode": "tf_idf"},
                                    {"num_tokens": 3, "sparse": True}])
def test_bad_arguments_raise(kwargs):
    with pytest.raises(ValueError):
        layers.CategoryEncoding(**kwargs)
