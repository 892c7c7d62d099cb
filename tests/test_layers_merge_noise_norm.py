"""Dot/dot, the regularization and noise layers, Unit/Group/RMSNormalization and the 3D reshaping layers
against Keras 3: the same model around each layer (Dense before it, so gradients pass through it; Dense
softmax after) gives the same predictions, the same weights after 24 SGD steps, and get_config values
equal to Keras'. The noise layers are the identity at inference (predictions compared); their training
draws are checked against the formulas."""
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

ROWS, BATCH, EPOCHS = 48, 8, 4  # 6 batches x 4 epochs = 24 steps
RNG = np.random.default_rng(7)
RANDOM_IN_TRAINING = {"gaussian_noise", "gaussian_dropout", "alpha_dropout", "spatial_dropout_3d"}

CASES = [  # (id, layer factory over a layers module, input shape without the batch)
    ("activity_regularization", lambda L: L.ActivityRegularization(l1=0.01, l2=0.02), (6,)),
    ("gaussian_noise", lambda L: L.GaussianNoise(0.3, seed=1), (6,)),
    ("gaussian_dropout", lambda L: L.GaussianDropout(0.3), (6,)),
    ("alpha_dropout", lambda L: L.AlphaDropout(0.2, noise_shape=(None, 1)), (4, 3)),
    ("spatial_dropout_3d", lambda L: L.SpatialDropout3D(0.3), (2, 3, 2, 2)),
    ("unit_normalization", lambda L: L.UnitNormalization(), (6,)),
    ("unit_normalization_axes", lambda L: L.UnitNormalization(axis=[1, 2]), (4, 3)),
    ("group_normalization", lambda L: L.GroupNormalization(groups=3), (4, 6)),
    ("group_normalization_2d", lambda L: L.GroupNormalization(groups=2, epsilon=1e-4), (3, 3, 4)),
    ("instance_normalization", lambda L: L.GroupNormalization(groups=-1, center=False), (5, 3)),
    ("group_normalization_axis_1", lambda L: L.GroupNormalization(groups=2, axis=1), (4, 3)),
    ("rms_normalization", lambda L: L.RMSNormalization(), (6,)),
    ("rms_normalization_axes", lambda L: L.RMSNormalization(axis=[1, 2], epsilon=1e-3), (4, 3)),
    ("zero_padding_3d", lambda L: L.ZeroPadding3D(((1, 0), (0, 2), (1, 1))), (2, 3, 2, 2)),
    ("zero_padding_3d_int", lambda L: L.ZeroPadding3D(1), (2, 2, 2, 1)),
    ("cropping_3d", lambda L: L.Cropping3D(((1, 0), (0, 1), (1, 1))), (3, 3, 4, 2)),
    ("up_sampling_3d", lambda L: L.UpSampling3D((2, 1, 3)), (2, 2, 2, 2)),
]
BASE_KEYS = {"name", "trainable", "dtype", "seed"}


def around(root, factory, shape):
    L = root.layers
    inputs = L.Input(shape)
    x = factory(L)(L.Dense(shape[-1])(inputs))
    return root.models.Model(inputs, L.Dense(3, activation="softmax")(L.Flatten()(x)))


def data(shape):
    x = RNG.normal(size=(ROWS, *shape)).astype("float32")
    return x, RNG.integers(0, 3, ROWS)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_layer_trains_like_keras(case):
    name, factory, shape = case
    x, y = data(shape)
    ours, theirs = around(tfkg_graph, factory, shape), around(keras, factory, shape)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    if name in RANDOM_IN_TRAINING:
        return
    train_both_and_compare(ours, theirs, x, y, "sparse_categorical_crossentropy", batch_size=BATCH, epochs=EPOCHS)


def _plain(config):
    """Config values as JSON sees them (tuples -> lists); initializers and the like are left out."""
    return {k: json.loads(json.dumps(v)) for k, v in config.items()
            if k not in BASE_KEYS and not k.endswith(("_initializer", "_regularizer", "_constraint"))}


DOT_CASES = [  # (id, factory, shape of x, shape of y)
    ("dot_features", lambda L: L.Dot(axes=1), (5,), (5,)),
    ("dot_normalized", lambda L: L.Dot(axes=-1, normalize=True), (5,), (5,)),
    ("dot_sequences", lambda L: L.Dot(axes=(2, 2)), (3, 4), (5, 4)),
    ("dot_steps", lambda L: L.Dot(axes=(1, 2)), (4, 3), (2, 4)),
    ("dot_rank_4", lambda L: L.Dot(axes=(3, 1)), (2, 3, 4), (4, 2)),
    ("dot_vector_matrix", lambda L: L.Dot(axes=(1, 2)), (4,), (3, 4)),
    ("dot_functional", lambda L: lambda xs: L.dot(xs, axes=2, normalize=True), (3, 4), (2, 4)),
]


def around_two(root, factory, x_shape, y_shape):
    L = root.layers
    a, b = L.Input(x_shape), L.Input(y_shape)
    merged = factory(L)([L.Dense(x_shape[-1])(a), L.Dense(y_shape[-1])(b)])
    if len(merged.shape) > 2:
        merged = L.Flatten()(merged)
    return root.models.Model([a, b], L.Dense(3, activation="softmax")(merged))


@pytest.mark.parametrize("case", DOT_CASES, ids=[c[0] for c in DOT_CASES])
def test_dot_trains_like_keras(case):
    _, factory, x_shape, y_shape = case
    xs = [RNG.normal(size=(ROWS, *s)).astype("float32") for s in (x_shape, y_shape)]
    y = RNG.integers(0, 3, ROWS)
    ours, theirs = around_two(tfkg_graph, factory, x_shape, y_shape), around_two(keras, factory, x_shape, y_shape)
    assert tuple(ours.outputs[0].shape) == tuple(theirs.outputs[0].shape)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours.predict(xs, verbose=0), theirs.predict(xs, verbose=0), rtol=1e-5, atol=1e-6)
    train_both_and_compare(ours, theirs, xs, y, "sparse_categorical_crossentropy", batch_size=BATCH, epochs=EPOCHS)


CONFIG_CASES = [(name, factory) for name, factory, _ in CASES] + [
    (name, factory) for name, factory, *_ in DOT_CASES if name != "dot_functional"]


@pytest.mark.parametrize("case", CONFIG_CASES, ids=[c[0] for c in CONFIG_CASES])
def test_config_matches_keras_and_round_trips(case):
    _, factory = case
    ours, theirs = factory(layers), factory(keras.layers)
    mine = _plain(ours.get_config())
    keras_config = json.loads(json.dumps(theirs.get_config()))
    assert set(keras_config) <= set(ours.get_config()) <= set(keras_config) | {"trainable"}  # SpatialDropout*
    assert mine == {k: keras_config[k] for k in mine}
    again = type(ours).from_config(ours.get_config())
    assert _plain(again.get_config()) == mine
    assert layers.deserialize(layers.serialize(ours)).get_config() == ours.get_config()


def _train_call(layer, shape, x):
    g = Graph(seed=3)
    with g.as_default():
        ph = placeholder("float32", (None, *shape[1:]), name="x")
        out = layer(ph, training=True)
    with Session(g) as sess:
        return sess.run(out.name, {"x:0": x})


def test_gaussian_noise_adds_noise_of_its_stddev_when_training():
    x = np.full((400, 50), 2.0, np.float32)
    noise = _train_call(layers.GaussianNoise(0.3), x.shape, x) - x
    assert abs(noise.mean()) < 0.01 and abs(noise.std() - 0.3) < 0.01


def test_gaussian_dropout_multiplies_by_noise_around_one_when_training():
    x = np.full((400, 50), 2.0, np.float32)
    factor = _train_call(layers.GaussianDropout(0.2), x.shape, x) / x
    assert abs(factor.mean() - 1.0) < 0.01 and abs(factor.std() - np.sqrt(0.2 / 0.8)) < 0.01


def test_alpha_dropout_keeps_or_saturates_with_keras_affine_correction():
    rate, alpha_p = 0.25, -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946
    a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * rate
    x = RNG.normal(size=(300, 40)).astype("float32")
    out = _train_call(layers.AlphaDropout(rate), x.shape, x)
    kept = np.isclose(out, a * x + b, atol=1e-6)
    dropped = np.isclose(out, a * alpha_p + b, atol=1e-6)
    assert np.all(kept | dropped)
    assert abs(dropped.mean() - rate) < 0.02


def test_spatial_dropout_3d_drops_whole_channels_when_training():
    shape = (6, 2, 3, 2, 40)
    out = _train_call(layers.SpatialDropout3D(0.5), shape, np.ones(shape, np.float32))
    per_channel = out.reshape(shape[0], -1, shape[-1])
    assert np.all(per_channel == per_channel[:, :1])
    assert set(np.unique(out)) == {0.0, 2.0}


def test_activity_regularization_adds_its_penalty_to_the_loss_like_keras():
    x, y = data((6,))
    factory = CASES[0][1]
    ours, theirs = around(tfkg_graph, factory, (6,)), around(keras, factory, (6,))
    ours.set_weights(theirs.get_weights())
    for model in (ours, theirs):
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0), rtol=1e-5)
    plain = around(keras, lambda L: L.Identity(), (6,))
    plain.set_weights(theirs.get_weights())
    plain.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    assert ours.evaluate(x, y, verbose=0) > plain.evaluate(x, y, verbose=0) + 1e-3


@pytest.mark.parametrize("bad", [lambda: layers.Dot(axes=(1, 2, 3)), lambda: layers.Dot(axes="x"),
                                 lambda: layers.GaussianNoise(1.5), lambda: layers.GroupNormalization(groups=0),
                                 lambda: layers.UnitNormalization(axis="x"), lambda: layers.Cropping3D((1, 2))])
def test_bad_arguments_raise_clear_errors(bad):
    with pytest.raises((ValueError, TypeError)):
        bad()


def test_group_normalization_refuses_channels_not_divisible_by_groups():
    with pytest.raises(ValueError, match="groups"):
        layers.GroupNormalization(groups=4)(layers.Input((6,)))
