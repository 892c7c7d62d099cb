"""BatchNormalization and LayerNormalization with Keras 3's formulas (tf.nn.moments / batch_normalization)."""
from __future__ import annotations

from typing import Any, Sequence

from ..graph.ops import array, math
from .base import Layer, get_constraint, get_initializer, get_regularizer, serialize

EPSILON = 1e-7  # keras.backend.epsilon()


def _moments(x, axes: list[int]):
    """tf.nn.moments: the variance does not backpropagate through the mean."""
    mean = math.reduce_mean(x, axes, keepdims=True, name="mean")
    variance = math.reduce_mean(math.squared_difference(x, array.stop_gradient(mean)), axes, keepdims=True,
                                name="variance")
    return mean, variance


def _masked_moments(x, mask, axes: list[int]):
    """Keras 3's BatchNormalization moments over the unmasked steps: the (batch, steps) mask spans the
    feature axis; sums are divided by (count + epsilon), as Keras does."""
    keep = array.expand_dims(math.cast(mask, "bool"), -1)
    zeros = array.zeros_like(x)
    count = math.reduce_sum(math.select(keep, array.ones_like(x), zeros), axes, keepdims=True) + EPSILON
    mean = math.reduce_sum(math.select(keep, x, zeros), axes, keepdims=True, name="mean") / count
    variance = math.reduce_sum(math.square(math.select(keep, x - mean, zeros)), axes, keepdims=True,
                               name="variance") / count
    return mean, variance


def _normalize(x, mean, variance, offset, scale, epsilon: float):
    """tf.nn.batch_normalization's arithmetic: x * inv + (offset - mean * inv)."""
    inv = math.rsqrt(variance + epsilon)
    if scale is not None:
        inv = inv * scale
    shift = offset - mean * inv if offset is not None else -mean * inv
    return x * inv + shift


class _Normalization(Layer):
    def __init__(self, axis: int | Sequence[int], epsilon: float, center: bool, scale: bool,
                 beta_initializer: Any, gamma_initializer: Any, beta_regularizer: Any, gamma_regularizer: Any,
                 beta_constraint: Any, gamma_constraint: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.axis, self.epsilon, self.center, self.scale = axis, float(epsilon), center, scale
        self.beta_initializer = get_initializer(beta_initializer)
        self.gamma_initializer = get_initializer(gamma_initializer)
        self.beta_regularizer = get_regularizer(beta_regularizer)
        self.gamma_regularizer = get_regularizer(gamma_regularizer)
        self.beta_constraint = get_constraint(beta_constraint)
        self.gamma_constraint = get_constraint(gamma_constraint)

    def _axes(self, rank: int) -> list[int]:
        axes = [self.axis] if isinstance(self.axis, int) else list(self.axis)
        return sorted(a % rank for a in axes)

    def _add_gamma_beta(self, shape: tuple) -> None:
        self.gamma = self.add_weight(shape=shape, name="gamma", initializer=self.gamma_initializer,
                                     regularizer=self.gamma_regularizer,
                                     constraint=self.gamma_constraint) if self.scale else None
        self.beta = self.add_weight(shape=shape, name="beta", initializer=self.beta_initializer,
                                    regularizer=self.beta_regularizer,
                                    constraint=self.beta_constraint) if self.center else None

    def _param_shape(self, input_shape) -> tuple:
        axes = self._axes(len(input_shape))
        if any(input_shape[a] is None for a in axes):
            raise ValueError(f"{self.name}: normalized axes {axes} of input {input_shape} must be known")
        return tuple(int(input_shape[a]) for a in axes)

    def _broadcastable(self, w, rank: int):
        """A (C,) weight reshaped to broadcast against the input when the axis is not the last."""
        if w is None:
            return None
        value = w.value() if hasattr(w, "value") else w
        axes = self._axes(rank)
        if axes == [rank - 1]:
            return value
        return array.reshape(value, [w.shape[axes.index(i)] if i in axes else 1 for i in range(rank)])

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon, "center": self.center,
                "scale": self.scale, "beta_initializer": serialize(self.beta_initializer),
                "gamma_initializer": serialize(self.gamma_initializer),
                "beta_regularizer": serialize(self.beta_regularizer),
                "gamma_regularizer": serialize(self.gamma_regularizer),
                "beta_constraint": serialize(self.beta_constraint),
                "gamma_constraint": serialize(self.gamma_constraint)}


class BatchNormalization(_Normalization):
    """Normalizes with batch statistics when training (and moves the moving stats), else with the
    moving statistics. A mask (``Embedding(mask_zero=True)``) limits the batch statistics to the valid
    steps and passes through, as in Keras 3."""

    supports_masking = True

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros", gamma_initializer: Any = "ones",
                 moving_mean_initializer: Any = "zeros", moving_variance_initializer: Any = "ones",
                 beta_regularizer: Any = None, gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, synchronized: bool = False, **kwargs: Any):
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, beta_constraint, gamma_constraint, **kwargs)
        if not isinstance(axis, int):
            raise ValueError(f"BatchNormalization axis must be an int, got {axis!r}")
        self.momentum = float(momentum)
        self.moving_mean_initializer = get_initializer(moving_mean_initializer)
        self.moving_variance_initializer = get_initializer(moving_variance_initializer)

    def build(self, input_shape):
        shape = self._param_shape(input_shape)
        self._add_gamma_beta(shape)
        self.moving_mean = self.add_weight(shape=shape, name="moving_mean", trainable=False,
                                           initializer=self.moving_mean_initializer)
        self.moving_variance = self.add_weight(shape=shape, name="moving_variance", trainable=False,
                                               initializer=self.moving_variance_initializer)

    def call(self, inputs, training=None, mask=None):
        rank = inputs.rank
        if mask is not None and mask.rank != rank - 1:
            raise ValueError(f"{self.name}: the mask must have one dimension less than the inputs, got mask "
                             f"shape {mask.shape} for inputs {inputs.shape}")
        gamma, beta = self._broadcastable(self.gamma, rank), self._broadcastable(self.beta, rank)
        moving_mean = self._broadcastable(self.moving_mean, rank)
        moving_variance = self._broadcastable(self.moving_variance, rank)
        if training and self.trainable:
            reduce_axes = [i for i in range(rank) if i not in self._axes(rank)]
            mean, variance = (_moments(inputs, reduce_axes) if mask is None
                              else _masked_moments(inputs, mask, reduce_axes))
            mean_c, variance_c = array.reshape(mean, [-1]), array.reshape(variance, [-1])
            for weight, stat in ((self.moving_mean, mean_c), (self.moving_variance, variance_c)):
                self.add_update(weight.variable.assign(
                    weight.value() * self.momentum + stat * (1.0 - self.momentum), name=f"update_{weight.name}"))
        else:
            mean, variance = moving_mean, moving_variance
        return _normalize(inputs, mean, variance, beta, gamma, self.epsilon)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum,
                "moving_mean_initializer": serialize(self.moving_mean_initializer),
                "moving_variance_initializer": serialize(self.moving_variance_initializer)}


class LayerNormalization(_Normalization):
    """Normalizes each example over ``axis`` (Keras 3's ops.layer_normalization arithmetic); a mask passes
    through."""

    supports_masking = True

    def __init__(self, axis: int | Sequence[int] = -1, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, rms_scaling: bool = False, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", beta_regularizer: Any = None, gamma_regularizer: Any = None,
                 beta_constraint: Any = None, gamma_constraint: Any = None, **kwargs: Any):
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, beta_constraint, gamma_constraint, **kwargs)
        self.rms_scaling = rms_scaling

    def build(self, input_shape):
        self._add_gamma_beta(self._param_shape(input_shape))

    def call(self, inputs):
        rank = inputs.rank
        axes = self._axes(rank)
        gamma, beta = self._broadcastable(self.gamma, rank), self._broadcastable(self.beta, rank)
        if self.rms_scaling:
            mean = math.reduce_mean(inputs, axes, keepdims=True)
            variance = math.reduce_mean(math.square(inputs - mean), axes, keepdims=True)
            out = inputs * math.rsqrt(variance + self.epsilon)
            return out * gamma if gamma is not None else out
        mean, variance = _moments(inputs, axes)
        return _normalize(inputs, mean, variance, beta, gamma, self.epsilon)

    def get_config(self):
        return {**super().get_config(), "rms_scaling": self.rms_scaling}
