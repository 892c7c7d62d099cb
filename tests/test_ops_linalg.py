"""``tfkg_graph.ops.linalg`` against ``keras.ops.linalg`` on the same arrays (values, dtypes) and its
gradients against tf.GradientTape."""
from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from tfkg_graph import ops  # noqa: E402
from tfkg_graph.autodiff import gradients  # noqa: E402
from tfkg_graph.graph import Graph, placeholder  # noqa: E402
from tfkg_graph.graph.ops import math  # noqa: E402
from tfkg_graph.runtime import Session  # noqa: E402

RNG = np.random.default_rng(8)
A = (RNG.normal(size=(2, 3, 3)) * 0.3 + 2 * np.eye(3)).astype("float32")
B = RNG.normal(size=(2, 3, 2)).astype("float32")
V = RNG.normal(size=(2, 3)).astype("float32")

CASES = [
    ("inv", lambda o, a: o.inv(a), [A]),
    ("det", lambda o, a: o.det(a), [A]),
    ("solve", lambda o, a, b: o.solve(a, b), [A, B]),
    ("solve_vector", lambda o, a, v: o.solve(a, v), [A, V]),
    ("solve_triangular_upper", lambda o, a, b: o.solve_triangular(a, b), [A, B]),
    ("solve_triangular_lower_vector", lambda o, a, v: o.solve_triangular(a, v, lower=True), [A, V]),
]


@pytest.mark.parametrize("name,fn,inputs", CASES, ids=[c[0] for c in CASES])
def test_linalg_matches_keras_and_gradient_tape(tf, name, fn, inputs):
    g = Graph()
    with g.as_default():
        phs = [placeholder(str(a.dtype), a.shape) for a in inputs]
        y = fn(ops.linalg, *phs)
        grads = gradients(math.reduce_sum(y * y), phs)
    with Session(g) as sess:
        got = sess.run([y.name] + [t.name for t in grads], {p.name: a for p, a in zip(phs, inputs)})
    leaves = [tf.constant(a) for a in inputs]
    with tf.GradientTape() as tape:
        for leaf in leaves:
            tape.watch(leaf)
        theirs = fn(keras.ops.linalg, *leaves)
        loss = tf.reduce_sum(theirs * theirs)
    expected = [theirs.numpy()] + [t.numpy() for t in tape.gradient(loss, leaves)]
    assert got[0].dtype == expected[0].dtype
    for o, t in zip(got, expected):
        np.testing.assert_allclose(o, t, rtol=1e-4, atol=1e-4)
