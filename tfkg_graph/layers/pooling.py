"""Global pooling (1D over steps, 2D over rows and cols) and windowed max/average pooling."""
from __future__ import annotations

from typing import Any, Sequence

from ..graph.ops import array, math, nn
from .base import Layer
from .convolutional import check_channels_last, standardize_padding, standardize_tuple


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
    """Mean over steps; with a mask (``Embedding(mask_zero=True)``) the mean of the valid steps only,
    ``sum(x * mask) / sum(mask)`` as Keras 3. The pooled output carries no mask."""

    supports_masking = True
    _reduce = staticmethod(math.reduce_mean)

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        axis = 1 if self.data_format == "channels_last" else 2
        keep = array.expand_dims(math.cast(mask, "bool"), 2 if self.data_format == "channels_last" else 1)
        total = math.reduce_sum(math.select(keep, inputs, array.zeros_like(inputs)), axis, keepdims=self.keepdims)
        return total / math.reduce_sum(math.cast(keep, inputs.dtype), axis, keepdims=self.keepdims)

    def compute_mask(self, inputs, previous_mask=None):
        return None


class GlobalMaxPooling1D(_GlobalPooling1D):
    """Max over steps. Keras 3 gives it no mask argument: padded steps take part in the max, and a masked
    input warns that the mask is dropped (both as Keras)."""

    _reduce = staticmethod(math.reduce_max)


class GlobalAveragePooling2D(_GlobalPooling1D):
    """Mean over the rows and cols of (batch, rows, cols, channels) inputs."""

    _reduce = staticmethod(math.reduce_mean)

    def call(self, inputs):
        if inputs.rank != 4:
            raise ValueError(f"{type(self).__name__} ({self.name}) expects rank-4 inputs, got {inputs.shape}")
        axes = [1, 2] if self.data_format == "channels_last" else [2, 3]
        return self._reduce(inputs, axis=axes, keepdims=self.keepdims)


class GlobalMaxPooling2D(GlobalAveragePooling2D):
    _reduce = staticmethod(math.reduce_max)


# ---- windowed pooling (MaxPool / AvgPool ops, NHWC) ----------------------------------------------
class _Pooling(Layer):
    rank: int
    _op: Any

    def __init__(self, pool_size: int | Sequence[int] = 2, strides: int | Sequence[int] | None = None,
                 padding: str = "valid", data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.pool_size = standardize_tuple(pool_size, self.rank, "pool_size")
        self.strides = self.pool_size if strides is None else standardize_tuple(strides, self.rank, "strides")
        self.padding = standardize_padding(padding)
        self.data_format = check_channels_last(data_format, type(self).__name__)

    def call(self, inputs):
        if inputs.rank != self.rank + 2:
            raise ValueError(f"{type(self).__name__} ({self.name}) expects rank-{self.rank + 2} inputs, "
                             f"got {inputs.shape}")
        if self.rank == 2:
            return self._op(inputs, self.pool_size, self.strides, self.padding)
        # 1D as TF does it: a height-1 image
        pooled = self._op(array.expand_dims(inputs, 1), [1, self.pool_size[0]], [1, self.strides[0]], self.padding)
        return array.squeeze(pooled, [1])

    def get_config(self):
        return {**super().get_config(), "pool_size": list(self.pool_size), "padding": self.padding,
                "strides": list(self.strides), "data_format": self.data_format}


class MaxPooling1D(_Pooling):
    rank, _op = 1, staticmethod(nn.max_pool)


class MaxPooling2D(_Pooling):
    rank, _op = 2, staticmethod(nn.max_pool)


class _AveragePooling(_Pooling):
    """Average over windows; with ``padding="same"`` padded cells are not counted (as in Keras).
    ``pool_size`` has no default here, as in Keras."""

    _op = staticmethod(nn.avg_pool)

    def __init__(self, pool_size: int | Sequence[int], **kwargs: Any):
        super().__init__(pool_size, **kwargs)


class AveragePooling1D(_AveragePooling):
    rank = 1


class AveragePooling2D(_AveragePooling):
    rank = 2
