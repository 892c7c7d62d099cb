"""ops.while_loop / fori_loop / scan / cond: values and gradients against TF Python's tf.while_loop,
tf.scan-like loops and tf.cond under a GradientTape, plus finite differences; nested loops too.

Each case is written twice, once with tfkg_graph.ops and once with TF Python, over the same float64
inputs; our graph runs in our Session (the C API) and the gradients come from our While/If rules.
"""
from __future__ import annotations

import numpy as np
import pytest

from tfkg_graph import ops
from tfkg_graph.autodiff import gradients
from tfkg_graph.graph import Graph, GraphBuildError
from tfkg_graph.graph.ops.constants import placeholder
from tfkg_graph.runtime import Session

RNG = np.random.default_rng(7)


def run_ours(build, inputs, dims_known=True):
    """Builds ``build(*placeholders)``, returns (outputs, gradients of sum(outputs * upstream))."""
    g = Graph(seed=1)
    with g.as_default():
        xs = [placeholder("float64", v.shape if dims_known else (None,) * v.ndim, name=f"x{i}")
              for i, v in enumerate(inputs)]
        ys = build(*xs)
        ys = list(ys) if isinstance(ys, (list, tuple)) else [ys]
        ups = [placeholder("float64", y.shape, name=f"up{i}") for i, y in enumerate(ys)]
        loss = ops.sum(ops.stack([ops.sum(y * u) for y, u in zip(ys, ups)]))
        grads = gradients(loss, xs)
    sess = Session(g)
    feed = {x.name: v for x, v in zip(xs, inputs)}
    y_values = sess.run([y.name for y in ys], feed)
    up_values = [np.cos(np.arange(np.size(y)).reshape(np.shape(y)) + 0.5) for y in y_values]
    feed.update({u.name: v for u, v in zip(ups, up_values)})
    grad_values = sess.run([gr.name for gr in grads], feed)

    def loss_at(values):
        f = dict(feed)
        f.update({x.name: v for x, v in zip(xs, values)})
        return sess.run([loss.name], f)[0]
    return y_values, up_values, grad_values, loss_at


def run_tf(tf, build, inputs, up_values):
    xs = [tf.constant(v) for v in inputs]
    with tf.GradientTape() as tape:
        tape.watch(xs)
        ys = build(*xs)
        ys = list(ys) if isinstance(ys, (list, tuple)) else [ys]
        loss = tf.add_n([tf.reduce_sum(y * u) for y, u in zip(ys, up_values)])
    return [y.numpy() for y in ys], [g.numpy() for g in tape.gradient(loss, xs)]


def finite_differences(loss_at, inputs, eps=1e-6):
    grads = []
    for i, x in enumerate(inputs):
        g = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            plus, minus = [v.copy() for v in inputs], [v.copy() for v in inputs]
            plus[i][idx] += eps
            minus[i][idx] -= eps
            g[idx] = (loss_at(plus) - loss_at(minus)) / (2 * eps)
        grads.append(g)
    return grads


def check(tf, ours, theirs, inputs, dims_known=True, fd=True):
    y_ours, up, g_ours, loss_at = run_ours(ours, inputs, dims_known)
    y_tf, g_tf = run_tf(tf, theirs, inputs, up)
    for a, b in zip(y_ours, y_tf):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    for a, b in zip(g_ours, g_tf):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)
    if fd:
        for a, b in zip(g_ours, finite_differences(loss_at, inputs)):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# ---- while_loop --------------------------------------------------------------------------------------------
def rnn_ours(x, w):
    return ops.while_loop(lambda i, h: ops.less(i, 4), lambda i, h: (i + 1, ops.tanh(ops.matmul(h, w))),
                          (ops.convert_to_tensor(0), x))[1]


def rnn_tf(tf):
    return lambda x, w: tf.while_loop(lambda i, h: i < 4, lambda i, h: (i + 1, tf.tanh(h @ w)), (0, x))[1]


@pytest.mark.parametrize("dims_known", [True, False])
def test_while_loop_with_a_captured_weight_matches_tape(tf, dims_known):
    check(tf, rnn_ours, rnn_tf(tf), [RNG.standard_normal((2, 3)), RNG.standard_normal((3, 3)) * 0.5], dims_known)


def test_while_loop_nested_structure_data_dependent_stop_and_maximum_iterations(tf):
    def ours(x, y):
        state = {"a": x, "b": (y, ops.convert_to_tensor(1.0, "float64"))}
        out = ops.while_loop(lambda s: ops.less(ops.sum(ops.abs(s["a"])), 50.0),
                             lambda s: {"a": s["a"] * 1.5 + s["b"][0], "b": (ops.tanh(s["b"][0]), s["b"][1] * 2.0)},
                             state, maximum_iterations=6)
        return out["a"], out["b"][0], out["b"][1]

    def theirs(x, y):
        state = {"a": x, "b": (y, tf.constant(1.0, tf.float64))}
        out = tf.while_loop(lambda s: tf.reduce_sum(tf.abs(s["a"])) < 50.0,
                            lambda s: [{"a": s["a"] * 1.5 + s["b"][0], "b": (tf.tanh(s["b"][0]), s["b"][1] * 2.0)}],
                            [state], maximum_iterations=6)[0]
        return out["a"], out["b"][0], out["b"][1]
    check(tf, ours, theirs, [RNG.standard_normal((3,)), RNG.standard_normal((3,))])


def test_while_loop_growing_shape_gets_an_unknown_dim(tf):
    def ours(x):
        return ops.while_loop(lambda v: ops.less(ops.shape(v)[0], 8),
                              lambda v: ops.concatenate([v, ops.tanh(v)], 0), x)

    def theirs(x):
        return tf.while_loop(lambda v: tf.shape(v)[0] < 8, lambda v: (tf.concat([v, tf.tanh(v)], 0),), (x,),
                             shape_invariants=(tf.TensorShape([None]),))[0]
    check(tf, ours, theirs, [RNG.standard_normal((1,))])


def test_nested_while_loops(tf):
    def ours(x, w):
        def outer_body(i, h):
            inner = ops.while_loop(lambda j, v: ops.less(j, i + 1), lambda j, v: (j + 1, ops.tanh(v * w)),
                                   (ops.convert_to_tensor(0), h))[1]
            return i + 1, inner + h
        return ops.while_loop(lambda i, h: ops.less(i, 3), outer_body, (ops.convert_to_tensor(0), x))[1]

    def theirs(x, w):
        def outer_body(i, h):
            inner = tf.while_loop(lambda j, v: j < i + 1, lambda j, v: (j + 1, tf.tanh(v * w)), (0, h))[1]
            return i + 1, inner + h
        return tf.while_loop(lambda i, h: i < 3, outer_body, (0, x))[1]
    check(tf, ours, theirs, [RNG.standard_normal((2, 2)), RNG.standard_normal((2,))])


def test_fori_loop(tf):
    def ours(x):
        return ops.fori_loop(0, 5, lambda i, v: v * ops.cast(i + 1, "float64") * 0.5 + ops.exp(-v), x)

    def theirs(x):
        return tf.while_loop(lambda i, v: i < 5,
                             lambda i, v: (i + 1, v * tf.cast(i + 1, tf.float64) * 0.5 + tf.exp(-v)), (0, x))[1]
    check(tf, ours, theirs, [RNG.standard_normal((3,))])


# ---- scan --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("reverse", [False, True])
def test_scan_carries_and_stacks_per_step_outputs(tf, reverse):
    def ours(xs, w, h0):
        def step(h, x):
            h = ops.tanh(ops.matmul(h, w) + x)
            return h, h * 2.0
        return ops.scan(step, h0, xs, reverse=reverse)

    def theirs(xs, w, h0):
        order = range(xs.shape[0] - 1, -1, -1) if reverse else range(xs.shape[0])
        h, ys = h0, {}
        for t in order:
            h = tf.tanh(h @ w + xs[t])
            ys[t] = h * 2.0
        return h, tf.stack([ys[t] for t in range(xs.shape[0])])
    check(tf, ours, theirs, [RNG.standard_normal((5, 2, 3)), RNG.standard_normal((3, 3)) * 0.5,
                             RNG.standard_normal((2, 3))], dims_known=False)


# ---- cond --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_cond_both_branches(tf, sign):
    def ours(x, w):
        return ops.cond(ops.greater(ops.sum(x), 0.0), lambda: (ops.tanh(x) * w, x), lambda: (x * x, w * 3.0))

    def theirs(x, w):
        return tf.cond(tf.reduce_sum(x) > 0.0, lambda: (tf.tanh(x) * w, x), lambda: (x * x, w * 3.0))
    check(tf, ours, theirs, [np.abs(RNG.standard_normal((3,))) * sign, RNG.standard_normal((3,))])


def test_cond_inside_while_and_while_inside_cond(tf):
    def ours(x):
        def body(i, v):
            v = ops.cond(ops.less(i, 2), lambda: ops.tanh(v), lambda: v * 1.5)
            return i + 1, v
        y = ops.while_loop(lambda i, v: ops.less(i, 5), body, (ops.convert_to_tensor(0), x))[1]
        return ops.cond(ops.greater(ops.sum(y), -100.0),
                        lambda: ops.fori_loop(0, 2, lambda i, v: ops.sigmoid(v) * v, y), lambda: y)

    def theirs(x):
        def body(i, v):
            return i + 1, tf.cond(i < 2, lambda: tf.tanh(v), lambda: v * 1.5)
        y = tf.while_loop(lambda i, v: i < 5, body, (0, x))[1]
        return tf.cond(tf.reduce_sum(y) > -100.0,
                       lambda: tf.while_loop(lambda i, v: i < 2, lambda i, v: (i + 1, tf.sigmoid(v) * v), (0, y))[1],
                       lambda: y)
    check(tf, ours, theirs, [RNG.standard_normal((4,))])


# ---- errors and the GraphDef -----------------------------------------------------------------------------------
def test_body_changing_a_dtype_is_a_clear_error():
    g = Graph()
    with g.as_default(), pytest.raises(TypeError, match="changes loop variable 0"):
        ops.while_loop(lambda v: ops.less(v, 3.0), lambda v: ops.cast(v, "int32"), ops.convert_to_tensor(0.0))


def test_tensor_from_a_body_used_outside_is_a_clear_error():
    g = Graph()
    leaked = []
    with g.as_default():
        def body(v):
            leaked.append(v * 2.0)
            return v + 1.0
        ops.while_loop(lambda v: ops.less(v, 3.0), body, ops.convert_to_tensor(0.0))
        with pytest.raises(GraphBuildError, match="cannot be used outside"):
            ops.add(ops.convert_to_tensor(1.0), leaked[0])


def test_graph_def_holds_the_functions_and_tf_python_imports_it(tf):
    g = Graph()
    with g.as_default():
        x = placeholder("float32", (None,), name="x")
        y = ops.while_loop(lambda i, v: ops.less(i, 3), lambda i, v: (i + 1, v * 2.0),
                           (ops.convert_to_tensor(0), x))[1]
        gradients(ops.sum(y), [x])
    graph_def = g.as_graph_def()
    names = {f.signature.name for f in graph_def.library.function}
    for node in graph_def.node:
        if node.op == "While":
            assert {node.attr["body"].func.name, node.attr["cond"].func.name} <= names
    imported = tf.Graph()
    with imported.as_default():
        tf.compat.v1.import_graph_def(tf.compat.v1.GraphDef.FromString(graph_def.SerializeToString()), name="")
    with tf.compat.v1.Session(graph=imported) as sess:
        out = sess.run(y.name, {"x:0": np.array([1.0, 2.0], np.float32)})
    np.testing.assert_allclose(out, [8.0, 16.0])
