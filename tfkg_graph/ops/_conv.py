"""``keras.ops.nn`` convolutions and pooling over 1, 2 or 3 spatial dims (Keras 3 signatures).

Everything runs channels-last (TF's CPU kernels); ``data_format="channels_first"`` transposes in and
out. 1-D ops are the 2-D ones over a height of 1. Dilations are applied by dilating the kernel in the
graph (``nn_spatial.dilate_kernel``), so strides and dilations combine and every op keeps a gradient.
"""
from __future__ import annotations

from typing import Any, Sequence

from .. import backend
from ..graph import Tensor
from ..graph.ops import array, nn, nn_spatial
from ..graph.ops import math as nn_math
from ..graph.ops.constants import convert

__all__ = ["conv", "conv_transpose", "depthwise_conv", "separable_conv", "max_pool", "average_pool",
           "adaptive_average_pool", "adaptive_max_pool"]


def _format(data_format: str | None) -> str:
    data_format = data_format or backend.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
    return data_format


def _rank(x: Tensor, what: str) -> int:
    if x.shape is None or len(x.shape) not in (3, 4, 5):
        raise ValueError(f"{what} needs an input of rank 3, 4 or 5 (batch, spatial..., channels), got shape {x.shape}")
    return len(x.shape) - 2


def _tuple(value: int | Sequence[int], n: int, what: str) -> list[int]:
    values = [int(value)] * n if isinstance(value, int) else [int(v) for v in value]
    if len(values) != n or min(values) < 1:
        raise ValueError(f"{what} must be a positive int or {n} positive ints, got {value!r}")
    return values


def _to_last(x: Tensor, data_format: str) -> Tensor:
    if data_format == "channels_last":
        return x
    r = len(x.shape)
    return array.transpose(x, [0, *range(2, r), 1])


def _from_last(y: Tensor, data_format: str) -> Tensor:
    if data_format == "channels_last":
        return y
    r = len(y.shape)
    return array.transpose(y, [0, r - 1, *range(1, r - 1)])


def _padding(padding: str) -> str:
    if padding.lower() not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    return padding.upper()


def _conv_last(x: Tensor, kernel: Tensor, strides: list[int], padding: str, rates: list[int]) -> Tensor:
    n = len(strides)
    if max(rates) > 1:
        kernel = nn_spatial.dilate_kernel(kernel, rates)
    if n == 1:
        y = nn.conv2d(array.expand_dims(x, 1), array.expand_dims(kernel, 0), [1, strides[0]], padding)
        return array.squeeze(y, [1])
    if n == 2:
        return nn.conv2d(x, kernel, strides, padding)
    return nn_spatial.conv3d(x, kernel, strides, padding)


def _check_channels(x: Tensor, kernel: Tensor, axis: int, what: str) -> None:
    have, want = x.shape[axis], kernel.shape[-2] if kernel.shape is not None else None
    if have is not None and want is not None and have != want:
        raise ValueError(f"{what}: the input has {have} channels but the kernel expects {want} (kernel shape "
                         f"{kernel.shape}); grouped convolutions are not supported")


def conv(inputs: Any, kernel: Any, strides: int | Sequence[int] = 1, padding: str = "valid",
         data_format: str | None = None, dilation_rate: int | Sequence[int] = 1) -> Tensor:
    """N-D convolution; ``kernel`` is (*kernel_size, in_channels, out_channels)."""
    x = convert(inputs)
    data_format = _format(data_format)
    n = _rank(x, "conv")
    kernel = convert(kernel, x.dtype, x.graph)
    x = _to_last(x, data_format)
    _check_channels(x, kernel, -1, "conv")
    y = _conv_last(x, kernel, _tuple(strides, n, "strides"), _padding(padding), _tuple(dilation_rate, n, "dilation_rate"))
    return _from_last(y, data_format)


def _transpose_size(size: int | Tensor, k: int, stride: int, padding: str, output_padding: int | None,
                    rate: int) -> int | Tensor:
    """Keras' output length of a transposed convolution (backend_utils' rule)."""
    k = (k - 1) * rate + 1
    if padding == "VALID":
        extra = max(k, stride) - k if output_padding is None else output_padding
        return (size - 1) * stride + k + extra
    if output_padding is None:
        return size * stride
    return (size - 1) * stride + k % 2 + output_padding


def conv_transpose(inputs: Any, kernel: Any, strides: int | Sequence[int] = 1, padding: str = "valid",
                   output_padding: int | Sequence[int] | None = None, data_format: str | None = None,
                   dilation_rate: int | Sequence[int] = 1) -> Tensor:
    """N-D transposed convolution; ``kernel`` is (*kernel_size, out_channels, in_channels)."""
    x = convert(inputs)
    data_format = _format(data_format)
    n = _rank(x, "conv_transpose")
    kernel = convert(kernel, x.dtype, x.graph)
    if kernel.shape is None or None in kernel.shape:
        raise ValueError(f"conv_transpose needs a kernel of known shape, got {kernel.shape}")
    x = _to_last(x, data_format)
    if x.shape[-1] is not None and x.shape[-1] != kernel.shape[-1]:
        raise ValueError(f"conv_transpose: the input has {x.shape[-1]} channels but the kernel expects "
                         f"{kernel.shape[-1]} (kernel shape {kernel.shape})")
    strides, rates = _tuple(strides, n, "strides"), _tuple(dilation_rate, n, "dilation_rate")
    pads = [None] * n if output_padding is None else (
        [int(output_padding)] * n if isinstance(output_padding, int) else [int(p) for p in output_padding])
    padding = _padding(padding)
    if max(rates) > 1:
        kernel = nn_spatial.dilate_kernel(kernel, rates)
    dynamic = array.shape(x) if None in x.shape else None
    dims = [d if d is not None else dynamic[i] for i, d in enumerate(x.shape)]
    spatial = [_transpose_size(dims[1 + i], kernel.shape[i], strides[i], padding, pads[i], 1) for i in range(n)]
    out_shape = [dims[0], *spatial, kernel.shape[-2]]
    if any(isinstance(d, Tensor) for d in out_shape):
        out_shape = array.stack([d if isinstance(d, Tensor) else convert(int(d), "int32", x.graph) for d in out_shape])
    if n == 1:
        shape2 = (array.concat([out_shape[:1], convert([1], "int32", x.graph), out_shape[1:]], 0)
                  if isinstance(out_shape, Tensor) else [out_shape[0], 1, *out_shape[1:]])
        y = nn.conv2d_transpose(array.expand_dims(x, 1), array.expand_dims(kernel, 0), shape2, [1, strides[0]], padding)
        y = array.squeeze(y, [1])
    elif n == 2:
        y = nn.conv2d_transpose(x, kernel, out_shape, strides, padding)
    else:
        y = nn_spatial.conv3d_transpose(x, kernel, out_shape, strides, padding)
    return _from_last(y, data_format)


def depthwise_conv(inputs: Any, kernel: Any, strides: int | Sequence[int] = 1, padding: str = "valid",
                   data_format: str | None = None, dilation_rate: int | Sequence[int] = 1) -> Tensor:
    """1-D or 2-D depthwise convolution; ``kernel`` is (*kernel_size, in_channels, channel_multiplier)."""
    x = convert(inputs)
    data_format = _format(data_format)
    n = _rank(x, "depthwise_conv")
    if n == 3:
        raise ValueError("depthwise_conv supports 1-D and 2-D inputs (rank 3 or 4), as Keras")
    kernel = convert(kernel, x.dtype, x.graph)
    x = _to_last(x, data_format)
    _check_channels(x, kernel, -1, "depthwise_conv")
    strides, rates = _tuple(strides, n, "strides"), _tuple(dilation_rate, n, "dilation_rate")
    if n == 1:
        y = nn_spatial.depthwise_conv2d(array.expand_dims(x, 1), array.expand_dims(kernel, 0), [1, strides[0]],
                                        _padding(padding), [1, rates[0]])
        y = array.squeeze(y, [1])
    else:
        y = nn_spatial.depthwise_conv2d(x, kernel, strides, _padding(padding), rates)
    return _from_last(y, data_format)


def separable_conv(inputs: Any, depthwise_kernel: Any, pointwise_kernel: Any, strides: int | Sequence[int] = 1,
                   padding: str = "valid", data_format: str | None = None,
                   dilation_rate: int | Sequence[int] = 1) -> Tensor:
    """A depthwise convolution followed by a 1x1 convolution with ``pointwise_kernel``."""
    data_format = _format(data_format)
    y = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(y, pointwise_kernel, 1, "valid", data_format)


def _pool(kind: str, inputs: Any, pool_size: Any, strides: Any, padding: str, data_format: str | None) -> Tensor:
    x = convert(inputs)
    data_format = _format(data_format)
    n = _rank(x, f"{kind}_pool")
    size = _tuple(pool_size, n, "pool_size")
    stride = size if strides is None else _tuple(strides, n, "strides")
    padding = _padding(padding)
    x = _to_last(x, data_format)
    if n == 3:
        y = (nn_spatial.max_pool3d if kind == "max" else nn_spatial.avg_pool3d)(x, size, stride, padding)
    else:
        fn = nn.max_pool if kind == "max" else nn.avg_pool
        if n == 1:
            y = array.squeeze(fn(array.expand_dims(x, 1), [1, size[0]], [1, stride[0]], padding), [1])
        else:
            y = fn(x, size, stride, padding)
    return _from_last(y, data_format)


def max_pool(inputs: Any, pool_size: int | Sequence[int], strides: int | Sequence[int] | None = None,
             padding: str = "valid", data_format: str | None = None) -> Tensor:
    return _pool("max", inputs, pool_size, strides, padding, data_format)


def average_pool(inputs: Any, pool_size: int | Sequence[int], strides: int | Sequence[int] | None = None,
                 padding: str = "valid", data_format: str | None = None) -> Tensor:
    """Average pooling; with 'same' padding the padded cells are not counted (as Keras on TF)."""
    return _pool("avg", inputs, pool_size, strides, padding, data_format)


def _adaptive(kind: str, inputs: Any, output_size: int | Sequence[int], data_format: str | None) -> Tensor:
    """Window i of an axis of length L pooled to O cells covers [floor(i L / O), ceil((i + 1) L / O)), as
    Keras (and PyTorch); windows are separable, so each spatial axis is pooled in turn."""
    x = convert(inputs)
    data_format = _format(data_format)
    n = _rank(x, f"adaptive_{kind}_pool")
    sizes = _tuple(output_size, n, "output_size")
    x = _to_last(x, data_format)
    reduce = nn_math.reduce_max if kind == "max" else nn_math.reduce_mean
    for i, out_len in enumerate(sizes):
        axis, length = 1 + i, x.shape[1 + i]
        if length is None:
            raise ValueError("adaptive pooling needs statically known spatial sizes")
        cells = []
        for j in range(out_len):
            start, stop = (j * length) // out_len, -(-((j + 1) * length) // out_len)
            index = (slice(None),) * axis + (slice(start, stop),)
            cells.append(reduce(x[index], axis=axis, keepdims=True))
        x = array.concat(cells, axis)
    return _from_last(x, data_format)


def adaptive_average_pool(inputs: Any, output_size: int | Sequence[int], data_format: str | None = None) -> Tensor:
    return _adaptive("average", inputs, output_size, data_format)


def adaptive_max_pool(inputs: Any, output_size: int | Sequence[int], data_format: str | None = None) -> Tensor:
    return _adaptive("max", inputs, output_size, data_format)
