"""Array helpers of ``keras.utils`` on numpy data: one-hot labels, Lp normalization, sequence padding."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np


def to_categorical(x: Any, num_classes: int | None = None) -> np.ndarray:
    """Class indices -> one-hot float rows, class axis last; a trailing axis of 1 is dropped first, as Keras does."""
    x = np.array(x, dtype="int64")
    shape = x.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    flat = x.reshape(-1)
    if flat.size and (flat.min() < 0 or (num_classes and flat.max() >= num_classes)):
        raise ValueError(f"to_categorical: class indices must be in [0, {num_classes or 'max+1'}), "
                         f"got values from {flat.min()} to {flat.max()}")
    num_classes = int(num_classes or (flat.max() + 1 if flat.size else 0))
    categorical = np.zeros((flat.shape[0], num_classes))
    categorical[np.arange(flat.shape[0]), flat] = 1
    return categorical.reshape(shape + (num_classes,))


def normalize(x: Any, axis: int = -1, order: int = 2) -> np.ndarray:
    """``x`` divided by its ``order``-norm along ``axis`` (zero norms left as they are). ``axis=0`` works
    (Keras' numpy path turns 0 into -1 and fails to broadcast)."""
    x = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)


def pad_sequences(sequences: Sequence[Any], maxlen: int | None = None, dtype: Any = "int32", padding: str = "pre",
                  truncating: str = "pre", value: Any = 0.0) -> np.ndarray:
    """Sequences of different lengths -> one (samples, maxlen, ...) array: cut and padded at the start ("pre",
    Keras' default) or the end ("post")."""
    if padding not in ("pre", "post") or truncating not in ("pre", "post"):
        raise ValueError(f"padding and truncating must be 'pre' or 'post', got {padding!r} and {truncating!r}")
    lengths, sample_shape = [], None  # items' shape, from the first non-empty sequence
    for s in sequences:
        try:
            lengths.append(len(s))
        except TypeError as e:
            raise ValueError(f"pad_sequences needs a list of sequences, found {s!r}") from e
        if len(s) and sample_shape is None:
            sample_shape = np.asarray(s).shape[1:]
    sample_shape = sample_shape or ()
    maxlen = int(np.max(lengths)) if maxlen is None and lengths else int(maxlen or 0)
    if isinstance(value, str) and dtype is not object and not np.issubdtype(dtype, np.str_):
        raise ValueError(f"dtype {dtype} cannot hold the string padding value {value!r}; use dtype=object")
    out = np.full((len(sequences), maxlen) + sample_shape, value, dtype=dtype)
    for i, s in enumerate(sequences):
        if not len(s) or maxlen == 0:
            continue
        kept = np.asarray(s[-maxlen:] if truncating == "pre" else s[:maxlen], dtype=dtype)
        if kept.shape[1:] != sample_shape:
            raise ValueError(f"sequence {i} has items of shape {kept.shape[1:]}, the first had {sample_shape}")
        if padding == "post":
            out[i, :len(kept)] = kept
        else:
            out[i, -len(kept):] = kept
    return out
