"""Keras 3's regression and distribution losses: MAPE, MSLE, log-cosh, Poisson, KL divergence, cosine."""
from __future__ import annotations

from typing import Any

from ..graph import Tensor
from ..graph.ops import math, nn
from .core import EPSILON, LossFunctionWrapper, _pair

LOG_2 = 0.6931471805599453


def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> Tensor:
    y_true, y_pred = _pair(y_true, y_pred)
    return math.reduce_mean(math.abs((y_true - y_pred) / math.maximum(math.abs(y_true), EPSILON)), axis=-1) * 100.0


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> Tensor:
    y_true, y_pred = _pair(y_true, y_pred)
    first = math.log(math.maximum(y_pred, EPSILON) + 1.0)
    second = math.log(math.maximum(y_true, EPSILON) + 1.0)
    return math.reduce_mean(math.square(first - second), axis=-1)


def log_cosh(y_true: Any, y_pred: Any) -> Tensor:
    """``log(cosh(e)) = e + softplus(-2e) - log 2``: no overflow for large errors."""
    y_true, y_pred = _pair(y_true, y_pred)
    error = y_pred - y_true
    return math.reduce_mean(error + nn.softplus(error * -2.0) - LOG_2, axis=-1)


def poisson(y_true: Any, y_pred: Any) -> Tensor:
    y_true, y_pred = _pair(y_true, y_pred)
    return math.reduce_mean(y_pred - y_true * math.log(y_pred + EPSILON), axis=-1)


def kl_divergence(y_true: Any, y_pred: Any) -> Tensor:
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = math.clip_by_value(y_true, EPSILON, 1.0)
    y_pred = math.clip_by_value(y_pred, EPSILON, 1.0)
    return math.reduce_sum(y_true * math.log(y_true / y_pred), axis=-1)


def l2_normalize(x: Tensor, axis: int) -> Tensor:
    """Keras' ``normalize``: ``x * min(rsqrt(sum x^2), 1 / epsilon)``."""
    return x * math.minimum(math.rsqrt(math.reduce_sum(math.square(x), axis, keepdims=True)), 1.0 / EPSILON)


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Tensor:
    """Negative cosine similarity (so that minimizing it aligns the vectors)."""
    y_true, y_pred = _pair(y_true, y_pred)
    return math.negative(math.reduce_sum(l2_normalize(y_true, axis) * l2_normalize(y_pred, axis), axis=axis))


class MeanAbsolutePercentageError(LossFunctionWrapper):
    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "mean_absolute_percentage_error",
                 dtype: Any = None):
        super().__init__(mean_absolute_percentage_error, name=name, reduction=reduction, dtype=dtype)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "mean_squared_logarithmic_error",
                 dtype: Any = None):
        super().__init__(mean_squared_logarithmic_error, name=name, reduction=reduction, dtype=dtype)


class LogCosh(LossFunctionWrapper):
    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "log_cosh", dtype: Any = None):
        super().__init__(log_cosh, name=name, reduction=reduction, dtype=dtype)


class Poisson(LossFunctionWrapper):
    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "poisson", dtype: Any = None):
        super().__init__(poisson, name=name, reduction=reduction, dtype=dtype)


class KLDivergence(LossFunctionWrapper):
    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "kl_divergence", dtype: Any = None):
        super().__init__(kl_divergence, name=name, reduction=reduction, dtype=dtype)


class CosineSimilarity(LossFunctionWrapper):
    def __init__(self, axis: int = -1, reduction: str | None = "sum_over_batch_size", name: str = "cosine_similarity",
                 dtype: Any = None):
        super().__init__(cosine_similarity, name=name, reduction=reduction, dtype=dtype, axis=axis)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "reduction": self.reduction}  # Keras 3 leaves axis out
