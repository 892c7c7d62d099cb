"""Conv3D, Conv1DTranspose and Conv3DTranspose (Keras 3 names, arguments, defaults, weights and configs).

Both data formats: ``channels_first`` inputs are transposed to channels-last for TF's CPU kernels and
back. Conv3D's kernel is (*kernel_size, in_channels, filters); the transposed layers' kernel is
(*kernel_size, filters, in_channels), as Keras'. The ops (Conv2D, Conv3D, Conv2DBackpropInput,
Conv3DBackpropInputV2) have their gradient rules in ``autodiff``.
"""
from __future__ import annotations

from typing import Any, Sequence

from ..graph.ops import array, nn
from .base import serialize
from .convolutional import standardize_padding, standardize_tuple
from .core import KernelBiasLayer
from .spatial import channel_axis, conv, conv_transpose, from_channels_last, standardize_data_format, to_channels_last


def input_channels(layer: Any, input_shape: Any, rank: int) -> int:
    """The channel count of an input of ``rank`` spatial axes, or a clear error."""
    axis = channel_axis(layer.data_format)
    if input_shape is None or len(input_shape) != rank + 2 or input_shape[axis] is None:
        layout = "(batch, channels, *spatial)" if axis == 1 else "(batch, *spatial, channels)"
        raise ValueError(f"{layer.name} ({type(layer).__name__}): expects inputs of rank {rank + 2}, {layout} with "
                         f"{rank} spatial axes and known channels, got {input_shape}")
    return int(input_shape[axis])


class _SpatialConv(KernelBiasLayer):
    """Keras' BaseConv / BaseConvTranspose arguments over ``rank`` spatial axes and both data formats."""

    rank: int
    transposed = False

    def __init__(self, filters: int, kernel_size: int | Sequence[int], strides: int | Sequence[int] = 1,
                 padding: str = "valid", data_format: str | None = None, dilation_rate: int | Sequence[int] = 1,
                 activation: Any = None, use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None, bias_constraint: Any = None,
                 **kwargs: Any):
        super().__init__(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, kernel_constraint, bias_constraint,
                         activity_regularizer=activity_regularizer, **kwargs)
        kind = type(self).__name__
        if not isinstance(filters, int) or filters < 1:
            raise ValueError(f"{kind} filters must be a positive integer, got {filters!r}")
        self.filters = filters
        self.kernel_size = standardize_tuple(kernel_size, self.rank, "kernel_size")
        self.strides = standardize_tuple(strides, self.rank, "strides")
        self.dilation_rate = standardize_tuple(dilation_rate, self.rank, "dilation_rate")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{kind}: strides > 1 is not supported together with dilation_rate > 1 "
                             f"(got strides={self.strides}, dilation_rate={self.dilation_rate})")
        self.padding = standardize_padding(padding)
        self.data_format = standardize_data_format(data_format)

    def build(self, input_shape):
        channels = input_channels(self, input_shape, self.rank)
        if self.transposed:
            self._build_kernel_bias((*self.kernel_size, self.filters, channels), self.filters)
        else:
            self._build_kernel_bias((*self.kernel_size, channels, self.filters))

    def call(self, inputs):
        y = self._convolve(to_channels_last(inputs, self.data_format), self.kernel.value())
        if self.bias is not None:
            y = nn.bias_add(y, self.bias.value())
        return self.activation(from_channels_last(y, self.data_format))

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": list(self.kernel_size),
                "strides": list(self.strides), "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": list(self.dilation_rate), **self._kernel_bias_config(),
                "activity_regularizer": serialize(self.activity_regularizer)}


class Conv3D(_SpatialConv):
    """3D convolution over (batch, d1, d2, d3, channels), or (batch, channels, d1, d2, d3) channels-first.
    With ``groups`` > 1 the channels split into that many groups, each convolved with its own
    ``filters / groups`` filters (kernel (*kernel_size, in_channels / groups, filters), as Keras)."""

    rank = 3

    def __init__(self, filters: int, kernel_size: int | Sequence[int], strides: int | Sequence[int] = (1, 1, 1),
                 padding: str = "valid", data_format: str | None = None,
                 dilation_rate: int | Sequence[int] = (1, 1, 1), groups: int = 1, activation: Any = None,
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, **kwargs: Any):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)
        if not isinstance(groups, int) or groups < 1 or self.filters % groups:
            raise ValueError(f"Conv3D groups must be a positive integer dividing filters={self.filters}, "
                             f"got {groups!r}")
        self.groups = groups

    def build(self, input_shape):
        channels = input_channels(self, input_shape, self.rank)
        if channels % self.groups:
            raise ValueError(f"{self.name} (Conv3D): {channels} input channels do not split into "
                             f"groups={self.groups}")
        self._build_kernel_bias((*self.kernel_size, channels // self.groups, self.filters))

    def _convolve(self, inputs, kernel):
        if self.groups == 1:
            return conv(inputs, kernel, self.strides, self.padding, self.dilation_rate)
        pairs = zip(array.split(inputs, self.groups, -1), array.split(kernel, self.groups, -1))
        return array.concat([conv(x, k, self.strides, self.padding, self.dilation_rate) for x, k in pairs], -1)

    def get_config(self):
        return {**super().get_config(), "groups": self.groups}


class _ConvTranspose(_SpatialConv):
    """A transposed convolution ("deconvolution"): the output length along an axis is ``length * stride``
    (``same``) or ``length * stride + max(kernel - stride, 0)`` (``valid``), or set by ``output_padding``,
    as Keras computes it."""

    transposed = True

    def _set_output_padding(self, output_padding: int | Sequence[int] | None) -> None:
        self.output_padding = None
        if output_padding is not None:
            pads = (output_padding,) * self.rank if isinstance(output_padding, int) else tuple(output_padding)
            if len(pads) != self.rank or not all(isinstance(p, int) and 0 <= p < s for p, s in zip(pads, self.strides)):
                raise ValueError(f"{type(self).__name__} output_padding must be {self.rank} non-negative ints, each "
                                 f"below its stride {self.strides}, got {output_padding!r}")
            self.output_padding = pads

    def _convolve(self, inputs, kernel):
        return conv_transpose(inputs, kernel, self.strides, self.padding, self.output_padding, self.dilation_rate,
                              self.name)

    def get_config(self):
        return {**super().get_config(),
                "output_padding": list(self.output_padding) if self.output_padding is not None else None}


class Conv1DTranspose(_ConvTranspose):
    """Transposed 1D convolution over (batch, steps, channels) (or channels-first)."""

    rank = 1

    def __init__(self, filters: int, kernel_size: int | Sequence[int], strides: int | Sequence[int] = 1,
                 padding: str = "valid", output_padding: int | Sequence[int] | None = None,
                 data_format: str | None = None, dilation_rate: int | Sequence[int] = 1, activation: Any = None,
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, **kwargs: Any):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)
        self._set_output_padding(output_padding)


class Conv3DTranspose(_ConvTranspose):
    """Transposed 3D convolution over (batch, d1, d2, d3, channels) (or channels-first)."""

    rank = 3

    def __init__(self, filters: int, kernel_size: int | Sequence[int], strides: int | Sequence[int] = (1, 1, 1),
                 padding: str = "valid", data_format: str | None = None,
                 output_padding: int | Sequence[int] | None = None, dilation_rate: int | Sequence[int] = (1, 1, 1),
                 activation: Any = None, use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None, bias_constraint: Any = None,
                 **kwargs: Any):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)
        self._set_output_padding(output_padding)


Convolution3D, Convolution1DTranspose, Convolution3DTranspose = Conv3D, Conv1DTranspose, Conv3DTranspose
