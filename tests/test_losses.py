"""Losses, regularizers and constraints against Keras 3 on the same arrays (values and gradients)."""
from __future__ import annotations

import numpy as np
import pytest

from tfkg_graph import activations, constraints, losses, regularizers
from tfkg_graph.autodiff import gradients
from tfkg_graph.graph import Graph
from tfkg_graph.graph.ops.constants import placeholder
from tfkg_graph.runtime.session import Session

keras = pytest.importorskip("keras")

BATCH, CLASSES = 6, 4
rng = np.random.default_rng(1)
LOGITS = rng.normal(size=(BATCH, CLASSES)).astype(np.float32) * 3
PROBS = (np.exp(LOGITS) / np.exp(LOGITS).sum(-1, keepdims=True)).astype(np.float32)
LABELS = rng.integers(0, CLASSES, BATCH)
ONE_HOT = np.eye(CLASSES, dtype=np.float32)[LABELS]
BINARY = rng.integers(0, 2, (BATCH, 3)).astype(np.float32)
SIGMOID = (1 / (1 + np.exp(-LOGITS[:, :3]))).astype(np.float32)
REGRESSION_TRUE = rng.normal(size=(BATCH, 3)).astype(np.float32)
REGRESSION_PRED = (REGRESSION_TRUE + rng.normal(size=(BATCH, 3)) * 1.5).astype(np.float32)
EMBEDDINGS = rng.normal(size=(BATCH, 5)).astype(np.float32)
EMBEDDINGS /= np.linalg.norm(EMBEDDINGS, axis=1, keepdims=True)
CIRCLE_LABELS = np.array([0, 1, 0, 2, 1, 2])  # every sample has a positive and a negative partner
WEIGHTS = {"none": None, "flat": rng.uniform(0, 2, BATCH).astype(np.float32),
           "column": rng.uniform(0, 2, (BATCH, 1)).astype(np.float32)}

# (class name, kwargs, y_true, y_pred)
CASES = [
    ("SparseCategoricalCrossentropy", {}, LABELS, PROBS),
    ("SparseCategoricalCrossentropy", {}, LABELS.reshape(-1, 1).astype(np.float32), PROBS),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, LABELS.astype(np.int32), LOGITS),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, LABELS.reshape(-1, 1), LOGITS),
    ("CategoricalCrossentropy", {}, ONE_HOT, PROBS),
    ("CategoricalCrossentropy", {"from_logits": True}, ONE_HOT, LOGITS),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, ONE_HOT, LOGITS),
    ("BinaryCrossentropy", {}, BINARY, SIGMOID),
    ("BinaryCrossentropy", {"from_logits": True}, BINARY, LOGITS[:, :3]),
    ("BinaryCrossentropy", {"label_smoothing": 0.2}, BINARY[:, :1], SIGMOID[:, 0]),
    ("MeanSquaredError", {}, REGRESSION_TRUE, REGRESSION_PRED),
    ("MeanSquaredError", {}, REGRESSION_TRUE[:, 0], REGRESSION_PRED[:, :1]),
    ("MeanAbsoluteError", {}, REGRESSION_TRUE, REGRESSION_PRED),
    ("Huber", {}, REGRESSION_TRUE, REGRESSION_PRED),
    ("Huber", {"delta": 0.5}, REGRESSION_TRUE, REGRESSION_PRED),
    ("MeanAbsolutePercentageError", {}, REGRESSION_TRUE, REGRESSION_PRED),
    ("MeanSquaredLogarithmicError", {}, np.abs(REGRESSION_TRUE), REGRESSION_PRED),
    ("LogCosh", {}, REGRESSION_TRUE, REGRESSION_PRED * 20),
    ("Poisson", {}, np.abs(REGRESSION_TRUE), np.abs(REGRESSION_PRED) + 0.1),
    ("KLDivergence", {}, ONE_HOT * 0.7 + 0.075, PROBS),
    ("CosineSimilarity", {}, REGRESSION_TRUE, REGRESSION_PRED),
    ("Hinge", {}, BINARY, LOGITS[:, :3]), ("Hinge", {}, BINARY * 2 - 1, LOGITS[:, :3]),
    ("SquaredHinge", {}, BINARY, LOGITS[:, :3]), ("SquaredHinge", {}, BINARY * 2 - 1, LOGITS[:, :3]),
    ("CategoricalHinge", {}, ONE_HOT, LOGITS),
    ("BinaryFocalCrossentropy", {}, BINARY, SIGMOID),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5,
                                 "label_smoothing": 0.1}, BINARY, SIGMOID),
    ("BinaryFocalCrossentropy", {"from_logits": True}, BINARY, LOGITS[:, :3]),
    ("CategoricalFocalCrossentropy", {}, ONE_HOT, PROBS),
    ("CategoricalFocalCrossentropy", {"from_logits": True, "label_smoothing": 0.1, "gamma": 3.0}, ONE_HOT, LOGITS),
    ("CategoricalGeneralizedCrossEntropy", {}, LABELS, PROBS),
    ("CategoricalGeneralizedCrossEntropy", {"q": 0.2}, LABELS, PROBS),
    ("Dice", {}, BINARY, SIGMOID), ("Dice", {"axis": -1}, BINARY, SIGMOID),
    ("Tversky", {}, BINARY, SIGMOID), ("Tversky", {"alpha": 0.3, "beta": 0.7, "axis": -1}, BINARY, SIGMOID),
    ("Circle", {}, CIRCLE_LABELS, EMBEDDINGS),
    ("Circle", {"gamma": 10.0, "margin": 0.25, "remove_diagonal": False}, CIRCLE_LABELS, EMBEDDINGS),
]


def _ours(loss, y_true, y_pred, sample_weight):
    g = Graph()
    with g.as_default():
        t = placeholder(y_true.dtype, y_true.shape, name="y_true")
        p = placeholder("float32", y_pred.shape, name="y_pred")
        w = None if sample_weight is None else placeholder("float32", sample_weight.shape, name="w")
        value = loss(t, p, w)
        (grad,) = gradients([value if value.shape == () else value * 1.0], [p])
    feeds = {"y_true": y_true, "y_pred": y_pred, **({} if w is None else {"w": sample_weight})}
    with Session(g) as sess:
        return sess.run([value.name, grad.name], feeds)


def _keras(tf, loss, y_true, y_pred, sample_weight):
    p = tf.constant(y_pred)
    with tf.GradientTape() as tape:
        tape.watch(p)
        value = loss(tf.constant(y_true), p, sample_weight=None if sample_weight is None else tf.constant(sample_weight))
        total = tf.reduce_sum(value)
    return value.numpy(), tape.gradient(total, p).numpy()


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none"])
@pytest.mark.parametrize("weights", list(WEIGHTS))
@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}{c[1] or ''}{c[2].shape}" for c in CASES])
def test_matches_keras(tf, case, weights, reduction):
    name, kwargs, y_true, y_pred = case
    sample_weight = WEIGHTS[weights]
    got, got_grad = _ours(getattr(losses, name)(reduction=reduction, **kwargs), y_true, y_pred, sample_weight)
    want, want_grad = _keras(tf, getattr(keras.losses, name)(reduction=reduction, **kwargs), y_true, y_pred,
                             sample_weight)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_grad, want_grad, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name,fn_name", [("SparseCategoricalCrossentropy", "softmax"),
                                          ("CategoricalCrossentropy", "softmax"),
                                          ("BinaryCrossentropy", "sigmoid")])
def test_probabilities_from_softmax_use_the_logits(tf, name, fn_name):
    """Saturated logits: Keras' compiled step looks through the activation; so do we, and stay finite."""
    logits = np.array([[80.0, -80.0, 0.0, 5.0], [-60.0, 60.0, 1.0, 0.0], [0.0, 0.0, 0.0, 90.0]], np.float32)
    y_true = {"SparseCategoricalCrossentropy": np.array([1, 0, 3]),
              "CategoricalCrossentropy": np.eye(4, dtype=np.float32)[[1, 0, 3]],
              "BinaryCrossentropy": np.array([[0, 1, 1, 0], [1, 0, 0, 1], [1, 1, 0, 1]], np.float32)}[name]
    g = Graph()
    with g.as_default():
        x = placeholder("float32", logits.shape, name="logits")
        loss = getattr(losses, name)()(y_true, getattr(activations, fn_name)(x))
        (grad,) = gradients(loss, [x])
    with Session(g) as sess:
        got, got_grad = sess.run([loss.name, grad.name], {"logits": logits})
    keras_loss = getattr(keras.losses, name)()
    keras_activation = getattr(keras.activations, fn_name)

    @tf.function
    def compiled(z):  # graph mode, as in Keras' fit
        with tf.GradientTape() as tape:
            tape.watch(z)
            value = keras_loss(tf.constant(y_true), keras_activation(z))
        return value, tape.gradient(value, z)
    want, want_grad = compiled(tf.constant(logits))
    assert np.isfinite(got) and np.all(np.isfinite(got_grad))
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-5)
    np.testing.assert_allclose(got_grad, want_grad.numpy(), rtol=1e-4, atol=1e-7)


def test_configs_round_trip_and_match_keras():
    for name, cls in losses.LOSSES.items():
        ours, theirs = cls(), getattr(keras.losses, name)()
        assert ours.get_config() == theirs.get_config(), name
        assert losses.deserialize(keras.losses.serialize(theirs)).get_config() == theirs.get_config()
    assert isinstance(losses.get("sparse_categorical_crossentropy"), losses.SparseCategoricalCrossentropy)
    assert isinstance(losses.get("mse"), losses.MeanSquaredError)
    assert losses.get({"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}}).get_config()[
        "from_logits"] is True
    with pytest.raises(ValueError, match="unknown loss 'nope'"):
        losses.get("nope")
    with pytest.raises(ValueError, match="invalid reduction"):
        losses.MeanSquaredError(reduction="avg")


def test_bad_shapes_are_clear_errors():
    g = Graph()
    with g.as_default():
        p = placeholder("float32", (None, 4), name="p")
        with pytest.raises(ValueError, match="must match"):
            losses.CategoricalCrossentropy()(placeholder("float32", (None, 3), name="t"), p)
        with pytest.raises(ValueError, match="without the class axis"):
            losses.SparseCategoricalCrossentropy()(placeholder("int32", (None, 2), name="s"), p)


# ---- regularizers and constraints -------------------------------------------------------------
W = rng.normal(size=(5, 3)).astype(np.float32)
W_CONV = rng.normal(size=(2, 2, 3, 4)).astype(np.float32) * 2


def _apply(fn, w):
    g = Graph()
    with g.as_default():
        x = placeholder("float32", w.shape, name="w")
        y = fn(x)
    with Session(g) as sess:
        return sess.run(y.name, {"w": w})


@pytest.mark.parametrize("name,kwargs", [("L1", {}), ("L2", {}), ("L1L2", {}), ("L1L2", {"l1": 0.02, "l2": 0.3}),
                                         ("L1", {"l1": 0.5}), ("L2", {"l2": 1e-4}), ("l2", {}), ("l1_l2", {"l1": 0.1}),
                                         ("OrthogonalRegularizer", {}),
                                         ("orthogonal_regularizer", {"factor": 0.3, "mode": "columns"})])
def test_regularizers_match_keras(tf, name, kwargs):
    ours, theirs = getattr(regularizers, name)(**kwargs), getattr(keras.regularizers, name)(**kwargs)
    g = Graph()
    with g.as_default():
        x = placeholder("float32", W.shape, name="w")
        penalty = ours(x)
        (grad,) = gradients([penalty], [x])
    with Session(g) as sess:
        got, got_grad = sess.run([penalty.name, grad.name if grad is not None else penalty.name], {"w": W})
    w = tf.constant(W)
    with tf.GradientTape() as tape:
        tape.watch(w)
        want = theirs(w)
    want_grad = tape.gradient(want, w)
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-6)
    if grad is None:  # a zero penalty (L1L2 defaults) depends on no weight, on both sides
        assert want_grad is None
    else:
        np.testing.assert_allclose(got_grad, want_grad.numpy(), rtol=1e-5, atol=1e-8)
    # Keras' L1 keeps its factor as a float32 tensor, so its config holds the float32-rounded value
    for config in (ours.get_config(), regularizers.get(keras.regularizers.serialize(theirs)).get_config()):
        assert config.keys() == theirs.get_config().keys()
        for key, value in theirs.get_config().items():
            assert config[key] == (value if isinstance(value, str) else pytest.approx(value, rel=1e-7)), key


def test_regularizer_lookup_and_validation():
    assert isinstance(regularizers.get("l2"), regularizers.L2)
    assert isinstance(regularizers.get("l1l2"), regularizers.L1L2)
    assert regularizers.get(None) is None
    with pytest.raises(ValueError, match="non-negative"):
        regularizers.L2(-1.0)


@pytest.mark.parametrize("name,kwargs,w", [
    ("MaxNorm", {}, W), ("MaxNorm", {"max_value": 1.5, "axis": 1}, W), ("MaxNorm", {"axis": [0, 1, 2]}, W_CONV),
    ("NonNeg", {}, W), ("UnitNorm", {}, W), ("UnitNorm", {"axis": [0, 1, 2]}, W_CONV),
    ("MinMaxNorm", {}, W), ("MinMaxNorm", {"min_value": 1.0, "max_value": 2.0, "rate": 0.5, "axis": 1}, W),
    ("max_norm", {"max_value": 1.0}, W), ("min_max_norm", {"min_value": 0.5}, W), ("non_neg", {}, W),
    ("unit_norm", {"axis": 1}, W)])
def test_constraints_match_keras(name, kwargs, w):
    ours, theirs = getattr(constraints, name)(**kwargs), getattr(keras.constraints, name)(**kwargs)
    np.testing.assert_allclose(_apply(ours, w), np.asarray(theirs(w)), rtol=1e-5, atol=1e-7)
    assert ours.get_config() == theirs.get_config()
    assert constraints.get(keras.constraints.serialize(theirs)).get_config() == theirs.get_config()
    assert isinstance(constraints.get(name), getattr(constraints, name))


@pytest.mark.parametrize("theirs", [
    lambda: keras.losses.Huber(delta=2.0), lambda: keras.losses.BinaryFocalCrossentropy(gamma=3.0),
    lambda: keras.regularizers.L2(0.3), lambda: keras.constraints.MaxNorm(1.5, axis=1)])
def test_keras_objects_are_rebuilt_from_their_config(theirs):
    """compile(loss=keras.losses.Huber(...)) and layer arguments given Keras objects: same class, same config."""
    theirs = theirs()
    module = {"losses": losses, "regularizers": regularizers, "constraints": constraints}[
        type(theirs).__module__.split(".")[2]]
    ours = module.get(theirs)
    assert type(ours).__name__ == type(theirs).__name__ and type(ours).__module__.startswith("tfkg_graph")
    assert ours.get_config() == pytest.approx(theirs.get_config())
