"""Static shapes of the 3-D and depthwise convolution/pooling ops (channels-last or channels-first)."""
from __future__ import annotations

from typing import Any

from .opdefs import GraphBuildError
from .shapes import Shape, partial_shape_value, rule


def _spatial_axes(op: Any, rank: int) -> tuple[int, ...]:
    first = op.get_attr("data_format") in ("NCHW", "NCDHW")
    return tuple(range(2, rank)) if first else tuple(range(1, rank - 1))


def windowed(op: Any, x: Shape, window: tuple, rank: int) -> Shape:
    """Output shape over ``x`` of a window of the given spatial sizes; channels are left as in ``x``."""
    if x is None:
        return None
    if len(x) != rank:
        raise GraphBuildError(f"node {op.name!r} ({op.type}): expects a rank-{rank} input, got {tuple(x)}")
    strides, padding = op.get_attr("strides"), op.get_attr("padding")
    out = list(x)
    for j, axis in enumerate(_spatial_axes(op, rank)):
        size, k, s = x[axis], window[j], strides[axis]
        if size is None or (k is None and padding != "SAME"):
            out[axis] = None
        elif padding == "SAME":
            out[axis] = -(-size // s)
        else:
            if size < k:
                raise GraphBuildError(f"node {op.name!r} ({op.type}): window {k} is larger than the input "
                                      f"size {size} (input {tuple(x)})")
            out[axis] = (size - k) // s + 1
    return tuple(out)


@rule("Conv3D", "DepthwiseConv2dNative")
def _conv(op: Any) -> list[Shape]:
    x, f = op.inputs[0].shape, op.inputs[1].shape
    rank = 5 if op.type == "Conv3D" else 4
    axes = _spatial_axes(op, rank)
    dilations = op.get_attr("dilations")
    window = (None,) * len(axes) if f is None else tuple(
        None if f[j] is None else (f[j] - 1) * dilations[a] + 1 for j, a in enumerate(axes))
    shape = windowed(op, x, window, rank)
    if shape is None:
        return [None]
    channel = 1 if axes[0] == 2 else rank - 1
    out = list(shape)
    if f is None:
        out[channel] = None
    elif op.type == "Conv3D":
        out[channel] = f[-1]
    else:
        out[channel] = None if f[-2] is None or f[-1] is None else f[-2] * f[-1]
    return [tuple(out)]


@rule("MaxPool3D", "AvgPool3D")
def _pool(op: Any) -> list[Shape]:
    ksize = op.get_attr("ksize")
    return [windowed(op, op.inputs[0].shape, tuple(ksize[a] for a in _spatial_axes(op, 5)), 5)]


@rule("Conv3DBackpropInputV2", "AvgPool3DGrad", "DepthwiseConv2dNativeBackpropInput")
def _from_input_sizes(op: Any) -> list[Shape]:
    return [partial_shape_value(op.inputs[0])]


@rule("Conv3DBackpropFilterV2", "DepthwiseConv2dNativeBackpropFilter")
def _from_filter_sizes(op: Any) -> list[Shape]:
    return [partial_shape_value(op.inputs[1])]


@rule("MaxPool3DGrad", "MaxPool3DGradGrad")
def _like_input(op: Any) -> list[Shape]:
    return [op.inputs[0].shape if op.type == "MaxPool3DGrad" else op.inputs[1].shape]


@rule("DepthToSpace", "SpaceToDepth")
def _blocks(op: Any) -> list[Shape]:
    x, b = op.inputs[0].shape, op.get_attr("block_size")
    if x is None or op.get_attr("data_format") != "NHWC":
        return [None]

    def scale(d, up):
        return None if d is None else (d * b if up else d // b)
    up = op.type == "DepthToSpace"
    channels = None if x[3] is None else (x[3] // (b * b) if up else x[3] * b * b)
    return [(x[0], scale(x[1], up), scale(x[2], up), channels)]
