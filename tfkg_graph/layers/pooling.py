"""Global pooling over the steps axis of (batch, steps, features) inputs."""
from __future__ import annotations

from typing import Any

from ..graph.ops import math
from .base import Layer


class _GlobalPooling1D(Layer):
    def __init__(self, data_format: str = "channels_last", keepdims: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(f"data_format must be channels_last or channels_first, got {data_format!r}")
        self.data_format, self.keepdims = data_format, keepdims

    def call(self, inputs):
        if inputs.rank != 3:
            raise ValueError(f"{type(self).__name__} ({self.name}) expects rank-3 inputs, got {inputs.shape}")
        axis = 1 if self.data_format == "channels_last" else 2
        return self._reduce(inputs, axis=axis, keepdims=self.keepdims)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalAveragePooling1D(_GlobalPooling1D):
    _reduce = staticmethod(math.reduce_mean)


class GlobalMaxPooling1D(_GlobalPooling1D):
    _reduce = staticmethod(math.reduce_max)
