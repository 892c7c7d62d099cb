"""``keras.ops.nn.ctc_loss`` / ``ctc_decode`` over TF's CTC kernels: dense labels become the sparse
ones the kernels take, and the blank class moves to the last position the kernels expect."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import Tensor
from ..graph.ops import array, ctc, math, math_more, numpy_ops
from ..graph.ops.constants import constant, convert
from ..runtime import dtypes

__all__ = ["ctc_loss", "ctc_decode"]


def _blank_index(logits: Tensor, blank: int) -> int | Tensor:
    """``blank`` as a non-negative class index (a tensor when the number of classes is unknown)."""
    classes = logits.shape[-1] if logits.shape is not None else None
    if classes is not None:
        return blank % classes
    return math.floor_mod(constant(np.int32(blank), graph=logits.graph), array.shape(logits)[-1])


def _blank_last(logits: Tensor, blank: int) -> Tensor:
    """Classes reordered so ``blank`` is last (the others keep their order)."""
    index = _blank_index(logits, blank)
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


def ctc_loss(target: Any, output: Any, target_length: Any, output_length: Any, mask_index: int = 0) -> Tensor:
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
    blank = _blank_index(logits, mask_index)
    # the kernel indexes the logits with the labels: refuse labels outside [0, classes) or equal to the blank
    classes = logits.shape[-1] if logits.shape is not None and logits.shape[-1] is not None \
        else array.shape(logits)[-1]
    valid = math.logical_and(math.logical_and(math.greater_equal(values, 0), math.less(values, classes)),
                             math.not_equal(values, blank))
    check = math_more.assert_all(valid, "ctc_loss: every label must be in [0, num_classes) and differ from "
                                        f"mask_index={mask_index}")
    with logits.graph.control_dependencies([check]):
        values = values - math.cast(math.greater(values, blank), "int32")
    time_major = array.transpose(_blank_last(logits, mask_index), [1, 0, 2])
    loss, _ = ctc.ctc_loss(time_major, indices, values, steps)
    return math.cast(loss, result_dtype)


def ctc_decode(inputs: Any, sequence_lengths: Any, strategy: str = "greedy", beam_width: int = 100,
               top_paths: int = 1, merge_repeated: bool = True, mask_index: int = 0) -> tuple[Tensor, Tensor]:
    """Decoded label sequences ``(top_paths, B, T)`` padded with -1, and their scores, as Keras' TF
    backend (greedy: negative sum of the best logits; beam search: log probabilities)."""
    inputs = convert(inputs)
    if not dtypes.is_floating(inputs.dtype):
        inputs = math.cast(inputs, "float32")
    lengths = math.cast(convert(sequence_lengths, graph=inputs.graph), "int32")
    dims = array.shape(inputs)
    dense_shape = array.stack([dims[0], dims[1]])
    time_major = array.transpose(inputs, [1, 0, 2])
    if strategy == "greedy":
        indices, values, _, scores = ctc.ctc_greedy_decoder(time_major, lengths, merge_repeated,
                                                               -1 if mask_index is None else mask_index)
        paths = [(indices, values)]
    elif strategy == "beam_search":
        moved = _blank_last(time_major, mask_index) if mask_index is not None else time_major
        outs = ctc.ctc_beam_search_decoder(moved, lengths, beam_width, top_paths, merge_repeated)
        paths = list(zip(outs[:top_paths], outs[top_paths:2 * top_paths]))
        scores = outs[-1]
    else:
        raise ValueError(f"Invalid strategy {strategy}. Supported values are 'greedy' and 'beam_search'.")
    decoded = []
    for indices, values in paths:
        shape = math.cast(dense_shape, "int64")
        dense = math_more.scatter_nd(indices, values + 1, shape) - 1  # absent positions: -1
        decoded.append(math.cast(dense, "int32"))
    decoded = array.stack(decoded, axis=0)
    if strategy == "beam_search" and mask_index is not None:
        decoded = math.select(math.greater_equal(decoded, _blank_index(inputs, mask_index)), decoded + 1, decoded)
    return decoded, scores
