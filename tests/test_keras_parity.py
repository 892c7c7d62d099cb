"""Keras 3 parity: same initial weights, same batches (shuffle=False) -> same weights after >= 50 steps,
same evaluate/predict. Models stay tiny (<= 64 rows) so each case costs about a second."""
from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import tfkg_graph  # noqa: E402
from tfkg_graph import layers  # noqa: E402
from _parity import TRAINED_ATOL, TRAINED_RTOL, assert_weights_match  # noqa: E402
from _keras_names import fresh_names  # noqa: E402,F401  (autouse: both name counters start at zero)

ROWS, BATCH, EPOCHS = 64, 8, 7  # 8 steps per epoch -> 56 steps
RNG = np.random.default_rng(11)
X = RNG.normal(size=(ROWS, 4)).astype("float32")
LABELS = ((X[:, 0] > 0).astype("int64") + (X[:, 1] > 0.3)).astype("int64")  # 3 classes
ONE_HOT = np.eye(3, dtype="float32")[LABELS]
BINARY = (X[:, 2] > 0).astype("float32")[:, None]
REGRESSION = (X[:, :1] * 2 - X[:, 1:2] + 0.1 * X[:, 3:4]).astype("float32")
RTOL, ATOL = TRAINED_RTOL, TRAINED_ATOL


class Side:
    """One framework's modules under the names both share."""

    def __init__(self, root):
        self.layers, self.losses, self.optimizers = root.layers, root.losses, root.optimizers
        self.models = root.models if hasattr(root, "models") else root


OURS, THEIRS = Side(tfkg_graph), Side(keras)


def mlp(side: Side, units: int, activation: str | None, extra: list | None = None):
    L = side.layers
    return side.models.Sequential([L.Input((4,)), L.Dense(8, activation="tanh"), *(extra or []),
                                   L.Dense(units, activation=activation)])


def train_both(make, loss, optimizer, y, metrics=None, **fit_kwargs):
    ours, theirs = make(OURS), make(THEIRS)
    ours.set_weights(theirs.get_weights())
    for side, model in ((OURS, ours), (THEIRS, theirs)):
        model.compile(optimizer=optimizer(side.optimizers), loss=loss(side.losses), metrics=metrics, jit_compile=False)
        model.fit(X, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0, **fit_kwargs)
    return ours, theirs


def assert_same_evaluate_predict(ours, theirs, y):
    np.testing.assert_allclose(ours.predict(X, verbose=0), theirs.predict(X, verbose=0), rtol=RTOL, atol=ATOL)
    ours_eval = np.atleast_1d(ours.evaluate(X, y, batch_size=16, verbose=0))
    theirs_eval = np.atleast_1d(theirs.evaluate(X, y, batch_size=16, verbose=0))
    np.testing.assert_allclose(ours_eval, theirs_eval, rtol=RTOL, atol=ATOL)


LOSS_CASES = [  # (id, loss class and kwargs, output units, output activation, targets)
    ("sparse_cce", "SparseCategoricalCrossentropy", {}, 3, "softmax", LABELS),
    ("sparse_cce_logits", "SparseCategoricalCrossentropy", {"from_logits": True}, 3, None, LABELS),
    ("cce", "CategoricalCrossentropy", {}, 3, "softmax", ONE_HOT),
    ("cce_logits", "CategoricalCrossentropy", {"from_logits": True}, 3, None, ONE_HOT),
    ("bce", "BinaryCrossentropy", {}, 1, "sigmoid", BINARY),
    ("bce_logits", "BinaryCrossentropy", {"from_logits": True}, 1, None, BINARY),
    ("mse", "MeanSquaredError", {}, 1, None, REGRESSION),
    ("mae", "MeanAbsoluteError", {}, 1, None, REGRESSION),
    ("huber", "Huber", {}, 1, None, REGRESSION),
]


@pytest.mark.parametrize("case", LOSS_CASES, ids=[c[0] for c in LOSS_CASES])
def test_losses_match_keras(case):
    _, loss_name, loss_kwargs, units, activation, y = case
    ours, theirs = train_both(lambda s: mlp(s, units, activation), lambda m: getattr(m, loss_name)(**loss_kwargs),
                              lambda m: m.SGD(learning_rate=0.05, momentum=0.5), y)
    assert_weights_match(ours, theirs)
    assert_same_evaluate_predict(ours, theirs, y)


OPTIMIZER_CASES = [  # (id, class, kwargs)
    ("sgd", "SGD", {"learning_rate": 0.1}),
    ("sgd_momentum_nesterov", "SGD", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
    ("rmsprop_centered_momentum", "RMSprop", {"learning_rate": 0.005, "momentum": 0.5, "centered": True}),
    ("adagrad", "Adagrad", {"learning_rate": 0.05}),
    ("adamax", "Adamax", {"learning_rate": 0.01}),
    ("sgd_global_clipnorm", "SGD", {"learning_rate": 0.1, "global_clipnorm": 0.2}),
    ("sgd_clipvalue", "SGD", {"learning_rate": 0.1, "clipvalue": 0.01}),
    ("adam", "Adam", {"learning_rate": 0.01}),
    ("adam_amsgrad", "Adam", {"learning_rate": 0.01, "amsgrad": True}),
    ("adamw", "AdamW", {"learning_rate": 0.01, "weight_decay": 0.05}),
    ("nadam", "Nadam", {"learning_rate": 0.01}),
    ("adam_clipnorm", "Adam", {"learning_rate": 0.01, "clipnorm": 0.1}),
]


@pytest.mark.parametrize("case", OPTIMIZER_CASES, ids=[c[0] for c in OPTIMIZER_CASES])
def test_optimizers_match_keras(case):
    _, opt_name, opt_kwargs = case
    ours, theirs = train_both(lambda s: mlp(s, 3, "softmax"), lambda m: m.SparseCategoricalCrossentropy(),
                              lambda m: getattr(m, opt_name)(**opt_kwargs), LABELS)
    assert_weights_match(ours, theirs)


def _functional(side: Side):
    L = side.layers
    a, b = L.Input((2,), name="a"), L.Input((2,), name="b")
    h = L.Concatenate()([L.Dense(5, activation="relu")(a), L.Dense(5, activation="tanh")(b)])
    return side.models.Model([a, b], L.Dense(3, activation="softmax")(L.Dense(6, activation="swish")(h)))


def test_functional_multi_input_matches_keras():
    ours, theirs = _functional(OURS), _functional(THEIRS)
    ours.set_weights(theirs.get_weights())
    x = [X[:, :2], X[:, 2:]]
    for side, model in ((OURS, ours), (THEIRS, theirs)):
        model.compile(optimizer=side.optimizers.SGD(0.05, momentum=0.9), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"], jit_compile=False)
        model.fit(x, LABELS, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0)
    assert_weights_match(ours, theirs)
    np.testing.assert_allclose(ours.evaluate(x, LABELS, verbose=0), theirs.evaluate(x, LABELS, verbose=0),
                               rtol=RTOL, atol=ATOL)


def _two_outputs(side: Side):
    L = side.layers
    inp = L.Input((4,))
    h = L.Dense(6, activation="tanh")(inp)
    return side.models.Model(inp, [L.Dense(3, activation="softmax", name="cls")(h), L.Dense(1, name="reg")(h)])


def test_multi_output_loss_weights_match_keras():
    ours, theirs = _two_outputs(OURS), _two_outputs(THEIRS)
    ours.set_weights(theirs.get_weights())
    for side, model in ((OURS, ours), (THEIRS, theirs)):
        model.compile(optimizer=side.optimizers.SGD(0.05), loss=["sparse_categorical_crossentropy", "mse"],
                      loss_weights=[1.0, 0.3], jit_compile=False)
        model.fit(X, [LABELS, REGRESSION], batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0)
    assert_weights_match(ours, theirs)
    ours_total = ours.evaluate(X, [LABELS, REGRESSION], verbose=0)[0]
    theirs_total = theirs.evaluate(X, [LABELS, REGRESSION], verbose=0)[0]
    assert ours_total == pytest.approx(theirs_total, rel=RTOL)


def test_batchnorm_and_dropout_training_and_inference_match_keras():
    """BN moving statistics after training and inference outputs agree; Dropout is inactive in inference.
    Dropout's training masks are random on both sides, so training parity uses BN alone."""
    make = lambda s: mlp(s, 3, "softmax", [s.layers.BatchNormalization(momentum=0.9)])  # noqa: E731
    ours, theirs = train_both(make, lambda m: m.SparseCategoricalCrossentropy(), lambda m: m.SGD(0.05), LABELS)
    assert_weights_match(ours, theirs)  # includes moving_mean / moving_variance
    assert_same_evaluate_predict(ours, theirs, LABELS)
    drop = lambda s: mlp(s, 3, "softmax", [s.layers.Dropout(0.5), s.layers.BatchNormalization()])  # noqa: E731
    ours, theirs = drop(OURS), drop(THEIRS)
    weights = [RNG.normal(size=w.shape).astype("float32") for w in theirs.get_weights()]
    weights[5] = np.abs(weights[5]) + 0.5  # moving variance > 0
    theirs.set_weights(weights)
    ours.set_weights(weights)
    np.testing.assert_allclose(ours.predict(X, verbose=0), theirs.predict(X, verbose=0), rtol=RTOL, atol=ATOL)


def test_class_weights_with_three_classes_match_keras():
    ours, theirs = train_both(lambda s: mlp(s, 3, "softmax"), lambda m: m.SparseCategoricalCrossentropy(),
                              lambda m: m.SGD(0.1), LABELS, class_weight={0: 0.3, 1: 1.0, 2: 2.5})
    assert_weights_match(ours, theirs)


def test_regularizers_and_constraints_match_keras():
    def make(side):
        L = side.layers
        return side.models.Sequential([L.Input((4,)), L.Dense(8, activation="relu", kernel_regularizer="l2",
                                                              bias_constraint="non_neg"),
                                       L.Dense(3, activation="softmax", kernel_constraint="max_norm")])
    ours, theirs = train_both(make, lambda m: m.SparseCategoricalCrossentropy(), lambda m: m.SGD(0.1, momentum=0.5), LABELS)
    assert_weights_match(ours, theirs)
    assert_same_evaluate_predict(ours, theirs, LABELS)


def test_frozen_layer_matches_keras():
    def make(side):
        model = mlp(side, 3, "softmax")
        model.layers[0].trainable = False
        return model
    ours, theirs = train_both(make, lambda m: m.SparseCategoricalCrossentropy(), lambda m: m.SGD(0.1, momentum=0.5), LABELS)
    assert_weights_match(ours, theirs)


class OurScale(layers.Layer):
    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

    def call(self, inputs):
        return inputs * self.scale


class KerasScale(keras.layers.Layer):
    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

    def call(self, inputs):
        return inputs * self.scale


def test_custom_layer_matches_keras():
    def make(side):
        scale = OurScale() if side is OURS else KerasScale()
        L = side.layers
        return side.models.Sequential([L.Input((4,)), scale, L.Dense(3, activation="softmax")])
    ours, theirs = train_both(make, lambda m: m.SparseCategoricalCrossentropy(), lambda m: m.SGD(0.1, momentum=0.5), LABELS)
    assert_weights_match(ours, theirs)


def test_layernorm_embedding_pooling_train_like_keras():
    ids = RNG.integers(0, 12, size=(ROWS, 5))

    def make(side):
        L = side.layers
        return side.models.Sequential([L.Input((5,), dtype="int32"), L.Embedding(12, 4),
                                       L.LayerNormalization(), L.GlobalAveragePooling1D(),
                                       L.Dense(3, activation="softmax")])
    ours, theirs = make(OURS), make(THEIRS)
    ours.set_weights(theirs.get_weights())
    for side, model in ((OURS, ours), (THEIRS, theirs)):
        model.compile(optimizer=side.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy", jit_compile=False)
        model.fit(ids, LABELS, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0)
    assert_weights_match(ours, theirs)


def test_functional_weight_order_follows_the_graph_like_keras():
    """A shallow branch called before a deeper one: Keras orders layers by depth from the outputs, not
    by call order, and get/set_weights must line up with it."""
    def make(side):
        L = side.layers
        a, b = L.Input((3,), name="a"), L.Input((2,), name="b")
        shallow = L.Dense(4, name="shallow")(b)  # called first
        deep = L.Dense(6, name="deep_2")(L.Dense(5, name="deep_1")(a))
        merged = L.Concatenate()([deep, shallow])
        return side.models.Model([a, b], L.Dense(2, name="out")(merged))
    ours, theirs = make(OURS), make(THEIRS)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    ours.set_weights(theirs.get_weights())
    x = [X[:, :3], X[:, 2:]]
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=RTOL, atol=ATOL)
