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
]


def _ours(name: str, kwargs: dict) -> tuple[np.ndarray, np.ndarray]:
    g = Graph()
    with g.as_default():
        x = placeholder("float32", X.shape, name="x")
        y = array.identity(activations.get(name)(x, **kwargs))  # linear returns x itself
        upstream = placeholder("float32", X.shape, name="upstream")
        (dx,) = gradients([y * upstream], [x])
    with Session(g) as sess:
        return sess.run([y.name, dx.name], {"x": X, "upstream": _upstream()})


def _upstream() -> np.ndarray:
    return np.random.default_rng(0).uniform(0.5, 1.5, X.shape).astype(np.float32)


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}{k or ''}" for n, k in CASES])
def test_values_and_gradients_match_keras(tf, name, kwargs):
    fn = getattr(keras.activations, name)
    x = tf.constant(X)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = fn(x, **kwargs)
        weighted = tf.reduce_sum(y * _upstream())
    want_dx = tape.gradient(weighted, x).numpy()
    got_y, got_dx = _ours(name, kwargs)
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
