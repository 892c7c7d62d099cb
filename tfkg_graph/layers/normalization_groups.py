"""UnitNormalization, GroupNormalization and RMSNormalization with Keras 3's formulas and configs."""
from __future__ import annotations

from typing import Any, Sequence

from ..graph.ops import array, constants, math
from .base import Layer
from .dot import l2_normalize
from .normalization import _Normalization, _moments


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm over ``axis`` (``x * min(rsqrt(sum(x^2)), 1e12)``)."""

    supports_masking = True

    def __init__(self, axis: int | Sequence[int] = -1, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            axis = list(axis)
        elif not isinstance(axis, int):
            raise TypeError(f"UnitNormalization axis must be an int or a list of ints, got {axis!r}")
        self.axis = axis

    def call(self, inputs):
        axes = [self.axis] if isinstance(self.axis, int) else self.axis
        if any(not -inputs.rank <= a < inputs.rank for a in axes):
            raise ValueError(f"{self.name}: axis {self.axis} is out of bounds for input shape {inputs.shape}")
        return l2_normalize(inputs, [a % inputs.rank for a in axes], epsilon=1e-12)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class GroupNormalization(_Normalization):
    """Normalizes each sample over groups of ``groups`` channels of ``axis`` (and every other non-batch
    axis); ``groups=-1`` is instance normalization. Learned per-channel ``gamma``/``beta``."""

    supports_masking = True

    def __init__(self, groups: int = 32, axis: int = -1, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros", gamma_initializer: Any = "ones",
                 beta_regularizer: Any = None, gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, **kwargs: Any):
        if not isinstance(groups, int) or (groups <= 0 and groups != -1):
            raise ValueError(f"GroupNormalization groups must be a positive int or -1, got {groups!r}")
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, beta_constraint, gamma_constraint, **kwargs)
        self.groups = groups

    def build(self, input_shape):
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(f"{self.name}: axis {self.axis} of input {input_shape} must be known")
        if self.groups == -1:
            self.groups = int(dim)
        if dim < self.groups or dim % self.groups:
            raise ValueError(f"{self.name}: {dim} channels cannot be split into {self.groups} groups")
        self._add_gamma_beta((int(dim),))

    def call(self, inputs):
        rank, axis = inputs.rank, self.axis % inputs.rank
        channels = inputs.shape[axis]
        dynamic = array.shape(inputs)
        group_dims: list = [d if d is not None else dynamic[i] for i, d in enumerate(inputs.shape)]
        group_dims[0] = -1
        group_dims[axis:axis + 1] = [self.groups, channels // self.groups]
        if all(isinstance(d, int) for d in group_dims):
            grouped = array.reshape(inputs, group_dims)
        else:
            grouped = array.reshape(inputs, array.stack(
                [constants.constant(d, "int32") if isinstance(d, int) else d for d in group_dims]))
        reduce_axes = [i for i in range(1, rank + 1) if i != axis]  # all but batch and the group index
        mean, variance = _moments(grouped, reduce_axes)
        broadcast = [1] * (rank + 1)
        broadcast[axis:axis + 2] = [self.groups, channels // self.groups]
        inv = math.rsqrt(variance + self.epsilon)
        if self.gamma is not None:
            inv = inv * array.reshape(self.gamma.value(), broadcast)
        shift = -mean * inv
        if self.beta is not None:
            shift = shift + array.reshape(self.beta.value(), broadcast)
        return array.reshape(grouped * inv + shift, dynamic)

    def get_config(self):
        return {**super().get_config(), "groups": self.groups}


class RMSNormalization(Layer):
    """``x * rsqrt(mean(x^2 over axis) + epsilon) * scale`` with a learned ``scale`` over ``axis``."""

    def __init__(self, axis: int | Sequence[int] = -1, epsilon: float = 1e-6, **kwargs: Any):
        super().__init__(**kwargs)
        self.axis, self.epsilon = axis, epsilon

    def build(self, input_shape):
        if isinstance(self.axis, (list, tuple)):
            self.axis = sorted(self.axis)
            shape = tuple(input_shape[a] for a in self.axis)
        else:
            shape = (input_shape[self.axis],)
            self.axis = [self.axis]
        if None in shape:
            raise ValueError(f"{self.name}: normalized axes {self.axis} of input {input_shape} must be known")
        self.scale = self.add_weight(name="scale", shape=shape, initializer="ones")

    def call(self, inputs):
        axes = [a % inputs.rank for a in self.axis]
        rrms = math.rsqrt(math.reduce_mean(math.square(inputs), axes, keepdims=True) + self.epsilon)
        return inputs * rrms * self.scale.value()

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}
