"""Keras 3 losses as graph ops: ``Loss()(y_true, y_pred, sample_weight) -> scalar Tensor``.

Reductions as Keras 3: ``sum_over_batch_size`` (sum of weighted per-sample losses / their count),
``sum``, ``mean_with_sample_weight`` and ``none``.

Crossentropy on probabilities: like Keras' TensorFlow backend in a compiled train step, when
``y_pred`` is the output of a Softmax (Sigmoid for binary) op and ``from_logits=False``, the loss is
computed from that op's input logits with the fused, numerically stable kernels
(SparseSoftmaxCrossEntropyWithLogits / SoftmaxCrossEntropyWithLogits / the stable sigmoid form).
So a saturated softmax never gives inf or NaN. Other probabilities are clipped to
``[1e-7, 1 - 1e-7]`` first, exactly as Keras does.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable

from ..graph import Tensor
from ..graph.ops import array, math, nn
from ..graph.ops.constants import constant, convert
from ..runtime import dtypes

EPSILON = 1e-7  # keras.backend.epsilon()
REDUCTIONS = ("sum_over_batch_size", "sum", None, "none", "mean", "mean_with_sample_weight")


def _float(x: Any, like: Tensor | None = None) -> Tensor:
    x = convert(x, graph=like.graph if like is not None else None)
    return x if dtypes.is_floating(x.dtype) else math.cast(x, "float32")


def _rank(x: Tensor) -> int:
    if x.rank is None:
        raise ValueError(f"loss input {x.name!r} needs a known rank")
    return x.rank


def squeeze_or_expand_to_same_rank(x1: Tensor, x2: Tensor, expand_rank_1: bool = True) -> tuple[Tensor, Tensor]:
    """Keras' rule: when ranks differ by one and the longer one ends in 1, squeeze it (or expand a rank-1 one)."""
    r1, r2 = _rank(x1), _rank(x2)
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = array.expand_dims(x2, -1)
        else:
            x1 = array.squeeze(x1, -1)
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = array.expand_dims(x1, -1)
        else:
            x2 = array.squeeze(x2, -1)
    return x1, x2


def _count(values: Tensor) -> Tensor:
    if values.shape is not None and None not in values.shape:
        n = 1
        for d in values.shape:
            n *= d
        return constant(float(n), values.dtype, graph=values.graph)
    return math.cast(array.size(values), values.dtype)


def reduce_weighted_values(values: Tensor, sample_weight: Tensor | None = None,
                           reduction: str | None = "sum_over_batch_size") -> Tensor:
    """Weights the per-sample losses (ranks matched as Keras does), then reduces them."""
    if sample_weight is not None:
        sample_weight = math.cast(convert(sample_weight, graph=values.graph), values.dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        values = values * sample_weight
    if reduction in (None, "none") or values.shape in ((), (0,)):
        return values
    loss = math.reduce_sum(values)
    if reduction == "sum":
        return loss
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return math.div_no_nan(loss, math.reduce_sum(sample_weight))
    return math.div_no_nan(loss, _count(values))


def apply_mask(sample_weight: Tensor | None, mask: Tensor, reduction: str | None) -> Tensor:
    """Keras 3's ``apply_mask``: folds the output's mask into the sample weights. For ``sum_over_batch_size``
    (and ``mean``) valid entries weigh ``total / valid``, so the reduced loss is the weighted sum over the
    valid entries divided by their number; other reductions weigh them 1. A per-sample ``(batch,)``
    weight covers every step of a ``(batch, steps)`` mask."""
    float_mask = math.cast(mask, "float32")
    if reduction in ("mean", "sum_over_batch_size"):
        float_mask = float_mask * math.div_no_nan(_count(float_mask), math.reduce_sum(float_mask))
    if sample_weight is None:
        return float_mask
    sample_weight = math.cast(convert(sample_weight, graph=mask.graph), "float32")
    float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, sample_weight)
    while _rank(sample_weight) < _rank(float_mask):
        sample_weight = array.expand_dims(sample_weight, -1)
    return sample_weight * float_mask


class Loss:
    """Keras' Loss: ``call`` gives per-sample losses; ``__call__`` weights and reduces them."""

    def __init__(self, name: str | None = None, reduction: str | None = "sum_over_batch_size", dtype: Any = None):
        if reduction not in REDUCTIONS:
            raise ValueError(f"invalid reduction {reduction!r}; expected one of {REDUCTIONS}")
        self.name = name or type(self).__name__.lower()
        self.reduction = reduction
        self.dtype = dtype

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        y_pred = _float(y_pred)
        with y_pred.graph.name_scope(self.name):
            losses = self.call(convert(y_true, graph=y_pred.graph), y_pred)
            return reduce_weighted_values(losses, sample_weight, self.reduction)

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Loss":
        return cls(**config)


class LossFunctionWrapper(Loss):
    """A per-sample loss function with fixed keyword arguments, ranks matched first."""

    def __init__(self, fn: Callable[..., Tensor], reduction: str | None = "sum_over_batch_size",
                 name: str | None = None, dtype: Any = None, **kwargs: Any):
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction, dtype=dtype)
        self.fn, self._fn_kwargs = fn, kwargs

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **self._fn_kwargs}


# ---- per-sample loss functions ---------------------------------------------------------------
def _pair(y_true: Any, y_pred: Any) -> tuple[Tensor, Tensor]:
    y_pred = _float(y_pred)
    y_true = math.cast(convert(y_true, graph=y_pred.graph), y_pred.dtype)
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


def mean_squared_error(y_true: Any, y_pred: Any) -> Tensor:
    y_true, y_pred = _pair(y_true, y_pred)
    return math.reduce_mean(math.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true: Any, y_pred: Any) -> Tensor:
    y_true, y_pred = _pair(y_true, y_pred)
    return math.reduce_mean(math.abs(y_true - y_pred), axis=-1)


def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> Tensor:
    y_true, y_pred = _pair(y_true, y_pred)
    error = y_pred - y_true
    abs_error = math.abs(error)
    quadratic = math.square(error) * 0.5
    linear = abs_error * delta - 0.5 * delta * delta
    return math.reduce_mean(math.select(math.less_equal(abs_error, delta), quadratic, linear), axis=-1)


def _logits_of(output: Tensor, from_logits: bool, op_type: str, fn_name: str) -> tuple[Tensor, bool]:
    """Keras' TF backend: look through a Softmax/Sigmoid op to its logits."""
    if output.op.type == op_type and len(output.op.inputs) == 1:
        if from_logits:
            warnings.warn(f"`{fn_name}` received `from_logits=True`, but the `output` argument was produced "
                          f"by a {op_type} activation and thus does not represent logits. Was this intended?")
        return output.op.inputs[0], True
    return output, from_logits


def _as_2d(x: Tensor) -> tuple[Tensor, Any]:
    """(batch..., classes) -> (n, classes) for the fused kernels, and the leading shape to restore."""
    if _rank(x) == 2:
        return x, None
    lead = x.shape[:-1] if None not in x.shape[:-1] else array.shape(x)[:-1]
    return array.reshape(x, [-1, x.shape[-1] if x.shape[-1] is not None else array.shape(x)[-1]]), lead


def _restore(values: Tensor, lead: Any) -> Tensor:
    if lead is None:
        return values
    return array.reshape(values, list(lead) if isinstance(lead, tuple) else lead)


def categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False, label_smoothing: float = 0.0,
                             axis: int = -1) -> Tensor:
    y_pred = _float(y_pred)
    y_true = math.cast(convert(y_true, graph=y_pred.graph), y_pred.dtype)
    if _rank(y_true) != _rank(y_pred) or any(a is not None and b is not None and a != b
                                             for a, b in zip(y_true.shape, y_pred.shape)):
        raise ValueError(f"categorical_crossentropy: y_true shape {y_true.shape} and y_pred shape "
                         f"{y_pred.shape} must match")
    if label_smoothing:
        classes = y_pred.shape[-1] if y_pred.shape[-1] is not None else math.cast(array.shape(y_true)[-1],
                                                                                   y_pred.dtype)
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / classes
    if axis not in (-1, _rank(y_pred) - 1):
        raise ValueError(f"categorical_crossentropy supports only the last axis, got axis={axis}")
    output, from_logits = _logits_of(y_pred, from_logits, "Softmax", "categorical_crossentropy")
    if from_logits:
        logits, lead = _as_2d(output)
        labels, _ = _as_2d(y_true)
        return _restore(nn.softmax_cross_entropy_with_logits(labels, logits), lead)
    output = output / math.reduce_sum(output, -1, keepdims=True)
    output = math.clip_by_value(output, EPSILON, 1.0 - EPSILON)
    return math.negative(math.reduce_sum(y_true * math.log(output), -1))


def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                                    ignore_class: int | None = None, axis: int = -1) -> Tensor:
    if ignore_class is not None:
        raise ValueError("sparse_categorical_crossentropy: ignore_class is not supported")
    y_pred = _float(y_pred)
    if axis not in (-1, _rank(y_pred) - 1):
        raise ValueError(f"sparse_categorical_crossentropy supports only the last axis, got axis={axis}")
    y_true = convert(y_true, graph=y_pred.graph)
    if _rank(y_true) == _rank(y_pred) and y_true.shape[-1] == 1:
        y_true = array.squeeze(y_true, -1)
    if _rank(y_true) != _rank(y_pred) - 1:
        raise ValueError(f"sparse_categorical_crossentropy: y_true shape {y_true.shape} must be y_pred shape "
                         f"{y_pred.shape} without the class axis")
    if y_true.dtype not in (dtypes.INT32, dtypes.INT64):
        y_true = math.cast(y_true, "int64")
    output, from_logits = _logits_of(y_pred, from_logits, "Softmax", "sparse_categorical_crossentropy")
    if not from_logits:
        output = math.log(math.clip_by_value(output, EPSILON, 1.0 - EPSILON))
    logits, lead = _as_2d(output)
    labels = y_true if lead is None else array.reshape(y_true, [-1])
    return _restore(nn.sparse_softmax_cross_entropy_with_logits(labels, logits), lead)


def binary_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False, label_smoothing: float = 0.0,
                        axis: int = -1) -> Tensor:
    y_pred = _float(y_pred)
    y_true = math.cast(convert(y_true, graph=y_pred.graph), y_pred.dtype)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if _rank(y_true) != _rank(y_pred):
        raise ValueError(f"binary_crossentropy: y_true shape {y_true.shape} and y_pred shape {y_pred.shape} "
                         "must have the same rank")
    output, from_logits = _logits_of(y_pred, from_logits, "Sigmoid", "binary_crossentropy")
    if from_logits:
        # max(x, 0) - x z + log(1 + exp(-|x|)), TF's sigmoid_cross_entropy_with_logits
        positive = math.greater_equal(output, 0.0)
        zeros = array.zeros_like(output)
        relu_logits = math.select(positive, output, zeros)
        neg_abs_logits = math.select(positive, math.negative(output), output)
        losses = relu_logits - output * y_true + math.log1p(math.exp(neg_abs_logits))
    else:
        output = math.clip_by_value(output, EPSILON, 1.0 - EPSILON)
        losses = math.negative(y_true * math.log(output) + (1.0 - y_true) * math.log(1.0 - output))
    return math.reduce_mean(losses, axis=axis)


# ---- classes -------------------------------------------------------------------------------
class MeanSquaredError(LossFunctionWrapper):
    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "mean_squared_error",
                 dtype: Any = None):
        super().__init__(mean_squared_error, name=name, reduction=reduction, dtype=dtype)


class MeanAbsoluteError(LossFunctionWrapper):
    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "mean_absolute_error",
                 dtype: Any = None):
        super().__init__(mean_absolute_error, name=name, reduction=reduction, dtype=dtype)


class Huber(LossFunctionWrapper):
    def __init__(self, delta: float = 1.0, reduction: str | None = "sum_over_batch_size", name: str = "huber_loss",
                 dtype: Any = None):
        super().__init__(huber, name=name, reduction=reduction, dtype=dtype, delta=delta)

    def get_config(self) -> dict[str, Any]:
        return Loss.get_config(self)  # Keras 3 leaves delta out of the config


class BinaryCrossentropy(LossFunctionWrapper):
    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str | None = "sum_over_batch_size", name: str = "binary_crossentropy", dtype: Any = None):
        super().__init__(binary_crossentropy, name=name, reduction=reduction, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class CategoricalCrossentropy(LossFunctionWrapper):
    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str | None = "sum_over_batch_size", name: str = "categorical_crossentropy",
                 dtype: Any = None):
        super().__init__(categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    def __init__(self, from_logits: bool = False, ignore_class: int | None = None,
                 reduction: str | None = "sum_over_batch_size", axis: int = -1,
                 name: str = "sparse_categorical_crossentropy", dtype: Any = None):
        super().__init__(sparse_categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.pop("axis")  # as Keras 3's get_config
        return config
