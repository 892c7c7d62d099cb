"""MaxPooling3D, AveragePooling3D, GlobalMaxPooling3D, GlobalAveragePooling3D and the adaptive pooling
layers (1D/2D/3D, average and max) against Keras 3: the same outputs (both data formats, valid and same
padding, strides, output sizes that do and do not divide the input), the same gradients (a Dense before
the pooling trains like Keras'), signatures, defaults and configs equal to Keras', .keras archives both
ways."""
from __future__ import annotations

import inspect
import json

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import tfkg_graph  # noqa: E402
from _keras_names import fresh_names  # noqa: E402,F401  (autouse)
from _parity import train_both_and_compare  # noqa: E402
from test_layers_conv_more import keras_archive_round_trip  # noqa: E402
from tfkg_graph import layers  # noqa: E402

RNG = np.random.default_rng(23)
CF = {"data_format": "channels_first"}

FORWARD = [  # (id, factory over a layers module, input shape without the batch)
    ("max_pooling3d", lambda L: L.MaxPooling3D(), (4, 4, 5, 2)),
    ("max_pooling3d_same_strides", lambda L: L.MaxPooling3D((3, 2, 2), strides=(2, 1, 2), padding="same"),
     (5, 4, 5, 3)),
    ("max_pooling3d_channels_first", lambda L: L.MaxPooling3D(2, strides=1, **CF), (2, 3, 4, 3)),
    ("max_pool3d_alias", lambda L: L.MaxPool3D(pool_size=(1, 2, 2)), (2, 4, 4, 1)),
    ("average_pooling3d", lambda L: L.AveragePooling3D(2), (4, 4, 5, 2)),
    ("average_pooling3d_same_strides", lambda L: L.AveragePooling3D(3, strides=2, padding="same"), (5, 4, 5, 2)),
    ("average_pooling3d_channels_first", lambda L: L.AveragePooling3D((2, 1, 2), padding="same", **CF),
     (2, 3, 4, 5)),
    ("avg_pool3d_alias", lambda L: L.AvgPool3D(2, strides=(1, 2, 1)), (3, 4, 3, 2)),
    ("global_max_pooling3d", lambda L: L.GlobalMaxPooling3D(), (3, 4, 2, 3)),
    ("global_max_pooling3d_keepdims_cf", lambda L: L.GlobalMaxPool3D(keepdims=True, **CF), (3, 4, 2, 3)),
    ("global_average_pooling3d", lambda L: L.GlobalAveragePooling3D(keepdims=True), (3, 4, 2, 3)),
    ("global_average_pooling3d_cf", lambda L: L.GlobalAvgPool3D(**CF), (3, 4, 2, 3)),
    ("adaptive_average_pooling1d", lambda L: L.AdaptiveAveragePooling1D(3), (7, 2)),
    ("adaptive_average_pooling1d_divides", lambda L: L.AdaptiveAveragePooling1D(4), (8, 2)),
    ("adaptive_average_pooling1d_cf", lambda L: L.AdaptiveAveragePooling1D((3,), **CF), (2, 8)),
    ("adaptive_max_pooling1d", lambda L: L.AdaptiveMaxPooling1D(3), (7, 3)),
    ("adaptive_average_pooling1d_more_cells", lambda L: L.AdaptiveAveragePooling1D(5), (3, 2)),
    ("adaptive_max_pooling2d_more_cells", lambda L: L.AdaptiveMaxPooling2D((4, 2)), (3, 5, 2)),
    ("adaptive_max_pooling1d_cf", lambda L: L.AdaptiveMaxPooling1D(2, **CF), (3, 5)),
    ("adaptive_average_pooling2d", lambda L: L.AdaptiveAveragePooling2D((2, 3)), (5, 7, 2)),
    ("adaptive_average_pooling2d_cf", lambda L: L.AdaptiveAveragePooling2D(2, **CF), (2, 6, 5)),
    ("adaptive_max_pooling2d", lambda L: L.AdaptiveMaxPooling2D((3, 2)), (7, 5, 2)),
    ("adaptive_max_pooling2d_cf", lambda L: L.AdaptiveMaxPooling2D(3, **CF), (2, 6, 7)),
    ("adaptive_average_pooling3d", lambda L: L.AdaptiveAveragePooling3D((2, 3, 2)), (5, 7, 4, 2)),
    ("adaptive_average_pooling3d_cf", lambda L: L.AdaptiveAveragePooling3D(2, **CF), (2, 5, 4, 6)),
    ("adaptive_max_pooling3d", lambda L: L.AdaptiveMaxPooling3D(2), (5, 4, 3, 2)),
    ("adaptive_max_pooling3d_cf", lambda L: L.AdaptiveMaxPooling3D((3, 2, 2), **CF), (2, 7, 4, 5)),
]


def alone(root, factory, shape):
    inputs = root.layers.Input(shape)
    return root.models.Model(inputs, factory(root.layers)(inputs))


@pytest.mark.parametrize("case", FORWARD, ids=[c[0] for c in FORWARD])
def test_forward_equals_keras(case):
    _, factory, shape = case
    theirs, ours = alone(keras, factory, shape), alone(tfkg_graph, factory, shape)
    assert tuple(ours.outputs[0].shape) == tuple(theirs.outputs[0].shape)
    x = RNG.normal(size=(3, *shape)).astype("float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def around(root, factory, shape):
    L = root.layers
    inputs = L.Input(shape)
    x = factory(L)(L.Dense(shape[-1])(inputs))
    if len(x.shape) > 2:
        x = L.Flatten()(x)
    return root.models.Model(inputs, L.Dense(3, activation="softmax")(x))


@pytest.mark.parametrize("case", FORWARD, ids=[c[0] for c in FORWARD])
def test_gradients_train_like_keras(case):
    """The pooling's input gradient reaches the Dense before it: 8 SGD steps as Keras'."""
    _, factory, shape = case
    x, y = RNG.normal(size=(16, *shape)).astype("float32"), RNG.integers(0, 3, 16)
    ours, theirs = around(tfkg_graph, factory, shape), around(keras, factory, shape)
    ours.set_weights(theirs.get_weights())
    train_both_and_compare(ours, theirs, x, y, "sparse_categorical_crossentropy", batch_size=8, epochs=4)


CLASSES = ["MaxPooling3D", "AveragePooling3D", "GlobalMaxPooling3D", "GlobalAveragePooling3D",
           "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D", "AdaptiveMaxPooling1D",
           "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D"]
ALIASES = {"MaxPool3D": "MaxPooling3D", "AvgPool3D": "AveragePooling3D", "GlobalMaxPool3D": "GlobalMaxPooling3D",
           "GlobalAvgPool3D": "GlobalAveragePooling3D"}


@pytest.mark.parametrize("name", CLASSES)
def test_signature_and_defaults_equal_keras(name):
    def defaults(cls):
        return {k: p.default for k, p in inspect.signature(cls).parameters.items()}
    assert defaults(getattr(layers, name)) == defaults(getattr(keras.layers, name))


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_aliases_are_the_classes(alias):
    assert getattr(layers, alias) is getattr(layers, ALIASES[alias])
    assert layers.LAYERS[ALIASES[alias]] is getattr(layers, alias)


def _plain(config):
    return json.loads(json.dumps({k: v for k, v in config.items() if k not in {"name", "dtype"}}))


@pytest.mark.parametrize("case", FORWARD, ids=[c[0] for c in FORWARD])
def test_config_equals_keras_and_round_trips(case):
    _, factory, _ = case
    ours, theirs = factory(layers), factory(keras.layers)
    assert _plain(ours.get_config()) == _plain(theirs.get_config())
    again = type(ours).from_config(ours.get_config())
    assert type(again) is type(ours) and again.get_config() == ours.get_config()


@pytest.mark.parametrize("make,shape,message", [
    (lambda: layers.MaxPooling3D(), (4, 4, 2), "rank-5"),
    (lambda: layers.GlobalAveragePooling3D(), (4, 4, 2), "rank-5"),
    (lambda: layers.AdaptiveMaxPooling2D(2), (4, 2), "rank-4"),
    (lambda: layers.AdaptiveAveragePooling1D(2), (None, 2), "statically known"),
])
def test_bad_inputs_raise_clear_errors(make, shape, message):
    with pytest.raises(ValueError, match=message):
        make()(layers.Input(shape))


@pytest.mark.parametrize("make,error", [
    (lambda: layers.AdaptiveAveragePooling2D((2, 2, 2)), TypeError),
    (lambda: layers.AdaptiveMaxPooling1D(0), ValueError),
    (lambda: layers.AveragePooling3D(2, padding="full"), ValueError),
    (lambda: layers.MaxPooling3D(data_format="NDHWC"), ValueError),
    (lambda: layers.GlobalMaxPooling3D(data_format="channels_middle"), ValueError),
])
def test_bad_arguments_raise_clear_errors(make, error):
    with pytest.raises(error):
        make()


ARCHIVES = {
    "MaxPooling3D": ([(4, 4, 4, 2)], lambda L, x: L.MaxPooling3D()(L.Dense(2)(x[0]))),
    "AveragePooling3D": ([(4, 4, 4, 2)], lambda L, x: L.AveragePooling3D(2, padding="same")(L.Dense(2)(x[0]))),
    "GlobalMaxPooling3D": ([(3, 3, 3, 2)], lambda L, x: L.GlobalMaxPooling3D()(L.Dense(2)(x[0]))),
    "GlobalAveragePooling3D": ([(3, 3, 3, 2)], lambda L, x: L.GlobalAveragePooling3D()(L.Dense(2)(x[0]))),
    "AdaptiveAveragePooling2D": ([(5, 5, 2)], lambda L, x: L.AdaptiveAveragePooling2D(2)(L.Dense(2)(x[0]))),
    "AdaptiveMaxPooling1D": ([(7, 2)], lambda L, x: L.AdaptiveMaxPooling1D(3)(L.Dense(2)(x[0]))),
}


@pytest.mark.parametrize("case", sorted(ARCHIVES))
def test_keras_archives_move_both_ways(case, tmp_path):
    keras_archive_round_trip(*ARCHIVES[case], tmp_path)
