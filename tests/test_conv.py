"""Conv1D/Conv2D and pooling layers against Keras 3: same initial weights, same batches (shuffle=False)
-> same weights after 24 steps and the same predictions; configs round-trip and match Keras' keys;
the images example trains to its documented accuracy."""
from __future__ import annotations

import importlib.util
import pathlib

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import tfkg_graph  # noqa: E402
from _parity import TRAINED_ATOL, TRAINED_RTOL, assert_weights_match  # noqa: E402
from tfkg_graph import layers  # noqa: E402
from tfkg_graph.graph.opdefs import GraphBuildError  # noqa: E402

ROWS, BATCH, EPOCHS = 48, 8, 4  # 6 steps per epoch -> 24 steps
RTOL, ATOL = TRAINED_RTOL, TRAINED_ATOL
RNG = np.random.default_rng(5)
ROOT = pathlib.Path(__file__).resolve().parents[1]


def seq_model(L, shape):  # noqa: N803 - L is either framework's layers module
    return [L.Input(shape), L.Conv1D(4, 3, padding="same", activation="relu"), L.MaxPooling1D(2),
            L.Conv1D(3, 2, strides=2, activation="tanh"), L.GlobalAveragePooling1D()]


def causal_model(L, shape):  # noqa: N803
    return [L.Input(shape), L.Conv1D(4, 3, padding="causal", dilation_rate=2, activation="tanh"),
            L.AveragePooling1D(3, strides=2, padding="same"), L.Conv1D(2, 1, use_bias=False), L.Flatten()]


def valid_strided(L, shape):  # noqa: N803
    return [L.Input(shape), L.Conv2D(4, 3, strides=2, activation="relu"), L.Flatten()]


def same_strided(L, shape):  # noqa: N803
    return [L.Input(shape), L.Conv2D(4, (3, 2), strides=(2, 1), padding="same", activation="tanh"),
            L.MaxPooling2D(3, strides=2, padding="same"), L.Flatten()]


def dilated(L, shape):  # noqa: N803
    return [L.Input(shape), L.Conv2D(3, 3, dilation_rate=2, padding="same", activation="relu"),
            L.Conv2D(3, 2, dilation_rate=(2, 1), activation="tanh"), L.GlobalMaxPooling2D()]


def pooling(L, shape):  # noqa: N803
    return [L.Input(shape), L.Conv2D(4, 3, padding="same", activation="tanh"), L.AveragePooling2D(2),
            L.MaxPooling2D(2, strides=1, padding="same"), L.AveragePooling2D((2, 1), strides=1, padding="same"),
            L.GlobalAveragePooling2D()]


def transposed(L, shape):  # noqa: N803
    return [L.Input(shape), L.Conv2DTranspose(3, 3, strides=2, padding="same", activation="relu"),
            L.Conv2DTranspose(2, (2, 3), use_bias=False), L.Flatten()]


def down_and_up(L, shape):  # noqa: N803 - an autoencoder's shape: 9x9 -> 4x4 -> 9x9
    return [L.Input(shape), L.Conv2D(4, 3, strides=2, activation="tanh"),
            L.Conv2DTranspose(2, 3, strides=2, output_padding=0, activation="tanh"),
            L.Conv2DTranspose(2, 3, strides=(1, 2), padding="same", output_padding=(0, 1)), L.Flatten()]


# SGD (plain and with momentum): Adam at this learning rate turns float32 rounding differences of any
# two kernels (the Dense-only MLP too) into 1e-5-sized weight differences within 24 steps.
PARITY_CASES = [  # (id, body, input shape, SGD momentum)
    ("conv1d_same_strided", seq_model, (10, 3), 0.9),
    ("conv1d_causal_dilated", causal_model, (9, 2), 0.0),
    ("conv2d_valid_strided", valid_strided, (9, 9, 2), 0.0),
    ("conv2d_same_strided", same_strided, (8, 7, 2), 0.9),
    ("conv2d_dilated", dilated, (8, 8, 2), 0.9),
    ("pooling", pooling, (8, 8, 3), 0.0),
    ("conv2d_transpose", transposed, (4, 3, 2), 0.9),
    ("conv2d_transpose_output_padding", down_and_up, (9, 9, 2), 0.0),
]


def make(root, body, shape):
    return root.models.Sequential(body(root.layers, shape) + [root.layers.Dense(3, activation="softmax")])


@pytest.mark.parametrize("case", PARITY_CASES, ids=[c[0] for c in PARITY_CASES])
def test_training_matches_keras(case):
    _, body, shape, momentum = case
    x = RNG.normal(size=(ROWS, *shape)).astype("float32")
    y = RNG.integers(0, 3, ROWS)
    ours, theirs = make(tfkg_graph, body, shape), make(keras, body, shape)
    initial = theirs.get_weights()
    ours.set_weights(initial)
    for root, model in ((tfkg_graph, ours), (keras, theirs)):
        model.compile(optimizer=root.optimizers.SGD(learning_rate=0.05, momentum=momentum),
                      loss="sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0)
    theirs_weights = theirs.get_weights()
    assert all(not np.allclose(a, b) for a, b in zip(initial, theirs_weights)), "every weight was trained"
    assert_weights_match(ours, theirs)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=RTOL, atol=ATOL)


def test_images_example_reaches_documented_accuracy():
    spec = importlib.util.spec_from_file_location("images_train", ROOT / "examples" / "images" / "train.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    assert example.main(["--epochs", "30"]) >= 0.9


CONFIG_CASES = [  # (class name, kwargs, input shape)
    ("Conv1D", {"filters": 3, "kernel_size": 2, "padding": "causal", "dilation_rate": 2,
                "kernel_regularizer": "l2", "activation": "relu"}, (6, 2)),
    ("Conv2D", {"filters": 2, "kernel_size": (3, 2), "strides": (2, 1), "padding": "same", "use_bias": False,
                "kernel_constraint": "non_neg"}, (5, 5, 3)),
    ("MaxPooling1D", {"pool_size": 3, "strides": 1, "padding": "same"}, (6, 2)),
    ("MaxPooling2D", {"pool_size": (2, 3)}, (5, 6, 2)),
    ("AveragePooling1D", {"pool_size": 2}, (6, 2)),
    ("AveragePooling2D", {"pool_size": 2, "strides": (1, 2), "padding": "same"}, (5, 5, 2)),
    ("GlobalAveragePooling2D", {"keepdims": True}, (3, 4, 2)),
    ("GlobalMaxPooling2D", {}, (3, 4, 2)),
    ("Conv2DTranspose", {"filters": 3, "kernel_size": (3, 2), "strides": 2, "padding": "same"}, (4, 5, 2)),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": 3, "strides": (2, 3), "output_padding": (1, 2)}, (3, 3, 1)),
]


@pytest.mark.parametrize("case", CONFIG_CASES, ids=[c[0] for c in CONFIG_CASES])
def test_layer_configs_use_keras_keys_and_round_trip(case):
    name, kwargs, shape = case
    ours, theirs = getattr(layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs)
    ours_config, theirs_config = ours.get_config(), theirs.get_config()
    assert set(ours_config) - {"dtype"} == set(theirs_config) - {"dtype"}
    for key in set(ours_config) - {"name", "dtype", "activation", "kernel_initializer", "bias_initializer",
                                   "kernel_regularizer", "bias_regularizer", "kernel_constraint",
                                   "bias_constraint", "activity_regularizer"}:
        assert list(np.atleast_1d(ours_config[key])) == list(np.atleast_1d(theirs_config[key])), key
    model = tfkg_graph.models.Sequential([layers.Input(shape), ours])
    assert model.outputs[0].shape == keras.models.Sequential([keras.layers.Input(shape), theirs]).outputs[0].shape
    clone = tfkg_graph.models.Sequential.from_config(model.get_config())
    assert clone.layers[0].get_config() == ours_config
    x = RNG.normal(size=(2, *shape)).astype("float32")
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_invalid_arguments_are_named():
    with pytest.raises(ValueError, match="dilation_rate"):
        layers.Conv2D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="padding"):
        layers.Conv2D(2, 3, padding="causal")
    with pytest.raises(ValueError, match="kernel_size"):
        layers.Conv1D(2, (3, 3))
    with pytest.raises(ValueError, match="channels_last"):
        layers.MaxPooling2D(data_format="channels_first")
    with pytest.raises(GraphBuildError, match="window 5 is larger than the input size 4"):
        layers.Conv2D(1, 5)(layers.Input((4, 6, 1)))
    with pytest.raises(ValueError, match="rank-4"):
        layers.MaxPooling2D()(layers.Input((4, 6)))
    with pytest.raises(ValueError, match="Conv2DTranspose: dilation_rate > 1 is not supported"):
        layers.Conv2DTranspose(2, 3, dilation_rate=2)
    with pytest.raises(ValueError, match="output_padding must be 2 ints, each below its stride"):
        layers.Conv2DTranspose(2, 3, strides=2, output_padding=2)
    with pytest.raises(ValueError, match=r"expects inputs of shape \(batch, rows, cols, channels\)"):
        layers.Conv2DTranspose(2, 3)(layers.Input((4, 6)))
    with pytest.raises(ValueError, match=r"output rows 3 do not convolve back to the input's 4"):
        layers.Conv2DTranspose(2, 2, padding="same", output_padding=0)(layers.Input((4, 4, 1)))


def test_saved_conv_model_predicts_the_same_after_loading(tmp_path):
    from tfkg_graph import saving
    model = make(tfkg_graph, pooling, (8, 8, 3))
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x = RNG.normal(size=(6, 8, 8, 3)).astype("float32")
    model.fit(x, RNG.integers(0, 3, 6), verbose=0)
    model.save(str(tmp_path / "conv"))
    loaded = saving.load_model(str(tmp_path / "conv"))
    assert [type(layer).__name__ for layer in loaded.layers] == [type(layer).__name__ for layer in model.layers]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
