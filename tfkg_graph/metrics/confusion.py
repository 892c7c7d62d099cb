"""Metrics from thresholded confusion counts (TP/FP/TN/FN per threshold, summed in the graph each step),
and the confusion matrix. ``class_id`` takes one column one-vs-rest (labels may be one-hot or class
indices); ``average="macro"`` (AUC: ``multi_label=True``) scores each class and averages them."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ._backend import last_dim, rank, squeeze_last
from .accuracy import _same_rank, _sparse_labels
from .base import Metric, sample_weights_like

EPSILON = 1e-7


def _divide_no_nan(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.divide(a, b, out=np.zeros(np.broadcast(a, b).shape), where=b != 0)


def _is_sparse(y_true: Any, y_pred: Any) -> bool:
    return rank(y_true) < rank(y_pred) or (last_dim(y_true) == 1 and (last_dim(y_pred) or 1) > 1)


class _Thresholded(Metric):
    """Weighted TP/FP/TN/FN at each threshold: a prediction is positive when ``y_pred > threshold``."""

    def __init__(self, thresholds: Sequence[float], class_id: int | None = None, average: str | None = None,
                 name: str | None = None, dtype: Any = None):
        if average not in (None, "macro"):
            raise ValueError(f"average must be None or 'macro', got {average!r}")
        if class_id is not None and average:
            raise ValueError("class_id and average='macro' exclude each other")
        self.thresholds = np.asarray(thresholds, dtype=np.float32)
        self.class_id, self.average = class_id, average
        self.num_classes: int | None = None
        super().__init__(name=name, dtype=dtype)

    def initial_state(self) -> dict[str, np.ndarray]:
        shape = (len(self.thresholds),) if self.num_classes is None else (self.num_classes, len(self.thresholds))
        return {key: np.zeros(shape) for key in ("tp", "fp", "tn", "fn")}

    def _prepare(self, B: type, y_true: Any, y_pred: Any, sample_weight: Any) -> tuple[Any, Any, Any]:
        classes = last_dim(y_pred)
        per_class = self.class_id is not None or self.average == "macro"
        if per_class and classes is None:
            raise ValueError(f"{self.name}: class_id/average need a known number of classes in y_pred")
        if per_class and _is_sparse(y_true, y_pred):
            y_true = B.one_hot(B.i64(_sparse_labels(y_true, y_pred)), classes)
        else:
            y_true, y_pred = _same_rank(y_true, y_pred)
        y_true, y_pred = B.f32(y_true), B.f32(y_pred)
        weights = B.ones_like(y_true) if sample_weight is None else sample_weights_like(B, y_true, sample_weight)
        if self.class_id is not None:
            if not 0 <= self.class_id < classes:
                raise ValueError(f"{self.name}: class_id {self.class_id} out of range for {classes} classes")
            y_true, y_pred, weights = (B.column(t, self.class_id) for t in (y_true, y_pred, weights))
        if self.average == "macro":
            if self.num_classes != classes:
                self.num_classes = classes
                self.reset_state()
            shape = [-1, classes]
        else:
            shape = [-1]
        return tuple(B.reshape(t, shape) for t in (y_true, y_pred, weights))  # type: ignore[return-value]

    def statistics(self, B: type, y_true: Any, y_pred: Any, sample_weight: Any) -> dict[str, Any]:
        labels, preds, weights = self._prepare(B, y_true, y_pred, sample_weight)
        positive = B.gt(B.expand(preds, -1), B.const(self.thresholds, preds))
        is_true = B.expand(B.ne(labels, B.const(0.0, labels)), -1)
        weights = B.expand(weights, -1)
        negative, is_false = 1.0 - positive, 1.0 - is_true
        return {"tp": B.sum(is_true * positive * weights, 0), "fp": B.sum(is_false * positive * weights, 0),
                "tn": B.sum(is_false * negative * weights, 0), "fn": B.sum(is_true * negative * weights, 0)}

    def _averaged(self, per_class: np.ndarray) -> Any:
        value = per_class.mean(axis=0) if self.average == "macro" else per_class
        return float(value[0]) if value.shape == (1,) else value

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "class_id": self.class_id, "average": self.average}


class _ThresholdList(_Thresholded):
    def __init__(self, thresholds: float | Sequence[float] | None = None, class_id: int | None = None,
                 average: str | None = None, name: str | None = None, dtype: Any = None):
        self.init_thresholds = thresholds
        values = [0.5] if thresholds is None else ([thresholds] if np.ndim(thresholds) == 0 else thresholds)
        super().__init__(values, class_id, average, name, dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "thresholds": self.init_thresholds}


NEG_INF = -1e10  # Keras' metrics_utils.NEG_INF: the score of predictions outside the top k


def _keep_top_k(B: type, y_pred: Any, k: int, classes: int) -> Any:
    """Keras' _filter_top_k: scores outside each row's top k become NEG_INF (ties go to the lower index,
    as top_k picks). A score's rank counts the higher scores plus the equal ones at lower indices."""
    row, other = B.expand(y_pred, -1), B.expand(y_pred, -2)  # [..., i, j]: score i against score j
    earlier = B.const(np.tril(np.ones((classes, classes)), -1), y_pred)
    rank = B.sum(B.gt(other, row) + B.eq(other, row) * earlier, -1)
    keep = B.lt(rank, B.const(float(k), y_pred))
    return y_pred * keep + NEG_INF * (1.0 - keep)


class _TopKRate(_ThresholdList):
    """Precision/Recall: with ``top_k`` only each row's k highest scores can be positive, and the default
    threshold becomes NEG_INF so exactly those are (Keras)."""

    def __init__(self, thresholds: float | Sequence[float] | None = None, top_k: int | None = None,
                 class_id: int | None = None, name: str | None = None, dtype: Any = None,
                 average: str | None = None):
        if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer))
                                  or top_k < 1):
            raise ValueError(f"top_k must be a positive integer, got {top_k!r}")
        self.top_k = None if top_k is None else int(top_k)
        super().__init__(thresholds, class_id, average, name, dtype)
        if thresholds is None and top_k is not None:
            self.thresholds = np.asarray([NEG_INF], dtype=np.float32)

    def _prepare(self, B: type, y_true: Any, y_pred: Any, sample_weight: Any) -> tuple[Any, Any, Any]:
        if self.top_k is not None:
            classes = last_dim(y_pred)
            if classes is None:
                raise ValueError(f"{self.name}: top_k needs a known number of classes in y_pred")
            y_pred = _keep_top_k(B, B.f32(y_pred), self.top_k, classes)
        return super()._prepare(B, y_true, y_pred, sample_weight)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "top_k": self.top_k}


class Precision(_TopKRate):
    def result(self) -> Any:
        s = self.state
        return self._averaged(_divide_no_nan(s["tp"], s["tp"] + s["fp"]))


class Recall(_TopKRate):
    def result(self) -> Any:
        s = self.state
        return self._averaged(_divide_no_nan(s["tp"], s["tp"] + s["fn"]))


class _CountMetric(_ThresholdList):
    key = ""

    def result(self) -> Any:
        value = self.state[self.key]
        return self._averaged(value) if self.average else (float(value[0]) if value.shape == (1,) else value)


class TruePositives(_CountMetric): key = "tp"
class FalsePositives(_CountMetric): key = "fp"
class TrueNegatives(_CountMetric): key = "tn"
class FalseNegatives(_CountMetric): key = "fn"


class AUC(_Thresholded):
    """Area under the ROC or PR curve by Riemann sum over ``num_thresholds`` thresholds, as keras.metrics.AUC
    (PR with ``interpolation`` uses the Davis & Goadrich interpolation)."""

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC", summation_method: str = "interpolation",
                 name: str | None = None, dtype: Any = None, thresholds: Sequence[float] | None = None,
                 multi_label: bool = False, num_labels: int | None = None, label_weights: Sequence[float] | None = None,
                 from_logits: bool = False, class_id: int | None = None):
        if curve.upper() not in ("ROC", "PR"):
            raise ValueError(f"curve must be 'ROC' or 'PR', got {curve!r}")
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f"unknown summation_method {summation_method!r}")
        if thresholds is None:
            if num_thresholds <= 1:
                raise ValueError(f"num_thresholds must be > 1, got {num_thresholds}")
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        else:
            inner, num_thresholds = sorted(thresholds), len(thresholds) + 2
        self.num_thresholds, self.curve, self.summation_method = num_thresholds, curve.upper(), summation_method
        self.multi_label, self.init_thresholds = multi_label, thresholds
        self.num_labels, self.from_logits = num_labels, from_logits
        self.label_weights = None if label_weights is None else [float(w) for w in label_weights]
        super().__init__([-EPSILON] + inner + [1 + EPSILON], class_id, "macro" if multi_label else None,
                         name or "auc", dtype)

    def result(self) -> float:
        s = {k: v.T if self.multi_label else v for k, v in self.state.items()}  # thresholds first
        tp, fp, tn, fn = s["tp"], s["fp"], s["tn"], s["fn"]
        if self.curve == "PR" and self.summation_method == "interpolation":
            area = self._interpolated_pr(tp, fp, fn)
        else:
            recall = _divide_no_nan(tp, tp + fn)
            x, y = (_divide_no_nan(fp, fp + tn), recall) if self.curve == "ROC" else (recall, _divide_no_nan(tp, tp + fp))
            pick = {"interpolation": lambda a, b: (a + b) / 2, "minoring": np.minimum, "majoring": np.maximum}
            area = np.sum((x[:-1] - x[1:]) * pick[self.summation_method](y[:-1], y[1:]), axis=0)
        if self.multi_label and self.label_weights is not None:
            return float(np.sum(area * self.label_weights) / np.sum(self.label_weights))
        return float(np.mean(area))

    def statistics(self, B: type, y_true: Any, y_pred: Any, sample_weight: Any) -> dict[str, Any]:
        return super().statistics(B, y_true, B.sigmoid(B.f32(y_pred)) if self.from_logits else y_pred, sample_weight)

    @staticmethod
    def _interpolated_pr(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _divide_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both, _divide_no_nan(p[:-1], np.maximum(p[1:], 0)), 1.0)
        return np.sum(_divide_no_nan(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0)), axis=0)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "num_thresholds": self.num_thresholds, "curve": self.curve,
                "summation_method": self.summation_method, "thresholds": self.init_thresholds,
                "multi_label": self.multi_label, "num_labels": self.num_labels, "label_weights": self.label_weights,
                "from_logits": self.from_logits, "class_id": self.class_id}


class _AtConstraint(_Thresholded):
    """Best ``dependent`` rate among thresholds whose ``constrained`` rate meets ``value`` (Keras'
    SensitivitySpecificityBase: thresholds 0, 1/(n-1), ..., 1)."""

    value_name = ""

    def __init__(self, value: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype: Any = None):
        if not 0 <= value <= 1:
            raise ValueError(f"{self.value_name} must be in [0, 1], got {value}")
        if num_thresholds <= 0:
            raise ValueError(f"num_thresholds must be > 0, got {num_thresholds}")
        self.value, self.num_thresholds = value, num_thresholds
        thresholds = [0.5] if num_thresholds == 1 else (
            [0.0] + [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)] + [1.0])
        super().__init__(thresholds, class_id, None, name, dtype)

    def rates(self) -> dict[str, np.ndarray]:
        s = self.state
        return {"tpr": _divide_no_nan(s["tp"], s["tp"] + s["fn"]), "tnr": _divide_no_nan(s["tn"], s["tn"] + s["fp"]),
                "fpr": _divide_no_nan(s["fp"], s["fp"] + s["tn"]), "precision": _divide_no_nan(s["tp"], s["tp"] + s["fp"])}

    def best(self, constrained: str, dependent: str, at_most: bool = False, minimize: bool = False
             ) -> tuple[float, int | None]:
        """Keras' _find_max_under_constraint (``constrained >= value``), and the mirrors the FPR-based
        TFKG metrics need (``constrained <= value``, minimise the dependent rate); index None if infeasible."""
        r = self.rates()
        feasible = r[constrained] <= self.value if at_most else r[constrained] >= self.value
        if not feasible.any():
            return (1.0 if minimize else 0.0), None
        dep = np.where(feasible, r[dependent], np.inf if minimize else -np.inf)
        index = int(np.argmin(dep) if minimize else np.argmax(dep))
        return float(dep[index]), index

    def _logs_at(self, constrained: str, value: float, index: int | None) -> dict[str, float]:
        """TFKG's logs: the value, the ``constrained`` rate achieved and the threshold at ``index``."""
        achieved = float(self.rates()[constrained][index]) if index is not None else 0.0
        threshold = float(self.thresholds[index]) if index is not None else float("nan")
        return {self.name: value, f"{self.name}_{constrained}": achieved, f"{self.name}_threshold": threshold}

    def get_config(self) -> dict[str, Any]:
        return {**Metric.get_config(self), self.value_name: self.value, "num_thresholds": self.num_thresholds,
                "class_id": self.class_id}


class SensitivityAtSpecificity(_AtConstraint):
    value_name = "specificity"

    def __init__(self, specificity: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype: Any = None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)

    def result(self) -> float:
        return max(self.best("tnr", "tpr")[0], 0.0)


class SpecificityAtSensitivity(_AtConstraint):
    value_name = "sensitivity"

    def __init__(self, sensitivity: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype: Any = None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)

    def result(self) -> float:
        return max(self.best("tpr", "tnr")[0], 0.0)


class PrecisionAtRecall(_AtConstraint):
    value_name = "recall"

    def __init__(self, recall: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype: Any = None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)

    def result(self) -> float:
        return max(self.best("tpr", "precision")[0], 0.0)


class RecallAtPrecision(_AtConstraint):
    value_name = "precision"

    def __init__(self, precision: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype: Any = None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)

    def result(self) -> float:
        return max(self.best("precision", "tpr")[0], 0.0)


class FprAtTpr(_AtConstraint):
    """TFKG: the lowest false-positive rate at which the true-positive rate reaches ``tpr``. Logs also the
    achieved TPR (``<name>_tpr``) and the threshold (``<name>_threshold``)."""

    value_name = "tpr"

    def __init__(self, tpr: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype: Any = None):
        super().__init__(tpr, num_thresholds, class_id, name, dtype)

    def result(self) -> float:
        return self.best("tpr", "fpr", minimize=True)[0]

    def logs(self) -> dict[str, float]:
        value, index = self.best("tpr", "fpr", minimize=True)
        return self._logs_at("tpr", value, index)


class TprAtFpr(_AtConstraint):
    """TFKG: the highest true-positive rate with a false-positive rate at most ``fpr``. Logs also the
    achieved FPR (``<name>_fpr``) and the threshold (``<name>_threshold``)."""

    value_name = "fpr"

    def __init__(self, fpr: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype: Any = None):
        super().__init__(fpr, num_thresholds, class_id, name, dtype)

    def result(self) -> float:
        return max(self.best("fpr", "tpr", at_most=True)[0], 0.0)

    def logs(self) -> dict[str, float]:
        value, index = self.best("fpr", "tpr", at_most=True)
        return self._logs_at("fpr", max(value, 0.0), index)


class ConfusionMatrix(Metric):
    """Weighted ``num_classes x num_classes`` counts, rows = true class, columns = predicted class
    (sklearn's layout). Predictions are argmax, or ``y_pred > threshold`` for one sigmoid output."""

    def __init__(self, num_classes: int, threshold: float = 0.5, name: str = "confusion_matrix", dtype: Any = None):
        self.num_classes, self.threshold = num_classes, threshold
        super().__init__(name=name, dtype=dtype)

    def initial_state(self) -> dict[str, np.ndarray]:
        return {"matrix": np.zeros((self.num_classes, self.num_classes))}

    def statistics(self, B: type, y_true: Any, y_pred: Any, sample_weight: Any) -> dict[str, Any]:
        if last_dim(y_pred) == 1:
            predicted = B.i64(B.gt(B.f32(squeeze_last(y_pred)), B.const(self.threshold, y_pred)))
        else:
            predicted = B.argmax(y_pred)
        labels = B.i64(_sparse_labels(y_true, y_pred) if _is_sparse(y_true, y_pred) or last_dim(y_pred) == 1
                       else B.argmax(y_true))
        true_hot = B.reshape(B.one_hot(labels, self.num_classes), [-1, self.num_classes])
        pred_hot = B.reshape(B.one_hot(predicted, self.num_classes), [-1, self.num_classes])
        if sample_weight is not None:
            pred_hot = pred_hot * B.expand(B.reshape(B.f32(sample_weight), [-1]), -1)
        return {"matrix": B.matmul_t(true_hot, pred_hot)}

    def result(self) -> np.ndarray:
        return self.state["matrix"].copy()

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "num_classes": self.num_classes, "threshold": self.threshold}
