"""ZeroPadding3D, Cropping3D and UpSampling3D over ``(batch, dim1, dim2, dim3, channels)`` (Keras 3 names,
arguments and configs; channels_last): pads, slices and tiles, whose gradients we have."""
from __future__ import annotations

from typing import Any

from ..graph.ops import array
from .base import Layer
from .reshaping import _channels_last, _crop, _pair, _repeat


def _triple_pairs(value: Any, what: str) -> tuple[tuple[int, int], ...]:
    """Keras' 3D forms: ``n``, ``(d1, d2, d3)`` or three ``(before, after)`` pairs."""
    if isinstance(value, int):
        return ((value, value),) * 3
    if len(value) != 3:
        raise ValueError(f"{what} must be an int, three ints, or three pairs of ints, got {value!r}")
    return tuple(_pair(v, what) for v in value)


class ZeroPadding3D(Layer):
    def __init__(self, padding: Any = ((1, 1), (1, 1), (1, 1)), data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.padding = _triple_pairs(padding, "ZeroPadding3D padding")
        self.data_format = _channels_last(data_format, "ZeroPadding3D")

    def call(self, inputs):
        return array.pad(inputs, [[0, 0], *[list(p) for p in self.padding], [0, 0]])

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class Cropping3D(Layer):
    def __init__(self, cropping: Any = ((1, 1), (1, 1), (1, 1)), data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.cropping = _triple_pairs(cropping, "Cropping3D cropping")
        self.data_format = _channels_last(data_format, "Cropping3D")

    def call(self, inputs):
        return _crop(inputs, list(self.cropping), self.name)

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping, "data_format": self.data_format}


class UpSampling3D(Layer):
    """Repeats each of the three spatial axes ``size`` times (nearest neighbour)."""

    def __init__(self, size: Any = (2, 2, 2), data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        sizes = (size,) * 3 if isinstance(size, int) else tuple(size)
        if len(sizes) != 3 or not all(isinstance(s, int) and s > 0 for s in sizes):
            raise ValueError(f"UpSampling3D size must be a positive int or three of them, got {size!r}")
        self.size = sizes
        self.data_format = _channels_last(data_format, "UpSampling3D")

    def call(self, inputs):
        for axis, repeats in enumerate(self.size, start=1):
            inputs = _repeat(inputs, repeats, axis)
        return inputs

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format}
