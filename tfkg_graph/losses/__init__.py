"""Keras 3 losses as graph ops: ``Loss()(y_true, y_pred, sample_weight) -> scalar Tensor``, and the
per-sample functions under Keras' names; ``get``/``serialize``/``deserialize`` as keras.losses."""
from __future__ import annotations

from typing import Any

from .. import _keras_objects
from .classification import (BinaryFocalCrossentropy, CategoricalFocalCrossentropy, CategoricalGeneralizedCrossEntropy,
                             CategoricalHinge, Circle, Dice, Hinge, SquaredHinge, Tversky, binary_focal_crossentropy,
                             categorical_focal_crossentropy, categorical_generalized_cross_entropy, categorical_hinge,
                             circle, dice, hinge, squared_hinge, tversky)
from .core import (EPSILON, REDUCTIONS, BinaryCrossentropy, CategoricalCrossentropy, Huber, Loss,
                   LossFunctionWrapper, MeanAbsoluteError, MeanSquaredError, SparseCategoricalCrossentropy,
                   apply_mask, binary_crossentropy, categorical_crossentropy, huber, mean_absolute_error,
                   mean_squared_error, reduce_weighted_values, sparse_categorical_crossentropy,
                   squeeze_or_expand_to_same_rank)
from .sequence import CTC, ctc
from .regression import (CosineSimilarity, KLDivergence, LogCosh, MeanAbsolutePercentageError,
                         MeanSquaredLogarithmicError, Poisson, cosine_similarity, kl_divergence, log_cosh,
                         mean_absolute_percentage_error, mean_squared_logarithmic_error, poisson)

LOSSES: dict[str, type] = {cls.__name__: cls for cls in (
    MeanSquaredError, MeanAbsoluteError, Huber, BinaryCrossentropy, CategoricalCrossentropy,
    SparseCategoricalCrossentropy, MeanAbsolutePercentageError, MeanSquaredLogarithmicError, LogCosh, Poisson,
    KLDivergence, CosineSimilarity, Hinge, SquaredHinge, CategoricalHinge, BinaryFocalCrossentropy,
    CategoricalFocalCrossentropy, CategoricalGeneralizedCrossEntropy, Dice, Tversky, Circle, CTC)}
FUNCTIONS: dict[str, type] = {
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError, "MSE": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
    "huber": Huber, "binary_crossentropy": BinaryCrossentropy, "bce": BinaryCrossentropy,
    "BCE": BinaryCrossentropy, "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError, "mape": MeanAbsolutePercentageError,
    "MAPE": MeanAbsolutePercentageError, "mean_squared_logarithmic_error": MeanSquaredLogarithmicError,
    "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError, "log_cosh": LogCosh,
    "logcosh": LogCosh, "poisson": Poisson, "kl_divergence": KLDivergence, "kld": KLDivergence,
    "KLD": KLDivergence, "cosine_similarity": CosineSimilarity, "hinge": Hinge, "squared_hinge": SquaredHinge,
    "categorical_hinge": CategoricalHinge, "binary_focal_crossentropy": BinaryFocalCrossentropy,
    "categorical_focal_crossentropy": CategoricalFocalCrossentropy, "dice": Dice, "tversky": Tversky,
    "circle": Circle, "ctc": CTC}


def serialize(loss: Loss) -> dict[str, Any]:
    return _keras_objects.serialize(loss, "keras.losses")


def deserialize(config: dict[str, Any] | str) -> Loss:
    return _keras_objects.lookup(config, {**LOSSES, **FUNCTIONS}, "loss", Loss)


def get(identifier: Any) -> Loss | None:
    """A Loss for a class or function name ('sparse_categorical_crossentropy', 'mse', 'Huber'), a class,
    an instance, a config dict, or a plain ``fn(y_true, y_pred) -> per-sample losses`` (wrapped)."""
    if identifier is None:
        return None
    if callable(identifier) and not isinstance(identifier, (type, Loss)):
        return _keras_objects.from_foreign(identifier, LOSSES, "losses") or LossFunctionWrapper(identifier)
    return deserialize(identifier)


__all__ = sorted([*LOSSES, *(n for n in FUNCTIONS if n.islower() and n in globals()), "EPSILON", "REDUCTIONS", "Loss",
                  "LossFunctionWrapper", "apply_mask", "reduce_weighted_values", "squeeze_or_expand_to_same_rank",
                  "categorical_generalized_cross_entropy", "get", "serialize", "deserialize"])
