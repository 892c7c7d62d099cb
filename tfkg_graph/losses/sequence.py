"""Keras 3's CTC loss: label sequences (0 pads them and is the blank class) against per-step logits."""
from __future__ import annotations

from typing import Any

from ..graph import Tensor
from ..graph.ops import array, ctc as ctc_ops, math
from ..graph.ops.constants import convert
from .core import LossFunctionWrapper, _float


def ctc(y_true: Any, y_pred: Any) -> Tensor:
    """Per-sequence CTC loss of integer labels ``(batch, max_length)`` (0 pads and is the blank) under
    unnormalized logits ``(batch, steps, classes)``; every step of ``y_pred`` counts."""
    y_pred = _float(y_pred)
    y_true = convert(y_true, graph=y_pred.graph)
    if y_true.rank != 2:
        raise ValueError(f"CTC: y_true must be (batch_size, max_length) integer labels, got shape {y_true.shape}")
    if y_pred.rank != 3:
        raise ValueError(f"CTC: y_pred must be (batch_size, steps, num_classes) logits, got shape {y_pred.shape}")
    dims = array.shape(y_pred)
    steps = array.fill(array.reshape(dims[0], [1]), dims[1])
    label_length = math.reduce_sum(math.cast(math.not_equal(math.cast(y_true, "int32"), 0), "int32"), axis=-1)
    return ctc_ops.dense_ctc_loss(y_true, y_pred, label_length, steps, mask_index=0)


class CTC(LossFunctionWrapper):
    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "ctc", dtype: Any = None):
        super().__init__(ctc, name=name, reduction=reduction, dtype=dtype)

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        return ctc(y_true, y_pred)  # label and logit ranks differ by design: no rank matching
