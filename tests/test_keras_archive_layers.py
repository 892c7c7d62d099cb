"""Every supported layer class through whole-model ``.keras`` files, both ways, with Keras as the oracle.

Per layer class a small Keras model around it: Keras trains one epoch and saves ``.keras``; we load it
(predictions within 1e-5), both train one more epoch from the restored optimizer state (weights within
1e-5 of their scale); we save ``.keras`` and Keras loads it (predictions), and both train once more (so
Keras resumed our optimizer state). Dropout rates are 0: the two sides draw different masks.
"""
import numpy as np
import pytest

import tfkg_graph
from _keras_names import fresh_names  # noqa: F401  (autouse)
from _parity import assert_arrays_match, assert_weights_match

RNG = np.random.default_rng(11)
ROWS = 16


def _floats(*shape):
    return RNG.standard_normal((ROWS, *shape)).astype(np.float32)


def _ids(length, vocabulary=8):
    return RNG.integers(0, vocabulary, (ROWS, length)).astype(np.int32)


# id -> (inputs: list of (shape, dtype), body(L, inputs) -> output tensor). The test adds Flatten (for
# outputs of rank > 2) and Dense(2) so every case has a trainable head and a 2-column target.
CASES = {
    "Dense": ([(4,)], lambda L, x: L.Dense(3, activation="tanh", kernel_regularizer="l2",
                                           kernel_constraint="max_norm")(x[0])),
    "Activation": ([(4,)], lambda L, x: L.Activation("softplus")(L.Dense(3)(x[0]))),
    "Dropout": ([(4,)], lambda L, x: L.Dropout(0.0)(L.Dense(3)(x[0]))),
    "Flatten": ([(3, 2)], lambda L, x: L.Flatten()(x[0])),
    "Reshape": ([(6,)], lambda L, x: L.Reshape((3, 2))(x[0])),
    "Embedding": ([((5,), "int32")], lambda L, x: L.Embedding(8, 3)(x[0])),
    "Add": ([(4,), (4,)], lambda L, x: L.Add()(x)),
    "Subtract": ([(4,), (4,)], lambda L, x: L.Subtract()(x)),
    "Multiply": ([(4,), (4,)], lambda L, x: L.Multiply()(x)),
    "Average": ([(4,), (4,)], lambda L, x: L.Average()(x)),
    "Maximum": ([(4,), (4,)], lambda L, x: L.Maximum()(x)),
    "Minimum": ([(4,), (4,)], lambda L, x: L.Minimum()(x)),
    "Concatenate": ([(4,), (3,)], lambda L, x: L.Concatenate()(x)),
    "BatchNormalization": ([(4,)], lambda L, x: L.BatchNormalization(momentum=0.8)(x[0])),
    "LayerNormalization": ([(4,)], lambda L, x: L.LayerNormalization()(L.Dense(3)(x[0]))),
    "GlobalAveragePooling1D": ([(5, 3)], lambda L, x: L.GlobalAveragePooling1D()(x[0])),
    "GlobalMaxPooling1D": ([(5, 3)], lambda L, x: L.GlobalMaxPooling1D()(x[0])),
    "Conv1D": ([(6, 2)], lambda L, x: L.Conv1D(3, 3, activation="relu")(x[0])),
    "Conv2D": ([(5, 5, 2)], lambda L, x: L.Conv2D(3, 3, padding="same")(x[0])),
    "Conv2DTranspose": ([(3, 3, 2)], lambda L, x: L.Conv2DTranspose(2, 2, strides=2)(x[0])),
    "MaxPooling1D": ([(6, 2)], lambda L, x: L.MaxPooling1D()(x[0])),
    "MaxPooling2D": ([(4, 4, 2)], lambda L, x: L.MaxPooling2D()(x[0])),
    "AveragePooling1D": ([(6, 2)], lambda L, x: L.AveragePooling1D(2)(x[0])),
    "AveragePooling2D": ([(4, 4, 2)], lambda L, x: L.AveragePooling2D(2)(x[0])),
    "GlobalAveragePooling2D": ([(4, 4, 2)], lambda L, x: L.GlobalAveragePooling2D()(x[0])),
    "GlobalMaxPooling2D": ([(4, 4, 2)], lambda L, x: L.GlobalMaxPooling2D()(x[0])),
    "SimpleRNN": ([(5, 3)], lambda L, x: L.SimpleRNN(4)(x[0])),
    "LSTM": ([(5, 3)], lambda L, x: L.LSTM(4, return_sequences=True)(x[0])),
    "GRU": ([(5, 3)], lambda L, x: L.GRU(4)(x[0])),
    "Bidirectional": ([(5, 3)], lambda L, x: L.Bidirectional(L.LSTM(3))(x[0])),
    "ReLU": ([(4,)], lambda L, x: L.ReLU(max_value=1.0)(L.Dense(3)(x[0]))),
    "LeakyReLU": ([(4,)], lambda L, x: L.LeakyReLU(negative_slope=0.2)(L.Dense(3)(x[0]))),
    "ELU": ([(4,)], lambda L, x: L.ELU()(L.Dense(3)(x[0]))),
    "Softmax": ([(4,)], lambda L, x: L.Softmax()(L.Dense(3)(x[0]))),
    "PReLU": ([(4,)], lambda L, x: L.PReLU()(L.Dense(3)(x[0]))),
    "Masking": ([(5, 3)], lambda L, x: L.LSTM(3)(L.Masking(0.0)(x[0]))),
    "Identity": ([(4,)], lambda L, x: L.Identity()(x[0])),
    "SpatialDropout1D": ([(5, 3)], lambda L, x: L.SpatialDropout1D(0.0)(x[0])),
    "SpatialDropout2D": ([(3, 3, 2)], lambda L, x: L.SpatialDropout2D(0.0)(x[0])),
    "RepeatVector": ([(3,)], lambda L, x: L.RepeatVector(2)(x[0])),
    "Permute": ([(3, 2)], lambda L, x: L.Permute((2, 1))(x[0])),
    "ZeroPadding1D": ([(4, 2)], lambda L, x: L.ZeroPadding1D(1)(x[0])),
    "ZeroPadding2D": ([(3, 3, 2)], lambda L, x: L.ZeroPadding2D(1)(x[0])),
    "Cropping1D": ([(5, 2)], lambda L, x: L.Cropping1D((1, 1))(x[0])),
    "Cropping2D": ([(4, 4, 2)], lambda L, x: L.Cropping2D(1)(x[0])),
    "UpSampling1D": ([(3, 2)], lambda L, x: L.UpSampling1D(2)(x[0])),
    "UpSampling2D": ([(2, 2, 2)], lambda L, x: L.UpSampling2D(2)(x[0])),
    "TimeDistributed": ([(5, 3)], lambda L, x: L.TimeDistributed(L.Dense(2))(x[0])),
    "MultiHeadAttention": ([(4, 3)], lambda L, x: L.MultiHeadAttention(2, 2)(x[0], x[0])),
    "Normalization": ([(4,)], lambda L, x: L.Normalization(mean=[0.5, -1.0, 0.0, 2.0],
                                                           variance=[1.0, 4.0, 0.25, 2.0])(x[0])),
    "Rescaling": ([(4,)], lambda L, x: L.Rescaling(0.5, offset=0.1)(x[0])),
}


# Plain SGD with momentum where Adam would compare noise: Keras-on-TF's Adam treats an Embedding's sparse
# gradient differently (docs/differences.md), and the attention key bias has a zero gradient whose float
# rounding noise Adam's normalisation scales up to the learning rate.
SGD_CASES = {"Embedding", "MultiHeadAttention"}


def _data(inputs):
    return [_ids(*shape) if dtype == "int32" else _floats(*shape)
            for shape, dtype in (s if isinstance(s[-1], str) else (s, "float32") for s in inputs)]


def build(root, inputs, body):
    L = root.layers
    specs = [s if isinstance(s[-1], str) else (s, "float32") for s in inputs]
    xs = [root.Input(shape, dtype=dtype) for shape, dtype in specs]
    h = body(L, xs)
    if len(h.shape) > 2:
        h = L.Flatten()(h)
    return root.Model(xs if len(xs) > 1 else xs[0], L.Dense(2)(h))


def fit(model, x, y):
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)


@pytest.mark.parametrize("case", sorted(CASES))
def test_layer_moves_through_keras_archives(case, keras, tmp_path):
    """Keras .keras -> ours (predict, train) -> our .keras -> Keras (predict, train)."""
    inputs, body = CASES[case]
    x = _data(inputs)
    x = x if len(x) > 1 else x[0]
    y = _floats(2)
    theirs = build(keras, inputs, body)
    optimizer = keras.optimizers.SGD(0.05, momentum=0.5) if case in SGD_CASES else keras.optimizers.Adam(0.01)
    theirs.compile(optimizer=optimizer, loss="mse", run_eagerly=True)
    fit(theirs, x, y)
    theirs.save(tmp_path / "theirs.keras")

    ours = tfkg_graph.models.load_model(str(tmp_path / "theirs.keras"))
    assert [type(l).__name__ for l in ours.layers] == [type(l).__name__ for l in theirs.layers]
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
