"""Gradient rules for shape, slicing, joining and gathering ops."""
from __future__ import annotations

import numpy as np

from ..graph.ops import array, math
from ..graph.ops.constants import constant
from ..graph.shapes import constant_value
from ._util import shape_of, unbroadcast
from .gradients import not_differentiable, register

# shapes, index helpers, values that do not depend on an input's value, and graph structure
not_differentiable("OneHot", "InvertPermutation", "StridedSliceGrad", "Range", "Shape", "Size", "Rank",
                   "ZerosLike", "OnesLike", "Const", "Placeholder", "VarHandleOp", "NoOp",
                   "RandomUniform", "RandomStandardNormal", "TruncatedNormal")
# tf.stop_gradient: the op exists to end gradient paths (TF registers it the same way)
not_differentiable("StopGradient", "PreventGradient")


@register("Identity", "Snapshot")
def _identity(op, grad):
    return [grad]


@register("ReadVariableOp")
def _read_variable(op, grad):
    return [grad]  # flows to the variable's handle, where gradients() collects it


@register("ResourceGather")
def _resource_gather(op, grad):
    handle, indices = op.inputs
    params_shape = handle.op.get_attr("shape") if handle.op.type == "VarHandleOp" else None
    if params_shape is None or None in params_shape:
        raise ValueError(f"ResourceGather gradient needs the variable's static shape (node {op.name!r})")
    flat_indices = array.reshape(indices, [-1])
    flat_grad = array.reshape(grad, [-1] + list(params_shape[1:]))
    return [array.unsorted_segment_sum(flat_grad, flat_indices, params_shape[0]), None]


@register("GatherV2")
def _gather(op, grad):
    """Index dims of ``grad`` merged and moved first, summed per index, moved back to ``axis``."""
    params, indices, axis_t = op.inputs
    axis = constant_value(axis_t)
    if axis is None or op.get_attr("batch_dims") or (params.rank is None and int(axis) != 0):
        raise ValueError(f"GatherV2 gradient needs a constant axis (0 or a known rank) and no batch_dims "
                         f"(node {op.name!r})")
    rank = params.rank
    a = int(axis) % rank if rank else 0
    p_shape = shape_of(params)
    if isinstance(p_shape, list):
        merged, num = p_shape[:a] + [-1] + p_shape[a + 1:], p_shape[a]
    else:
        minus_one = constant(np.array([-1], np.int32), graph=op.graph)
        merged = array.concat([array.slice(p_shape, [0], [a]), minus_one, array.slice(p_shape, [a + 1], [-1])], 0)
        num = array.gather(p_shape, a)
    g = array.reshape(grad, merged)
    if a:
        g = array.transpose(g, [a] + list(range(a)) + list(range(a + 1, rank)))
    summed = array.unsorted_segment_sum(g, array.reshape(indices, [-1]), num)
    if a:
        summed = array.transpose(summed, list(range(1, a + 1)) + [0] + list(range(a + 1, rank)))
    return [summed, None, None]


@register("Reshape")
def _reshape(op, grad):
    return [array.reshape(grad, shape_of(op.inputs[0])), None]


@register("Squeeze")
def _squeeze(op, grad):
    return [array.reshape(grad, shape_of(op.inputs[0]))]


@register("ExpandDims")
def _expand_dims(op, grad):
    return [array.reshape(grad, shape_of(op.inputs[0])), None]


@register("Transpose")
def _transpose(op, grad):
    perm = constant_value(op.inputs[1])
    if perm is not None:
        return [array.transpose(grad, np.argsort(perm).astype(np.int32).tolist()), None]
    return [array.transpose(grad, array.invert_permutation(op.inputs[1])), None]


@register("ConcatV2")
def _concat(op, grad):
    values, axis_t = op.inputs[:-1], op.inputs[-1]
    axis = constant_value(axis_t)
    sizes = [v.shape[int(axis)] if axis is not None and v.shape is not None else None for v in values]
    if axis is not None and None not in sizes:
        return list(array.split(grad, sizes, int(axis))) + [None]
    rank = array.rank(values[0])
    axis_mod = math.floor_mod(axis_t, rank)
    sizes_t = array.stack([array.gather(array.shape(v), axis_mod) for v in values])
    parts = grad.graph.create_op("SplitV", [grad, sizes_t, axis_mod], {"num_split": len(values)}).outputs
    return list(parts) + [None]


@register("Split")
def _split(op, *grads):
    return [None, array.concat(list(grads), int(constant_value(op.inputs[0])))]


@register("SplitV")
def _split_v(op, *grads):
    return [array.concat(list(grads), int(constant_value(op.inputs[2]))), None, None]


@register("Pack")
def _pack(op, grad):
    return list(array.unstack(grad, num=len(op.inputs), axis=op.get_attr("axis")))


@register("Unpack")
def _unpack(op, *grads):
    return [array.stack(list(grads), axis=op.get_attr("axis"))]


@register("Slice")
def _slice(op, grad):
    x, begin, _ = op.inputs
    x_shape = array.shape(x)
    out_shape = array.shape(op.outputs[0])
    before = array.reshape(begin, [-1, 1])
    after = array.reshape(x_shape - out_shape - begin, [-1, 1])
    return [array.pad(grad, array.concat([before, after], 1)), None, None]


@register("StridedSlice")
def _strided_slice(op, grad):
    x, begin, end, strides = op.inputs
    attrs = {k: op.get_attr(k) for k in ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask",
                                         "shrink_axis_mask")}
    shape = shape_of(x)
    shape_t = shape if not isinstance(shape, list) else constant(np.array(shape, np.int32), graph=op.graph)
    g = op.graph.create_op("StridedSliceGrad", [shape_t, begin, end, strides, grad], attrs).outputs[0]
    return [g, None, None, None]


@register("Tile")
def _tile(op, grad):
    x, multiples = op.inputs
    mult = constant_value(multiples)
    if x.shape is not None and None not in x.shape and mult is not None:
        split = []
        for m, d in zip(mult, x.shape):
            split.extend([int(m), d])
        summed = math.reduce_sum(array.reshape(grad, split), list(range(0, 2 * len(x.shape), 2)))
        return [summed, None]
    split_shape = array.reshape(array.transpose(array.stack([multiples, array.shape(x)])), [-1])
    axes = array.range_(0, array.size(split_shape), 2)
    return [math.reduce_sum(array.reshape(grad, split_shape), axes), None]


@register("Pad", "PadV2")
def _pad(op, grad):
    x, paddings = op.inputs[:2]
    begin = array.reshape(array.slice(paddings, [0, 0], [-1, 1]), [-1])
    sliced = array.slice(grad, begin, array.shape(x))
    return [sliced, None] + ([None] if op.type == "PadV2" else [])


@register("BroadcastTo")
def _broadcast_to(op, grad):
    return [unbroadcast(grad, op.inputs[0]), None]


@register("UnsortedSegmentSum")
def _segment_sum(op, grad):
    return [array.gather(grad, op.inputs[1]), None, None]



@register("Fill")
def _fill(op, grad):
    return [None, math.reduce_sum(grad)]  # every element is the scalar value
