"""Activations against keras.activations: values, and gradients from our registry vs GradientTape."""
from __future__ import annotations

import numpy as np
import pytest

from tfkg_graph import activations
from tfkg_graph.autodiff import gradients
from tfkg_graph.graph import Graph
from tfkg_graph.graph.ops import array
from tfkg_graph.graph.ops.constants import placeholder
from tfkg_graph.runtime.session import Session

keras = pytest.importorskip("keras")

X = np.concatenate([np.linspace(-9, 9, 39), [-0.5, 0.0, 0.5, 2.9, 3.1, 6.2]]).astype(np.float32).reshape(5, 3, 3)

# (our function, kwargs, keras function)
CASES = [
    ("linear", {}), ("relu", {}), ("relu", {"negative_slope": 0.1}), ("relu", {"max_value": 6.0}),
    ("relu", {"max_value": 2.5, "threshold": 0.5}), ("relu", {"negative_slope": 0.3, "threshold": 1.0}),
    ("relu6", {}), ("elu", {}), ("elu", {"alpha": 0.5}), ("selu", {}), ("sigmoid", {}), ("hard_sigmoid", {}),
    ("tanh", {}), ("softmax", {}), ("softmax", {"axis": 1}), ("log_softmax", {}), ("log_softmax", {"axis": 0}),
    ("silu", {}), ("swish", {}), ("gelu", {}), ("gelu", {"approximate": True}), ("softplus", {}),
    ("softsign", {}), ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.05}), ("exponential", {}),
    ("celu", {}), ("celu", {"alpha": 0.5}), ("hard_shrink", {}), ("hard_shrink", {"threshold": 2.0}),
    ("soft_shrink", {}), ("soft_shrink", {"threshold": 1.5}), ("hard_silu", {}), ("hard_swish", {}),
    ("hard_tanh", {}), ("log_sigmoid", {}), ("mish", {}), ("sparse_plus", {}), ("sparse_sigmoid", {}),
    ("squareplus", {}), ("squareplus", {"b": 1.0}), ("tanh_shrink", {}),
    ("threshold", {"threshold": 0.7, "default_value": -2.0}),     ("glu", {"axis": 0}, X[:4]), ("glu", {}, X[..., :2]),
]


def _ours(name: str, kwargs: dict, x_value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    g = Graph()
    with g.as_default():
        x = placeholder("float32", x_value.shape, name="x")
        y = array.identity(activations.get(name)(x, **kwargs))  # linear returns x itself
        upstream = placeholder("float32", y.shape, name="upstream")
        (dx,) = gradients([y * upstream], [x])
    with Session(g) as sess:
        return sess.run([y.name, dx.name], {"x": x_value, "upstream": _upstream(y.shape)})


def _upstream(shape: tuple) -> np.ndarray:
    return np.random.default_rng(0).uniform(0.5, 1.5, shape).astype(np.float32)


@pytest.mark.parametrize("name,kwargs,x_value", [(c + (X,))[:3] for c in CASES],
                         ids=[f"{c[0]}{c[1] or ''}{'' if len(c) < 3 else c[2].shape}" for c in CASES])
def test_values_and_gradients_match_keras(tf, name, kwargs, x_value):
    x_value = np.ascontiguousarray(x_value)
    fn = getattr(keras.activations, name)
    x = tf.constant(x_value)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = fn(x, **kwargs)
        weighted = tf.reduce_sum(y * _upstream(tuple(y.shape)))
    want_dx = tape.gradient(weighted, x).numpy()
    got_y, got_dx = _ours(name, kwargs, x_value)
    np.testing.assert_allclose(got_y, y.numpy(), rtol=2e-6, atol=1e-6)
    np.testing.assert_allclose(got_dx, want_dx, rtol=1e-5, atol=1e-6)


def test_defaults_match_keras():
    import inspect
    for name in activations.ACTIVATIONS:
        ours = {k: p.default for k, p in inspect.signature(activations.ACTIVATIONS[name]).parameters.items()}
        theirs = {k: p.default for k, p in inspect.signature(getattr(keras.activations, name)).parameters.items()}
        assert ours == theirs, name


def test_get_serialize_round_trip():
    for name, fn in activations.ACTIVATIONS.items():
        assert activations.get(activations.serialize(fn)) is fn
        assert activations.serialize(fn) == keras.activations.serialize(getattr(keras.activations, name))
    assert activations.get(None) is activations.linear
    assert activations.get("swish") is activations.silu
    assert activations.get(keras.activations.serialize(keras.activations.relu)) is activations.relu
    assert activations.get({"module": "keras.activations", "class_name": "function", "config": "tanh",
                            "registered_name": "tanh"}) is activations.tanh
    with pytest.raises(ValueError, match="unknown activation 'nope'"):
        activations.get("nope")


def _tf_sparsemax(tf, x, axis):
    """Sparsemax as Martins & Astudillo define it: ``tau = (cumsum_k - 1) / k`` at the support size k."""
    z = tf.experimental.numpy.moveaxis(x, axis, -1)
    z_sorted = tf.sort(z, direction="DESCENDING", axis=-1)
    cumsum = tf.cumsum(z_sorted, axis=-1)
    r = tf.range(1, z.shape[-1] + 1, dtype=z.dtype)
    k = tf.reduce_sum(tf.cast(1 + r * z_sorted > cumsum, z.dtype), -1, keepdims=True)
    tau = (tf.gather(cumsum, tf.cast(k, tf.int32) - 1, batch_dims=z.shape.rank - 1) - 1) / k
    return tf.experimental.numpy.moveaxis(tf.maximum(z - tau, 0.0), -1, axis)


@pytest.mark.parametrize("axis", [-1, 0])
def test_sparsemax_follows_the_math_not_keras(tf, axis):
    """docs/differences.md: Keras' sparsemax sums the cumulative sums over the support for tau, so its
    outputs do not sum to 1 once the support has two entries or more; ours is the published definition."""
    x = tf.constant(X)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = _tf_sparsemax(tf, x, axis)
        weighted = tf.reduce_sum(y * _upstream(X.shape))
    got_y, got_dx = _ours("sparsemax", {"axis": axis}, X)
    np.testing.assert_allclose(got_y, y.numpy(), rtol=2e-6, atol=1e-6)
    np.testing.assert_allclose(got_dx, tape.gradient(weighted, x).numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_y.sum(axis), 1.0, rtol=1e-6)
    keras_y = keras.activations.sparsemax(X, axis=axis).numpy()
    support_sizes = (got_y > 0).sum(axis)
    assert (support_sizes > 1).any() == (not np.allclose(keras_y, got_y, atol=1e-3))
