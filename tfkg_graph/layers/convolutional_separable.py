"""DepthwiseConv1D/2D and SeparableConv1D/2D (Keras 3 names, arguments, defaults, weights and configs).

Depthwise: each input channel gets ``depth_multiplier`` filters of its own; the weight is ``kernel`` of
shape (*kernel_size, in_channels, depth_multiplier) and the bias has ``in_channels * depth_multiplier``
entries. Separable: that depthwise convolution (``depthwise_kernel``), then a 1x1 convolution to
``filters`` channels (``pointwise_kernel`` of (1, ..., in_channels * depth_multiplier, filters)), then the
bias. Both data formats (channels-first is transposed around TF's channels-last kernels). Strides and
dilations combine (the dilated kernel is built in the graph), as Keras' stride/dilation decomposition.
"""
from __future__ import annotations

from typing import Any, Sequence

from ..graph.ops import nn
from .base import Layer, get_activation, get_constraint, get_initializer, get_regularizer, serialize
from .convolutional import standardize_padding, standardize_tuple
from .convolutional_3d import input_channels
from .spatial import conv, depthwise_conv, from_channels_last, standardize_data_format, to_channels_last


class _DepthwiseBase(Layer):
    """Arguments shared by the depthwise and separable layers; ``_KERNELS`` names the kernels in order."""

    rank: int
    _KERNELS: tuple[str, ...]

    def __init__(self, kernel_size: int | Sequence[int], strides: int | Sequence[int], padding: str,
                 depth_multiplier: int, data_format: str | None, dilation_rate: int | Sequence[int], activation: Any,
                 use_bias: bool, bias_initializer: Any, bias_regularizer: Any, bias_constraint: Any,
                 kernel_arguments: dict[str, tuple[Any, Any, Any]], **kwargs: Any):
        super().__init__(**kwargs)
        kind = type(self).__name__
        if not isinstance(depth_multiplier, int) or depth_multiplier < 1:
            raise ValueError(f"{kind} depth_multiplier must be a positive integer, got {depth_multiplier!r}")
        self.depth_multiplier = depth_multiplier
        self.kernel_size = standardize_tuple(kernel_size, self.rank, "kernel_size")
        self.strides = standardize_tuple(strides, self.rank, "strides")
        if self.rank == 2 and self.strides[0] != self.strides[1]:
            raise ValueError(f"{kind}: TF's depthwise convolution kernel needs equal strides along rows and cols, "
                             f"got {self.strides}")
        self.dilation_rate = standardize_tuple(dilation_rate, self.rank, "dilation_rate")
        self.padding = standardize_padding(padding)
        self.data_format = standardize_data_format(data_format)
        self.activation = get_activation(activation)
        self.use_bias = use_bias
        for kernel, (initializer, regularizer, constraint) in kernel_arguments.items():
            setattr(self, f"{kernel}_initializer", get_initializer(initializer))
            setattr(self, f"{kernel}_regularizer", get_regularizer(regularizer))
            setattr(self, f"{kernel}_constraint", get_constraint(constraint))
        self.bias_initializer = get_initializer(bias_initializer)
        self.bias_regularizer = get_regularizer(bias_regularizer)
        self.bias_constraint = get_constraint(bias_constraint)

    def _add(self, name: str, argument: str, shape: tuple[int, ...]):
        return self.add_weight(shape=shape, name=name, initializer=getattr(self, f"{argument}_initializer"),
                               regularizer=getattr(self, f"{argument}_regularizer"),
                               constraint=getattr(self, f"{argument}_constraint"))

    def _depthwise(self, inputs, kernel):
        return depthwise_conv(inputs, kernel, self.strides, self.padding, self.dilation_rate)

    def call(self, inputs):
        y = self._combine(to_channels_last(inputs, self.data_format))
        if self.bias is not None:
            y = nn.bias_add(y, self.bias.value())
        return self.activation(from_channels_last(y, self.data_format))

    def get_config(self):
        config = {**super().get_config(), "depth_multiplier": self.depth_multiplier,
                  "kernel_size": list(self.kernel_size), "strides": list(self.strides), "padding": self.padding,
                  "data_format": self.data_format, "dilation_rate": list(self.dilation_rate),
                  "activation": serialize(self.activation), "use_bias": self.use_bias}
        for part in ("initializer", "regularizer", "constraint"):
            for kernel in (*self._KERNELS, "bias"):
                config[f"{kernel}_{part}"] = serialize(getattr(self, f"{kernel}_{part}"))
        return {**config, "activity_regularizer": serialize(self.activity_regularizer)}


class _DepthwiseConv(_DepthwiseBase):
    _KERNELS = ("depthwise",)

    def __init__(self, kernel_size: int | Sequence[int], strides: int | Sequence[int], padding: str,
                 depth_multiplier: int, data_format: str | None, dilation_rate: int | Sequence[int], activation: Any,
                 use_bias: bool, depthwise_initializer: Any, bias_initializer: Any, depthwise_regularizer: Any,
                 bias_regularizer: Any, activity_regularizer: Any, depthwise_constraint: Any, bias_constraint: Any,
                 **kwargs: Any):
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate, activation,
                         use_bias, bias_initializer, bias_regularizer, bias_constraint,
                         {"depthwise": (depthwise_initializer, depthwise_regularizer, depthwise_constraint)},
                         activity_regularizer=activity_regularizer, **kwargs)

    def build(self, input_shape):
        channels = input_channels(self, input_shape, self.rank)
        self.kernel = self._add("kernel", "depthwise", (*self.kernel_size, channels, self.depth_multiplier))
        self.bias = self._add("bias", "bias", (channels * self.depth_multiplier,)) if self.use_bias else None

    def _combine(self, inputs):
        return self._depthwise(inputs, self.kernel.value())


class DepthwiseConv1D(_DepthwiseConv):
    """Depthwise 1D convolution over (batch, steps, channels) (or channels-first)."""

    rank = 1

    def __init__(self, kernel_size: int | Sequence[int], strides: int | Sequence[int] = 1, padding: str = "valid",
                 depth_multiplier: int = 1, data_format: str | None = None, dilation_rate: int | Sequence[int] = 1,
                 activation: Any = None, use_bias: bool = True, depthwise_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", depthwise_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, depthwise_constraint: Any = None, bias_constraint: Any = None,
                 **kwargs: Any):
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate, activation,
                         use_bias, depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)


class DepthwiseConv2D(_DepthwiseConv):
    """Depthwise 2D convolution over (batch, rows, cols, channels) (or channels-first)."""

    rank = 2

    def __init__(self, kernel_size: int | Sequence[int], strides: int | Sequence[int] = (1, 1),
                 padding: str = "valid", depth_multiplier: int = 1, data_format: str | None = None,
                 dilation_rate: int | Sequence[int] = (1, 1), activation: Any = None, use_bias: bool = True,
                 depthwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 depthwise_constraint: Any = None, bias_constraint: Any = None, **kwargs: Any):
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate, activation,
                         use_bias, depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)


class _SeparableConv(_DepthwiseBase):
    _KERNELS = ("depthwise", "pointwise")

    def __init__(self, filters: int, kernel_size: int | Sequence[int], strides: int | Sequence[int], padding: str,
                 data_format: str | None, dilation_rate: int | Sequence[int], depth_multiplier: int, activation: Any,
                 use_bias: bool, depthwise_initializer: Any, pointwise_initializer: Any, bias_initializer: Any,
                 depthwise_regularizer: Any, pointwise_regularizer: Any, bias_regularizer: Any,
                 activity_regularizer: Any, depthwise_constraint: Any, pointwise_constraint: Any,
                 bias_constraint: Any, **kwargs: Any):
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate, activation,
                         use_bias, bias_initializer, bias_regularizer, bias_constraint,
                         {"depthwise": (depthwise_initializer, depthwise_regularizer, depthwise_constraint),
                          "pointwise": (pointwise_initializer, pointwise_regularizer, pointwise_constraint)},
                         activity_regularizer=activity_regularizer, **kwargs)
        if not isinstance(filters, int) or filters < 1:
            raise ValueError(f"{type(self).__name__} filters must be a positive integer, got {filters!r}")
        self.filters = filters

    def build(self, input_shape):
        channels = input_channels(self, input_shape, self.rank)
        self.depthwise_kernel = self._add("depthwise_kernel", "depthwise",
                                          (*self.kernel_size, channels, self.depth_multiplier))
        self.pointwise_kernel = self._add("pointwise_kernel", "pointwise",
                                          ((1,) * self.rank + (channels * self.depth_multiplier, self.filters)))
        self.bias = self._add("bias", "bias", (self.filters,)) if self.use_bias else None

    def _combine(self, inputs):
        y = self._depthwise(inputs, self.depthwise_kernel.value())
        return conv(y, self.pointwise_kernel.value(), (1,) * self.rank, "valid", (1,) * self.rank)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters}


class SeparableConv1D(_SeparableConv):
    """Separable 1D convolution over (batch, steps, channels) (or channels-first)."""

    rank = 1

    def __init__(self, filters: int, kernel_size: int | Sequence[int], strides: int | Sequence[int] = 1,
                 padding: str = "valid", data_format: str | None = None, dilation_rate: int | Sequence[int] = 1,
                 depth_multiplier: int = 1, activation: Any = None, use_bias: bool = True,
                 depthwise_initializer: Any = "glorot_uniform", pointwise_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", depthwise_regularizer: Any = None, pointwise_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None, depthwise_constraint: Any = None,
                 pointwise_constraint: Any = None, bias_constraint: Any = None, **kwargs: Any):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier,
                         activation, use_bias, depthwise_initializer, pointwise_initializer, bias_initializer,
                         depthwise_regularizer, pointwise_regularizer, bias_regularizer, activity_regularizer,
                         depthwise_constraint, pointwise_constraint, bias_constraint, **kwargs)


class SeparableConv2D(_SeparableConv):
    """Separable 2D convolution over (batch, rows, cols, channels) (or channels-first)."""

    rank = 2

    def __init__(self, filters: int, kernel_size: int | Sequence[int], strides: int | Sequence[int] = (1, 1),
                 padding: str = "valid", data_format: str | None = None,
                 dilation_rate: int | Sequence[int] = (1, 1), depth_multiplier: int = 1, activation: Any = None,
                 use_bias: bool = True, depthwise_initializer: Any = "glorot_uniform",
                 pointwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, pointwise_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, depthwise_constraint: Any = None, pointwise_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier,
                         activation, use_bias, depthwise_initializer, pointwise_initializer, bias_initializer,
                         depthwise_regularizer, pointwise_regularizer, bias_regularizer, activity_regularizer,
                         depthwise_constraint, pointwise_constraint, bias_constraint, **kwargs)


SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D
