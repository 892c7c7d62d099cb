"""Datasets that ``keras.utils`` builds (timeseries windows, splits, folders of files), as our fit protocol:
iterable (one epoch per ``iter``), ``(x, y)`` batches, ``len`` = batches per epoch, last partial batch kept."""
from __future__ import annotations

import itertools
import math
import random as _python_random
from typing import Any, Callable, Iterator

import numpy as np

Fetch = Callable[[np.ndarray], Any]  # sample indices -> one batch: x, or (x, y)


class IndexedDataset:
    """Samples ``0..n-1`` served in batches by ``fetch(indices)``; reshuffled every epoch when ``shuffle``
    (seeded per epoch, so two runs with one seed see the same order). ``batch_size=None`` yields single
    samples, like an unbatched ``tf.data.Dataset``; ``batch(n)`` batches them. Iterating from several threads
    is safe: each ``iter`` takes its own epoch number atomically."""

    def __init__(self, n: int, fetch: Fetch, batch_size: int | None = 32, shuffle: bool = False,
                 seed: int | None = None, class_names: list[str] | None = None) -> None:
        if batch_size is not None and batch_size < 1:
            raise ValueError(f"batch_size must be >= 1 or None, got {batch_size!r}")
        self.n, self.fetch, self.batch_size, self.shuffle = int(n), fetch, batch_size, shuffle
        self.seed = int(np.random.randint(1_000_000)) if seed is None else int(seed)
        self.class_names = class_names
        self._epochs = itertools.count()

    def __len__(self) -> int:
        return self.n if self.batch_size is None else math.ceil(self.n / self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        epoch = next(self._epochs)
        order = np.random.default_rng([self.seed, epoch]).permutation(self.n) if self.shuffle else np.arange(self.n)
        if self.batch_size is None:
            for i in order:
                yield _unbatch(self.fetch(np.array([i])))
            return
        for start in range(0, self.n, self.batch_size):
            yield self.fetch(order[start:start + self.batch_size])

    def batch(self, batch_size: int) -> "IndexedDataset":
        """The same samples in batches of ``batch_size`` (``tf.data.Dataset.batch``)."""
        return IndexedDataset(self.n, self.fetch, batch_size, self.shuffle, self.seed, self.class_names)

    def take(self, count: int) -> list[Any]:
        """The first ``count`` batches of one epoch (``for x, y in ds.take(1)`` as with tf.data)."""
        batches = []
        for item in self:
            if len(batches) >= count:
                break
            batches.append(item)
        return batches


def _unbatch(batch: Any) -> Any:
    if isinstance(batch, tuple):
        return tuple(_unbatch(b) for b in batch)
    if isinstance(batch, dict):
        return {k: v[0] for k, v in batch.items()}
    if isinstance(batch, list):
        return [v[0] for v in batch]
    return batch[0]


def _take(x: Any, idx: np.ndarray) -> Any:
    if isinstance(x, dict):
        return {k: np.asarray(v)[idx] for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [np.asarray(v)[idx] for v in x]
    return np.asarray(x)[idx]


def timeseries_dataset_from_array(data: Any, targets: Any, sequence_length: int, sequence_stride: int = 1,
                                  sampling_rate: int = 1, batch_size: int | None = 128, shuffle: bool = False,
                                  seed: int | None = None, start_index: int | None = None,
                                  end_index: int | None = None) -> IndexedDataset:
    """Sliding windows over ``data[start_index:end_index]``: window ``i`` starts at ``i * sequence_stride``, takes
    ``sequence_length`` steps ``sampling_rate`` apart, and its target is ``targets[start_index + start]``."""
    if sequence_length < 1 or sequence_stride < 1 or sampling_rate < 1:
        raise ValueError("sequence_length, sequence_stride and sampling_rate must be positive, got "
                         f"{sequence_length}, {sequence_stride}, {sampling_rate}")
    start_index = start_index or 0
    end_index = len(data) if end_index is None else end_index
    if not 0 <= start_index < end_index <= len(data):
        raise ValueError(f"need 0 <= start_index < end_index <= len(data), got {start_index}, {end_index}, "
                         f"{len(data)}")
    num_windows = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets is not None:
        num_windows = min(num_windows, len(targets) - start_index)
    starts = np.arange(0, max(num_windows, 0), sequence_stride)
    steps = np.arange(0, sequence_length * sampling_rate, sampling_rate)
    window_data = np.asarray(data)[start_index:end_index]
    target_data = None if targets is None else np.asarray(targets)[start_index:end_index]

    def fetch(idx: np.ndarray) -> Any:
        windows = window_data[starts[idx][:, None] + steps]
        return windows if target_data is None else (windows, target_data[starts[idx]])
    return IndexedDataset(len(starts), fetch, batch_size, shuffle, seed)


def _split_sizes(left: int | float | None, right: int | float | None, total: int) -> tuple[int, int]:
    """Keras' rules: a float is a fraction of ``total`` (rounded), an int a count, a missing side the rest."""
    for name, size in (("left_size", left), ("right_size", right)):
        if size is None:
            continue
        if not isinstance(size, (int, float)) or isinstance(size, bool):
            raise TypeError(f"{name} must be an int or a float, got {size!r}")
        if (isinstance(size, int) and not 0 < size < total) or (isinstance(size, float) and not 0 < size < 1):
            raise ValueError(f"{name}={size!r} must be in (0, {total}) as a count or in (0, 1) as a fraction")
    if left is None and right is None:
        raise ValueError("split_dataset needs left_size or right_size")
    left_n = None if left is None else (round(left * total) if isinstance(left, float) else left)
    right_n = None if right is None else (round(right * total) if isinstance(right, float) else right)
    left_n = total - right_n if left_n is None else left_n
    right_n = total - left_n if right_n is None else right_n
    if left_n + right_n > total or left_n == 0 or right_n == 0:
        raise ValueError(f"split_dataset of {total} samples into {left_n} and {right_n}: a side is empty or "
                         "the sides overlap")
    return int(left_n), int(right_n)


def split_dataset(dataset: Any, left_size: int | float | None = None, right_size: int | float | None = None,
                  shuffle: bool = False, seed: int | None = None) -> tuple[IndexedDataset, IndexedDataset]:
    """Two unbatched datasets (call ``.batch(n)`` on them) from arrays, a tuple of arrays (split alike) or one
    of our datasets. The shuffle is Python's ``random.shuffle`` with ``seed``, so the split is Keras' split."""
    if isinstance(dataset, IndexedDataset):
        parts: Any = [np.asarray(a) for a in _materialize(dataset)]
    elif isinstance(dataset, tuple) or (isinstance(dataset, list) and dataset
                                        and all(isinstance(a, np.ndarray) for a in dataset)):
        parts = [np.asarray(a) for a in dataset]  # several arrays, split alike
        if len({len(a) for a in parts}) != 1:
            raise ValueError(f"split_dataset: the arrays have different lengths {[len(a) for a in parts]}")
    else:
        parts = np.asarray(dataset)
    total = len(parts[0]) if isinstance(parts, list) else len(parts)
    order = list(range(total))
    if shuffle:
        _python_random.Random(_python_random.randint(0, 10**6) if seed is None else seed).shuffle(order)
    left_n, right_n = _split_sizes(left_size, right_size, total)
    sides = np.asarray(order[:left_n]), np.asarray(order[-right_n:])

    def side(rows: np.ndarray) -> IndexedDataset:
        def fetch(idx: np.ndarray) -> Any:
            picked = rows[idx]
            return tuple(p[picked] for p in parts) if isinstance(parts, list) else parts[picked]
        return IndexedDataset(len(rows), fetch, batch_size=None)
    return side(sides[0]), side(sides[1])


def _materialize(dataset: IndexedDataset) -> list[np.ndarray]:
    """Every sample of an IndexedDataset in order, one array per element of its samples."""
    batch = dataset.fetch(np.arange(dataset.n))
    return list(batch) if isinstance(batch, tuple) else [batch]


__all__ = ["IndexedDataset", "split_dataset", "timeseries_dataset_from_array"]
