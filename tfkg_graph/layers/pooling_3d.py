"""MaxPooling3D, AveragePooling3D, GlobalMaxPooling3D and GlobalAveragePooling3D (Keras 3 names,
arguments, defaults and configs) over (batch, d1, d2, d3, channels) or channels-first inputs.

The windowed ones emit TF's MaxPool3D/AvgPool3D (channels-last; channels-first is transposed around
them, as Keras on a CPU-only TF); average pooling with ``padding="same"`` does not count padded cells.
"""
from __future__ import annotations

from typing import Any, Sequence

from ..graph.ops import math
from .base import Layer
from .convolutional import standardize_padding, standardize_tuple
from .pooling import GlobalAveragePooling2D
from .spatial import from_channels_last, pool, standardize_data_format, to_channels_last


def check_rank(layer: Layer, inputs: Any, rank: int) -> None:
    if inputs.rank != rank:
        raise ValueError(f"{type(layer).__name__} ({layer.name}) expects rank-{rank} inputs, got {inputs.shape}")


class _Pooling3D(Layer):
    _kind: str

    def __init__(self, pool_size: int | Sequence[int], strides: int | Sequence[int] | None, padding: str,
                 data_format: str | None, **kwargs: Any):
        super().__init__(**kwargs)
        self.pool_size = standardize_tuple(pool_size, 3, "pool_size")
        self.strides = self.pool_size if strides is None else standardize_tuple(strides, 3, "strides")
        self.padding = standardize_padding(padding)
        self.data_format = standardize_data_format(data_format)

    def call(self, inputs):
        check_rank(self, inputs, 5)
        pooled = pool(self._kind, to_channels_last(inputs, self.data_format), self.pool_size, self.strides,
                      self.padding)
        return from_channels_last(pooled, self.data_format)

    def get_config(self):
        return {**super().get_config(), "pool_size": list(self.pool_size), "padding": self.padding,
                "strides": list(self.strides), "data_format": self.data_format}


class MaxPooling3D(_Pooling3D):
    """Max over (d1, d2, d3) windows."""

    _kind = "max"

    def __init__(self, pool_size: int | Sequence[int] = (2, 2, 2), strides: int | Sequence[int] | None = None,
                 padding: str = "valid", data_format: str | None = None, name: str | None = None, **kwargs: Any):
        super().__init__(pool_size, strides, padding, data_format, name=name, **kwargs)


class AveragePooling3D(_Pooling3D):
    """Average over (d1, d2, d3) windows; ``pool_size`` has no default, as in Keras."""

    _kind = "average"

    def __init__(self, pool_size: int | Sequence[int], strides: int | Sequence[int] | None = None,
                 padding: str = "valid", data_format: str | None = None, name: str | None = None, **kwargs: Any):
        super().__init__(pool_size, strides, padding, data_format, name=name, **kwargs)


class GlobalAveragePooling3D(GlobalAveragePooling2D):
    """Mean over the three spatial axes."""

    _reduce = staticmethod(math.reduce_mean)

    def __init__(self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any):
        super().__init__(standardize_data_format(data_format), keepdims, **kwargs)

    def call(self, inputs):
        check_rank(self, inputs, 5)
        axes = [1, 2, 3] if self.data_format == "channels_last" else [2, 3, 4]
        return self._reduce(inputs, axis=axes, keepdims=self.keepdims)


class GlobalMaxPooling3D(GlobalAveragePooling3D):
    """Max over the three spatial axes."""

    _reduce = staticmethod(math.reduce_max)


MaxPool3D, AvgPool3D = MaxPooling3D, AveragePooling3D
GlobalMaxPool3D, GlobalAvgPool3D = GlobalMaxPooling3D, GlobalAveragePooling3D
