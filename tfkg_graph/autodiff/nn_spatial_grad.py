"""Gradient rules for 3-D convolution/pooling and depthwise 2-D convolution.

Each is the matching TF backprop kernel. Those CPU kernels take no dilations; the builders in
``graph/ops/nn_spatial.py`` dilate the kernel in the graph instead, so a dilated op reaching these rules
was made by hand and is refused with a clear error.
"""
from __future__ import annotations

import numpy as np

from ..graph.ops.constants import constant
from ._util import shape_of
from .gradients import register

_CONV = ("strides", "padding", "data_format", "dilations", "explicit_paddings")
_POOL = ("ksize", "strides", "padding", "data_format")


def _sizes(x):
    """Static shape as an int32 constant, else the Shape op."""
    shape = shape_of(x)
    return constant(np.array(shape, np.int32), graph=x.graph) if isinstance(shape, list) else shape


def _attrs(op, names):
    return {n: op.get_attr(n) for n in names if n in op.attrs}


def _undilated(op):
    attrs = _attrs(op, _CONV)
    if max(attrs.get("dilations", [1])) > 1:
        raise ValueError(f"no gradient rule for a dilated {op.type} (node {op.name!r}): TF's CPU backprop "
                         "kernels take no dilations; build it with tfkg_graph's conv builders, which dilate "
                         "the kernel instead")
    return attrs


def _make(op, op_type, inputs, attrs):
    return op.graph.create_op(op_type, inputs, attrs).outputs[0]


@register("Conv3D")
def _conv3d(op, grad):
    x, w = op.inputs
    attrs = _undilated(op)
    return [_make(op, "Conv3DBackpropInputV2", [_sizes(x), w, grad], attrs),
            _make(op, "Conv3DBackpropFilterV2", [x, _sizes(w), grad], attrs)]


@register("Conv3DBackpropInputV2")
def _conv3d_transpose(op, grad):
    """Linear in the gradient input with adjoint Conv3D; the filter gradient swaps the roles of x and dy."""
    _, w, x = op.inputs
    attrs = _undilated(op)
    return [None, _make(op, "Conv3DBackpropFilterV2", [grad, _sizes(w), x], attrs),
            _make(op, "Conv3D", [grad, w], attrs)]


@register("DepthwiseConv2dNative")
def _depthwise(op, grad):
    x, w = op.inputs
    attrs = _undilated(op)
    return [_make(op, "DepthwiseConv2dNativeBackpropInput", [_sizes(x), w, grad], attrs),
            _make(op, "DepthwiseConv2dNativeBackpropFilter", [x, _sizes(w), grad], attrs)]


@register("MaxPool3D")
def _max_pool3d(op, grad):
    return [_make(op, "MaxPool3DGrad", [op.inputs[0], op.outputs[0], grad], _attrs(op, _POOL))]


@register("AvgPool3D")
def _avg_pool3d(op, grad):
    return [_make(op, "AvgPool3DGrad", [_sizes(op.inputs[0]), grad], _attrs(op, _POOL))]


@register("DepthToSpace", "SpaceToDepth")
def _rearrange_blocks(op, grad):
    """A permutation of the entries: the gradient is the inverse permutation."""
    inverse = "SpaceToDepth" if op.type == "DepthToSpace" else "DepthToSpace"
    return [_make(op, inverse, [grad], _attrs(op, ("block_size", "data_format")))]
