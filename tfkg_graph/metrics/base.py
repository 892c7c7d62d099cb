"""Metric base classes: numpy state, per-batch statistics fetched from the graph step."""
from __future__ import annotations

import re
from typing import Any, Callable

import numpy as np

from ..graph import Tensor
from ..graph.ops import array
from ._backend import NumpyOps, ops_for, rank


def snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


class Metric:
    """A streaming metric. Subclasses define ``statistics(B, y_true, y_pred, sample_weight)`` -> dict of
    per-batch sums in the backend ``B`` (numpy or graph ops); the state is their running total."""

    def __init__(self, name: str | None = None, dtype: Any = None):
        self.name = name or snake_case(type(self).__name__)
        self.dtype = dtype or "float32"
        self.state: dict[str, np.ndarray] = {}
        self.reset_state()

    def statistics(self, B: type, y_true: Any, y_pred: Any, sample_weight: Any) -> dict[str, Any]:
        raise NotImplementedError

    def initial_state(self) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def reset_state(self) -> None:
        self.state = self.initial_state()

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        stats = self.statistics(NumpyOps, np.asarray(y_true), np.asarray(y_pred),
                                None if sample_weight is None else np.asarray(sample_weight))
        self.update_from_fetches(stats)

    def graph_inputs(self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor | None = None
                     ) -> dict[str, Tensor]:
        """The small tensors one step must fetch for this metric (build under ``metrics/``)."""
        return self.statistics(ops_for(y_pred), y_true, y_pred, sample_weight)

    def update_from_fetches(self, fetches: dict[str, np.ndarray]) -> None:
        for key, value in fetches.items():
            self.state[key] = self.state[key] + np.asarray(value, dtype=np.float64)

    def result(self) -> Any:
        raise NotImplementedError

    def logs(self) -> dict[str, float]:
        """What this metric adds to the epoch logs (some metrics report more than one number)."""
        value = self.result()
        return {self.name: float(value) if np.ndim(value) == 0 else value}

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Metric":
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


def sample_weights_like(B: type, values: Any, sample_weight: Any) -> Any:
    """``sample_weight`` (``(batch,)`` or ``(batch, 1)``) broadcast against per-sample ``values``."""
    sw = B.f32(sample_weight)
    while rank(sw) > 1 and rank(sw) > rank(values):
        sw = B.reshape(sw, [-1])
    while rank(sw) < rank(values):
        sw = B.expand(sw, -1)
    return B.broadcast_like(sw, values)


class Mean(Metric):
    """Weighted mean of values: ``sum(values * w) / sum(w)`` over everything seen since the reset."""

    def initial_state(self) -> dict[str, np.ndarray]:
        return {"total": np.zeros(()), "count": np.zeros(())}

    def mean_statistics(self, B: type, values: Any, sample_weight: Any) -> dict[str, Any]:
        values = B.f32(values)
        if sample_weight is not None and 1 < rank(sample_weight) <= rank(values):
            return self._per_step_statistics(B, values, B.f32(sample_weight))
        if rank(values) > 1:  # Keras: reduce to one value per sample first
            values = B.mean(values, list(range(1, rank(values))))
        if rank(values) == 0:
            values = B.reshape(values, [1])
        if sample_weight is None:
            return {"total": B.sum(values), "count": B.sum(B.ones_like(values))}
        sw = sample_weights_like(B, values, sample_weight)
        return {"total": B.sum(values * sw), "count": B.sum(sw)}

    @staticmethod
    def _per_step_statistics(B: type, values: Any, sample_weight: Any) -> dict[str, Any]:
        """Keras' reduce_to_samplewise_values for (batch, steps...) weights such as an output mask: weight each
        step, then average values and weights over the steps of each sample."""
        if rank(values) > rank(sample_weight):
            values = B.mean(values, list(range(rank(sample_weight), rank(values))))
        sw = B.broadcast_like(sample_weight, values)
        axes = list(range(1, rank(sw)))
        return {"total": B.sum(B.mean(values * sw, axes)), "count": B.sum(B.mean(sw, axes))}

    def update_state(self, values: Any, sample_weight: Any = None) -> None:  # type: ignore[override]
        self.update_from_fetches(self.mean_statistics(NumpyOps, np.asarray(values),
                                                      None if sample_weight is None else np.asarray(sample_weight)))

    def graph_inputs(self, values: Tensor, sample_weight: Tensor | None = None) -> dict[str, Tensor]:  # type: ignore[override]
        return self.mean_statistics(ops_for(values), values, sample_weight)

    def result(self) -> float:
        return float(self.state["total"] / self.state["count"]) if self.state["count"] else 0.0


class MeanMetricWrapper(Mean):
    """Mean over samples of ``fn(y_true, y_pred)``. ``fn`` written against the backend ``B`` runs in the
    graph; a plain numpy function gets the raw batch fetched and runs on the numpy side."""

    def __init__(self, fn: Callable[..., Any], name: str | None = None, dtype: Any = None,
                 backend_fn: bool = False, **kwargs: Any):
        self.fn, self.backend_fn, self.fn_kwargs = fn, backend_fn, kwargs
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)

    def values(self, B: type, y_true: Any, y_pred: Any) -> Any:
        return self.fn(B, y_true, y_pred, **self.fn_kwargs) if self.backend_fn else self.fn(y_true, y_pred)

    def statistics(self, B: type, y_true: Any, y_pred: Any, sample_weight: Any) -> dict[str, Any]:
        return self.mean_statistics(B, self.values(B, y_true, y_pred), sample_weight)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:  # type: ignore[override]
        Metric.update_state(self, y_true, y_pred, sample_weight)

    def graph_inputs(self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor | None = None  # type: ignore[override]
                     ) -> dict[str, Tensor]:
        if self.backend_fn:
            return Metric.graph_inputs(self, y_true, y_pred, sample_weight)
        raw = {"y_true": array.identity(y_true), "y_pred": array.identity(y_pred)}
        if sample_weight is not None:
            raw["sample_weight"] = array.identity(sample_weight)
        return raw

    def update_from_fetches(self, fetches: dict[str, np.ndarray]) -> None:
        if "y_pred" in fetches:  # raw batch of a numpy-only function
            fetches = self.statistics(NumpyOps, fetches["y_true"], fetches["y_pred"], fetches.get("sample_weight"))
        super().update_from_fetches(fetches)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **self.fn_kwargs}


class Sum(Mean):
    """Weighted sum of values."""

    def result(self) -> float:
        return float(self.state["total"])
