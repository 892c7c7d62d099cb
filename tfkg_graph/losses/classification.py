"""Keras 3's margin, focal, robust and overlap losses: hinge family, focal crossentropies, generalized
crossentropy, Dice, Tversky and Circle. Each is Keras' formula in ops that have gradient rules."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import Tensor
from ..graph.ops import array, math, nn
from ..graph.ops.constants import constant, convert
from .core import EPSILON, LossFunctionWrapper, _float, apply_mask, reduce_weighted_values


def _cast_like(y_true: Any, y_pred: Any) -> tuple[Tensor, Tensor]:
    y_pred = _float(y_pred)
    return math.cast(convert(y_true, graph=y_pred.graph), y_pred.dtype), y_pred


def _hinge_labels(y_true: Tensor) -> Tensor:
    """Keras: labels that are all 0 or 1 become -1/1; other labels are used as given."""
    is_binary = math.reduce_all(math.logical_or(math.equal(y_true, 0.0), math.equal(y_true, 1.0)))
    return math.select(is_binary, y_true * 2.0 - 1.0, y_true)


def hinge(y_true: Any, y_pred: Any) -> Tensor:
    y_true, y_pred = _cast_like(y_true, y_pred)
    return math.reduce_mean(math.maximum(1.0 - _hinge_labels(y_true) * y_pred, 0.0), axis=-1)


def squared_hinge(y_true: Any, y_pred: Any) -> Tensor:
    y_true, y_pred = _cast_like(y_true, y_pred)
    return math.reduce_mean(math.square(math.maximum(1.0 - _hinge_labels(y_true) * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true: Any, y_pred: Any) -> Tensor:
    y_true, y_pred = _cast_like(y_true, y_pred)
    positive = math.reduce_sum(y_true * y_pred, axis=-1)
    negative = math.reduce_max((1.0 - y_true) * y_pred, axis=-1)
    return math.maximum(negative - positive + 1.0, 0.0)


def binary_focal_crossentropy(y_true: Any, y_pred: Any, apply_class_balancing: bool = False, alpha: float = 0.25,
                              gamma: float = 2.0, from_logits: bool = False, label_smoothing: float = 0.0,
                              axis: int = -1) -> Tensor:
    """``(1 - p_t)^gamma * bce`` on clipped probabilities (sigmoid first when ``from_logits``)."""
    y_true, y_pred = _cast_like(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = nn.sigmoid(y_pred)
    clipped = math.clip_by_value(y_pred, EPSILON, 1.0 - EPSILON)
    bce = math.negative(y_true * math.log(clipped) + (1.0 - y_true) * math.log(1.0 - clipped))
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal = math.pow(1.0 - p_t, math.scalar_like(p_t, gamma)) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return math.reduce_mean(focal, axis=axis)


def categorical_focal_crossentropy(y_true: Any, y_pred: Any, alpha: float = 0.25, gamma: float = 2.0,
                                   from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1) -> Tensor:
    y_true, y_pred = _cast_like(y_true, y_pred)
    if label_smoothing:
        classes = math.cast(array.shape(y_true)[-1], y_pred.dtype)
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / classes
    if from_logits:
        from ..activations import softmax
        y_pred = softmax(y_pred, axis)
    output = math.clip_by_value(y_pred / math.reduce_sum(y_pred, axis, keepdims=True), EPSILON, 1.0 - EPSILON)
    cross_entropy = math.negative(y_true) * math.log(output)
    modulating = math.pow(1.0 - output, math.scalar_like(output, gamma))
    return math.reduce_sum(modulating * alpha * cross_entropy, axis=axis)


def categorical_generalized_cross_entropy(y_true: Any, y_pred: Any, q: float) -> Tensor:
    """``(1 - p_label^q) / q`` for integer labels: between crossentropy (q -> 0) and MAE (q = 1)."""
    y_pred = _float(y_pred)
    labels = math.cast(convert(y_true, graph=y_pred.graph), "int64")
    one_hot = math.cast(array.one_hot(labels, y_pred.shape[-1]), y_pred.dtype)
    p = math.reduce_sum(y_pred * one_hot, axis=-1)
    return (1.0 - math.pow(p, math.scalar_like(p, q))) / q


def dice(y_true: Any, y_pred: Any, axis: Any = None) -> Tensor:
    y_true, y_pred = _cast_like(y_true, y_pred)
    intersection = math.reduce_sum(y_true * y_pred, axis)
    total = math.reduce_sum(y_true, axis) + math.reduce_sum(y_pred, axis) + EPSILON
    return 1.0 - intersection * 2.0 / total


def tversky(y_true: Any, y_pred: Any, alpha: float = 0.5, beta: float = 0.5, axis: Any = None) -> Tensor:
    y_true, y_pred = _cast_like(y_true, y_pred)
    intersection = math.reduce_sum(y_true * y_pred, axis)
    false_positives = math.reduce_sum((1.0 - y_pred) * y_true, axis)
    false_negatives = math.reduce_sum(y_pred * (1.0 - y_true), axis)
    return 1.0 - intersection / (intersection + false_positives * alpha + false_negatives * beta + EPSILON)


def _logsumexp(x: Tensor, axis: int) -> Tensor:
    """Rows of all ``-inf`` give ``-inf`` (the shift is 0 there), as tf.reduce_logsumexp."""
    top = math.reduce_max(x, axis, keepdims=True)
    shift = array.stop_gradient(math.select(math.is_finite(top), top, array.zeros_like(top)))
    return math.log(math.reduce_sum(math.exp(x - shift), axis)) + array.squeeze(shift, axis)


def circle(y_true: Any, y_pred: Any, ref_labels: Any = None, ref_embeddings: Any = None,
           remove_diagonal: bool = True, gamma: float = 80, margin: float = 0.4) -> Tensor:
    """Circle loss over pairwise cosine distances of (L2-normalized) embeddings ``y_pred``."""
    y_pred = _float(y_pred)
    labels = math.cast(convert(y_true, graph=y_pred.graph), "int32")
    ref_embeddings = y_pred if ref_embeddings is None else convert(ref_embeddings, graph=y_pred.graph)
    ref_labels = labels if ref_labels is None else math.cast(convert(ref_labels, graph=y_pred.graph), "int32")
    distances = math.maximum(1.0 - math.matmul(y_pred, ref_embeddings, transpose_b=True), 0.0)
    positive = math.equal(array.reshape(labels, [-1, 1]), array.reshape(ref_labels, [1, -1]))
    negative = math.logical_not(positive)
    if remove_diagonal:
        n, m = labels.shape[0], ref_labels.shape[0]
        if n is None or m is None:
            raise ValueError("circle loss with remove_diagonal needs static batch sizes")
        positive = math.logical_and(positive, constant(~np.eye(n, m, dtype=bool), graph=y_pred.graph))
    positive_f, negative_f = math.cast(positive, distances.dtype), math.cast(negative, distances.dtype)
    positive_weights = math.maximum((distances + margin) * positive_f, 0.0)
    negative_weights = math.maximum((1.0 + margin - distances) * negative_f, 0.0)
    positive_logits = positive_weights * (margin - distances) * -float(gamma)
    negative_logits = negative_weights * (1.0 - margin - distances) * float(gamma)
    minus_inf = array.fill(array.shape(distances), math.scalar_like(distances, -np.inf))
    p_loss = _logsumexp(math.select(positive, positive_logits, minus_inf), 1)
    n_loss = _logsumexp(math.select(negative, negative_logits, minus_inf), 1)
    return nn.softplus(p_loss + n_loss)


class Hinge(LossFunctionWrapper):
    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "hinge", dtype: Any = None):
        super().__init__(hinge, name=name, reduction=reduction, dtype=dtype)


class SquaredHinge(LossFunctionWrapper):
    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "squared_hinge", dtype: Any = None):
        super().__init__(squared_hinge, name=name, reduction=reduction, dtype=dtype)


class CategoricalHinge(LossFunctionWrapper):
    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "categorical_hinge",
                 dtype: Any = None):
        super().__init__(categorical_hinge, name=name, reduction=reduction, dtype=dtype)


class BinaryFocalCrossentropy(LossFunctionWrapper):
    def __init__(self, apply_class_balancing: bool = False, alpha: float = 0.25, gamma: float = 2.0,
                 from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str | None = "sum_over_batch_size", name: str = "binary_focal_crossentropy",
                 dtype: Any = None):
        super().__init__(binary_focal_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    def __init__(self, alpha: float = 0.25, gamma: float = 2.0, from_logits: bool = False,
                 label_smoothing: float = 0.0, axis: int = -1, reduction: str | None = "sum_over_batch_size",
                 name: str = "categorical_focal_crossentropy", dtype: Any = None):
        super().__init__(categorical_focal_crossentropy, name=name, reduction=reduction, dtype=dtype, alpha=alpha,
                         gamma=gamma, from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class CategoricalGeneralizedCrossEntropy(LossFunctionWrapper):
    def __init__(self, q: float = 0.5, reduction: str | None = "sum_over_batch_size",
                 name: str = "categorical_generalized_cross_entropy", dtype: Any = None):
        if not 0 < q < 1:
            raise ValueError(f"q must be in the interval (0, 1), got q={q}")
        super().__init__(categorical_generalized_cross_entropy, name=name, reduction=reduction, dtype=dtype, q=q)


class Dice(LossFunctionWrapper):
    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "dice", axis: Any = None,
                 dtype: Any = None):
        super().__init__(dice, name=name, reduction=reduction, dtype=dtype, axis=axis)


class Tversky(LossFunctionWrapper):
    def __init__(self, alpha: float = 0.5, beta: float = 0.5, reduction: str | None = "sum_over_batch_size",
                 name: str = "tversky", axis: Any = None, dtype: Any = None):
        super().__init__(tversky, name=name, reduction=reduction, dtype=dtype, alpha=alpha, beta=beta, axis=axis)


class Circle(LossFunctionWrapper):
    """Keras masks the per-sample losses to the positive ones, so the mean runs over those."""

    def __init__(self, gamma: float = 80.0, margin: float = 0.4, remove_diagonal: bool = True,
                 reduction: str | None = "sum_over_batch_size", name: str = "circle", dtype: Any = None):
        super().__init__(circle, name=name, reduction=reduction, dtype=dtype, gamma=gamma, margin=margin,
                         remove_diagonal=remove_diagonal)

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        y_pred = _float(y_pred)
        with y_pred.graph.name_scope(self.name):
            values = self.call(convert(y_true, graph=y_pred.graph), y_pred)
            weights = apply_mask(sample_weight, math.greater(values, 0.0), self.reduction)
            return reduce_weighted_values(values, weights, self.reduction)

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        return self.fn(y_true, y_pred, **self._fn_kwargs)

