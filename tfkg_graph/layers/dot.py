"""Dot and ``layers.dot``: Keras 3's batchwise dot product of two inputs along one axis each."""
from __future__ import annotations

from typing import Any, Sequence

from ..graph import Tensor
from ..graph.ops import array, constants, math
from .base import Layer

_EPSILON = 1e-7  # keras.backend.epsilon(): the inverse norm is capped at 1 / epsilon


def l2_normalize(x: Tensor, axis: int | Sequence[int], epsilon: float = _EPSILON) -> Tensor:
    """Keras' ``ops.normalize(x, axis, order=2)``: ``x * min(rsqrt(sum(x^2)), 1/epsilon)``."""
    axes = [axis] if isinstance(axis, int) else list(axis)
    inverse = math.rsqrt(math.reduce_sum(math.square(x), axes, keepdims=True))
    return x * math.minimum(inverse, math.scalar_like(inverse, 1.0 / epsilon))


def _dynamic_shape(x: Tensor) -> list:
    """Each dimension as a Python int when known, else as a scalar Tensor."""
    dynamic = array.shape(x)
    return [d if d is not None else dynamic[i] for i, d in enumerate(x.shape)]


def _as_shape(dims: list) -> Any:
    if all(isinstance(d, int) for d in dims):
        return dims
    return array.stack([constants.constant(d, "int32") if isinstance(d, int) else d for d in dims])


def batch_dot(x: Tensor, y: Tensor, axes: tuple[int, int]) -> Tensor:
    """Keras' ``batch_dot``: sum over ``x``'s axis ``axes[0]`` and ``y``'s ``axes[1]`` per sample; the
    result is ``x``'s remaining axes followed by ``y``'s (batch excluded), at least (batch, 1)."""
    x_rank, y_rank = x.rank, y.rank
    a0, a1 = axes
    x3 = array.expand_dims(x, 1) if x_rank == 2 else x
    a0 += 1 if x_rank == 2 else 0
    y3 = array.expand_dims(y, 2) if y_rank == 2 else y
    xr, yr = x3.rank, y3.rank
    if a0 != xr - 1:  # contracted axis last
        x3 = array.transpose(x3, [i for i in range(xr) if i != a0] + [a0])
    if a1 != 1:  # contracted axis second
        y3 = array.transpose(y3, [0, a1] + [i for i in range(1, yr) if i != a1])
    x_dims, y_dims = _dynamic_shape(x3), _dynamic_shape(y3)
    if xr > 3:
        x3 = array.reshape(x3, _as_shape([x_dims[0], -1, x_dims[-1]]))
    if yr > 3:
        y3 = array.reshape(y3, _as_shape([y_dims[0], y_dims[1], -1]))
    result = math.matmul(x3, y3)
    if xr > 3 or yr > 3:
        out = _dynamic_shape(result)
        result = array.reshape(result, _as_shape([out[0], *x_dims[1:-1], *y_dims[2:]]))
    if x_rank == 2:
        return array.squeeze(result, [1])
    if y_rank == 2:
        return array.squeeze(result, [-1])
    return result


class Dot(Layer):
    """The dot product of two samples along ``axes`` (one int, or one per input); ``normalize=True``
    L2-normalizes both first (cosine proximity). The output carries no mask, as in Keras."""

    supports_masking = True

    def __init__(self, axes: int | Sequence[int], normalize: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)):
                raise TypeError(f"Dot axes must be an int or a list of two ints, got {axes!r}")
            if len(axes) != 2 or not all(isinstance(a, int) for a in axes):
                raise ValueError(f"Dot axes must hold two ints, got {axes!r}")
        self.axes, self.normalize = axes, normalize

    def _resolved_axes(self, ranks: tuple[int, int]) -> tuple[int, int]:
        axes = (self.axes, self.axes) if isinstance(self.axes, int) else tuple(self.axes)
        resolved = tuple(a % r if a < 0 else a for a, r in zip(axes, ranks))
        if 0 in resolved:
            raise ValueError(f"Dot ({self.name}) cannot take the dot product over the batch axis, got axes={self.axes}")
        return resolved  # type: ignore[return-value]

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(f"Dot ({self.name}) takes a list of exactly 2 inputs")
        x, y = inputs
        if x.rank < 2 or y.rank < 2:
            raise ValueError(f"Dot ({self.name}) needs inputs of rank >= 2, got {x.shape} and {y.shape}")
        a0, a1 = self._resolved_axes((x.rank, y.rank))
        if x.shape[a0] is not None and y.shape[a1] is not None and x.shape[a0] != y.shape[a1]:
            raise ValueError(f"Dot ({self.name}): axis {a0} of {x.shape} and axis {a1} of {y.shape} differ")
        if self.normalize:
            x, y = l2_normalize(x, a0), l2_normalize(y, a1)
        return batch_dot(x, y, (a0, a1))

    def compute_mask(self, inputs, previous_mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def dot(inputs: Any, axes: int | Sequence[int] = -1, **kwargs: Any) -> Any:
    """Keras' functional ``layers.dot(inputs, axes=-1, normalize=False)``."""
    return Dot(axes=axes, **kwargs)(inputs)
