"""Gradient rules for math ops: one short function per op type."""
from __future__ import annotations

import math as pymath

import numpy as np

from ..graph.ops import array, math
from ..graph.ops.constants import constant
from ..graph.shapes import constant_value
from ..runtime import dtypes
from ._util import shape_of, unbroadcast
from .gradients import not_differentiable, register

# comparisons, logic, index results and integer-valued steps: no gradient flows through them
not_differentiable("Greater", "GreaterEqual", "Less", "LessEqual", "Equal", "NotEqual", "LogicalAnd",
                   "LogicalOr", "LogicalNot", "All", "Any", "ArgMax", "ArgMin", "Sign", "Floor", "Ceil", "Round",
                   "IsNan", "IsFinite", "FloorDiv", "FloorMod", "BroadcastGradientArgs")


def _c(like, value):
    return math.scalar_like(like, value)


@register("AddV2", "Add")
def _add(op, grad):
    x, y = op.inputs
    return [unbroadcast(grad, x), unbroadcast(grad, y)]


@register("Sub")
def _sub(op, grad):
    x, y = op.inputs
    return [unbroadcast(grad, x), unbroadcast(math.negative(grad), y)]


@register("Mul")
def _mul(op, grad):
    x, y = op.inputs
    return [unbroadcast(grad * y, x), unbroadcast(x * grad, y)]


@register("RealDiv", "Div")
def _div(op, grad):
    x, y = op.inputs
    return [unbroadcast(grad / y, x), unbroadcast(grad * math.negative(x) / math.square(y), y)]


@register("DivNoNan")
def _div_no_nan(op, grad):
    x, y = op.inputs
    return [unbroadcast(math.div_no_nan(grad, y), x),
            unbroadcast(grad * math.div_no_nan(math.negative(x), math.square(y)), y)]


@register("AddN")
def _add_n(op, grad):
    return [grad] * len(op.inputs)


@register("Neg")
def _neg(op, grad):
    return [math.negative(grad)]


@register("Square")
def _square(op, grad):
    return [grad * (op.inputs[0] * _c(grad, 2.0))]


@register("Exp")
def _exp(op, grad):
    return [grad * op.outputs[0]]


@register("Log")
def _log(op, grad):
    return [grad / op.inputs[0]]


@register("Log1p")
def _log1p(op, grad):
    return [grad / (op.inputs[0] + _c(grad, 1.0))]


@register("Abs")
def _abs(op, grad):
    return [grad * math.sign(op.inputs[0])]


@register("Pow")
def _pow(op, grad):
    x, y = op.inputs
    z = op.outputs[0]
    gx = grad * y * math.pow(x, y - _c(y, 1.0))
    # d/dy x^y = x^y log x, taken as 0 where x <= 0 (as TF does)
    safe_log = math.select(math.greater(x, _c(x, 0.0)), math.log(x), array.zeros_like(x))
    return [unbroadcast(gx, x), unbroadcast(grad * z * safe_log, y)]


def _min_max(op, grad, pick):
    x, y = op.inputs
    mask = pick(x, y)
    zeros = array.zeros_like(grad)
    return [unbroadcast(math.select(mask, grad, zeros), x),
            unbroadcast(math.select(mask, zeros, grad), y)]


@register("Maximum")
def _maximum(op, grad):
    return _min_max(op, grad, math.greater_equal)


@register("Minimum")
def _minimum(op, grad):
    return _min_max(op, grad, math.less_equal)


@register("SquaredDifference")
def _squared_difference(op, grad):
    x, y = op.inputs
    g = grad * _c(grad, 2.0) * (x - y)
    return [unbroadcast(g, x), unbroadcast(math.negative(g), y)]


@register("Erf")
def _erf(op, grad):
    x = op.inputs[0]
    return [grad * _c(x, 2.0 / pymath.sqrt(pymath.pi)) * math.exp(math.negative(math.square(x)))]


@register("Erfc")
def _erfc(op, grad):
    x = op.inputs[0]
    return [grad * _c(x, -2.0 / pymath.sqrt(pymath.pi)) * math.exp(math.negative(math.square(x)))]


@register("Cast")
def _cast(op, grad):
    src = op.inputs[0].dtype
    return [math.cast(grad, src) if dtypes.is_floating(src) else None]


@register("SelectV2")
def _select(op, grad):
    cond, x, y = op.inputs
    zeros = array.zeros_like(grad)
    return [None, unbroadcast(math.select(cond, grad, zeros), x),
            unbroadcast(math.select(cond, zeros, grad), y)]


@register("ClipByValue")
def _clip(op, grad):
    x, lo, hi = op.inputs
    inside = math.logical_and(math.greater_equal(x, lo), math.less_equal(x, hi))
    zeros = array.zeros_like(grad)
    return [math.select(inside, grad, zeros),
            unbroadcast(math.select(math.less(x, lo), grad, zeros), lo),
            unbroadcast(math.select(math.greater(x, hi), grad, zeros), hi)]


@register("MatMul")
def _matmul(op, grad):
    a, b = op.inputs
    ta, tb = op.get_attr("transpose_a"), op.get_attr("transpose_b")
    if not ta and not tb:
        return [math.matmul(grad, b, transpose_b=True), math.matmul(a, grad, transpose_a=True)]
    if not ta and tb:
        return [math.matmul(grad, b), math.matmul(grad, a, transpose_a=True)]
    if ta and not tb:
        return [math.matmul(b, grad, transpose_b=True), math.matmul(a, grad)]
    return [math.matmul(b, grad, transpose_a=True, transpose_b=True),
            math.matmul(grad, a, transpose_a=True, transpose_b=True)]


@register("BatchMatMulV2", "BatchMatMulV3")
def _batch_matmul(op, grad):
    a, b = op.inputs
    ta, tb = op.get_attr("adj_x"), op.get_attr("adj_y")
    if not ta:
        ga = math.matmul(grad, b, transpose_b=not tb) if not tb else math.matmul(grad, b)
    else:
        ga = math.matmul(b, grad, transpose_b=True) if not tb else math.matmul(b, grad, transpose_a=True,
                                                                              transpose_b=True)
    if not tb:
        gb = math.matmul(a, grad, transpose_a=not ta) if not ta else math.matmul(a, grad)
    else:
        gb = math.matmul(grad, a, transpose_a=True) if not ta else math.matmul(grad, a, transpose_a=True,
                                                                              transpose_b=True)
    return [_unbroadcast_batch(ga, a), _unbroadcast_batch(gb, b)]


def _unbroadcast_batch(grad, like):
    """Sums the batch dims a batched matmul broadcast (the last two dims are the matrix)."""
    gs, ls = grad.shape, like.shape
    if gs is not None and ls is not None and tuple(gs[:-2]) == tuple(ls[:-2]) and None not in gs[:-2]:
        return grad
    return unbroadcast(grad, like)


# ---- reductions ---------------------------------------------------------------------------------
def _reduced_shape_keepdims(x, axes_t):
    """Shape of ``x`` with reduced axes set to 1 (static when possible)."""
    axes = constant_value(axes_t)
    if x.shape is not None and axes is not None:
        rank = len(x.shape)
        reduced = {int(a) % rank for a in np.reshape(axes, -1)} if rank else set()
        kept = [1 if i in reduced else d for i, d in enumerate(x.shape)]
        if None not in kept:  # e.g. a mean over the batch: the batch dim is reduced away
            return kept
    shape = array.shape(x)
    rank = array.size(shape)
    axes_t = math.floor_mod(math.cast(axes_t, dtypes.INT32) + rank, rank)
    ones = array.fill(array.shape(axes_t), constant(np.int32(1), graph=x.graph))
    return op_dynamic_stitch(x.graph, [array.range_(0, rank, 1), axes_t], [shape, ones])


def op_dynamic_stitch(graph, indices, data):
    return graph.create_op("DynamicStitch", [indices, data]).outputs[0]


def _broadcast_back(grad, x, axes_t, keep_dims):
    if not keep_dims:
        grad = array.reshape(grad, _reduced_shape_keepdims(x, axes_t))
    return array.broadcast_to(grad, shape_of(x))


@register("Sum")
def _sum(op, grad):
    x, axes = op.inputs
    return [_broadcast_back(grad, x, axes, op.get_attr("keep_dims")), None]


@register("Mean")
def _mean(op, grad):
    x, axes = op.inputs
    y = op.outputs[0]
    g = _broadcast_back(grad, x, axes, op.get_attr("keep_dims"))
    if x.shape is not None and y.shape is not None and None not in x.shape and None not in y.shape:
        count = int(np.prod(x.shape)) // max(1, int(np.prod(y.shape)))
        return [g / _c(g, float(count)), None]
    if y.shape is not None and None not in y.shape:  # only the input's size is dynamic
        count = math.cast(array.size(x), g.dtype) / _c(g, float(max(1, int(np.prod(y.shape)))))
        return [g / count, None]
    count = math.cast(array.size(x), g.dtype) / math.maximum(math.cast(array.size(y), g.dtype), _c(g, 1.0))
    return [g / count, None]


@register("Max", "Min")
def _max_min(op, grad):
    x, axes = op.inputs
    keep = op.get_attr("keep_dims")
    y = op.outputs[0]
    y_b = _broadcast_back(y, x, axes, keep)
    g_b = _broadcast_back(grad, x, axes, keep)
    hits = math.cast(math.equal(x, y_b), grad.dtype)
    count = _broadcast_back(math.reduce_sum(hits, axes, keepdims=keep), x, axes, keep)
    return [g_b * hits / count, None]


@register("Prod")
def _prod(op, grad):
    """Product of all the other elements: reduced axes moved first and flattened, then exclusive
    cumprods from both ends, so zeros need no division."""
    x, axes = op.inputs
    axes_v = constant_value(axes)
    if axes_v is None or x.rank is None:
        raise ValueError(f"Prod gradient needs constant axes and a known rank (node {op.name!r})")
    reduced = sorted({int(a) % x.rank for a in np.reshape(axes_v, -1)}) if x.rank else []
    perm = reduced + [i for i in range(x.rank) if i not in reduced]
    xt = array.transpose(x, perm) if perm != sorted(perm) else x
    if x.shape is not None and None not in x.shape:
        n_reduced = int(np.prod([x.shape[i] for i in reduced]))
    else:
        n_reduced = math.reduce_prod(array.gather(array.shape(x), constant(np.array(reduced, np.int32),
                                                                               graph=x.graph)))
    flat = array.reshape(xt, [n_reduced, -1])
    zero = constant(np.int32(0), graph=x.graph)
    left = op.graph.create_op("Cumprod", [flat, zero], {"exclusive": True}).outputs[0]
    right = op.graph.create_op("Cumprod", [flat, zero], {"exclusive": True, "reverse": True}).outputs[0]
    others = array.reshape(left * right, shape_of(xt))
    if xt is not x:
        others = array.transpose(others, np.argsort(perm).astype(np.int32).tolist())
    return [_broadcast_back(grad, x, axes, op.get_attr("keep_dims")) * others, None]
