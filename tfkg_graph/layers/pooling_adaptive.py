"""AdaptiveAveragePooling1D/2D/3D and AdaptiveMaxPooling1D/2D/3D (Keras 3 names, arguments and configs):
pool any input size to a fixed ``output_size``. Cell ``i`` of an axis of length L pooled to O cells
covers ``[floor(i L / O), ceil((i + 1) L / O))``, as Keras (and PyTorch); the spatial sizes must be known
when the model is built. Slices and Mean/Max reductions, whose gradients we have.
"""
from __future__ import annotations

from typing import Any, Sequence

from .base import Layer
from .pooling_3d import check_rank
from .spatial import adaptive_pool, from_channels_last, standardize_data_format, to_channels_last


class _AdaptivePooling(Layer):
    rank: int
    _kind: str

    def __init__(self, output_size: int | Sequence[int], data_format: str | None = None, **kwargs: Any):
        kind = type(self).__name__
        if isinstance(output_size, int) and not isinstance(output_size, bool):
            sizes = (output_size,) * self.rank
        elif isinstance(output_size, (tuple, list)) and len(output_size) == self.rank:
            sizes = tuple(output_size)
        else:
            raise TypeError(f"{kind} output_size must be an integer or a tuple of {self.rank} integers, "
                            f"got {output_size!r}")
        if not all(isinstance(s, int) and s > 0 for s in sizes):
            raise ValueError(f"{kind} output_size must hold positive integers, got {output_size!r}")
        super().__init__(**kwargs)
        self.output_size = sizes
        self.data_format = standardize_data_format(data_format)

    def call(self, inputs):
        check_rank(self, inputs, self.rank + 2)
        pooled = adaptive_pool(self._kind, to_channels_last(inputs, self.data_format), self.output_size, self.name)
        return from_channels_last(pooled, self.data_format)

    def get_config(self):
        return {**super().get_config(), "output_size": list(self.output_size), "data_format": self.data_format}


class AdaptiveAveragePooling1D(_AdaptivePooling):
    """Mean over adaptive windows of (batch, steps, channels) (or channels-first)."""

    rank, _kind = 1, "average"


class AdaptiveAveragePooling2D(_AdaptivePooling):
    """Mean over adaptive windows of (batch, rows, cols, channels) (or channels-first)."""

    rank, _kind = 2, "average"


class AdaptiveAveragePooling3D(_AdaptivePooling):
    """Mean over adaptive windows of (batch, d1, d2, d3, channels) (or channels-first)."""

    rank, _kind = 3, "average"


class AdaptiveMaxPooling1D(_AdaptivePooling):
    """Max over adaptive windows of (batch, steps, channels) (or channels-first)."""

    rank, _kind = 1, "max"


class AdaptiveMaxPooling2D(_AdaptivePooling):
    """Max over adaptive windows of (batch, rows, cols, channels) (or channels-first)."""

    rank, _kind = 2, "max"


class AdaptiveMaxPooling3D(_AdaptivePooling):
    """Max over adaptive windows of (batch, d1, d2, d3, channels) (or channels-first)."""

    rank, _kind = 3, "max"
