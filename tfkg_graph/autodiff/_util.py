"""Helpers shared by gradient rules: shapes (static when known) and undoing broadcasting."""
from __future__ import annotations

from ..graph import Tensor
from ..graph.ops import array, math


def shape_of(x: Tensor) -> list[int] | Tensor:
    """Static shape as a list when fully known (a constant in the graph, fewer ops), else a Shape op."""
    if x.shape is not None and None not in x.shape:
        return list(x.shape)
    return array.shape(x)


def unbroadcast(grad: Tensor, like: Tensor) -> Tensor:
    """Sums ``grad`` over the axes along which ``like`` was broadcast, back to ``like``'s shape.

    With both static shapes known this is at most a Sum and a Reshape with constant axes; otherwise
    BroadcastGradientArgs finds the axes at run time.
    """
    gs, ls = grad.shape, like.shape
    if gs is not None and ls is not None and None not in gs and None not in ls:
        if tuple(gs) == tuple(ls):
            return grad
        lead = len(gs) - len(ls)
        axes = list(range(lead)) + [lead + i for i, d in enumerate(ls) if d == 1 and gs[lead + i] != 1]
        summed = math.reduce_sum(grad, axes) if axes else grad
        return array.reshape(summed, list(ls)) if tuple(summed.shape) != tuple(ls) else summed
    if gs is not None and ls is not None and len(gs) == len(ls) and all(d is not None and d != 1 for d in ls):
        return grad  # same rank and no dim of `like` can be 1: nothing was broadcast
    like_shape = array.shape(like)
    reduce_axes, _ = like.graph.create_op("BroadcastGradientArgs", [like_shape, array.shape(grad)]).outputs
    return array.reshape(math.reduce_sum(grad, reduce_axes, keepdims=False), like_shape)
