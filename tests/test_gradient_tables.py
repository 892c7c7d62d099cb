"""The table-driven gradient rules against TF Python: each table entry emits the gradient kernel
TF's tf.gradients emits for that op (Softplus: TF writes sigmoid(x) * dy instead, so there the values
are compared), and StopGradient is a registered non-differentiable op in both."""
from __future__ import annotations

import numpy as np
import pytest

from tfkg_graph.autodiff import RULES, gradients
from tfkg_graph.autodiff.unary_grad import GRAD_KERNELS
from tfkg_graph.graph import Graph, placeholder
from tfkg_graph.graph.ops import array, math
from tfkg_graph.runtime import Session

tf = pytest.importorskip("tensorflow")
NN_OPS = ("Relu", "Relu6", "Elu", "Selu", "LeakyRelu", "Softplus", "Softsign")  # raw_ops argument `features`
TF_COMPOSES = {"Softplus"}  # TF's rule is Sigmoid(x) * dy, not the SoftplusGrad kernel


@pytest.mark.parametrize("op_type", sorted(GRAD_KERNELS))
def test_table_entry_emits_the_kernel_tf_emits(op_type):
    grad_op = GRAD_KERNELS[op_type][0]
    x_value = np.random.default_rng(0).uniform(0.2, 2.0, (2, 3)).astype(np.float32) * [[1], [-1]]
    if op_type in ("Sqrt", "Rsqrt"):
        x_value = np.abs(x_value)
    forward = getattr(tf.raw_ops, op_type)
    with tf.Graph().as_default() as tf_graph:
        x = tf.compat.v1.placeholder(tf.float32, (2, 3))
        (tf_grad,) = tf.gradients(forward(features=x) if op_type in NN_OPS else forward(x=x), x)
        with tf.compat.v1.Session() as sess:
            expected = sess.run(tf_grad, {x: x_value})
    tf_types = {op.type for op in tf_graph.get_operations() if op.name.startswith("gradients")}
    assert (grad_op in tf_types) == (op_type not in TF_COMPOSES), (op_type, tf_types)
    g = Graph()
    with g.as_default():
        ours_x = placeholder("float32", (2, 3))
        (ours_grad,) = gradients(g.create_op(op_type, [ours_x]).outputs[0], [ours_x])
    assert grad_op in {op.type for op in g.operations if op.name.startswith("gradients")}
    with Session(g) as sess:
        (got,) = sess.run([ours_grad.name], {ours_x.name: x_value})
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_stop_gradient_is_a_registered_non_differentiable_op_like_in_tf():
    from tensorflow.python.framework import ops as tf_ops
    assert tf_ops._gradient_registry.lookup("StopGradient") is None
    assert "StopGradient" in RULES and RULES["StopGradient"] is None
    g = Graph()
    with g.as_default():
        x = placeholder("float32", (3,))
        y = math.reduce_sum(x * x + array.stop_gradient(x * np.float32(3)))
        (gx,) = gradients(y, [x])
    assert not any(op.type == "StopGradient" and op.name.startswith("gradients") for op in g.operations)
    assert gx is not None
