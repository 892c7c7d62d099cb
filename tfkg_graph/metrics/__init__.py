"""Keras-named streaming metrics whose per-batch statistics are computed in the training graph.

Contract with the training loop (docs/design.md): per step fetch ``metric.graph_inputs(y_true, y_pred,
sample_weight)``, then ``metric.update_from_fetches(values)``; at epoch end merge ``metric.logs()``.
"""
from __future__ import annotations

from typing import Any, Callable

from .accuracy import (Accuracy, BinaryAccuracy, CategoricalAccuracy, MeanAbsoluteError, MeanSquaredError,
                       RootMeanSquaredError, SparseCategoricalAccuracy, SparseTopKCategoricalAccuracy,
                       TopKCategoricalAccuracy, accuracy, binary_accuracy, categorical_accuracy,
                       mean_absolute_error, mean_squared_error, sparse_categorical_accuracy,
                       sparse_top_k_categorical_accuracy, top_k_categorical_accuracy)
from .. import _keras_objects, losses
from .base import Mean, MeanMetricWrapper, Metric, Sum
from .function_metrics import (BinaryCrossentropy, CategoricalCrossentropy, CategoricalHinge, ConcordanceCorrelation,
                               CosineSimilarity, GraphFunctionMean, Hinge, KLDivergence, LogCoshError,
                               MeanAbsolutePercentageError, MeanSquaredLogarithmicError, PearsonCorrelation, Poisson,
                               SparseCategoricalCrossentropy, SquaredHinge, concordance_correlation,
                               pearson_correlation)
from .function_metrics import CLASSES as _FUNCTION_METRICS
from .scores import (F1Score, FBetaScore, IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU, R2Score)
from .scores import CLASSES as _SCORES
from .confusion import (AUC, ConfusionMatrix, FalseNegatives, FalsePositives, FprAtTpr, Precision,
                        PrecisionAtRecall, Recall, RecallAtPrecision, SensitivityAtSpecificity,
                        SpecificityAtSensitivity, TprAtFpr, TrueNegatives, TruePositives)

CLASSES: dict[str, type] = {cls.__name__: cls for cls in (
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy, MeanAbsoluteError, MeanSquaredError, RootMeanSquaredError, Mean, Sum,
    AUC, Precision, Recall, TruePositives, FalsePositives, TrueNegatives, FalseNegatives,
    SensitivityAtSpecificity, SpecificityAtSensitivity, PrecisionAtRecall, RecallAtPrecision, FprAtTpr,
    TprAtFpr, ConfusionMatrix, *_FUNCTION_METRICS, *_SCORES)}

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
    "binary_crossentropy": BinaryCrossentropy, "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy, "hinge": Hinge, "squared_hinge": SquaredHinge,
    "categorical_hinge": CategoricalHinge, "kl_divergence": KLDivergence, "kld": KLDivergence, "poisson": Poisson,
    "logcosh": LogCoshError, "log_cosh": LogCoshError, "mean_absolute_percentage_error": MeanAbsolutePercentageError,
    "mape": MeanAbsolutePercentageError, "mean_squared_logarithmic_error": MeanSquaredLogarithmicError,
    "msle": MeanSquaredLogarithmicError, "pearson_correlation": PearsonCorrelation,
    "concordance_correlation": ConcordanceCorrelation, "cosine_similarity": CosineSimilarity,
}
# Keras' metric functions that have no metric class: wrapped as a mean of the function
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "huber": losses.huber, "binary_focal_crossentropy": losses.binary_focal_crossentropy,
    "categorical_focal_crossentropy": losses.categorical_focal_crossentropy}
# Keras 3 exports the loss functions under keras.metrics too
(binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy, categorical_focal_crossentropy,
 categorical_hinge, hinge, huber, kl_divergence, log_cosh, mean_absolute_percentage_error,
 mean_squared_logarithmic_error, poisson, sparse_categorical_crossentropy, squared_hinge) = (
    losses.binary_crossentropy, losses.binary_focal_crossentropy, losses.categorical_crossentropy,
    losses.categorical_focal_crossentropy, losses.categorical_hinge, losses.hinge, losses.huber,
    losses.kl_divergence, losses.log_cosh, losses.mean_absolute_percentage_error,
    losses.mean_squared_logarithmic_error, losses.poisson, losses.sparse_categorical_crossentropy,
    losses.squared_hinge)
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
        if identifier.lower() in FUNCTIONS:
            return GraphFunctionMean(name=identifier, fn=FUNCTIONS[identifier.lower()])
        cls = NAMES.get(identifier.lower())
        if cls is None:
            raise ValueError(f"unknown metric {identifier!r}; known: "
                             f"{sorted(NAMES) + sorted(FUNCTIONS) + sorted(CLASSES)}")
        return cls(name=identifier)
    if isinstance(identifier, losses.Loss):  # a loss object as a metric: the mean of its per-batch values
        return GraphFunctionMean(name=identifier.name, fn=identifier)
    foreign = _keras_objects.from_foreign(identifier, CLASSES, "metrics")
    if foreign is not None:
        return foreign
    foreign_loss = _keras_objects.from_foreign(identifier, losses.LOSSES, "losses")
    if foreign_loss is not None:
        return GraphFunctionMean(name=foreign_loss.name, fn=foreign_loss)
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
    return _keras_objects.serialize(metric, "keras.metrics")


def deserialize(config: dict[str, Any] | str) -> Metric:
    return get(config)


__all__ = sorted(CLASSES) + ["MeanMetricWrapper", "Metric", "get", "resolve", "serialize", "deserialize", "accuracy",
                             "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
                             "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy",
                             "mean_absolute_error", "mean_squared_error", "pearson_correlation",
                             "concordance_correlation", *FUNCTIONS, *(n for n in NAMES if n in globals())]
