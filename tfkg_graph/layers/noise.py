"""Regularization and noise layers (Keras 3 names, arguments, configs): ActivityRegularization,
GaussianNoise, GaussianDropout, AlphaDropout, SpatialDropout3D. The noise is drawn only when training;
inference is the identity. Draws are seeded from the layer's ``seed`` (or the graph's seed sequence)."""
from __future__ import annotations

import math as pymath
from typing import Any, Sequence

from ..graph import Tensor
from ..graph.ops import array, constants, math
from .base import Layer
from .core import Dropout

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _check_fraction(value: float, what: str, layer: str) -> float:
    if not 0 <= value <= 1:
        raise ValueError(f"{layer}: {what} must be a float between 0 and 1, got {value!r}")
    return value


def random_tensor(op_type: str, like: Tensor, seed: int | None, shape: Any = None) -> Tensor:
    """A ``RandomStandardNormal``/``RandomUniform`` draw of ``like``'s dtype and (dynamic) shape."""
    graph = like.graph
    s1, s2 = graph.next_seed()
    shape = array.shape(like) if shape is None else shape
    return graph.create_op(op_type, [shape], {"dtype": like.dtype, "seed": s1 if seed is None else int(seed),
                                              "seed2": s2}, name=op_type).outputs[0]


class ActivityRegularization(Layer):
    """The identity that adds ``l1 * sum(|x|) + l2 * sum(x^2)`` of its output (over the batch size) to the
    model's loss."""

    supports_masking = True

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any):
        from .. import regularizers
        kwargs.pop("activity_regularizer", None)
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1, self.l2 = l1, l2

    def call(self, inputs):
        return inputs

    def get_config(self):
        config = {k: v for k, v in super().get_config().items() if k != "activity_regularizer"}
        return {**config, "l1": self.l1, "l2": self.l2}


class GaussianNoise(Layer):
    """Adds zero-mean normal noise of ``stddev`` when training."""

    supports_masking = True

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.stddev, self.seed = _check_fraction(stddev, "stddev", "GaussianNoise"), seed

    def call(self, inputs, training=False):
        if not training or self.stddev <= 0:
            return inputs
        return inputs + random_tensor("RandomStandardNormal", inputs, self.seed) * self.stddev

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(Layer):
    """Multiplies by normal noise of mean 1 and standard deviation ``sqrt(rate / (1 - rate))`` when training."""

    supports_masking = True

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.rate, self.seed = _check_fraction(rate, "rate", "GaussianDropout"), seed

    def call(self, inputs, training=False):
        if not training or self.rate <= 0:
            return inputs
        stddev = pymath.sqrt(self.rate / (1.0 - self.rate))
        return inputs * (random_tensor("RandomStandardNormal", inputs, self.seed) * stddev + 1.0)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class AlphaDropout(Layer):
    """Dropout that keeps SELU's self-normalizing mean and variance: dropped entries take SELU's negative
    saturation value, then an affine correction (Klambauer et al. 2017), when training."""

    supports_masking = True

    def __init__(self, rate: float, noise_shape: Sequence[int | None] | None = None, seed: int | None = None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.rate, self.noise_shape, self.seed = _check_fraction(rate, "rate", "AlphaDropout"), noise_shape, seed

    def call(self, inputs, training=False):
        if not training or self.rate <= 0:
            return inputs
        shape = None
        if self.noise_shape is not None:
            dynamic = array.shape(inputs)
            shape = array.stack([dynamic[i] if d is None else constants.constant(d, "int32")
                                 for i, d in enumerate(self.noise_shape)])
        uniform = random_tensor("RandomUniform", inputs, self.seed, shape)
        kept = math.cast(math.greater_equal(uniform, math.scalar_like(uniform, self.rate)), inputs.dtype)
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        x = inputs * kept + (1.0 - kept) * alpha_p
        return x * a + b

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape}


class SpatialDropout3D(Dropout):
    """Dropout of whole channels of ``(batch, dim1, dim2, dim3, channels)``."""

    def __init__(self, rate: float, data_format: str | None = None, seed: int | None = None, **kwargs: Any):
        if data_format not in (None, "channels_last"):
            raise ValueError(f"SpatialDropout3D: only data_format='channels_last' is supported, got {data_format!r}")
        super().__init__(rate, noise_shape=(None, 1, 1, 1, None), seed=seed, **kwargs)
        self.data_format = "channels_last"

    def get_config(self):
        config = {k: v for k, v in super().get_config().items() if k != "noise_shape"}
        return {**config, "data_format": self.data_format}
