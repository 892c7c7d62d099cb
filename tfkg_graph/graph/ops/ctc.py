"""Connectionist temporal classification (TF's ctc_ops): the CTCLoss kernel (which also returns the
loss's gradient with respect to the logits) and the greedy / beam-search decoders; the loss over dense
labels that ``keras.ops.nn.ctc_loss`` and ``keras.losses.CTC`` share."""
from __future__ import annotations

from typing import Any

import numpy as np

from ...runtime import dtypes
from ..graph import Tensor
from ..shapes import rule
from . import array, math, math_more, numpy_ops
from ._base import make
from .constants import constant, convert


def ctc_loss(logits: Any, labels_indices: Any, labels_values: Any, sequence_length: Any,
             name: str | None = None) -> list[Tensor]:
    """(loss per batch entry, d loss / d logits) for time-major logits ``(T, B, C)`` whose last class is
    the blank, and sparse labels (int64 ``(N, 2)`` indices, int32 values)."""
    logits = convert(logits)
    g = logits.graph
    return make("CTCLoss", [logits, convert(labels_indices, graph=g), convert(labels_values, graph=g),
                            convert(sequence_length, graph=g)], name=name).outputs


def ctc_greedy_decoder(logits: Any, sequence_length: Any, merge_repeated: bool, blank_index: int,
                       name: str | None = None) -> list[Tensor]:
    """(indices, values, dense shape, log probability) of the best path per batch entry."""
    logits = convert(logits)
    return make("CTCGreedyDecoder", [logits, convert(sequence_length, graph=logits.graph)],
                {"merge_repeated": merge_repeated, "blank_index": blank_index}, name=name).outputs


def ctc_beam_search_decoder(logits: Any, sequence_length: Any, beam_width: int, top_paths: int,
                            merge_repeated: bool = True, name: str | None = None) -> list[Tensor]:
    """``top_paths`` sparse decodings (indices..., values..., shapes...) and their log probabilities."""
    logits = convert(logits)
    return make("CTCBeamSearchDecoder", [logits, convert(sequence_length, graph=logits.graph)],
                {"beam_width": beam_width, "top_paths": top_paths, "merge_repeated": merge_repeated},
                name=name).outputs


# -- dense labels (keras.ops.nn.ctc_loss and keras.losses.CTC) ------------------------------------------
def blank_index(logits: Tensor, blank: int) -> int | Tensor:
    """``blank`` as a non-negative class index (a tensor when the number of classes is unknown)."""
    classes = logits.shape[-1] if logits.shape is not None else None
    if classes is not None:
        return blank % classes
    return math.floor_mod(constant(np.int32(blank), graph=logits.graph), array.shape(logits)[-1])


def blank_last(logits: Tensor, blank: int) -> Tensor:
    """Classes reordered so ``blank`` is last (the others keep their order)."""
    index = blank_index(logits, blank)
    if isinstance(index, int):
        classes = logits.shape[-1]
        if index == classes - 1:
            return logits
        order = constant(np.asarray([c for c in range(classes) if c != index] + [index], np.int32),
                         graph=logits.graph)
    else:
        classes = array.shape(logits)[-1]
        order = array.concat([array.range_(0, index), array.range_(index + 1, classes),
                              array.reshape(index, [1])], 0)
    return array.gather(logits, order, axis=2)


def dense_ctc_loss(target: Any, output: Any, target_length: Any, output_length: Any, mask_index: int = 0) -> Tensor:
    """Per-sequence CTC negative log-likelihood of dense ``target`` labels ``(B, S)`` (first
    ``target_length`` entries used) under ``output`` logits ``(B, T, C)``, blank class ``mask_index``."""
    output = convert(output)
    result_dtype = dtypes.DOUBLE if output.dtype == dtypes.DOUBLE else dtypes.FLOAT
    logits = math.cast(output, "float32")
    target = math.cast(convert(target, graph=logits.graph), "int32")
    lengths = math.cast(convert(target_length, graph=logits.graph), "int32")
    steps = math.cast(convert(output_length, graph=logits.graph), "int32")
    width = array.shape(target)[1]
    valid = math.less(array.expand_dims(array.range_(0, width), 0), array.expand_dims(lengths, 1))
    indices = numpy_ops.where_indices(valid)
    values = math_more.gather_nd(target, indices)
    blank = blank_index(logits, mask_index)
    # the kernel indexes the logits with the labels: refuse labels outside [0, classes) or equal to the blank
    classes = logits.shape[-1] if logits.shape is not None and logits.shape[-1] is not None \
        else array.shape(logits)[-1]
    valid = math.logical_and(math.logical_and(math.greater_equal(values, 0), math.less(values, classes)),
                             math.not_equal(values, blank))
    check = math_more.assert_all(valid, "ctc_loss: every label must be in [0, num_classes) and differ from "
                                        f"mask_index={mask_index}")
    with logits.graph.control_dependencies([check]):
        values = values - math.cast(math.greater(values, blank), "int32")
    time_major = array.transpose(blank_last(logits, mask_index), [1, 0, 2])
    loss, _ = ctc_loss(time_major, indices, values, steps)
    return math.cast(loss, result_dtype)



@rule("CTCLoss")
def _ctc_loss(op: Any) -> list:
    s = op.inputs[0].shape
    return [None if s is None else (s[1],), s]


@rule("CTCGreedyDecoder")
def _greedy(op: Any) -> list:
    s = op.inputs[0].shape
    return [(None, 2), (None,), (2,), None if s is None else (s[1], 1)]
