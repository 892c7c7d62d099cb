"""Activation layers with Keras 3 names and defaults: ReLU, LeakyReLU, ELU, Softmax, PReLU."""
from __future__ import annotations

from typing import Any, Sequence

from .. import activations
from ..graph.ops import constants, math
from ..runtime import dtypes
from .base import Layer, get_constraint, get_initializer, get_regularizer, serialize


class ReLU(Layer):
    """``max(x, 0)``, with Keras' ``max_value``, ``negative_slope`` and ``threshold`` options."""

    supports_masking = True

    def __init__(self, max_value: float | None = None, negative_slope: float = 0.0, threshold: float = 0.0,
                 **kwargs: Any):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0:
            raise ValueError(f"max_value of a ReLU layer cannot be negative, got {max_value!r}")
        if negative_slope is None or negative_slope < 0:
            raise ValueError(f"negative_slope of a ReLU layer cannot be None or negative, got {negative_slope!r}")
        if threshold is None or threshold < 0:
            raise ValueError(f"threshold of a ReLU layer cannot be None or negative, got {threshold!r}")
        self.max_value, self.negative_slope, self.threshold = max_value, float(negative_slope), float(threshold)

    def call(self, inputs):
        return activations.relu(inputs, negative_slope=self.negative_slope, max_value=self.max_value,
                                threshold=self.threshold)

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value, "negative_slope": self.negative_slope,
                "threshold": self.threshold}


class LeakyReLU(Layer):
    """``x`` for ``x >= 0``, ``negative_slope * x`` below (the layer's default slope is 0.3, as Keras')."""

    supports_masking = True

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any):
        if "alpha" in kwargs:  # Keras 2's name, still accepted by Keras 3
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError(f"negative_slope of a LeakyReLU layer cannot be None or negative, got {negative_slope!r}")
        self.negative_slope = float(negative_slope)

    def call(self, inputs):
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(Layer):
    supports_masking = True

    def __init__(self, alpha: float = 1.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def call(self, inputs):
        return activations.elu(inputs, alpha=self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(Layer):
    """Softmax over ``axis``; with a mask (broadcastable to the inputs) masked entries get probability 0."""

    supports_masking = True

    def __init__(self, axis: int = -1, **kwargs: Any):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs, mask=None):
        if mask is None:
            return activations.softmax(inputs, axis=self.axis)
        fits = mask.rank is None or inputs.rank is None or (mask.rank <= inputs.rank and all(
            m in (None, 1) or i in (None, m) for m, i in zip(mask.shape[::-1], inputs.shape[::-1])))
        if not fits:
            raise ValueError(f"{self.name}: the mask must be broadcastable to the inputs, got mask shape "
                             f"{mask.shape} for inputs {inputs.shape}")
        if mask.dtype != dtypes.BOOL:  # Keras keeps entries whose mask is True or > 0.5
            mask = math.greater(mask, constants.constant(0.5, mask.dtype))
        return activations.masked_softmax(inputs, mask, self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class PReLU(Layer):
    """``max(x, 0) - alpha * max(-x, 0)`` with a learned ``alpha`` per input entry (shared along
    ``shared_axes``, e.g. ``[1, 2]`` for one alpha per channel of an image)."""

    supports_masking = True

    def __init__(self, alpha_initializer: Any = "Zeros", alpha_regularizer: Any = None, alpha_constraint: Any = None,
                 shared_axes: int | Sequence[int] | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.alpha_initializer = get_initializer(alpha_initializer)
        self.alpha_regularizer = get_regularizer(alpha_regularizer)
        self.alpha_constraint = get_constraint(alpha_constraint)
        if shared_axes is None or isinstance(shared_axes, (list, tuple)):
            self.shared_axes = list(shared_axes) if shared_axes is not None else None
        else:
            self.shared_axes = [int(shared_axes)]

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            shape[axis - 1] = 1
        if None in shape:
            raise ValueError(f"{self.name}: every non-shared input dimension must be known, got {input_shape}")
        self.alpha = self.add_weight(shape=tuple(shape), name="alpha", initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer, constraint=self.alpha_constraint)

    def call(self, inputs):
        return activations.relu(inputs) - self.alpha.value() * activations.relu(-inputs)

    def get_config(self):
        return {**super().get_config(), "alpha_initializer": serialize(self.alpha_initializer),
                "alpha_regularizer": serialize(self.alpha_regularizer),
                "alpha_constraint": serialize(self.alpha_constraint), "shared_axes": self.shared_axes}
