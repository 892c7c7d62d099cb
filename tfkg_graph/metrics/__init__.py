"""Keras-named streaming metrics whose per-batch statistics are computed in the training graph.

Contract with the training loop (docs/design.md): per step fetch ``metric.graph_inputs(y_true, y_pred,
sample_weight)``, then ``metric.update_from_fetches(values)``; at epoch end merge ``metric.logs()``.
"""
from __future__ import annotations

from typing import Any

from .accuracy import (Accuracy, BinaryAccuracy, CategoricalAccuracy, MeanAbsoluteError, MeanSquaredError,
                       RootMeanSquaredError, SparseCategoricalAccuracy, SparseTopKCategoricalAccuracy,
                       TopKCategoricalAccuracy, accuracy, binary_accuracy, categorical_accuracy,
                       mean_absolute_error, mean_squared_error, sparse_categorical_accuracy,
                       sparse_top_k_categorical_accuracy, top_k_categorical_accuracy)
from .base import Mean, MeanMetricWrapper, Metric, Sum
from .confusion import (AUC, ConfusionMatrix, FalseNegatives, FalsePositives, FprAtTpr, Precision,
                        PrecisionAtRecall, Recall, RecallAtPrecision, SensitivityAtSpecificity,
                        SpecificityAtSensitivity, TprAtFpr, TrueNegatives, TruePositives)

CLASSES: dict[str, type] = {cls.__name__: cls for cls in (
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy, MeanAbsoluteError, MeanSquaredError, RootMeanSquaredError, Mean, Sum,
    AUC, Precision, Recall, TruePositives, FalsePositives, TrueNegatives, FalseNegatives,
    SensitivityAtSpecificity, SpecificityAtSensitivity, PrecisionAtRecall, RecallAtPrecision, FprAtTpr,
    TprAtFpr, ConfusionMatrix)}

# Keras' string names (functions and their aliases) -> class
NAMES: dict[str, type] = {
    "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError,
    "root_mean_squared_error": RootMeanSquaredError, "rmse": RootMeanSquaredError,
    "auc": AUC, "precision": Precision, "recall": Recall,
}
ACCURACY_NAMES = ("accuracy", "acc")


def get(identifier: Any) -> Metric:
    """A fresh metric for a Keras name (``"mae"``, ``"AUC"``), a config dict, a Metric instance (returned
    as is) or a function ``fn(y_true, y_pred) -> per-sample values`` on numpy arrays.
    ``"accuracy"`` here means exact-match Accuracy; compile() resolves it with ``resolve``."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, dict):
        cls = CLASSES.get(identifier.get("class_name", ""))
        if cls is None:
            raise ValueError(f"unknown metric class {identifier.get('class_name')!r}")
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, str):
        if identifier in CLASSES:
            return CLASSES[identifier]()
        if identifier.lower() in ACCURACY_NAMES:
            return Accuracy(name=identifier)
        cls = NAMES.get(identifier.lower())
        if cls is None:
            raise ValueError(f"unknown metric {identifier!r}; known: {sorted(NAMES) + sorted(CLASSES)}")
        return cls(name=identifier)
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise TypeError(f"cannot make a metric from {identifier!r}")


def _loss_name(loss: Any) -> str:
    if loss is None:
        return ""
    if isinstance(loss, str):
        return loss.lower()
    name = getattr(loss, "name", None) or getattr(loss, "__name__", None) or type(loss).__name__
    return str(name).lower()


def resolve(identifier: Any, loss: Any = None, output_shape: tuple | None = None,
            target_shape: tuple | None = None) -> Metric:
    """``compile(metrics=[...])``: like ``get``, but ``"accuracy"``/``"acc"`` become binary, sparse
    categorical or categorical accuracy by the loss (as tf.keras did), else by shapes (as Keras 3 does)."""
    if not (isinstance(identifier, str) and identifier.lower() in ACCURACY_NAMES):
        return get(identifier)
    loss_name, kind = _loss_name(loss).replace("_", ""), None
    if "sparsecategorical" in loss_name:
        kind = SparseCategoricalAccuracy
    elif "categorical" in loss_name:
        kind = CategoricalAccuracy
    elif "binary" in loss_name:
        kind = BinaryAccuracy
    elif output_shape:
        if output_shape[-1] == 1:
            kind = BinaryAccuracy
        elif target_shape is not None and (len(target_shape) < len(output_shape) or target_shape[-1] == 1):
            kind = SparseCategoricalAccuracy
        else:
            kind = CategoricalAccuracy
    return (kind or Accuracy)(name=identifier)


def serialize(metric: Metric) -> dict[str, Any]:
    return {"class_name": type(metric).__name__, "config": metric.get_config()}


__all__ = sorted(CLASSES) + ["MeanMetricWrapper", "Metric", "get", "resolve", "serialize", "accuracy",
                             "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
                             "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy",
                             "mean_absolute_error", "mean_squared_error"]
