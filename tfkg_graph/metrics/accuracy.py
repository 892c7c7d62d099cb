"""Accuracy and regression metrics: per-sample values averaged (weighted) over the epoch."""
from __future__ import annotations

from typing import Any

import numpy as np

from ._backend import last_dim, rank, squeeze_last
from .base import Mean, MeanMetricWrapper


def _same_rank(y_true: Any, y_pred: Any) -> tuple[Any, Any]:
    """Keras' squeeze_or_expand_to_same_rank for the common ``(batch,)`` vs ``(batch, 1)`` case."""
    if rank(y_true) == rank(y_pred) + 1 and last_dim(y_true) == 1:
        y_true = squeeze_last(y_true)
    elif rank(y_pred) == rank(y_true) + 1 and last_dim(y_pred) == 1:
        y_pred = squeeze_last(y_pred)
    return y_true, y_pred


def _sparse_labels(y_true: Any, y_pred: Any) -> Any:
    """Class indices with one axis fewer than ``y_pred``."""
    if rank(y_true) == rank(y_pred) and last_dim(y_true) == 1:
        y_true = squeeze_last(y_true)
    return y_true


def accuracy(B: type, y_true: Any, y_pred: Any) -> Any:
    y_true, y_pred = _same_rank(y_true, y_pred)
    return B.mean(B.eq(B.f32(y_true), B.f32(y_pred)), -1)


def binary_accuracy(B: type, y_true: Any, y_pred: Any, threshold: float = 0.5) -> Any:
    y_true, y_pred = _same_rank(y_true, y_pred)
    predicted = B.gt(B.f32(y_pred), B.const(threshold, y_pred))
    return B.mean(B.eq(B.f32(y_true), predicted), -1)


def sparse_categorical_accuracy(B: type, y_true: Any, y_pred: Any, confidence: float | None = None) -> Any:
    """Argmax equals the label. TFKG's ``confidence``: a single sigmoid output predicts class 1 above it;
    a softmax prediction only counts as correct when its top probability reaches it."""
    labels = B.i64(_sparse_labels(y_true, y_pred))
    if last_dim(y_pred) == 1:
        predicted = B.i64(B.gt(B.f32(squeeze_last(y_pred)), B.const(0.5 if confidence is None else confidence, y_pred)))
        return B.eq(labels, predicted)
    correct = B.eq(labels, B.argmax(y_pred))
    if confidence is not None:
        correct = correct * B.ge(B.max(B.f32(y_pred), -1), B.const(confidence, y_pred))
    return correct


def categorical_accuracy(B: type, y_true: Any, y_pred: Any) -> Any:
    return B.eq(B.argmax(y_true), B.argmax(y_pred))


def sparse_top_k_categorical_accuracy(B: type, y_true: Any, y_pred: Any, k: int = 5) -> Any:
    """TF's in_top_k: the label's score is beaten by fewer than ``k`` classes (ties count as in)."""
    y_pred = B.f32(y_pred)
    labels = _sparse_labels(y_true, y_pred)
    label_score = B.sum(y_pred * B.one_hot(B.i64(labels), last_dim(y_pred)), -1)
    beaten_by = B.sum(B.gt(y_pred, B.expand(B.f32(label_score), -1)), -1)
    return B.lt(B.f32(beaten_by), B.const(k, y_pred))


def top_k_categorical_accuracy(B: type, y_true: Any, y_pred: Any, k: int = 5) -> Any:
    return sparse_top_k_categorical_accuracy(B, B.argmax(y_true), y_pred, k)


def mean_absolute_error(B: type, y_true: Any, y_pred: Any) -> Any:
    y_true, y_pred = _same_rank(y_true, y_pred)
    return B.mean(B.abs(B.f32(y_pred) - B.f32(y_true)), -1)


def mean_squared_error(B: type, y_true: Any, y_pred: Any) -> Any:
    y_true, y_pred = _same_rank(y_true, y_pred)
    return B.mean(B.square(B.f32(y_pred) - B.f32(y_true)), -1)


class _Wrapper(MeanMetricWrapper):
    """A Keras metric class around one of the backend functions above."""
    fn: Any = None

    def __init__(self, name: str, dtype: Any = None, **kwargs: Any):
        super().__init__(type(self).fn, name=name, dtype=dtype, backend_fn=True, **kwargs)


class Accuracy(_Wrapper):
    """How often predictions equal labels exactly."""
    fn = staticmethod(accuracy)

    def __init__(self, name: str = "accuracy", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)


class BinaryAccuracy(_Wrapper):
    fn = staticmethod(binary_accuracy)

    def __init__(self, name: str = "binary_accuracy", dtype: Any = None, threshold: float = 0.5):
        super().__init__(name=name, dtype=dtype, threshold=threshold)


class CategoricalAccuracy(_Wrapper):
    fn = staticmethod(categorical_accuracy)

    def __init__(self, name: str = "categorical_accuracy", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)


class SparseCategoricalAccuracy(_Wrapper):
    fn = staticmethod(sparse_categorical_accuracy)

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype: Any = None,
                 confidence: float | None = None):
        super().__init__(name=name, dtype=dtype, confidence=confidence)


class TopKCategoricalAccuracy(_Wrapper):
    fn = staticmethod(top_k_categorical_accuracy)

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy", dtype: Any = None):
        super().__init__(name=name, dtype=dtype, k=k)


class SparseTopKCategoricalAccuracy(_Wrapper):
    fn = staticmethod(sparse_top_k_categorical_accuracy)

    def __init__(self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy", dtype: Any = None):
        super().__init__(name=name, dtype=dtype, k=k)


class MeanAbsoluteError(_Wrapper):
    fn = staticmethod(mean_absolute_error)

    def __init__(self, name: str = "mean_absolute_error", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)


class MeanSquaredError(_Wrapper):
    fn = staticmethod(mean_squared_error)

    def __init__(self, name: str = "mean_squared_error", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)


class RootMeanSquaredError(MeanSquaredError):
    def __init__(self, name: str = "root_mean_squared_error", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)

    def result(self) -> float:
        return float(np.sqrt(Mean.result(self)))
