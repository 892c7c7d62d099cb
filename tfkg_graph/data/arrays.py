"""ArrayDataset: numpy arrays (or lists/dicts of them) batched per the dataset protocol (see datasets.py)."""
from __future__ import annotations

import math
from typing import Any, Iterator

import numpy as np



def _length(x: Any) -> int:
    if x is None:
        return -1
    if isinstance(x, dict):
        return _length(next(iter(x.values())))
    if isinstance(x, (list, tuple)):
        return _length(x[0])
    return len(x)


def _take(x: Any, idx: np.ndarray | slice) -> Any:
    if x is None:
        return None
    if isinstance(x, dict):
        return {k: v[idx] for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [v[idx] for v in x]
    return x[idx]


def _asarrays(x: Any) -> Any:
    if x is None:
        return None
    if isinstance(x, dict):
        return {k: np.asarray(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)) and len(x) and isinstance(x[0], np.ndarray):
        return [np.asarray(v) for v in x]
    return np.asarray(x)


class ArrayDataset:
    """Batches of in-memory arrays: x as an array, a list of arrays (one per model input) or a dict."""

    def __init__(self, x: Any, y: Any = None, sample_weight: Any = None, *, batch_size: int = 32,
                 shuffle: bool = False, seed: int = 0) -> None:
        self.x, self.y, self.sample_weight = _asarrays(x), _asarrays(y), _asarrays(sample_weight)
        self.n = _length(self.x)
        for name, v in (("y", self.y), ("sample_weight", self.sample_weight)):
            if v is not None and _length(v) != self.n:
                raise ValueError(f"ArrayDataset: x has {self.n} rows but {name} has {_length(v)}")
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self.batch_size, self.shuffle, self.seed = batch_size, shuffle, seed
        self._epoch = 0

    def __len__(self) -> int:
        return math.ceil(self.n / self.batch_size)

    def __iter__(self) -> Iterator[tuple]:
        epoch, self._epoch = self._epoch, self._epoch + 1
        order = np.random.default_rng([self.seed, epoch]).permutation(self.n) if self.shuffle else None
        for s in range(0, self.n, self.batch_size):
            idx = order[s: s + self.batch_size] if order is not None else slice(s, s + self.batch_size)
            batch = (_take(self.x, idx), _take(self.y, idx))
            if self.sample_weight is not None:
                batch += (_take(self.sample_weight, idx),)
            yield batch
