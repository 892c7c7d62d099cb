"""``tfkg_graph.ops.nn`` against ``keras.ops.nn`` on the same arrays (values and dtypes), gradients of the
differentiable ones against tf.GradientTape, and every Keras ops.nn/linalg/image/random name present or
listed under "Not implemented" in docs/differences.md."""
from __future__ import annotations


import numpy as np
import pytest
from _differences import not_implemented

keras = pytest.importorskip("keras")

from tfkg_graph import ops  # noqa: E402
from tfkg_graph import random as our_random  # noqa: E402
from tfkg_graph.autodiff import gradients  # noqa: E402
from tfkg_graph.graph import Graph, placeholder  # noqa: E402
from tfkg_graph.graph.ops import math  # noqa: E402
from tfkg_graph.runtime import Session  # noqa: E402

RNG = np.random.default_rng(5)


def f32(*shape):
    return RNG.normal(size=shape).astype("float32")


X1, X2, X3 = f32(2, 7, 3), f32(2, 6, 5, 3), f32(1, 5, 4, 6, 2)
K1, K2, K3 = f32(3, 3, 4), f32(3, 2, 3, 4), f32(2, 3, 2, 2, 3)

CASES = [  # (id, fn over an nn module, inputs)
    ("conv1d_same_s2", lambda o, x, k: o.conv(x, k, 2, "same"), [X1, K1]),
    ("conv1d_dil", lambda o, x, k: o.conv(x, k, 1, "valid", dilation_rate=2), [X1, K1]),
    ("conv2d_valid", lambda o, x, k: o.conv(x, k, (2, 1), "valid"), [X2, K2]),
    ("conv2d_dil", lambda o, x, k: o.conv(x, k, 1, "same", dilation_rate=2), [X2, K2]),
    ("conv3d", lambda o, x, k: o.conv(x, k, 1, "same"), [X3, K3]),
    ("conv3d_dil", lambda o, x, k: o.conv(x, k, 1, "valid", dilation_rate=(2, 1, 1)), [X3, K3]),
    ("conv_t1d", lambda o, x, k: o.conv_transpose(x, k, 2, "same"), [X1, f32(3, 4, 3)]),
    ("conv_t2d", lambda o, x, k: o.conv_transpose(x, k, 2, "valid"), [X2, f32(3, 3, 2, 3)]),
    ("conv_t2d_op", lambda o, x, k: o.conv_transpose(x, k, 2, "same", output_padding=1), [X2, f32(3, 3, 2, 3)]),
    ("conv_t3d", lambda o, x, k: o.conv_transpose(x, k, (1, 2, 1), "same"), [X3, f32(2, 2, 2, 3, 2)]),
    ("depthwise2d", lambda o, x, k: o.depthwise_conv(x, k, 1, "same"), [X2, f32(3, 3, 3, 2)]),
    ("depthwise2d_s2", lambda o, x, k: o.depthwise_conv(x, k, 2, "valid"), [X2, f32(2, 2, 3, 1)]),
    ("depthwise1d_dil", lambda o, x, k: o.depthwise_conv(x, k, 1, "valid", dilation_rate=2), [X1, f32(3, 3, 2)]),
    ("separable", lambda o, x, d, p: o.separable_conv(x, d, p, 1, "same"), [X2, f32(3, 3, 3, 2), f32(1, 1, 6, 4)]),
    ("max_pool", lambda o, x: o.max_pool(x, 2) + 0 * o.max_pool(x, 3, 1, "same")[:, :1, :1], [X2]),
    ("max_pool1d", lambda o, x: o.max_pool(x, 3, 2, "same"), [X1]),
    ("max_pool3d", lambda o, x: o.max_pool(x, 2, 1, "valid"), [X3]),
    ("avg_pool", lambda o, x: o.average_pool(x, (2, 3), 1, "same"), [X2]),
    ("avg_pool3d", lambda o, x: o.average_pool(x, 2, None, "valid"), [X3]),
    ("adaptive_avg", lambda o, x: o.adaptive_average_pool(x, (4, 3)), [X2]),
    ("adaptive_max", lambda o, x: o.adaptive_max_pool(x, 3), [X1]),
    ("moments", lambda o, x: o.moments(x, [0, 2]), [X2]),
    ("moments_keep", lambda o, x: o.moments(x, 1, keepdims=True), [X1]),
    ("batch_norm", lambda o, x, m, v, b, s: o.batch_normalization(x, m, v, 1, b, s),
     [f32(2, 4, 3), f32(4), np.abs(f32(4)) + 0.5, f32(4), f32(4)]),
    ("batch_norm_last", lambda o, x, m, v: o.batch_normalization(x, m, v, -1), [X1, f32(3), np.abs(f32(3)) + 0.5]),
    ("normalize", lambda o, x: o.normalize(x, axis=1) + o.normalize(x, order=1) + o.normalize(x, order=3), [X1]),
    ("layer_norm", lambda o, x, g, b: o.layer_normalization(x, g, b, epsilon=1e-5), [X1, f32(3), f32(3)]),
    ("layer_norm_axes", lambda o, x: o.layer_normalization(x, axis=(1, 2)), [X1]),
    ("rms_norm", lambda o, x, s: o.rms_normalization(x, s), [X1, f32(3)]),
    ("psnr", lambda o, a, b: o.psnr(a, b, 2.0), [X1, f32(2, 7, 3)]),
    ("bce", lambda o, t, p: o.binary_crossentropy(t, p, from_logits=True)
     + o.binary_crossentropy(t, o.sigmoid(p * 0.5 + 0.1)), [np.abs(f32(4, 3)) % 1, f32(4, 3)]),
    ("cce", lambda o, t, p: o.categorical_crossentropy(t, p, from_logits=True), [np.eye(3, dtype="float32")[[0, 2, 1, 1]], f32(4, 3)]),
    ("scce", lambda o, t, p: o.sparse_categorical_crossentropy(t, p, from_logits=True),
     [np.array([0, 2, 1, 1], np.int32), f32(4, 3)]),
    ("one_hot", lambda o, i: o.one_hot(i, 4), [np.array([[0, 3], [-1, 2]], np.int32)]),
    ("multi_hot", lambda o, i: o.multi_hot(i, 5), [np.array([[0, 3, 3], [4, 2, 0]], np.int32)]),
    ("multi_hot_bool", lambda o, i: o.multi_hot(i, 5, dtype="bool"), [np.array([1, 3], np.int32)]),
    ("attention", lambda o, q, k, v: o.dot_product_attention(q, k, v), [f32(2, 3, 2, 4), f32(2, 5, 2, 4), f32(2, 5, 2, 4)]),
    ("attention_causal_mask", lambda o, q, k, v, b: o.dot_product_attention(
        q, k, v, bias=b, mask=np.tril(np.ones((4, 4), bool)) | np.eye(4, k=1, dtype=bool), scale=0.3, is_causal=True),
     [f32(1, 4, 2, 3), f32(1, 4, 2, 3), f32(1, 4, 2, 3), f32(1, 2, 4, 4)]),
    ("attention_gqa", lambda o, q, k, v: o.dot_product_attention(q, k, v), [f32(1, 3, 4, 2), f32(1, 3, 2, 2), f32(1, 3, 2, 2)]),
    ("depth_to_space", lambda o, x: o.depth_to_space(x, 2), [f32(2, 2, 3, 8)]),
    ("space_to_depth_cf", lambda o, x: o.space_to_depth(x, 2, "channels_first"), [f32(1, 3, 4, 6)]),
    ("activations", lambda o, x: o.celu(x) + o.hard_tanh(x) + o.leaky_relu(x, 0.1)
     + o.log_sigmoid(x) + o.squareplus(x) + o.hard_silu(x) + o.sparse_plus(x) + o.tanh_shrink(x), [f32(3, 4)]),
    ("activations_glu", lambda o, x: o.glu(x, axis=0), [f32(4, 3)]),
]


def _run_ours(fn, inputs):
    g = Graph()
    with g.as_default():
        phs = [placeholder(str(a.dtype), a.shape) for a in inputs]
        out = fn(ops.nn, *phs)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
    with Session(g) as sess:
        return sess.run([t.name for t in outs], {p.name: a for p, a in zip(phs, inputs)})


@pytest.mark.parametrize("name,fn,inputs", CASES, ids=[c[0] for c in CASES])
def test_nn_matches_keras(name, fn, inputs):
    theirs = fn(keras.ops.nn if not name.startswith("activations") else keras.ops,
                *[keras.ops.convert_to_tensor(a) for a in inputs])
    theirs = list(theirs) if isinstance(theirs, (list, tuple)) else [theirs]
    ours = _run_ours(fn, inputs)
    for o, t in zip(ours, theirs):
        t = keras.ops.convert_to_numpy(t)
        assert o.dtype == t.dtype, f"dtype {o.dtype} vs Keras {t.dtype}"
        np.testing.assert_allclose(o, t, rtol=2e-5, atol=2e-5)


GRAD_CASES = ["conv1d_same_s2", "conv2d_dil", "conv3d_dil", "conv_t2d_op", "conv_t3d", "depthwise1d_dil",
              "separable", "max_pool3d", "adaptive_avg", "adaptive_max", "batch_norm", "normalize", "layer_norm",
              "rms_norm", "attention_causal_mask", "depth_to_space", "space_to_depth_cf", "moments"]


@pytest.mark.parametrize("name", GRAD_CASES)
def test_nn_gradients_match_gradient_tape(tf, name):
    fn, inputs = next((c[1], c[2]) for c in CASES if c[0] == name)
    floats = [i for i, a in enumerate(inputs) if a.dtype == np.float32]
    g = Graph()
    with g.as_default():
        phs = [placeholder(str(a.dtype), a.shape) for a in inputs]
        out = fn(ops.nn, *phs)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        loss = math.add_n([math.reduce_sum(o * o) for o in outs])
        grads = gradients(loss, [phs[i] for i in floats])
    with Session(g) as sess:
        ours = sess.run([t.name for t in grads], {p.name: a for p, a in zip(phs, inputs)})
    leaves = [tf.constant(a) for a in inputs]
    with tf.GradientTape() as tape:
        for i in floats:
            tape.watch(leaves[i])
        out = fn(keras.ops.nn, *leaves)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        loss = tf.add_n([tf.reduce_sum(o * o) for o in outs])
    theirs = tape.gradient(loss, [leaves[i] for i in floats])
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o, t.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("module", ["ops.nn", "ops.linalg", "ops.image", "random"])
def test_every_keras_name_exists_or_is_listed(module):
    ours = {"ops.nn": ops.nn, "random": our_random}.get(module)
    if ours is None:
        ours = getattr(ops, module.split(".")[1], None)
    theirs = keras.ops if module.startswith("ops") else keras
    for part in module.split("."):
        theirs = getattr(theirs, part) if part != "ops" else theirs
    listed = not_implemented()
    missing = [n for n in dir(theirs) if not n.startswith("_") and not hasattr(ours, n)
               and f"{module}.{n}" not in listed]
    assert not missing, f"keras.{module} names neither implemented nor listed in docs/differences.md: {missing}"
    stale = [n for n in listed if n.rsplit(".", 1)[0] == module and hasattr(ours, n.rsplit(".", 1)[1])]
    assert not stale, f"listed as not implemented but present: {stale}"
