"""Reshaping layers with Keras 3 names and defaults (channels_last): RepeatVector, Permute, ZeroPadding1D/2D,
Cropping1D/2D, UpSampling1D/2D. All are pads, slices, transposes and tiles, whose gradients we have."""
from __future__ import annotations

from typing import Any, Sequence

from ..graph import Tensor
from ..graph.ops import array, constants
from .base import Layer


def _pair(value: int | Sequence[int], what: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) and v >= 0 for v in pair):
        raise ValueError(f"{what} must be an int or a pair of non-negative ints, got {value!r}")
    return pair  # type: ignore[return-value]


def _pairs_2d(value: Any, what: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """Keras' 2D forms: ``n``, ``(rows, cols)`` or ``((top, bottom), (left, right))``."""
    if isinstance(value, int):
        return (value, value), (value, value)
    if len(value) != 2:
        raise ValueError(f"{what} must be an int, a pair, or a pair of pairs, got {value!r}")
    return _pair(value[0], what), _pair(value[1], what)


def _channels_last(data_format: str | None, layer: str) -> str:
    if data_format not in (None, "channels_last"):
        raise ValueError(f"{layer}: only data_format='channels_last' is supported, got {data_format!r}")
    return "channels_last"


def _repeat(x: Tensor, repeats: int, axis: int) -> Tensor:
    """Each entry along ``axis`` ``repeats`` times in a row (numpy's ``repeat``): tile a new axis, merge."""
    if repeats == 1:
        return x
    shape = x.shape
    tiled = array.tile(array.expand_dims(x, axis + 1), [1] * (axis + 1) + [repeats] + [1] * (len(shape) - axis - 1))
    if None in shape[1:]:
        dynamic = array.shape(x)
        merged = dynamic[axis] * repeats
        return array.reshape(tiled, array.concat([dynamic[:axis], array.reshape(merged, [1]), dynamic[axis + 1:]], 0))
    return array.reshape(tiled, [-1, *shape[1:axis], shape[axis] * repeats, *shape[axis + 1:]])


class RepeatVector(Layer):
    """``(batch, features)`` -> ``(batch, n, features)``."""

    def __init__(self, n: int, **kwargs: Any):
        super().__init__(**kwargs)
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"RepeatVector n must be a positive int, got {n!r}")
        self.n = n

    def call(self, inputs):
        if inputs.rank != 2:
            raise ValueError(f"{self.name}: expects (batch, features) inputs, got shape {inputs.shape}")
        return array.tile(array.expand_dims(inputs, 1), [1, self.n, 1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}


class Permute(Layer):
    """Permutes the non-batch axes; ``dims`` numbers them from 1, as Keras does."""

    def __init__(self, dims: Sequence[int], **kwargs: Any):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Permute dims must be a permutation of 1..{len(self.dims)}, got {dims!r}")

    def call(self, inputs):
        if inputs.rank != len(self.dims) + 1:
            raise ValueError(f"{self.name}: dims {self.dims} need inputs of rank {len(self.dims) + 1}, "
                             f"got shape {inputs.shape}")
        return array.transpose(inputs, [0, *self.dims])

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}


class ZeroPadding1D(Layer):
    """Zeros before and after the steps of ``(batch, steps, features)``."""

    def __init__(self, padding: int | Sequence[int] = 1, **kwargs: Any):
        super().__init__(**kwargs)
        self.padding = _pair(padding, "ZeroPadding1D padding")

    def call(self, inputs):
        return array.pad(inputs, [[0, 0], list(self.padding), [0, 0]])

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


class ZeroPadding2D(Layer):
    """Zeros around the rows and columns of ``(batch, rows, cols, channels)``."""

    def __init__(self, padding: Any = (1, 1), data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.padding = _pairs_2d(padding, "ZeroPadding2D padding")
        self.data_format = _channels_last(data_format, "ZeroPadding2D")

    def call(self, inputs):
        return array.pad(inputs, [[0, 0], list(self.padding[0]), list(self.padding[1]), [0, 0]])

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


def _crop(inputs: Tensor, crops: Sequence[tuple[int, int]], name: str) -> Tensor:
    """Slices ``crops[i]`` entries off both ends of axis ``i + 1``."""
    rank = len(inputs.shape)
    begin = [0] + [start for start, _ in crops] + [0] * (rank - 1 - len(crops))
    size: list = [-1] * rank
    for axis, (start, stop) in enumerate(crops, start=1):
        length = inputs.shape[axis]
        if length is None:  # known only when run: computed in the graph
            size[axis] = array.shape(inputs)[axis] - (start + stop)
        elif start + stop >= length:
            raise ValueError(f"{name}: cropping {(start, stop)} leaves nothing of axis {axis} (length {length})")
        else:
            size[axis] = length - start - stop
    if any(isinstance(n, Tensor) for n in size):
        size = array.stack([n if isinstance(n, Tensor) else constants.constant(n, "int32") for n in size])
    return array.slice(inputs, begin, size)


class Cropping1D(Layer):
    """Drops steps from the start and end of ``(batch, steps, features)``."""

    def __init__(self, cropping: int | Sequence[int] = (1, 1), **kwargs: Any):
        super().__init__(**kwargs)
        self.cropping = _pair(cropping, "Cropping1D cropping")

    def call(self, inputs):
        return _crop(inputs, [self.cropping], self.name)

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping}


class Cropping2D(Layer):
    """Drops rows and columns from the borders of ``(batch, rows, cols, channels)``."""

    def __init__(self, cropping: Any = ((0, 0), (0, 0)), data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.cropping = _pairs_2d(cropping, "Cropping2D cropping")
        self.data_format = _channels_last(data_format, "Cropping2D")

    def call(self, inputs):
        return _crop(inputs, list(self.cropping), self.name)

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping, "data_format": self.data_format}


class UpSampling1D(Layer):
    """Repeats each step ``size`` times."""

    def __init__(self, size: int = 2, **kwargs: Any):
        super().__init__(**kwargs)
        self.size = int(size)

    def call(self, inputs):
        return _repeat(inputs, self.size, 1)

    def get_config(self):
        return {**super().get_config(), "size": self.size}


class UpSampling2D(Layer):
    """Repeats rows and columns (``interpolation="nearest"``, the Keras default)."""

    def __init__(self, size: int | Sequence[int] = (2, 2), data_format: str | None = None,
                 interpolation: str = "nearest", **kwargs: Any):
        super().__init__(**kwargs)
        self.size = _pair(size, "UpSampling2D size")
        self.data_format = _channels_last(data_format, "UpSampling2D")
        if interpolation != "nearest":
            raise ValueError(f"UpSampling2D supports interpolation='nearest' only, got {interpolation!r}")
        self.interpolation = interpolation

    def call(self, inputs):
        return _repeat(_repeat(inputs, self.size[0], 1), self.size[1], 2)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format,
                "interpolation": self.interpolation}
