"""Turning user data (arrays, lists/dicts of arrays, datasets) into the model's feed order, once.

Arrays are converted to the placeholders' dtypes and checked up front, so a train step only slices
views; bad input fails here with a message that names the input.
"""
from __future__ import annotations

import math
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from ..graph import Tensor

Batch = tuple[list[np.ndarray], list[np.ndarray] | None, list[np.ndarray] | None]


def is_dataset(x: Any) -> bool:
    """The dataset protocol: an iterable of batches that is not an array, list, tuple or dict."""
    return (x is not None and not isinstance(x, (np.ndarray, list, tuple, dict, Tensor))
            and hasattr(x, "__iter__") and not hasattr(x, "__array__"))


def _fmt(shape: Sequence[int | None]) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (",)" if len(shape) == 1 else ")")


def _structure(values: Any, names: Sequence[str], what: str) -> list[Any]:
    """An array, list/tuple (one per name) or dict name->array, as a list in ``names`` order."""
    if isinstance(values, dict):
        missing = [n for n in names if n not in values]
        extra = [k for k in values if k not in names]
        if missing or extra:
            raise ValueError(f"{what}: expected keys {list(names)}, got {sorted(values)}"
                             + (f" (missing {missing})" if missing else "") + (f" (unknown {extra})" if extra else ""))
        return [values[n] for n in names]
    if isinstance(values, (list, tuple)) and not (len(names) == 1 and _is_rows(values)):
        if len(values) != len(names):
            raise ValueError(f"{what}: the model has {len(names)} ({', '.join(names)}), got {len(values)} arrays")
        return list(values)
    if len(names) != 1:
        raise ValueError(f"{what}: the model has {len(names)} ({', '.join(names)}); pass a list or a dict "
                         "of arrays, not a single array")
    return [values]


def _is_rows(values: Sequence[Any]) -> bool:
    """A plain nested list of numbers (rows of one array) rather than a list of arrays."""
    return len(values) > 0 and not isinstance(values[0], np.ndarray) and np.ndim(values[0]) <= 1 and not (
        isinstance(values[0], (list, tuple)) and len(values[0]) and isinstance(values[0][0], np.ndarray))


def conform(array: Any, shape: Sequence[int | None], dtype: np.dtype, what: str) -> np.ndarray:
    """``array`` as ``dtype`` with rank adjusted like Keras (add or drop a trailing 1), or a clear error."""
    array = np.asarray(array)
    if array.dtype.kind in "OSUV" and dtype.kind not in "OSU":
        raise ValueError(f"{what}: expected numbers ({dtype}), got an array of {array.dtype}")
    if array.dtype.kind == "f" and dtype.kind in "iu":
        if not np.all(np.isfinite(array)) or not np.array_equal(array, np.round(array)):
            raise ValueError(f"{what}: expected integers ({dtype}), got non-integer values")
    if array.ndim == len(shape) + 1 and array.shape[-1] == 1:
        array = array[..., 0]
    elif array.ndim == len(shape) - 1 and shape[-1] == 1:
        array = array[..., None]
    if array.ndim != len(shape) or any(d is not None and d != a for d, a in zip(shape, array.shape)):
        raise ValueError(f"{what}: expected shape {_fmt(shape)}, got {array.shape}")
    return array if array.dtype == dtype else array.astype(dtype)


def flatten_x(x: Any, names: Sequence[str], shapes: Sequence[Sequence[int | None]],
              np_dtypes: Sequence[np.dtype]) -> list[np.ndarray]:
    arrays = _structure(x, names, "inputs")
    return [conform(a, s, d, f"input {n!r}") for a, n, s, d in zip(arrays, names, shapes, np_dtypes)]


def flatten_y(y: Any, names: Sequence[str]) -> list[np.ndarray]:
    arrays = _structure(y, names, "targets")
    out = []
    for a, n in zip(arrays, names):
        a = np.asarray(a)
        if a.dtype.kind not in "biuf":
            raise ValueError(f"target {n!r}: expected numbers, got an array of {a.dtype}")
        out.append(a.astype(np.float32, copy=False))
    return out


def step_shape(output_shape: Sequence[int | None]) -> tuple[int | None, ...]:
    """The axes a loss keeps besides the batch: all but the last (a sequence output's steps), as Keras'."""
    return tuple(output_shape[1:-1])


def flatten_sample_weight(sample_weight: Any, names: Sequence[str], n: int,
                          step_shapes: Sequence[tuple[int | None, ...]]) -> list[np.ndarray] | None:
    """Per output, one weight per sample ``(n,)``, or, for an output whose losses keep steps
    (``step_shapes``), one weight per step ``(n, steps)``, as Keras 3 takes them."""
    if sample_weight is None:
        return None
    arrays = _structure(sample_weight, names, "sample_weight")
    out = []
    for a, name, steps in zip(arrays, names, step_shapes):
        a = np.asarray(a, dtype=np.float32)
        if a.ndim == 2 and a.shape[1] == 1:
            a = a[:, 0]
        per_step = (steps and a.ndim == 1 + len(steps) and len(a) == n
                    and all(d is None or d == k for d, k in zip(steps, a.shape[1:])))
        if a.shape != (n,) and not per_step:
            want = f"({n},)" + (f" or {_fmt((n, *steps))} (one weight per step)" if steps else "")
            raise ValueError(f"sample_weight for {name!r}: expected shape {want}, got {a.shape}")
        out.append(a)
    return out


def class_weight_to_sample_weight(y: np.ndarray, class_weight: dict[int, float],
                                  steps: tuple[int | None, ...] = ()) -> np.ndarray:
    """Keras semantics: the class is argmax of one-hot targets, else the (rounded) label itself. Labels per
    step of a sequence output (``steps``) give one weight per step, where Keras would weigh whole rows."""
    labels = y
    if y.ndim > 1 + len(steps):
        labels = np.argmax(y, axis=-1) if y.shape[-1] != 1 else y[..., 0]
    labels = np.round(labels).astype(np.int64)
    table = np.ones(max([int(k) for k in class_weight] + [int(labels.max(initial=0))]) + 1, np.float32)
    for k, v in class_weight.items():
        table[int(k)] = v
    return table[np.clip(labels, 0, None)]


def check_rows(arrays: Sequence[np.ndarray], what: str, n: int) -> None:
    for a in arrays:
        if len(a) != n:
            raise ValueError(f"{what}: all arrays need the same number of rows; got {len(a)} and {n}")


class ArrayEpochs:
    """Batches of in-memory arrays; one call of ``epoch()`` per epoch (shuffled when asked)."""

    def __init__(self, xs: list[np.ndarray], ys: list[np.ndarray] | None, sws: list[np.ndarray] | None,
                 batch_size: int, shuffle: bool = False, seed: int | None = None, steps: int | None = None):
        self.xs, self.ys, self.sws = xs, ys, sws
        self.n = len(xs[0]) if xs else 0
        self.batch_size, self.shuffle, self.steps = int(batch_size), shuffle, steps
        self.rng = np.random.default_rng(seed)

    def num_batches(self) -> int:
        batches = math.ceil(self.n / self.batch_size)
        return batches if self.steps is None else min(batches, self.steps)

    def epoch(self) -> Iterator[Batch]:
        xs, ys, sws = self.xs, self.ys, self.sws
        if self.shuffle:
            order = self.rng.permutation(self.n)
            xs = [a[order] for a in xs]
            ys = None if ys is None else [a[order] for a in ys]
            sws = None if sws is None else [a[order] for a in sws]
        bs = self.batch_size
        for start in range(0, self.num_batches() * bs, bs):
            end = start + bs
            yield ([a[start:end] for a in xs], None if ys is None else [a[start:end] for a in ys],
                   None if sws is None else [a[start:end] for a in sws])


class DatasetEpochs:
    """Batches from a dataset object (one ``iter()`` per epoch), converted to feed order."""

    def __init__(self, dataset: Iterable, convert: Any, steps: int | None = None):
        self.dataset, self.convert, self.steps = dataset, convert, steps

    def num_batches(self) -> int | None:
        if self.steps is not None:
            return self.steps
        try:
            return len(self.dataset)  # type: ignore[arg-type]
        except TypeError:
            return None

    def epoch(self) -> Iterator[Batch]:
        for i, batch in enumerate(self.dataset):
            if self.steps is not None and i >= self.steps:
                return
            if not isinstance(batch, tuple):
                batch = (batch,)
            if not 1 <= len(batch) <= 3:
                raise ValueError(f"a dataset batch must be x, (x, y) or (x, y, sample_weight); got {len(batch)} items")
            yield self.convert(*batch)
