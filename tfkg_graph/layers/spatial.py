"""Convolution and pooling over 1, 2 or 3 spatial axes for the issue-19 layers, channels-last inside.

TF's CPU kernels want channels-last, so ``data_format="channels_first"`` inputs are transposed in and the
results transposed back (as Keras on a CPU-only TF does). 1-D is the 2-D op over a height of 1. A dilated
kernel is spread out in the graph (``nn_spatial.dilate_kernel``) where TF's CPU kernel rejects dilations,
so every op here has its gradient rule. ``tfkg_graph.ops``' versions of these (ops/_conv.py) read the
backend's default data format and ``backend`` imports ``layers``, so the layers build on the graph ops.
"""
from __future__ import annotations

from typing import Sequence

from ..graph import Tensor
from ..graph.ops import array, constants, nn, nn_spatial
from ..graph.ops import math as graph_math

FORMATS = ("channels_last", "channels_first")


def standardize_data_format(data_format: str | None) -> str:
    """None -> ``channels_last`` (the only image format of the backend here), else checked."""
    data_format = "channels_last" if data_format is None else str(data_format).lower()
    if data_format not in FORMATS:
        raise ValueError(f"data_format must be one of {FORMATS}, got {data_format!r}")
    return data_format


def channel_axis(data_format: str) -> int:
    return -1 if data_format == "channels_last" else 1


def to_channels_last(x: Tensor, data_format: str) -> Tensor:
    if data_format == "channels_last":
        return x
    return array.transpose(x, [0, *range(2, x.rank), 1])


def from_channels_last(y: Tensor, data_format: str) -> Tensor:
    if data_format == "channels_last":
        return y
    return array.transpose(y, [0, y.rank - 1, *range(1, y.rank - 1)])


def _lift(x: Tensor) -> Tensor:
    """(batch, steps, channels) -> (batch, 1, steps, channels): the 2-D ops then serve 1-D."""
    return array.expand_dims(x, 1)


def conv(x: Tensor, kernel: Tensor, strides: Sequence[int], padding: str, rates: Sequence[int]) -> Tensor:
    """Channels-last convolution over ``len(strides)`` spatial axes; kernel (*size, in, out)."""
    if len(strides) == 1:
        y = nn.conv2d(_lift(x), array.expand_dims(kernel, 0), [1, strides[0]], padding, [1, rates[0]])
        return array.squeeze(y, [1])
    if len(strides) == 2:
        return nn.conv2d(x, kernel, list(strides), padding, list(rates))
    return nn_spatial.conv3d(x, kernel, list(strides), padding, list(rates))


def depthwise_conv(x: Tensor, kernel: Tensor, strides: Sequence[int], padding: str, rates: Sequence[int]) -> Tensor:
    """Channels-last depthwise convolution over 1 or 2 spatial axes; kernel (*size, in, multiplier). TF's
    kernel wants equal strides along rows and cols: the 1-D case strides its height of 1 alike (as Keras)."""
    if len(strides) == 1:
        y = nn_spatial.depthwise_conv2d(_lift(x), array.expand_dims(kernel, 0), [strides[0]] * 2, padding,
                                        [1, rates[0]])
        return array.squeeze(y, [1])
    return nn_spatial.depthwise_conv2d(x, kernel, list(strides), padding, list(rates))


def transpose_length(length: int | Tensor, kernel: int, stride: int, padding: str, output_padding: int | None,
                     rate: int) -> int | Tensor:
    """Keras' output length of a transposed convolution along one axis (``length`` an int or a tensor)."""
    kernel = (kernel - 1) * rate + 1
    if padding == "valid":
        extra = max(kernel, stride) - kernel if output_padding is None else output_padding
        return (length - 1) * stride + kernel + extra
    if output_padding is None:
        return length * stride
    return (length - 1) * stride + kernel % 2 + output_padding


def conv_transpose(x: Tensor, kernel: Tensor, strides: Sequence[int], padding: str,
                   output_padding: Sequence[int] | None, rates: Sequence[int], layer: str) -> Tensor:
    """Channels-last transposed convolution over 1-3 spatial axes; kernel (*size, out, in). Output sizes
    that TF's kernel would refuse at run time (they do not convolve back to the input's) raise here."""
    n = len(strides)
    if max(rates) > 1:
        kernel = nn_spatial.dilate_kernel(kernel, rates)
    sizes = [kernel.shape[i] for i in range(n)]
    dynamic = array.shape(x)
    out_shape: list[Tensor] = [dynamic[0]]
    for axis in range(n):
        length = x.shape[axis + 1]
        pad = None if output_padding is None else output_padding[axis]
        value = transpose_length(length if length is not None else dynamic[axis + 1], sizes[axis], strides[axis],
                                 padding, pad, 1)
        if isinstance(value, int):
            back = -(-(value - (sizes[axis] - 1 if padding == "valid" else 0)) // strides[axis])
            if back != length:
                raise ValueError(f"{layer}: an output length {value} along spatial axis {axis} does not convolve "
                                 f"back to the input's {length} (kernel {sizes[axis]}, stride {strides[axis]}, "
                                 f"padding {padding!r}); change output_padding")
            value = constants.constant(value, "int32")
        out_shape.append(value)
    out_shape.append(constants.constant(kernel.shape[-2], "int32"))
    if n == 1:
        out_shape.insert(1, constants.constant(1, "int32"))
        y = nn.conv2d_transpose(_lift(x), array.expand_dims(kernel, 0), array.stack(out_shape), [1, strides[0]],
                                padding)
        return array.squeeze(y, [1])
    if n == 2:
        return nn.conv2d_transpose(x, kernel, array.stack(out_shape), list(strides), padding)
    return nn_spatial.conv3d_transpose(x, kernel, array.stack(out_shape), list(strides), padding)


def pool(kind: str, x: Tensor, size: Sequence[int], strides: Sequence[int], padding: str) -> Tensor:
    """Channels-last max (``kind="max"``) or average pooling over 1-3 spatial axes."""
    if len(size) == 3:
        op = nn_spatial.max_pool3d if kind == "max" else nn_spatial.avg_pool3d
        return op(x, list(size), list(strides), padding)
    op = nn.max_pool if kind == "max" else nn.avg_pool
    if len(size) == 1:
        return array.squeeze(op(_lift(x), [1, size[0]], [1, strides[0]], padding), [1])
    return op(x, list(size), list(strides), padding)


def adaptive_pool(kind: str, x: Tensor, output_size: Sequence[int], layer: str) -> Tensor:
    """Channels-last adaptive pooling: cell ``i`` of an axis of length L pooled to O cells covers
    ``[floor(i L / O), ceil((i + 1) L / O))`` (Keras' and PyTorch's windows). The windows of different axes
    are independent, so the axes are pooled one after the other; each cell is a slice and a reduction."""
    reduce = graph_math.reduce_max if kind == "max" else graph_math.reduce_mean
    for i, cells in enumerate(output_size):
        axis, length = i + 1, x.shape[i + 1]
        if length is None:
            raise ValueError(f"{layer}: adaptive pooling needs statically known spatial sizes, got {x.shape}")
        pooled = []
        for j in range(cells):
            start, stop = (j * length) // cells, -(-((j + 1) * length) // cells)
            pooled.append(reduce(x[(slice(None),) * axis + (slice(start, stop),)], axis=axis, keepdims=True))
        x = pooled[0] if cells == 1 else array.concat(pooled, axis)
    return x
