"""3-D convolution and pooling, and depthwise 2-D convolution (channels-last, as TF's CPU kernels want).

TF's CPU kernels for Conv3D and DepthwiseConv2dNative reject dilations > 1, so a dilated kernel is
built in the graph (zeros between the taps, ``dilate_kernel``) and convolved with rate 1: the same
numbers, and the gradient flows through Pad/Reshape/Slice back to the kernel.
"""
from __future__ import annotations

from typing import Any, Sequence

from .. import shapes_spatial  # noqa: F401 - registers these ops' static shapes
from ..graph import Tensor
from . import array
from ._base import out
from .constants import convert


def _ints(value: int | Sequence[int], n: int, what: str) -> list[int]:
    values = [int(value)] * n if isinstance(value, int) else [int(v) for v in value]
    if len(values) != n or min(values) < 1:
        raise ValueError(f"{what} must be a positive int or {n} positive ints, got {value!r}")
    return values


def _padding(padding: str) -> str:
    upper = padding.upper()
    if upper not in ("SAME", "VALID"):
        raise ValueError(f"padding must be 'same' or 'valid', got {padding!r}")
    return upper


def dilate_kernel(kernel: Tensor, rates: Sequence[int]) -> Tensor:
    """Inserts ``rate - 1`` zeros between the taps of each leading spatial axis of ``kernel`` (of rank
    ``len(rates) + 2``): a rate-1 convolution with the result is the dilated convolution."""
    rank = len(rates) + 2
    for axis, rate in enumerate(rates):
        if rate == 1:
            continue
        pads = [[0, 0]] * (rank + 1)
        pads[axis + 1] = [0, rate - 1]
        spread = array.pad(array.expand_dims(kernel, axis + 1), pads)   # (..., k, rate, ...)
        static = kernel.shape or (None,) * rank
        dynamic = array.shape(kernel) if None in static else None
        merged = [-1 if i == axis else static[i] if static[i] is not None else dynamic[i] for i in range(rank)]
        index = (slice(None),) * axis + (slice(None, 1 - rate),)   # drop the zeros after the last tap
        kernel = array.reshape(spread, merged)[index]
    return kernel


def conv3d(x: Any, filters: Any, strides: int | Sequence[int] = 1, padding: str = "VALID",
           dilations: int | Sequence[int] = 1, name: str | None = None) -> Tensor:
    """NDHWC Conv3D; ``filters`` is (depth, height, width, in_channels, out_channels)."""
    x = convert(x)
    filters = convert(filters, x.dtype, x.graph)
    rates = _ints(dilations, 3, "dilations")
    if max(rates) > 1:
        filters = dilate_kernel(filters, rates)
    return out("Conv3D", [x, filters], {"strides": [1, *_ints(strides, 3, "strides"), 1],
                                        "padding": _padding(padding), "data_format": "NDHWC"}, name=name)


def conv3d_transpose(x: Any, filters: Any, output_shape: Any, strides: int | Sequence[int] = 1,
                     padding: str = "VALID", name: str | None = None) -> Tensor:
    """NDHWC transposed convolution; ``filters`` is (d, h, w, out_channels, in_channels)."""
    x = convert(x)
    return out("Conv3DBackpropInputV2", [convert(output_shape, "int32", x.graph), convert(filters, x.dtype, x.graph), x],
               {"strides": [1, *_ints(strides, 3, "strides"), 1], "padding": _padding(padding),
                "data_format": "NDHWC"}, name=name)


def depthwise_conv2d(x: Any, filters: Any, strides: int | Sequence[int] = 1, padding: str = "VALID",
                     dilations: int | Sequence[int] = 1, name: str | None = None) -> Tensor:
    """NHWC depthwise convolution; ``filters`` is (height, width, in_channels, channel_multiplier)."""
    x = convert(x)
    filters = convert(filters, x.dtype, x.graph)
    rates = _ints(dilations, 2, "dilations")
    if max(rates) > 1:
        filters = dilate_kernel(filters, rates)
    return out("DepthwiseConv2dNative", [x, filters],
               {"strides": [1, *_ints(strides, 2, "strides"), 1], "padding": _padding(padding),
                "data_format": "NHWC"}, name=name)


def _pool3d(op_type: str, x: Any, ksize: Any, strides: Any, padding: str, name: str | None) -> Tensor:
    return out(op_type, [convert(x)], {"ksize": [1, *_ints(ksize, 3, "pool size"), 1],
                                       "strides": [1, *_ints(strides, 3, "strides"), 1],
                                       "padding": _padding(padding), "data_format": "NDHWC"}, name=name)


def max_pool3d(x: Any, ksize: int | Sequence[int], strides: int | Sequence[int], padding: str = "VALID",
               name: str | None = None) -> Tensor:
    return _pool3d("MaxPool3D", x, ksize, strides, padding, name)


def avg_pool3d(x: Any, ksize: int | Sequence[int], strides: int | Sequence[int], padding: str = "VALID",
               name: str | None = None) -> Tensor:
    """NDHWC AvgPool3D; with SAME padding the padded cells are not counted (as TF and Keras)."""
    return _pool3d("AvgPool3D", x, ksize, strides, padding, name)


def depth_to_space(x: Any, block_size: int, name: str | None = None) -> Tensor:
    """NHWC DepthToSpace: channels move into block_size x block_size spatial blocks."""
    return out("DepthToSpace", [convert(x)], {"block_size": int(block_size), "data_format": "NHWC"}, name=name)


def space_to_depth(x: Any, block_size: int, name: str | None = None) -> Tensor:
    """NHWC SpaceToDepth, the inverse of depth_to_space."""
    return out("SpaceToDepth", [convert(x)], {"block_size": int(block_size), "data_format": "NHWC"}, name=name)
