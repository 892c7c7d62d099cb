"""``tfkg_graph.ops`` against ``keras.ops``: each function on the same arrays gives the same values, and a
custom layer written once against either module (only the import differs) trains to the same weights."""
from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import tfkg_graph  # noqa: E402
from _parity import train_both_and_compare  # noqa: E402
from tfkg_graph import ops  # noqa: E402
from tfkg_graph.graph import Graph, placeholder  # noqa: E402
from tfkg_graph.runtime import Session  # noqa: E402

RNG = np.random.default_rng(21)
A = RNG.normal(size=(3, 4)).astype("float32")
B = RNG.normal(size=(3, 4)).astype("float32")
P = RNG.uniform(0.5, 2.0, (3, 4)).astype("float32")  # positive, for log/sqrt/pow
M = RNG.normal(size=(4, 2)).astype("float32")
T = RNG.normal(size=(2, 3, 4)).astype("float32")
I = np.array([[0, 2], [1, 3]], np.int32)

CASES = [  # (id, lambda over an ops module, inputs)
    ("add_sub_mul_div", lambda o, a, b: o.divide(o.multiply(o.add(a, b), o.subtract(a, b)), o.add(o.abs(b), 1.0)), [A, B]),
    ("max_min_power", lambda o, a, p: o.power(o.maximum(a, 0.1) + o.minimum(a, 0.0) * 0 + 1.0, p), [A, P]),
    ("unary", lambda o, a, p: o.sqrt(p) + o.rsqrt(p) + o.exp(a) + o.log(p) + o.log1p(p) + o.square(a)
     + o.sign(a) + o.reciprocal(p) + o.erf(a) + o.ceil(a) + o.floor(a) + o.round(a * 3) + o.negative(a), [A, P]),
    ("activations", lambda o, a: o.relu(a) + o.relu6(a * 4) + o.elu(a) + o.selu(a) + o.gelu(a) + o.silu(a)
     + o.softplus(a) + o.softsign(a) + o.leaky_relu(a) + o.tanh(a) + o.sigmoid(a), [A]),
    ("gelu_exact", lambda o, a: o.gelu(a, approximate=False), [A]),
    ("softmax", lambda o, t: o.softmax(t, axis=1) + o.log_softmax(t, axis=-1), [T]),
    ("reductions", lambda o, t: o.sum(t, axis=1) + o.mean(t, axis=(1,)) + o.max(t, axis=1) + o.min(t, axis=1)
     + o.prod(t, axis=1), [T]),
    ("reductions_keepdims", lambda o, t: o.sum(t, axis=-1, keepdims=True) * o.mean(t) + o.norm(t, axis=-1, keepdims=True), [T]),
    ("argmax_argmin", lambda o, t: o.cast(o.argmax(t, axis=1), "float32") + o.cast(o.squeeze(o.argmin(t, axis=1, keepdims=True), 1), "float32"), [T]),
    ("comparisons_where", lambda o, a, b: o.where(o.logical_and(o.greater(a, b), o.not_equal(a, 0.0)), a, b)
     + o.where(o.logical_or(o.less_equal(a, -0.5), o.logical_not(o.greater_equal(b, 0.0))), 1.0, 0.0), [A, B]),
    ("any_all", lambda o, a: o.cast(o.any(o.greater(a, 1.0), axis=1), "float32") + o.cast(o.all(o.less(a, 2.0)), "float32"), [A]),
    ("clip_matmul", lambda o, a, m: o.matmul(o.clip(a, -0.5, 0.5), m), [A, M]),
    ("reshape_transpose", lambda o, t: o.transpose(o.reshape(t, (2, 4, 3)), (0, 2, 1)), [T]),
    ("expand_squeeze", lambda o, a: o.squeeze(o.expand_dims(a, 1), 1) + o.squeeze(o.expand_dims(a, -1)), [A]),
    ("concat_stack", lambda o, a, b: o.concatenate([a, b], axis=1)[:, 1:5] + o.stack([a, b], axis=0)[1], [A, B]),
    ("split_sections", lambda o, t: o.split(t, 2, axis=2)[1] * o.split(t, [1, 3], axis=2)[1], [T]),
    ("unstack_tile_pad", lambda o, a: o.unstack(o.tile(a, (2, 1)), axis=0)[4] + o.pad(a, ((0, 0), (1, 0)))[:, :4], [A]),
    ("take_one_hot", lambda o, a, i: o.take(a, i, axis=1) + o.take(a, i) + o.one_hot(i, 4)[..., 1], [A, I]),
    ("broadcast_creation", lambda o, a: o.broadcast_to(a[:1], (3, 4)) + o.zeros((3, 4)) + o.ones((3, 4))
     + o.full((3, 4), 2.5) + o.zeros_like(a) + o.ones_like(a) + o.cast(o.arange(4), "float32")
     + o.cast(o.arange(1, 9, 2), "float32"), [A]),
    ("stop_gradient_shape", lambda o, t: o.stop_gradient(t) * float(o.shape(t)[1]), [T]),
]


def run_ours(fn, arrays):
    g = Graph()
    with g.as_default():
        feeds = [placeholder(str(a.dtype), a.shape, name=f"in{i}") for i, a in enumerate(arrays)]
        out = fn(ops, *feeds)
    with Session(g) as sess:
        return sess.run(out.name, {f"in{i}:0": a for i, a in enumerate(arrays)})


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_values_match_keras_ops(case):
    _, fn, arrays = case
    np.testing.assert_allclose(run_ours(fn, arrays), np.asarray(fn(keras.ops, *arrays)), rtol=1e-5, atol=1e-6)


def test_shape_gives_unknown_dims_as_tensors():
    g = Graph()
    with g.as_default():
        x = placeholder("float32", (None, 3), name="x")
        rows, cols = ops.shape(x)
        y = ops.reshape(x, (cols, rows))
    assert cols == 3
    with Session(g) as sess:
        assert sess.run(y.name, {"x:0": np.ones((2, 3), np.float32)}).shape == (3, 2)


def scaled_norm_layer(root):
    """A custom layer written against ``root.ops`` only: RMS normalization with a learned scale."""
    o = root.ops

    class RMSNorm(root.layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

        def call(self, inputs):
            rms = o.sqrt(o.mean(o.square(inputs), axis=-1, keepdims=True) + 1e-6)
            return o.multiply(o.divide(inputs, rms), self.scale) + o.max(inputs, axis=-1, keepdims=True) * 0.1
    L = root.layers
    inputs = L.Input((5,))
    x = RMSNorm()(L.Dense(6, activation="tanh")(inputs))
    return root.models.Model(inputs, L.Dense(3, activation="softmax")(x))


def test_custom_layer_written_against_ops_trains_like_keras():
    x, y = RNG.normal(size=(48, 5)).astype("float32"), RNG.integers(0, 3, 48)
    ours, theirs = scaled_norm_layer(tfkg_graph), scaled_norm_layer(keras)
    ours.set_weights(theirs.get_weights())
    train_both_and_compare(ours, theirs, x, y, "sparse_categorical_crossentropy")
