"""``keras.ops.nn.ctc_loss`` / ``ctc_decode`` over TF's CTC kernels: dense labels become the sparse
ones the kernels take, and the blank class moves to the last position the kernels expect."""
from __future__ import annotations

from typing import Any


from ..graph import Tensor
from ..graph.ops import array, ctc, math, math_more
from ..graph.ops.constants import convert
from ..runtime import dtypes

__all__ = ["ctc_loss", "ctc_decode"]

ctc_loss = ctc.dense_ctc_loss
_blank_index, _blank_last = ctc.blank_index, ctc.blank_last


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
