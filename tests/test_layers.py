"""Layers against Keras 3: same weights in, same outputs out (inference mode); configs, naming, custom layers."""
from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from tfkg_graph import layers, models  # noqa: E402

RNG = np.random.default_rng(7)


def _pair(make_ours, make_keras, shapes, dtype="float32"):
    """Single-layer functional models on both sides with Keras' weights copied into ours."""
    ins = [layers.Input(s, dtype=dtype) for s in shapes]
    kins = [keras.Input(s, dtype=dtype) for s in shapes]
    ours = models.Model(ins, make_ours()(ins if len(ins) > 1 else ins[0]))
    theirs = keras.Model(kins, make_keras()(kins if len(kins) > 1 else kins[0]))
    weights = theirs.get_weights()
    weights = [RNG.normal(size=w.shape).astype(w.dtype) if w.dtype.kind == "f" else w for w in weights]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    return ours, theirs


CASES = [
    ("dense_relu", lambda: layers.Dense(5, activation="relu"), lambda: keras.layers.Dense(5, activation="relu"), [(4,)]),
    ("dense_no_bias", lambda: layers.Dense(3, use_bias=False), lambda: keras.layers.Dense(3, use_bias=False), [(4,)]),
    ("dense_rank3", lambda: layers.Dense(3, activation="tanh"), lambda: keras.layers.Dense(3, activation="tanh"), [(2, 4)]),
    ("activation", lambda: layers.Activation("softmax"), lambda: keras.layers.Activation("softmax"), [(4,)]),
    ("dropout_inference", lambda: layers.Dropout(0.5), lambda: keras.layers.Dropout(0.5), [(4,)]),
    ("batchnorm_inference", lambda: layers.BatchNormalization(), lambda: keras.layers.BatchNormalization(), [(4,)]),
    ("batchnorm_axis1", lambda: layers.BatchNormalization(axis=1, center=False),
     lambda: keras.layers.BatchNormalization(axis=1, center=False), [(3, 4)]),
    ("layernorm", lambda: layers.LayerNormalization(), lambda: keras.layers.LayerNormalization(), [(6,)]),
    ("layernorm_rank3", lambda: layers.LayerNormalization(scale=False), lambda: keras.layers.LayerNormalization(scale=False),
     [(3, 4)]),
    ("flatten", lambda: layers.Flatten(), lambda: keras.layers.Flatten(), [(2, 3)]),
    ("reshape", lambda: layers.Reshape((3, -1)), lambda: keras.layers.Reshape((3, -1)), [(6,)]),
    ("concatenate", lambda: layers.Concatenate(), lambda: keras.layers.Concatenate(), [(2,), (3,)]),
    ("concatenate_axis1", lambda: layers.Concatenate(axis=1), lambda: keras.layers.Concatenate(axis=1), [(2, 3), (4, 3)]),
    ("add", lambda: layers.Add(), lambda: keras.layers.Add(), [(3,), (3,), (3,)]),
    ("subtract", lambda: layers.Subtract(), lambda: keras.layers.Subtract(), [(3,), (3,)]),
    ("multiply", lambda: layers.Multiply(), lambda: keras.layers.Multiply(), [(3,), (3,)]),
    ("average", lambda: layers.Average(), lambda: keras.layers.Average(), [(3,), (3,)]),
    ("maximum", lambda: layers.Maximum(), lambda: keras.layers.Maximum(), [(3,), (3,)]),
    ("minimum", lambda: layers.Minimum(), lambda: keras.layers.Minimum(), [(3,), (3,)]),
    ("gap1d", lambda: layers.GlobalAveragePooling1D(), lambda: keras.layers.GlobalAveragePooling1D(), [(5, 3)]),
    ("gmp1d", lambda: layers.GlobalMaxPooling1D(), lambda: keras.layers.GlobalMaxPooling1D(), [(5, 3)]),
    ("gmp1d_keepdims", lambda: layers.GlobalMaxPooling1D(keepdims=True),
     lambda: keras.layers.GlobalMaxPooling1D(keepdims=True), [(5, 3)]),
]


@pytest.mark.parametrize("name,ours,theirs,shapes", CASES, ids=[c[0] for c in CASES])
def test_layer_matches_keras_inference(name, ours, theirs, shapes):
    model, kmodel = _pair(ours, theirs, shapes)
    xs = [RNG.normal(size=(7, *s)).astype("float32") for s in shapes]
    feed = xs if len(xs) > 1 else xs[0]
    want = kmodel.predict(feed, verbose=0)
    got = model.predict(feed, verbose=0)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert tuple(model.outputs[0].shape) == tuple(kmodel.outputs[0].shape)


def test_embedding_matches_keras():
    model, kmodel = _pair(lambda: layers.Embedding(10, 4), lambda: keras.layers.Embedding(10, 4), [(3,)], "int32")
    ids = RNG.integers(0, 10, size=(5, 3)).astype("int32")
    np.testing.assert_allclose(model.predict(ids, verbose=0), kmodel.predict(ids, verbose=0), rtol=1e-6)


def test_weight_names_order_and_counts_follow_keras():
    model = models.Sequential([layers.Input((4,)), layers.Dense(3, name="d1"), layers.BatchNormalization(name="bn"),
                               layers.Dense(2, name="d2")])
    assert [w.path for w in model.weights] == ["d1/kernel", "d1/bias", "bn/gamma", "bn/beta", "bn/moving_mean",
                                               "bn/moving_variance", "d2/kernel", "d2/bias"]
    kmodel = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.BatchNormalization(),
                               keras.layers.Dense(2)])
    assert [w.shape for w in model.get_weights()] == [tuple(w.shape) for w in kmodel.get_weights()]
    assert model.count_params() == kmodel.count_params()
    assert [w.path for w in model.trainable_weights] == ["d1/kernel", "d1/bias", "bn/gamma", "bn/beta", "d2/kernel",
                                                         "d2/bias"]


def test_automatic_names_are_unique_and_snake_case():
    a, b, c = layers.Dense(1), layers.Dense(1), layers.GlobalAveragePooling1D()
    assert b.name.startswith("dense_") and a.name != b.name
    assert c.name.startswith("global_average_pooling1d")


def test_layer_get_set_weights_round_trip():
    dense = layers.Dense(2)
    model = models.Sequential([layers.Input((3,)), dense])
    kernel = RNG.normal(size=(3, 2)).astype("float32")
    bias = np.array([0.5, -1.0], "float32")
    dense.set_weights([kernel, bias])
    got = dense.get_weights()
    np.testing.assert_array_equal(got[0], kernel)
    np.testing.assert_array_equal(got[1], bias)
    x = RNG.normal(size=(4, 3)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), x @ kernel + bias, rtol=1e-6)
    with pytest.raises(ValueError, match="shape"):
        dense.set_weights([kernel.T, bias])


class Scale(layers.Layer):
    """The README's custom layer: a learned per-feature scale."""

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

    def call(self, inputs):
        return inputs * self.scale


def test_custom_layer_builds_calls_and_exposes_weights():
    inp = layers.Input((3,))
    scale = Scale(name="scale_layer")
    model = models.Model(inp, scale(inp))
    assert [w.path for w in model.weights] == ["scale_layer/scale"]
    scale.set_weights([np.array([1.0, 2.0, 3.0], "float32")])
    x = RNG.normal(size=(2, 3)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), x * [1, 2, 3], rtol=1e-6)


@pytest.mark.parametrize("layer", [
    layers.Dense(3, activation="relu", use_bias=False, kernel_initializer="he_normal"),
    layers.Dropout(0.25, seed=3), layers.BatchNormalization(momentum=0.9, epsilon=1e-2),
    layers.LayerNormalization(epsilon=1e-5), layers.Concatenate(axis=1), layers.Embedding(5, 2),
    layers.Reshape((2, 2)), layers.GlobalMaxPooling1D(keepdims=True), layers.Activation("tanh"),
], ids=lambda l: type(l).__name__)
def test_layer_config_round_trip(layer):
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config


def test_keras_config_keys_are_a_subset_of_ours():
    ours = layers.Dense(3, activation="relu").get_config()
    theirs = keras.layers.Dense(3, activation="relu").get_config()
    missing = {"units", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer",
               "bias_regularizer", "kernel_constraint", "bias_constraint", "name", "trainable"} - set(ours)
    assert not missing and set(ours) & set(theirs) >= {"units", "activation", "use_bias"}


def test_bad_layer_arguments_raise():
    with pytest.raises(ValueError, match="units"):
        layers.Dense(0)
    with pytest.raises(ValueError, match="rate"):
        layers.Dropout(1.5)
    with pytest.raises(TypeError, match="unexpected"):
        layers.Dense(2, not_an_arg=1)
    with pytest.raises(ValueError, match="one rank"):
        layers.Concatenate()([layers.Input((2,)), layers.Input((2, 3))])
