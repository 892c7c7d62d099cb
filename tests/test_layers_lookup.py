"""Discretization, IntegerLookup and Hashing against Keras 3: the same outputs (values and dtypes) for given
vocabularies/boundaries and after ``adapt`` on the same numpy data, equal configs that round-trip, and a
model with them predicting like Keras'."""
from __future__ import annotations

import json

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import tfkg_graph  # noqa: E402
from tfkg_graph import layers  # noqa: E402
from tfkg_graph.graph import Graph, placeholder  # noqa: E402
from tfkg_graph.runtime import Session  # noqa: E402

RNG = np.random.default_rng(29)
FLOATS = RNG.normal(size=(6, 4)).astype("float32")
IDS = RNG.integers(0, 12, (5, 4)).astype("int64")


def run(layer, x):
    g = Graph()
    with g.as_default():
        ph = placeholder(str(x.dtype), x.shape)
        out = layer(ph)
    with Session(g) as sess:
        value = sess.run(out.name, {ph.name: x})
    assert out.shape is None or tuple(out.shape) == value.shape, "static shape"
    return value


def assert_same(ours, theirs):
    theirs = keras.ops.convert_to_numpy(theirs)
    assert ours.dtype == theirs.dtype, f"dtype {ours.dtype} vs Keras {theirs.dtype}"
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


CASES = [  # (id, factory, input)
    ("disc_int", lambda L: L.Discretization([-0.5, 0.0, 0.7]), FLOATS),
    ("disc_one_hot", lambda L: L.Discretization([-0.5, 0.0, 0.7], output_mode="one_hot"), FLOATS[:, :1]),
    ("disc_multi_hot", lambda L: L.Discretization([-1.0, 0.2], output_mode="multi_hot"), FLOATS),
    ("disc_count_vector", lambda L: L.Discretization([0.0], output_mode="count"), FLOATS[0]),
    ("lookup_int", lambda L: L.IntegerLookup(vocabulary=[3, 7, 1, 10]), IDS),
    ("lookup_mask", lambda L: L.IntegerLookup(vocabulary=[3, 7, 1, 10], mask_token=0), IDS),
    ("lookup_oov2", lambda L: L.IntegerLookup(vocabulary=[3, 7, 1], num_oov_indices=2), IDS),
    ("lookup_no_oov_in_vocab", lambda L: L.IntegerLookup(vocabulary=list(range(12)), num_oov_indices=0), IDS),
    ("lookup_one_hot", lambda L: L.IntegerLookup(vocabulary=[3, 7, 1], output_mode="one_hot"), IDS[:, :1]),
    ("lookup_multi_hot", lambda L: L.IntegerLookup(vocabulary=[3, 7, 1], output_mode="multi_hot"), IDS),
    ("lookup_count_mask", lambda L: L.IntegerLookup(vocabulary=[3, 7, 1], mask_token=0, output_mode="count"), IDS),
    ("lookup_padded", lambda L: L.IntegerLookup(max_tokens=8, vocabulary=[3, 7], output_mode="multi_hot",
                                                pad_to_max_tokens=True), IDS),
    ("lookup_invert", lambda L: L.IntegerLookup(vocabulary=[3, 7, 1, 10], invert=True), IDS % 7),
    ("lookup_invert_mask", lambda L: L.IntegerLookup(vocabulary=[3, 7, 1], mask_token=0, invert=True), IDS % 6),
    ("hash", lambda L: L.Hashing(5), IDS),
    ("hash_mask", lambda L: L.Hashing(4, mask_value=3), IDS),
    ("hash_salt", lambda L: L.Hashing(7, salt=[133, 137]), IDS),
    ("hash_floats_multi_hot", lambda L: L.Hashing(6, output_mode="multi_hot"), FLOATS * 5),
    ("hash_one_hot", lambda L: L.Hashing(3, output_mode="one_hot"), IDS[:, :1]),
    ("hash_count_int32", lambda L: L.Hashing(3, output_mode="count", dtype="int32"), IDS),
]


@pytest.mark.parametrize("name,factory,x", CASES, ids=[c[0] for c in CASES])
def test_layer_matches_keras(name, factory, x):
    assert_same(run(factory(layers), x), factory(keras.layers)(x))


def _plain(config):
    return {k: json.loads(json.dumps(v)) for k, v in config.items() if k not in ("name", "trainable", "dtype")}


@pytest.mark.parametrize("name,factory,x", CASES, ids=[c[0] for c in CASES])
def test_config_matches_keras_and_round_trips(name, factory, x):
    ours, theirs = factory(layers), factory(keras.layers)
    assert _plain(ours.get_config()) == _plain(theirs.get_config())
    again = type(ours).from_config(ours.get_config())
    np.testing.assert_array_equal(run(again, x), run(ours, x))


@pytest.mark.parametrize("num_bins,epsilon,batches", [(4, 0.01, 1), (3, 0.1, 3), (6, 0.01, 2)])
def test_discretization_adapts_the_same_boundaries(num_bins, epsilon, batches):
    data = RNG.normal(size=(300, 2)).astype("float32")
    ours, theirs = (L.Discretization(num_bins=num_bins, epsilon=epsilon) for L in (layers, keras.layers))
    parts = np.array_split(data, batches) if batches > 1 else data
    ours.adapt(parts)
    theirs.adapt(parts)
    np.testing.assert_allclose(ours.bin_boundaries, theirs.bin_boundaries, rtol=1e-6)
    assert_same(run(ours, FLOATS), theirs(FLOATS))


@pytest.mark.parametrize("kwargs", [{}, {"max_tokens": 5}, {"mask_token": 0, "num_oov_indices": 2},
                                    {"output_mode": "multi_hot"}])
def test_integer_lookup_adapts_the_same_vocabulary(kwargs):
    data = RNG.integers(0, 9, (40, 3)) ** 2
    ours, theirs = (L.IntegerLookup(**kwargs) for L in (layers, keras.layers))
    ours.adapt(data)
    theirs.adapt(data)
    assert ours.get_vocabulary() == [int(v) for v in theirs.get_vocabulary()]
    assert ours.vocabulary_size() == theirs.vocabulary_size()
    probe = RNG.integers(0, 70, (4, 3)).astype("int64")
    assert_same(run(ours, probe), theirs(probe))


def test_lookup_model_predicts_like_keras():
    def build(root):
        L = root.layers
        ids, values = L.Input((4,), dtype="int64"), L.Input((4,))
        a = L.Flatten()(L.Embedding(6, 2)(L.IntegerLookup(vocabulary=[3, 7, 1, 10])(ids)))
        b = L.Discretization([-0.5, 0.5], output_mode="count")(values)
        c = L.Hashing(4, output_mode="count")(ids)
        return root.models.Model([ids, values], L.Dense(2)(L.Concatenate()([a, b, c])))
    ours, theirs = build(tfkg_graph), build(keras)
    ours.set_weights(theirs.get_weights())
    x = [IDS[:, :4], FLOATS[:5]]
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="either"):
        layers.Discretization()
    with pytest.raises(ValueError, match="Cannot adapt"):
        layers.Discretization([0.0]).adapt(FLOATS)
    with pytest.raises(ValueError, match="repeated"):
        layers.IntegerLookup(vocabulary=[1, 2, 2])
    with pytest.raises(ValueError, match="num_bins"):
        layers.Hashing(0)
    g = Graph()
    with g.as_default(), pytest.raises(RuntimeError, match="vocabulary"):
        layers.IntegerLookup(output_mode="multi_hot")(placeholder("int64", (2, 3)))


def test_keras_archives_load_both_ways(tmp_path):
    def build(root):
        L = root.layers
        ids, values = L.Input((4,), dtype="int64"), L.Input((4,))
        a = L.Flatten()(L.Embedding(6, 2)(L.IntegerLookup(vocabulary=[3, 7, 1, 10], mask_token=0)(ids)))
        b = L.Discretization([-0.5, 0.5], output_mode="multi_hot")(values)
        c = L.Hashing(4, output_mode="count", salt=5)(ids)
        return root.models.Model([ids, values], L.Dense(2)(L.Concatenate()([a, b, c])))
    x = [IDS[:, :4], FLOATS[:5]]
    theirs = build(keras)
    theirs.save(str(tmp_path / "theirs.keras"))
    ours = tfkg_graph.models.load_model(str(tmp_path / "theirs.keras"))
    expected = keras.ops.convert_to_numpy(theirs(x))
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5)
    ours.save(str(tmp_path / "ours.keras"))
    again = keras.models.load_model(str(tmp_path / "ours.keras"))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(again(x)), expected, rtol=1e-5, atol=1e-5)
