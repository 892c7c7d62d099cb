"""``keras.ops.math`` names (Keras exports them at ``keras.ops`` top level): segment reductions, top-k,
log-sum-exp, pairwise distances, framing, erfc/erfinv and log-determinant, over our graph ops."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..graph import Tensor
from ..graph.ops import array, linalg, linalg_more, math_more, numpy_ops
from ..graph.ops import math as gmath
from ..graph.ops.constants import constant, convert
from ..runtime import dtypes
from ._fft import fft, fft2, ifft2, irfft, istft, rfft, stft  # noqa: F401 - keras.ops.math names

__all__ = ["segment_sum", "segment_max", "segment_min", "segment_prod", "top_k", "in_top_k", "logsumexp",
           "cdist", "extract_sequences", "erf", "erfc", "erfinv", "rsqrt", "logdet", "fft", "fft2", "ifft2", "rfft",
           "irfft", "stft", "istft"]


def _segment(op_type: str, data: Any, segment_ids: Any, num_segments: Any, sorted: bool) -> Tensor:  # noqa: A002
    if sorted and num_segments is not None:
        raise ValueError("Argument `num_segments` cannot be set when sorted is True (Keras' TF backend rule), "
                         f"got num_segments={num_segments}")
    data = convert(data)
    ids = convert(segment_ids, graph=data.graph)
    if num_segments is None:  # one past the largest id, so no id is dropped
        num_segments = gmath.cast(gmath.reduce_max(ids), "int32") + 1
    return math_more.unsorted_segment(op_type, data, ids, num_segments)


def segment_sum(data: Any, segment_ids: Any, num_segments: Any = None, sorted: bool = False) -> Tensor:  # noqa: A002
    """Sum of the rows of ``data`` that share a segment id."""
    return _segment("UnsortedSegmentSum", data, segment_ids, num_segments, sorted)


def segment_max(data: Any, segment_ids: Any, num_segments: Any = None, sorted: bool = False) -> Tensor:  # noqa: A002
    return _segment("UnsortedSegmentMax", data, segment_ids, num_segments, sorted)


def segment_min(data: Any, segment_ids: Any, num_segments: Any = None, sorted: bool = False) -> Tensor:  # noqa: A002
    return _segment("UnsortedSegmentMin", data, segment_ids, num_segments, sorted)


def segment_prod(data: Any, segment_ids: Any, num_segments: Any = None, sorted: bool = False) -> Tensor:  # noqa: A002
    return _segment("UnsortedSegmentProd", data, segment_ids, num_segments, sorted)


def top_k(x: Any, k: int, sorted: bool = True) -> tuple[Tensor, Tensor]:  # noqa: A002 - Keras' name
    """The ``k`` largest values along the last axis and their int32 indices."""
    values, indices = numpy_ops.top_k(x, k, sorted=sorted)
    return values, indices


def in_top_k(targets: Any, predictions: Any, k: int) -> Tensor:
    """Whether each target class is among its row's ``k`` largest predictions (bool)."""
    return math_more.in_top_k(predictions, targets, k)


def logsumexp(x: Any, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
    """log(sum(exp(x))) shifted by the (finite) maximum, as tf.reduce_logsumexp, so large inputs do not
    overflow; the shift carries no gradient."""
    x = convert(x)
    if not dtypes.is_floating(x.dtype):
        x = gmath.cast(x, "float32")
    peak = gmath.reduce_max(x, axis=axis, keepdims=True)
    peak = array.stop_gradient(gmath.select(gmath.is_finite(peak), peak, array.zeros_like(peak)))
    out = gmath.log(gmath.reduce_sum(gmath.exp(x - peak), axis=axis, keepdims=keepdims))
    if not keepdims:
        peak = array.reshape(peak, array.shape(out))
    return out + peak


def cdist(x: Any, y: Any) -> Tensor:
    """Euclidean distances between the rows of ``x`` and ``y`` (batched over leading axes)."""
    x = convert(x)
    y = convert(y, x.dtype, x.graph)
    if x.rank is not None and y.rank is not None and (x.rank < 2 or y.rank < 2):
        raise ValueError("`cdist` inputs must have rank >= 2")
    if x.shape is not None and y.shape is not None and None not in (x.shape[-1], y.shape[-1]) \
            and x.shape[-1] != y.shape[-1]:
        raise ValueError("Last dimension of inputs to `cdist` must match")
    diff = array.expand_dims(x, -2) - array.expand_dims(y, -3)
    return gmath.sqrt(gmath.reduce_sum(gmath.square(diff), axis=-1))


def extract_sequences(x: Any, sequence_length: int, sequence_stride: int) -> Tensor:
    """Frames of ``sequence_length`` along the last axis every ``sequence_stride`` steps (tf.signal.frame
    without padding): shape ``(..., num_frames, sequence_length)``, one gather."""
    x = convert(x)
    if x.rank is None:
        raise ValueError("extract_sequences needs the input's rank to be known")
    length = x.shape[-1] if x.shape[-1] is not None else array.shape(x)[-1]
    if isinstance(length, int):
        starts = constant(np.arange(0, max(length - sequence_length + 1, 0), sequence_stride, dtype=np.int32),
                          graph=x.graph)
    else:
        starts = array.range_(0, gmath.maximum(length - sequence_length + 1, 0), sequence_stride)
    offsets = constant(np.arange(sequence_length, dtype=np.int32), graph=x.graph)
    index = array.expand_dims(starts, -1) + array.expand_dims(offsets, 0)
    return array.gather(x, index, axis=x.rank - 1)


def _float(x: Any) -> Tensor:
    x = convert(x)
    return x if dtypes.is_floating(x.dtype) else gmath.cast(x, "float32")


def erf(x: Any) -> Tensor:
    return gmath.erf(_float(x))


def erfc(x: Any) -> Tensor:
    return gmath.erfc(_float(x))


def erfinv(x: Any) -> Tensor:
    return math_more.erfinv(_float(x))


def rsqrt(x: Any) -> Tensor:
    return gmath.rsqrt(_float(x))


def logdet(x: Any) -> Tensor:
    """log det of Hermitian positive-definite matrices, from the Cholesky factor as tf.linalg.logdet:
    2 * sum(log(diag(L)))."""
    chol = linalg_more.cholesky(x)
    diagonal = gmath.reduce_sum(chol * linalg.matrix_band_part(array.ones_like(chol), 0, 0), axis=-1)
    return gmath.scalar_like(chol, 2.0) * gmath.reduce_sum(gmath.log(diagonal), axis=-1)
