"""Numeric feature processors: Divisor, MinMax, Standardize."""
from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .processor_base import Processor, _as_float, _register


class _Scaler(Processor):
    """Numeric processors whose fitted state is per-feature float64 arrays, the attributes named in ``stats``."""

    stats: ClassVar[tuple[str, ...]] = ()

    def state(self) -> dict[str, Any]:
        return {k: getattr(self, k).tolist() for k in self.stats}

    def set_state(self, state: dict[str, Any]) -> None:
        for k in self.stats:
            setattr(self, k, np.asarray(state[k], dtype=np.float64))
        super().set_state(state)


@_register
class Divisor(_Scaler):
    """Divide each feature by its maximum seen in fitting (TFKG's Divisor); a zero maximum divides by 1."""

    stats = ("divisor",)

    def reset(self) -> None:
        super().reset()
        self._max: np.ndarray | None = None

    def partial_fit(self, values: np.ndarray) -> None:
        v = _as_float(values)
        if len(v):
            m = np.nanmax(v, axis=0)
            self._max = m if self._max is None else np.fmax(self._max, m)

    def finish_fit(self) -> None:
        m = np.zeros(self.length) if getattr(self, "_max", None) is None else self._max
        self.divisor = np.where((m == 0) | ~np.isfinite(m), 1.0, m)
        super().finish_fit()

    def transform(self, values: np.ndarray) -> np.ndarray:
        self._check_fitted()
        return (_as_float(values) / self.divisor).astype(np.float32)


@_register
class MinMax(_Scaler):
    """Scale each feature to [0, 1] using the fitted min and max (negatives included); constant features map to 0."""

    stats = ("min", "max")

    def reset(self) -> None:
        super().reset()
        self._min: np.ndarray | None = None
        self._max: np.ndarray | None = None

    def partial_fit(self, values: np.ndarray) -> None:
        v = _as_float(values)
        if len(v):
            lo, hi = np.nanmin(v, axis=0), np.nanmax(v, axis=0)
            self._min = lo if self._min is None else np.fmin(self._min, lo)
            self._max = hi if self._max is None else np.fmax(self._max, hi)

    def finish_fit(self) -> None:
        if getattr(self, "_min", None) is None:
            self.min, self.max = np.zeros(self.length), np.ones(self.length)
        else:
            self.min, self.max = self._min, self._max
        super().finish_fit()

    def transform(self, values: np.ndarray) -> np.ndarray:
        self._check_fitted()
        span = self.max - self.min
        return ((_as_float(values) - self.min) / np.where(span == 0, 1.0, span)).astype(np.float32)


@_register
class Standardize(_Scaler):
    """z-score per feature; statistics merged chunk by chunk (Chan et al.) so fitting streams."""

    stats = ("mean", "std")

    def reset(self) -> None:
        super().reset()
        self._n = 0
        self._mean = np.zeros(self.length)
        self._m2 = np.zeros(self.length)

    def partial_fit(self, values: np.ndarray) -> None:
        v = _as_float(values)
        nb = len(v)
        if nb == 0:
            return
        mb = v.mean(axis=0)
        m2b = ((v - mb) ** 2).sum(axis=0)
        n = self._n + nb
        delta = mb - self._mean
        self._mean = self._mean + delta * nb / n
        self._m2 = self._m2 + m2b + delta**2 * self._n * nb / n
        self._n = n

    def finish_fit(self) -> None:
        self.mean = self._mean
        std = np.sqrt(self._m2 / self._n) if self._n else np.ones(self.length)
        self.std = np.where(std == 0, 1.0, std)
        super().finish_fit()

    def transform(self, values: np.ndarray) -> np.ndarray:
        self._check_fitted()
        return ((_as_float(values) - self.mean) / self.std).astype(np.float32)
