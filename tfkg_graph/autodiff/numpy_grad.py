"""Gradient rules for the ops behind ``keras.ops.numpy``: trigonometry as a table of derivatives,
then cumulative sums/products and top-k (sort, argsort)."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..graph.ops import array, math, numpy_ops
from ..graph.ops.constants import constant
from ._util import unbroadcast
from .gradients import not_differentiable, register

# integer, boolean and index results, and bit-level ops: nothing flows through them
not_differentiable("IsInf", "Invert", "NextAfter", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "LeftShift",
                   "RightShift", "TruncateMod", "LowerBound", "UpperBound", "DenseBincount", "Bitcast", "Where")


def _one(x):
    return math.scalar_like(x, 1.0)


# d op(x) / dx from the input x and the output y
DERIVATIVES: dict[str, Callable[[Any, Any], Any]] = {
    "Sin": lambda x, y: numpy_ops.cos(x),
    "Cos": lambda x, y: math.negative(numpy_ops.sin(x)),
    "Tan": lambda x, y: math.reciprocal(math.square(numpy_ops.cos(x))),
    "Asin": lambda x, y: math.rsqrt(_one(x) - math.square(x)),
    "Acos": lambda x, y: math.negative(math.rsqrt(_one(x) - math.square(x))),
    "Atan": lambda x, y: math.reciprocal(_one(x) + math.square(x)),
    "Sinh": lambda x, y: numpy_ops.cosh(x),
    "Cosh": lambda x, y: numpy_ops.sinh(x),
    "Asinh": lambda x, y: math.reciprocal(numpy_ops.cosh(y)),
    "Acosh": lambda x, y: math.reciprocal(numpy_ops.sinh(y)),
    "Atanh": lambda x, y: math.reciprocal(_one(x) - math.square(x)),
    "Expm1": lambda x, y: math.exp(x),
}


def _chain(derivative: Callable[[Any, Any], Any]) -> Callable:
    def rule(op, grad):
        return [grad * derivative(op.inputs[0], op.outputs[0])]
    return rule


for _op_type, _derivative in DERIVATIVES.items():
    register(_op_type)(_chain(_derivative))


@register("Atan2")
def _atan2(op, grad):
    y, x = op.inputs
    scale = grad / (math.square(x) + math.square(y))
    return [unbroadcast(scale * x, y), unbroadcast(math.negative(scale * y), x)]


@register("Cumsum")
def _cumsum(op, grad):
    axis = op.inputs[1]
    return [op.graph.create_op("Cumsum", [grad, axis], {"exclusive": op.get_attr("exclusive"),
                                                        "reverse": not op.get_attr("reverse")}).outputs[0], None]


@register("Cumprod")
def _cumprod(op, grad):
    """TF's rule: a reversed cumulative sum of grad * y, over x (inputs must be non-zero)."""
    x, axis = op.inputs
    summed = op.graph.create_op("Cumsum", [grad * op.outputs[0], axis],
                                {"exclusive": op.get_attr("exclusive"),
                                 "reverse": not op.get_attr("reverse")}).outputs[0]
    return [summed / x, None]


@register("TopKV2")
def _top_k(op, grad, _indices_grad=None):
    """Each value's gradient goes back to the position it was taken from (a segment sum over rows)."""
    x, _ = op.inputs
    indices = op.outputs[1]
    x_shape = array.shape(x)
    n = array.strided_slice(x_shape, [-1], [0], [1], end_mask=1, shrink_axis_mask=1)
    k = array.strided_slice(array.shape(indices), [-1], [0], [1], end_mask=1, shrink_axis_mask=1)
    rows_indices = array.reshape(indices, array.stack([constant(np.int32(-1), graph=x.graph), k]))
    rows = array.strided_slice(array.shape(rows_indices), [0], [1], [1], shrink_axis_mask=1)
    offsets = array.expand_dims(array.range_(0, rows * n, n), -1)
    flat = array.reshape(rows_indices + offsets, [-1])
    summed = array.unsorted_segment_sum(array.reshape(grad, [-1]), flat, array.size(x))
    return [array.reshape(summed, x_shape), None]
