"""Keras 3's IoU family, F-beta/F1 and R2 scores: per-class sums computed in the step, the score from
their epoch totals (so streaming over batches equals one pass over all the data, as in Keras)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ._backend import last_dim, rank, squeeze_last
from .base import Metric

EPSILON = 1e-7


class _LazyShapeMetric(Metric):
    """State whose shape (the number of classes) is only known from the first batch."""

    def initial_state(self) -> dict[str, np.ndarray]:
        return {}

    def update_from_fetches(self, fetches: dict[str, np.ndarray]) -> None:
        for key, value in fetches.items():
            self.state[key] = self.state.get(key, 0.0) + np.asarray(value, dtype=np.float64)


class IoU(Metric):
    """Intersection over union per class from a weighted confusion matrix, averaged over
    ``target_class_ids`` that occur. Keras' default dtype is ``"int"``: weights are truncated to integers."""

    def __init__(self, num_classes: int, target_class_ids: Sequence[int], name: str | None = None,
                 dtype: Any = None, ignore_class: int | None = None, sparse_y_true: bool = True,
                 sparse_y_pred: bool = True, axis: int = -1):
        if max(target_class_ids) >= num_classes:
            raise ValueError(f"Target class id {max(target_class_ids)} is out of range [0, {num_classes})")
        if axis != -1:
            raise ValueError(f"IoU metrics support only axis=-1, got {axis}")
        self.num_classes, self.target_class_ids = num_classes, list(target_class_ids)
        self.ignore_class, self.sparse_y_true, self.sparse_y_pred, self.axis = (
            ignore_class, sparse_y_true, sparse_y_pred, axis)
        super().__init__(name=name, dtype=dtype or "int64")

    def initial_state(self) -> dict[str, np.ndarray]:
        return {"matrix": np.zeros((self.num_classes, self.num_classes))}

    def _predicted(self, B: type, y_pred: Any) -> Any:
        return B.argmax(y_pred) if not self.sparse_y_pred else y_pred

    def statistics(self, B: type, y_true: Any, y_pred: Any, sample_weight: Any) -> dict[str, Any]:
        labels = B.argmax(y_true) if not self.sparse_y_true else y_true
        labels = B.reshape(B.i64(labels), [-1])
        predicted = B.reshape(B.i64(self._predicted(B, y_pred)), [-1])
        weights = B.ones_like(labels) if sample_weight is None else B.broadcast_like(
            B.reshape(B.f32(sample_weight), [-1]), labels)
        if "int" in str(self.dtype):
            weights = B.f32(B.i64(weights))
        if self.ignore_class is not None:
            weights = weights * B.ne(labels, B.i64(B.const(self.ignore_class, labels)))
        # out-of-range ids one-hot to zero rows, so they never reach the matrix (Keras masks them)
        true_hot = B.one_hot(labels, self.num_classes) * B.expand(weights, -1)
        return {"matrix": B.matmul_t(true_hot, B.one_hot(predicted, self.num_classes))}

    def result(self) -> float:
        matrix = self.state["matrix"]
        true_positives = np.diag(matrix)
        denominator = (matrix.sum(0) + matrix.sum(1) - true_positives)[self.target_class_ids]
        valid = denominator > 1e-9
        iou = np.where(valid, true_positives[self.target_class_ids] / (denominator + EPSILON), 0.0)
        return float(iou.sum() / (valid.sum() + EPSILON))

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "num_classes": self.num_classes,
                "target_class_ids": self.target_class_ids, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class BinaryIoU(IoU):
    """IoU of the two classes of ``y_pred >= threshold``."""

    def __init__(self, target_class_ids: Sequence[int] = (0, 1), threshold: float = 0.5, name: str | None = None,
                 dtype: Any = None):
        self.threshold = threshold
        super().__init__(2, target_class_ids, name=name, dtype=dtype)

    def _predicted(self, B: type, y_pred: Any) -> Any:
        return B.ge(B.f32(y_pred), B.const(self.threshold, y_pred))

    def get_config(self) -> dict[str, Any]:
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold, "name": self.name,
                "dtype": self.dtype}


class MeanIoU(IoU):
    def __init__(self, num_classes: int, name: str | None = None, dtype: Any = None, ignore_class: int | None = None,
                 sparse_y_true: bool = True, sparse_y_pred: bool = True, axis: int = -1):
        super().__init__(num_classes, list(range(num_classes)), name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["target_class_ids"]
        return config


class OneHotIoU(IoU):
    def __init__(self, num_classes: int, target_class_ids: Sequence[int], name: str | None = None, dtype: Any = None,
                 ignore_class: int | None = None, sparse_y_pred: bool = False, axis: int = -1):
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["sparse_y_true"]
        return config


class OneHotMeanIoU(MeanIoU):
    def __init__(self, num_classes: int, name: str | None = None, dtype: Any = None, ignore_class: int | None = None,
                 sparse_y_pred: bool = False, axis: int = -1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["sparse_y_true"]
        return config


class FBetaScore(_LazyShapeMetric):
    """Per-class F-beta of ``y_pred > threshold`` (or the row maximum when ``threshold`` is None)."""

    def __init__(self, average: str | None = None, beta: float = 1.0, threshold: float | None = None,
                 name: str = "fbeta_score", dtype: Any = None):
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(f"Invalid `average` argument value, got {average!r}")
        if not isinstance(beta, (int, float)) or beta <= 0:
            raise ValueError(f"`beta` should be a float greater than 0, got {beta!r}")
        if threshold is not None and not (isinstance(threshold, float) and 0 < threshold <= 1):
            raise ValueError(f"`threshold` should be a float in the range (0, 1], got {threshold!r}")
        self.average, self.beta, self.threshold = average, beta, threshold
        super().__init__(name=name, dtype=dtype)

    def statistics(self, B: type, y_true: Any, y_pred: Any, sample_weight: Any) -> dict[str, Any]:
        if rank(y_pred) != 2:
            raise ValueError(f"{self.name}: y_pred must be (batch, classes), got rank {rank(y_pred)}")
        y_true, y_pred = B.f32(y_true), B.f32(y_pred)
        if self.threshold is None:
            top = B.expand(B.max(y_pred, -1), -1)
            predicted = B.ge(y_pred, top) * B.gt(B.abs(y_pred), B.const(1e-9, y_pred))
        else:
            predicted = B.gt(y_pred, B.const(self.threshold, y_pred))
        weights = B.ones_like(y_true) if sample_weight is None else B.broadcast_like(
            B.expand(B.reshape(B.f32(sample_weight), [-1]), -1), y_true)
        axis = None if self.average == "micro" else 0
        return {"tp": B.sum(predicted * y_true * weights, axis), "fp": B.sum(predicted * (1.0 - y_true) * weights, axis),
                "fn": B.sum((1.0 - predicted) * y_true * weights, axis), "support": B.sum(y_true * weights, axis)}

    def result(self) -> Any:
        s = self.state
        precision = s["tp"] / (s["tp"] + s["fp"] + EPSILON)
        recall = s["tp"] / (s["tp"] + s["fn"] + EPSILON)
        beta2 = self.beta ** 2
        score = precision * recall / (beta2 * precision + recall + EPSILON) * (1 + beta2)
        if self.average == "weighted":
            return float(np.sum(score * s["support"] / (np.sum(s["support"]) + EPSILON)))
        if self.average is not None:
            return float(np.mean(score))
        return score.astype(np.float32)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "average": self.average, "beta": self.beta,
                "threshold": self.threshold}


class F1Score(FBetaScore):
    def __init__(self, average: str | None = None, threshold: float | None = None, name: str = "f1_score",
                 dtype: Any = None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["beta"]
        return config


class R2Score(_LazyShapeMetric):
    """Coefficient of determination per output column, aggregated as Keras does (optionally adjusted)."""

    def __init__(self, class_aggregation: str | None = "uniform_average", num_regressors: int = 0,
                 name: str = "r2_score", dtype: Any = None):
        if class_aggregation not in (None, "uniform_average", "variance_weighted_average"):
            raise ValueError(f"Invalid value for argument `class_aggregation`, got {class_aggregation!r}")
        if num_regressors < 0:
            raise ValueError(f"num_regressors must be >= 0, got {num_regressors}")
        self.class_aggregation, self.num_regressors = class_aggregation, num_regressors
        super().__init__(name=name, dtype=dtype)

    def statistics(self, B: type, y_true: Any, y_pred: Any, sample_weight: Any) -> dict[str, Any]:
        if rank(y_true) == rank(y_pred) + 1 and last_dim(y_true) == 1:
            y_true = squeeze_last(y_true)
        if rank(y_pred) == rank(y_true) + 1 and last_dim(y_pred) == 1:
            y_true = B.expand(y_true, -1)
        if rank(y_pred) == 1:
            y_true, y_pred = B.expand(y_true, -1), B.expand(y_pred, -1)
        y_true, y_pred = B.f32(y_true), B.f32(y_pred)
        weights = B.ones_like(y_true) if sample_weight is None else B.broadcast_like(
            B.expand(B.reshape(B.f32(sample_weight), [-1]), -1), y_true)
        weighted = y_true * weights
        return {"sum": B.sum(weighted, 0), "squared_sum": B.sum(y_true * weighted, 0),
                "total_mse": B.sum(B.square(y_true - y_pred) * weights, 0), "count": B.sum(weights, 0),
                "num_samples": B.sum(B.ones_like(y_true))}

    def result(self) -> Any:
        s = self.state
        mean = s["sum"] / s["count"]
        total = s["squared_sum"] - s["sum"] * mean
        with np.errstate(divide="ignore", invalid="ignore"):
            raw = 1 - s["total_mse"] / total
        raw = np.where(np.isinf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            score = np.mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            score = np.sum(total * raw) / np.sum(total)
        else:
            score = raw
        n, p = float(s["num_samples"]), self.num_regressors
        if p and p < n - 1:
            score = 1 - (1 - score) * (n - 1) / (n - p - 1)
        return float(score) if np.ndim(score) == 0 else score.astype(np.float32)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}


CLASSES: list[type] = [IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU, FBetaScore, F1Score, R2Score]
