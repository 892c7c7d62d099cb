"""Conv1D, Conv2D and Conv2DTranspose (Keras 3 names, arguments and defaults; channels_last).

Conv1D/2D emit TF's Conv2D op (Conv1D as ExpandDims + Conv2D + Squeeze, as TF does), so the gradient
registry's Conv2D rule covers them; the kernel is (*kernel_size, in_channels, filters) like Keras'.
Conv2DTranspose emits Conv2DBackpropInput with a (*kernel_size, filters, in_channels) kernel, as Keras'.
"""
from __future__ import annotations

from typing import Any, Sequence

from ..graph.ops import array, constants, nn
from .base import serialize
from .core import KernelBiasLayer


def standardize_tuple(value: int | Sequence[int], n: int, what: str) -> tuple[int, ...]:
    """An int or n ints -> a tuple of n positive ints (Keras' ``standardize_tuple``)."""
    values = (value,) * n if isinstance(value, int) else tuple(value)
    if len(values) != n or not all(isinstance(v, int) and v > 0 for v in values):
        raise ValueError(f"{what} must be a positive int or a tuple of {n} positive ints, got {value!r}")
    return values


def standardize_padding(padding: str, allowed: tuple[str, ...] = ("valid", "same")) -> str:
    padding = str(padding).lower()
    if padding not in allowed:
        raise ValueError(f"padding must be one of {allowed}, got {padding!r}")
    return padding


def check_channels_last(data_format: str | None, layer: str) -> str:
    data_format = data_format or "channels_last"
    if data_format != "channels_last":
        raise ValueError(f"{layer}: only data_format='channels_last' is supported, got {data_format!r}")
    return data_format


class _Conv(KernelBiasLayer):
    rank: int

    def __init__(self, filters: int, kernel_size: int | Sequence[int], strides: int | Sequence[int] = 1,
                 padding: str = "valid", data_format: str | None = None,
                 dilation_rate: int | Sequence[int] = 1, groups: int = 1, activation: Any = None,
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, **kwargs: Any):
        super().__init__(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, kernel_constraint, bias_constraint,
                         activity_regularizer=activity_regularizer, **kwargs)
        kind = type(self).__name__
        if int(filters) < 1:
            raise ValueError(f"{kind} filters must be a positive integer, got {filters!r}")
        if groups != 1:
            raise ValueError(f"{kind}: groups={groups!r} is not supported (only 1)")
        self.filters, self.groups = int(filters), 1
        self.kernel_size = standardize_tuple(kernel_size, self.rank, "kernel_size")
        self.strides = standardize_tuple(strides, self.rank, "strides")
        self.dilation_rate = standardize_tuple(dilation_rate, self.rank, "dilation_rate")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{kind}: strides > 1 is not supported together with dilation_rate > 1 "
                             f"(got strides={self.strides}, dilation_rate={self.dilation_rate})")
        self.padding = standardize_padding(padding, ("valid", "same", "causal") if self.rank == 1
                                           else ("valid", "same"))
        self.data_format = check_channels_last(data_format, kind)

    def build(self, input_shape):
        if input_shape is None or len(input_shape) != self.rank + 2 or input_shape[-1] is None:
            axes = "steps" if self.rank == 1 else "rows, cols"
            raise ValueError(f"{self.name}: expects inputs of shape (batch, {axes}, channels) with known channels, "
                             f"got {input_shape}")
        self._build_kernel_bias((*self.kernel_size, int(input_shape[-1]), self.filters))

    def call(self, inputs):
        return self._add_bias_and_activate(self._convolve(self._promoted(inputs), self.kernel.value()))

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": list(self.kernel_size),
                "strides": list(self.strides), "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": list(self.dilation_rate), "groups": self.groups, **self._kernel_bias_config(),
                "activity_regularizer": serialize(self.activity_regularizer)}


class Conv1D(_Conv):
    """1D convolution over (batch, steps, channels); ``padding="causal"`` left-pads like Keras."""

    rank = 1

    def _convolve(self, inputs, kernel):
        padding = self.padding
        if padding == "causal":
            inputs = array.pad(inputs, [[0, 0], [self.dilation_rate[0] * (self.kernel_size[0] - 1), 0], [0, 0]])
            padding = "valid"
        return nn.conv1d(inputs, kernel, self.strides[0], padding, self.dilation_rate[0])


class Conv2D(_Conv):
    """2D convolution over (batch, rows, cols, channels)."""

    rank = 2

    def _convolve(self, inputs, kernel):
        return nn.conv2d(inputs, kernel, self.strides, self.padding, self.dilation_rate)


class Conv2DTranspose(_Conv):
    """Transposed 2D convolution ("deconvolution") over (batch, rows, cols, channels): the output size is
    ``rows * strides`` (``same``) or ``rows * strides + max(kernel - strides, 0)`` (``valid``), or set by
    ``output_padding``, as Keras computes it."""

    rank = 2

    def __init__(self, filters: int, kernel_size: int | Sequence[int], strides: int | Sequence[int] = (1, 1),
                 padding: str = "valid", output_padding: int | Sequence[int] | None = None,
                 data_format: str | None = None, dilation_rate: int | Sequence[int] = (1, 1), **kwargs: Any):
        super().__init__(filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, **kwargs)
        if max(self.dilation_rate) > 1:
            raise ValueError(f"Conv2DTranspose: dilation_rate > 1 is not supported (TF's CPU kernels reject it), "
                             f"got {self.dilation_rate}")
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = tuple(int(v) for v in ((output_padding,) * 2 if isinstance(output_padding, int)
                                                         else output_padding))
            if len(self.output_padding) != 2 or any(not 0 <= p < s for p, s in zip(self.output_padding, self.strides)):
                raise ValueError(f"Conv2DTranspose output_padding must be 2 ints, each below its stride "
                                 f"{self.strides}, got {output_padding!r}")

    def build(self, input_shape):
        if input_shape is None or len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(f"{self.name}: expects inputs of shape (batch, rows, cols, channels) with known "
                             f"channels, got {input_shape}")
        self._build_kernel_bias((*self.kernel_size, self.filters, int(input_shape[-1])), self.filters)

    def _output_length(self, length, axis: int):
        """Keras' deconv_output_length for one spatial axis (``length`` an int or an int32 tensor)."""
        kernel, stride = self.kernel_size[axis], self.strides[axis]
        if self.output_padding is None:
            return length * stride + (max(kernel - stride, 0) if self.padding == "valid" else 0)
        pad = kernel // 2 if self.padding == "same" else 0
        return (length - 1) * stride + kernel - 2 * pad + self.output_padding[axis]

    def _convolve(self, inputs, kernel):
        dynamic = array.shape(inputs)
        sizes = [dynamic[0]]
        for axis in range(2):
            length = inputs.shape[axis + 1]
            value = self._output_length(length if length is not None else dynamic[axis + 1], axis)
            if isinstance(value, int):
                size, stride = self.kernel_size[axis], self.strides[axis]
                back = -(-(value - (size - 1 if self.padding == "valid" else 0)) // stride)
                if back != length:  # TF's kernel would fail at run time with a oneDNN message
                    raise ValueError(f"{self.name}: output {('rows', 'cols')[axis]} {value} do not convolve back "
                                     f"to the input's {length} with kernel {size}, stride {stride} and "
                                     f"padding {self.padding!r}; change output_padding")
                value = constants.constant(value, "int32")
            sizes.append(value)
        sizes.append(constants.constant(self.filters, "int32"))
        return nn.conv2d_transpose(inputs, kernel, array.stack(sizes), self.strides, self.padding)

    def get_config(self):
        config = {k: v for k, v in super().get_config().items() if k != "groups"}
        return {**config, "output_padding": list(self.output_padding) if self.output_padding else None}
