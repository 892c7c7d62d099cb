"""Normalization (with ``adapt``) and Rescaling, Keras 3's numeric preprocessing layers, inside the graph."""
from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np

from ..graph.ops import array, constants, math
from .base import Layer

_EPSILON = 1e-7  # Keras' backend.epsilon(): the smallest standard deviation divided by


class Normalization(Layer):
    """``(x - mean) / max(sqrt(variance), 1e-7)`` per position of ``axis`` (the last by default); ``mean``
    and ``variance`` are given, or computed from data by ``adapt`` (then kept as non-trainable weights
    ``mean``, ``variance``, ``count`` that save and load with the model). ``invert=True`` undoes it."""

    supports_masking = True

    def __init__(self, axis: int | Sequence[int] | None = -1, mean: Any = None, variance: Any = None,
                 invert: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.axis = () if axis is None else (axis,) if isinstance(axis, int) else tuple(axis)
        if (mean is None) != (variance is None):
            raise ValueError(f"Normalization: set both mean and variance or neither, got mean={mean!r}, "
                             f"variance={variance!r}")
        if mean is not None and np.shape(mean) != np.shape(variance):
            raise ValueError(f"Normalization: mean and variance shapes differ: {np.shape(mean)} and "
                             f"{np.shape(variance)}")
        self.input_mean, self.input_variance, self.invert = mean, variance, bool(invert)

    def build(self, input_shape):
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(f"{self.name}: axis {self.axis} is out of range for inputs of rank {ndim}")
        self._input_shape = tuple(input_shape)
        self._keep = tuple(sorted(a % ndim for a in self.axis))
        if any(input_shape[a] is None for a in self._keep):
            raise ValueError(f"{self.name}: the kept axes {self._keep} must have known sizes, got {input_shape}")
        self._reduce = tuple(a for a in range(ndim) if a not in self._keep)
        self._broadcast = [input_shape[a] if a in self._keep else 1 for a in range(ndim)]
        if self.input_mean is None:
            stats_shape = tuple(input_shape[a] for a in self._keep)
            self.adapt_mean = self.add_weight(stats_shape, initializer="zeros", trainable=False, name="mean")
            self.adapt_variance = self.add_weight(stats_shape, initializer="ones", trainable=False, name="variance")
            self.count = self.add_weight((), initializer="zeros", dtype="int64", trainable=False, name="count")
        self.built = True

    def adapt(self, data: np.ndarray | Iterable[np.ndarray]) -> None:
        """Mean and variance over the reduced axes of an array, or of an iterable of batches (merged as
        Keras merges them)."""
        batches = [np.asarray(data, np.float32)] if hasattr(data, "shape") else (np.asarray(b, np.float32) for b in data)
        total_mean = total_var = None
        total_count = 0
        for batch in batches:
            if not self.built:
                self.build((None, *batch.shape[1:]))
            if any(batch.shape[a] != self._input_shape[a] for a in self._keep):
                raise ValueError(f"{self.name}: adapt() got data of shape {batch.shape}, the layer was built "
                                 f"for {self._input_shape}")
            mean, var = batch.mean(axis=self._reduce), batch.var(axis=self._reduce)
            count = int(np.prod([batch.shape[a] for a in self._reduce]))
            if total_mean is None:
                total_mean, total_var, total_count = mean, var, count
                continue
            total_count += count
            weight = count / total_count
            new_mean = total_mean * (1 - weight) + mean * weight
            total_var = ((total_var + (total_mean - new_mean) ** 2) * (1 - weight)
                         + (var + (mean - new_mean) ** 2) * weight)
            total_mean = new_mean
        if total_mean is None:
            raise ValueError(f"{self.name}: adapt() got no data")
        if self.input_mean is not None:
            raise ValueError(f"{self.name}: adapt() cannot replace a mean and variance given to the constructor")
        self.adapt_mean.assign(total_mean)
        self.adapt_variance.assign(total_var)
        if self.count.runtime is None and self.count.pending is None:  # Keras leaves count as it was: 0
            self.count.assign(np.int64(0))

    def _stats(self):
        if self.input_mean is None:
            return (array.reshape(self.adapt_mean.value(), self._broadcast),
                    array.reshape(self.adapt_variance.value(), self._broadcast))
        mean, variance = (np.asarray(v, np.float32) for v in (self.input_mean, self.input_variance))
        expanded = [1] * len(self._broadcast)
        for i in range(1, mean.ndim + 1):
            expanded[self._keep[-i]] = mean.shape[-i]
        return (constants.constant(np.broadcast_to(mean.reshape(expanded), self._broadcast).copy()),
                constants.constant(np.broadcast_to(variance.reshape(expanded), self._broadcast).copy()))

    def call(self, inputs):
        mean, variance = self._stats()
        std = math.maximum(math.sqrt(variance), _EPSILON)
        return mean + inputs * std if self.invert else (inputs - mean) / std

    def get_config(self):
        as_list = lambda v: None if v is None else np.asarray(v).tolist()  # noqa: E731
        return {**super().get_config(), "axis": self.axis, "invert": self.invert,
                "mean": as_list(self.input_mean), "variance": as_list(self.input_variance)}


class Rescaling(Layer):
    """``x * scale + offset`` (e.g. ``Rescaling(1 / 255)`` for pixels)."""

    supports_masking = True

    def __init__(self, scale: float, offset: float = 0.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset

    def call(self, inputs):
        return math.cast(inputs, "float32") * float(self.scale) + float(self.offset)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}
