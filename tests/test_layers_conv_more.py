"""Conv3D, Conv1DTranspose, Conv3DTranspose, DepthwiseConv1D/2D and SeparableConv1D/2D against Keras 3:
the same layer with Keras' (random) weights copied in gives Keras' outputs (both data formats, valid and
same padding, strides, dilations, output_padding); a small model around each trains like Keras' from the
same initial weights (SGD); signatures, defaults and configs equal Keras'; .weights.h5 files and whole
.keras archives move both ways."""
from __future__ import annotations

import inspect
import json

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import tfkg_graph  # noqa: E402
from _keras_names import fresh_names  # noqa: E402,F401  (autouse)
from _parity import (assert_arrays_match, assert_weight_files_move_both_ways, assert_weights_match,  # noqa: E402
                     train_both_and_compare)
from test_keras_archive_layers import _data, _floats, build, fit  # noqa: E402
from tfkg_graph import layers  # noqa: E402

RNG = np.random.default_rng(19)
CF = {"data_format": "channels_first"}

# (id, factory over a layers module, input shape without the batch)
FORWARD = [
    ("conv3d", lambda L: L.Conv3D(3, 2), (4, 5, 3, 2)),
    ("conv3d_same_strides", lambda L: L.Conv3D(2, (3, 2, 2), strides=(2, 1, 2), padding="same"), (5, 4, 5, 3)),
    ("conv3d_dilated", lambda L: L.Conv3D(2, 2, dilation_rate=(2, 1, 2), padding="same", use_bias=False),
     (5, 4, 5, 2)),
    ("conv3d_channels_first", lambda L: L.Conv3D(3, 2, strides=2, activation="relu", **CF), (2, 5, 4, 5)),
    ("convolution3d_alias", lambda L: L.Convolution3D(2, 3, padding="same"), (3, 3, 3, 1)),
    ("conv3d_groups", lambda L: L.Conv3D(4, 2, groups=2, padding="same"), (3, 4, 3, 6)),
    ("conv3d_groups_channels_first", lambda L: L.Conv3D(6, 2, strides=(1, 2, 1), groups=3, **CF), (3, 3, 4, 2)),
    ("conv1d_transpose", lambda L: L.Conv1DTranspose(3, 3), (5, 2)),
    ("conv1d_transpose_strides", lambda L: L.Conv1DTranspose(2, 3, strides=2, padding="same"), (5, 3)),
    ("conv1d_transpose_valid_strides", lambda L: L.Conv1DTranspose(2, 2, strides=3), (4, 3)),
    ("conv1d_transpose_output_padding", lambda L: L.Conv1DTranspose(2, 3, strides=2, output_padding=1), (4, 2)),
    ("conv1d_transpose_same_output_padding",
     lambda L: L.Conv1DTranspose(2, 3, strides=3, padding="same", output_padding=2), (4, 2)),
    ("conv1d_transpose_channels_first", lambda L: L.Conv1DTranspose(3, 2, strides=2, **CF), (2, 5)),
    ("conv3d_transpose", lambda L: L.Conv3DTranspose(2, 2), (3, 2, 3, 2)),
    ("conv3d_transpose_same_strides", lambda L: L.Conv3DTranspose(3, (3, 2, 2), strides=(2, 1, 2), padding="same"),
     (2, 3, 2, 2)),
    ("conv3d_transpose_output_padding", lambda L: L.Conv3DTranspose(2, 3, strides=2, output_padding=(1, 0, 1)),
     (2, 2, 3, 1)),
    ("conv3d_transpose_channels_first", lambda L: L.Conv3DTranspose(2, 2, strides=(1, 2, 1), **CF), (3, 2, 3, 2)),
    ("depthwise_conv1d", lambda L: L.DepthwiseConv1D(3, depth_multiplier=2), (6, 3)),
    ("depthwise_conv1d_stride_and_dilation", lambda L: L.DepthwiseConv1D(2, strides=2, dilation_rate=2), (9, 2)),
    ("depthwise_conv1d_same_strides", lambda L: L.DepthwiseConv1D(3, strides=2, padding="same"), (7, 2)),
    ("depthwise_conv1d_dilated", lambda L: L.DepthwiseConv1D(2, dilation_rate=2, depth_multiplier=2), (7, 2)),
    ("depthwise_conv1d_channels_first", lambda L: L.DepthwiseConv1D(3, depth_multiplier=2, **CF), (3, 6)),
    ("depthwise_conv2d", lambda L: L.DepthwiseConv2D(3), (5, 5, 3)),
    ("depthwise_conv2d_same_strides", lambda L: L.DepthwiseConv2D((3, 2), strides=2, padding="same",
                                                                  depth_multiplier=3), (5, 6, 2)),
    ("depthwise_conv2d_dilated", lambda L: L.DepthwiseConv2D(2, dilation_rate=(2, 1), activation="tanh"), (5, 4, 2)),
    ("depthwise_conv2d_stride_and_dilation", lambda L: L.DepthwiseConv2D(2, strides=2, dilation_rate=2,
                                                                         padding="same"), (7, 6, 2)),
    ("depthwise_conv2d_channels_first", lambda L: L.DepthwiseConv2D(2, depth_multiplier=2, **CF), (2, 4, 6)),
    ("separable_conv1d", lambda L: L.SeparableConv1D(4, 3), (6, 3)),
    ("separable_conv1d_same_strides", lambda L: L.SeparableConv1D(3, 3, strides=2, padding="same",
                                                                  depth_multiplier=2), (7, 2)),
    ("separable_conv1d_dilated", lambda L: L.SeparableConv1D(2, 2, dilation_rate=3, use_bias=False), (8, 3)),
    ("separable_conv1d_channels_first", lambda L: L.SeparableConv1D(3, 2, **CF), (2, 6)),
    ("separable_convolution1d_alias", lambda L: L.SeparableConvolution1D(2, 2), (4, 2)),
    ("separable_conv2d", lambda L: L.SeparableConv2D(4, 3, depth_multiplier=2), (5, 5, 2)),
    ("separable_conv2d_same_strides", lambda L: L.SeparableConv2D(3, (2, 3), strides=2, padding="same"), (5, 6, 3)),
    ("separable_conv2d_dilated", lambda L: L.SeparableConv2D(2, 2, dilation_rate=2, activation="relu"), (6, 5, 2)),
    ("separable_conv2d_stride_and_dilation", lambda L: L.SeparableConv2D(3, 2, strides=2, dilation_rate=2,
                                                                         padding="same"), (7, 6, 2)),
    ("separable_conv2d_channels_first", lambda L: L.SeparableConv2D(3, 2, strides=2, **CF), (2, 5, 5)),
    ("separable_convolution2d_alias", lambda L: L.SeparableConvolution2D(2, 2), (3, 3, 2)),
]


def alone(root, factory, shape):
    inputs = root.layers.Input(shape)
    return root.models.Model(inputs, factory(root.layers)(inputs))


def keras_outputs(layer, shape, weights, x):
    """Keras' outputs of ``layer`` with ``weights``. A channels-first layer runs as its channels-last twin on
    transposed data: Keras on a CPU-only TF cannot run some channels-first kernels (transposed
    convolutions), and adds a channels-first bias along the wrong axis when the last axis has as many
    entries as there are channels (docs/differences.md)."""
    config = layer.get_config()
    if config["data_format"] == "channels_first":
        twin = type(layer).from_config({**config, "data_format": "channels_last"})
        inputs = keras.layers.Input((*shape[1:], shape[0]))
        model = keras.models.Model(inputs, twin(inputs))
        model.set_weights(weights)
        y = model.predict(np.moveaxis(x, 1, -1), verbose=0)
        return np.moveaxis(y, -1, 1)
    inputs = keras.layers.Input(shape)
    model = keras.models.Model(inputs, layer(inputs))
    model.set_weights(weights)
    return model.predict(x, verbose=0)


@pytest.mark.parametrize("case", FORWARD, ids=[c[0] for c in FORWARD])
def test_forward_equals_keras_with_its_weights(case):
    _, factory, shape = case
    theirs, ours = factory(keras.layers), alone(tfkg_graph, factory, shape)
    theirs.build((None, *shape))
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    assert [w.name for w in ours.layers[-1].weights] == [w.name for w in theirs.weights]
    assert tuple(ours.outputs[0].shape) == tuple(theirs.compute_output_shape((None, *shape)))
    weights = [RNG.uniform(-1, 1, w.shape).astype("float32") for w in theirs.weights]
    ours.set_weights(weights)
    x = RNG.normal(size=(3, *shape)).astype("float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), keras_outputs(theirs, shape, weights, x), rtol=1e-5,
                               atol=1e-5)


TRAIN = [c for c in FORWARD if c[0] in {
    "conv3d_same_strides", "conv3d_dilated", "conv3d_channels_first", "conv3d_groups", "conv1d_transpose_strides",
    "conv1d_transpose_output_padding", "conv3d_transpose_same_strides",
    "depthwise_conv1d_dilated", "depthwise_conv2d_same_strides", "depthwise_conv2d_stride_and_dilation",
    "depthwise_conv2d_channels_first", "separable_conv1d_same_strides", "separable_conv2d_dilated",
    "separable_conv2d_stride_and_dilation", "depthwise_conv1d_stride_and_dilation",
    "separable_conv2d_channels_first"}]


def around(root, factory, shape):
    L = root.layers
    inputs = L.Input(shape)
    x = factory(L)(L.Dense(shape[-1])(inputs))
    return root.models.Model(inputs, L.Dense(3, activation="softmax")(L.Flatten()(x)))


@pytest.mark.parametrize("case", TRAIN, ids=[c[0] for c in TRAIN])
def test_trains_like_keras(case):
    """A Dense before the layer (so its input gradient counts) and a softmax head after; 8 SGD steps."""
    _, factory, shape = case
    x, y = RNG.normal(size=(16, *shape)).astype("float32"), RNG.integers(0, 3, 16)
    ours, theirs = around(tfkg_graph, factory, shape), around(keras, factory, shape)
    ours.set_weights(theirs.get_weights())
    train_both_and_compare(ours, theirs, x, y, "sparse_categorical_crossentropy", batch_size=8, epochs=4)


CLASSES = ["Conv3D", "Conv1DTranspose", "Conv3DTranspose", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D",
           "SeparableConv2D"]
ALIASES = {"Convolution3D": "Conv3D", "Convolution1DTranspose": "Conv1DTranspose",
           "Convolution3DTranspose": "Conv3DTranspose", "SeparableConvolution1D": "SeparableConv1D",
           "SeparableConvolution2D": "SeparableConv2D"}


@pytest.mark.parametrize("name", CLASSES)
def test_signature_and_defaults_equal_keras(name):
    def defaults(cls):
        return {k: p.default for k, p in inspect.signature(cls).parameters.items()}
    assert defaults(getattr(layers, name)) == defaults(getattr(keras.layers, name))


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_aliases_are_the_classes(alias):
    assert getattr(layers, alias) is getattr(layers, ALIASES[alias])
    assert layers.LAYERS[ALIASES[alias]] is getattr(layers, alias)


def _plain(value):
    """A config as JSON sees it, without the name and dtype, and without the ``module``/``registered_name``
    Keras puts on nested objects (our saving adds them when it writes a Keras file)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k not in {"name", "dtype", "module", "registered_name"}}
    return json.loads(json.dumps(value))


@pytest.mark.parametrize("case", FORWARD, ids=[c[0] for c in FORWARD])
def test_config_equals_keras_and_round_trips(case):
    _, factory, shape = case
    ours, theirs = factory(layers), factory(keras.layers)
    assert _plain(ours.get_config()) == _plain(theirs.get_config())
    again = type(ours).from_config(ours.get_config())
    assert type(again) is type(ours) and again.get_config() == ours.get_config()


def test_regularizers_initializers_and_constraints_in_configs():
    kwargs = dict(depthwise_initializer="he_normal", pointwise_regularizer="l2", bias_constraint="non_neg",
                  depthwise_constraint="max_norm", activity_regularizer="l1")
    ours, theirs = layers.SeparableConv2D(2, 3, **kwargs), keras.layers.SeparableConv2D(2, 3, **kwargs)
    mine, keras_config = _plain(ours.get_config()), _plain(theirs.get_config())
    assert mine.keys() == keras_config.keys()
    for key in mine:
        if key.endswith(("_initializer", "_regularizer", "_constraint")) and isinstance(mine[key], dict):
            assert mine[key]["class_name"] == keras_config[key]["class_name"], key
        else:
            assert mine[key] == keras_config[key], key


@pytest.mark.parametrize("make,shape,message", [
    (lambda: layers.Conv3D(2, 2), (4, 4, 2), "rank 5"),
    (lambda: layers.DepthwiseConv2D(2, data_format="channels_first"), (None, 4, 4), "known channels"),
    (lambda: layers.SeparableConv1D(2, 2), (4, 4, 4, 2), "rank 3"),
    (lambda: layers.Conv3D(4, 2, groups=2), (3, 3, 3, 3), "groups"),
])
def test_bad_inputs_raise_clear_errors(make, shape, message):
    with pytest.raises(ValueError, match=message):
        make()(layers.Input(shape))


@pytest.mark.parametrize("make,message", [
    (lambda: layers.Conv3D(3, 2, groups=2), "groups"),
    (lambda: layers.Conv3D(0, 2), "filters"),
    (lambda: layers.Conv1DTranspose(2, 2, strides=2, dilation_rate=2), "dilation_rate"),
    (lambda: layers.Conv3DTranspose(2, 2, strides=2, output_padding=2), "output_padding"),
    (lambda: layers.DepthwiseConv2D(2, strides=(1, 2)), "equal strides"),
    (lambda: layers.DepthwiseConv1D(2, depth_multiplier=0), "depth_multiplier"),
    (lambda: layers.SeparableConv2D(2, 2, padding="causal"), "padding"),
    (lambda: layers.Conv3D(2, 2, data_format="NCDHW"), "data_format"),
])
def test_bad_arguments_raise_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("factory,shape,rates", [
    (lambda L, **k: L.Conv1DTranspose(2, 3, **k), (5, 2), [2]),
    (lambda L, **k: L.Conv1DTranspose(3, 2, padding="same", **k), (4, 2), [3]),
    (lambda L, **k: L.Conv3DTranspose(2, 2, **k), (2, 3, 2, 2), [2, 1, 3]),
])
def test_dilated_transposed_convolution_equals_keras_with_the_spread_kernel(factory, shape, rates):
    """Keras-on-TF's CPU kernels refuse dilated transposed convolutions; ours spreads the kernel in the graph
    (rate - 1 zeros between taps), which is what the dilation means: Keras' undilated layer with that
    spread kernel is the oracle."""
    ours = alone(tfkg_graph, lambda L: factory(L, dilation_rate=rates), shape)
    kernel, bias = [RNG.uniform(-1, 1, w.shape).astype("float32") for w in ours.weights]
    wide = np.zeros([(k - 1) * r + 1 for k, r in zip(kernel.shape, rates)] + list(kernel.shape[-2:]), "float32")
    wide[tuple(slice(None, None, r) for r in rates)] = kernel
    layer = factory(keras.layers)
    config = {**layer.get_config(), "kernel_size": wide.shape[:-2]}
    inputs = keras.layers.Input(shape)
    theirs = keras.models.Model(inputs, type(layer).from_config(config)(inputs))
    ours.set_weights([kernel, bias])
    theirs.set_weights([wide, bias])
    x = RNG.normal(size=(2, *shape)).astype("float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


def test_transposed_output_padding_that_cannot_convolve_back_is_refused():
    """Keras' same-padding length rule with an even kernel and output_padding 0 gives a size TF's kernel
    rejects at run time; we refuse it when the model is wired."""
    with pytest.raises(ValueError, match="output_padding"):
        layers.Conv1DTranspose(2, 2, strides=2, padding="same", output_padding=0)(layers.Input((4, 3)))


@pytest.mark.parametrize("name,factory,shape", [
    ("conv3d", lambda L: L.Conv3D(2, 2, data_format="channels_first"), (2, 3, 3, 4)),  # 3 cols != 2 filters
    ("conv1d_transpose", lambda L: L.Conv1DTranspose(2, 3, strides=2), (4, 3)),
    ("depthwise_conv2d", lambda L: L.DepthwiseConv2D(2, depth_multiplier=2), (4, 4, 3)),
    ("separable_conv1d", lambda L: L.SeparableConv1D(3, 2, depth_multiplier=2), (5, 2)),
])
def test_weight_files_move_both_ways(name, factory, shape, tmp_path):
    ours, theirs = assert_weight_files_move_both_ways(lambda root: alone(root, factory, shape), str(tmp_path), RNG)
    x = RNG.normal(size=(2, *shape)).astype("float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


ARCHIVES = {
    "Conv3D": ([(3, 3, 3, 2)], lambda L, x: L.Conv3D(2, 2, padding="same")(x[0])),
    "Conv1DTranspose": ([(4, 2)], lambda L, x: L.Conv1DTranspose(2, 3, strides=2)(x[0])),
    "Conv3DTranspose": ([(2, 2, 2, 2)], lambda L, x: L.Conv3DTranspose(2, 2, strides=2)(x[0])),
    "DepthwiseConv1D": ([(5, 2)], lambda L, x: L.DepthwiseConv1D(2, depth_multiplier=2)(x[0])),
    "DepthwiseConv2D": ([(4, 4, 2)], lambda L, x: L.DepthwiseConv2D(2, data_format="channels_first")(x[0])),
    "SeparableConv1D": ([(5, 2)], lambda L, x: L.SeparableConv1D(3, 2)(x[0])),
    "SeparableConv2D": ([(4, 4, 2)], lambda L, x: L.SeparableConv2D(3, 2, padding="same")(x[0])),
}


def keras_archive_round_trip(inputs, body, tmp_path):
    """Keras trains and saves .keras; we load, predict and train; we save, Keras loads, predicts, trains."""
    x, y = _data(inputs)[0], _floats(2)
    theirs = build(keras, inputs, body)
    theirs.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.5), loss="mse", run_eagerly=True)
    fit(theirs, x, y)
    theirs.save(tmp_path / "theirs.keras")

    ours = tfkg_graph.models.load_model(str(tmp_path / "theirs.keras"))
    assert [type(layer).__name__ for layer in ours.layers] == [type(layer).__name__ for layer in theirs.layers]
    assert_arrays_match(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), "loaded predictions")
    fit(ours, x, y)
    fit(theirs, x, y)
    assert_weights_match(ours, theirs)

    ours.save(str(tmp_path / "ours.keras"))
    back = keras.models.load_model(tmp_path / "ours.keras")
    back.run_eagerly = True
    assert_arrays_match(back.predict(x, verbose=0), ours.predict(x, verbose=0), "predictions in Keras")
    fit(back, x, y)
    fit(ours, x, y)
    assert_weights_match(ours, back)


@pytest.mark.parametrize("case", sorted(ARCHIVES))
def test_keras_archives_move_both_ways(case, tmp_path):
    keras_archive_round_trip(*ARCHIVES[case], tmp_path)


@pytest.mark.parametrize("name,factory", [
    ("DepthwiseConv2D", lambda L: L.DepthwiseConv2D(2, depth_multiplier=2, data_format="channels_first")),
    ("Conv3D", lambda L: L.Conv3D(4, 2, data_format="channels_first")),
])
def test_channels_first_bias_follows_the_math_not_keras(name, factory):
    """docs/differences.md: Keras-on-TF's ``ops.add`` turns a (1, C, 1, ...) bias into an NHWC BiasAdd
    when the output's last axis also has C entries, so its channels-first output gets the bias along
    that spatial axis. Zero kernels leave only the bias: ours adds bias[c] to channel c."""
    shape = (2, 5, 5) if name == "DepthwiseConv2D" else (2, 3, 3, 5)  # last output axis: 4 = channels
    ours, theirs = alone(tfkg_graph, factory, shape), alone(keras, factory, shape)
    bias = np.arange(1, 5, dtype="float32")
    weights = [np.zeros(w.shape, "float32") for w in theirs.get_weights()[:1]] + [bias]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    x = RNG.normal(size=(1, *shape)).astype("float32")
    expected = np.broadcast_to(bias.reshape((1, 4) + (1,) * (len(shape) - 1)), (1, *ours.outputs[0].shape[1:]))
    np.testing.assert_array_equal(ours.predict(x, verbose=0), expected)
    assert np.abs(theirs.predict(x, verbose=0) - expected).max() > 1.0
