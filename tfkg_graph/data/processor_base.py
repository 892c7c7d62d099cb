"""The Processor base: column selection, incremental fitting, JSON config and the class registry
that ``Processor.from_config`` reads."""
from __future__ import annotations

from typing import Any, ClassVar, Sequence

import numpy as np



_REGISTRY: dict[str, type["Processor"]] = {}


def _register(cls: type["Processor"]) -> type["Processor"]:
    _REGISTRY[cls.__name__] = cls
    return cls


def _category_key(value: str) -> tuple[int, float, str]:
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value)


def _sort_categories(values: Sequence[str]) -> list[str]:
    """Deterministic category order: numbers first, numerically ("2" < "10"), then strings lexicographically."""
    return sorted(values, key=_category_key)


def _as_float(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


class Processor:
    """Base class: column selection, incremental fit, transform and JSON (de)serialisation."""

    kind: ClassVar[str] = "numeric"  # raw columns are decoded to float64 ("numeric") or str ("string")

    def __init__(
        self,
        offset: int | None = None,
        length: int = 1,
        columns: Sequence[str | int] | None = None,
        name: str | None = None,
    ) -> None:
        if columns is not None and offset is not None:
            raise ValueError("give either offset/length or columns, not both")
        if columns is None and offset is None:
            raise ValueError(f"{type(self).__name__}: give offset (with length) or columns")
        if length < 1:
            raise ValueError("length must be >= 1")
        self.offset = offset
        self.length = length
        self.columns = list(columns) if columns is not None else None
        self.name = name
        self.indices: list[int] | None = None  # resolved column indices in the full row
        self.fitted = False

    # -- columns ---------------------------------------------------------------------
    def resolve(self, column_names: Sequence[str] | None, n_columns: int) -> list[int]:
        """Map the column spec to indices in a row of ``n_columns`` fields."""
        if self.columns is None:
            assert self.offset is not None
            idx = list(range(self.offset, self.offset + self.length))
        else:
            idx = []
            for c in self.columns:
                if isinstance(c, str):
                    if column_names is None or c not in column_names:
                        raise ValueError(f"{type(self).__name__}: column {c!r} not found in header {list(column_names or [])}")
                    idx.append(list(column_names).index(c))
                else:
                    idx.append(int(c))
        bad = [i for i in idx if not 0 <= i < n_columns]
        if bad:
            raise ValueError(f"{type(self).__name__}: column index {bad[0]} out of range for rows of {n_columns} columns")
        self.indices = idx
        return idx

    # -- fitting ---------------------------------------------------------------------
    def reset(self) -> None:
        self.fitted = False

    def partial_fit(self, values: np.ndarray) -> None:
        """Accumulate statistics from a (rows, n_columns) chunk."""

    def finish_fit(self) -> None:
        self.fitted = True

    def fit(self, values: np.ndarray) -> "Processor":
        self.reset()
        self.partial_fit(values)
        self.finish_fit()
        return self

    def transform(self, values: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _check_fitted(self) -> None:
        if not self.fitted:
            raise RuntimeError(f"{type(self).__name__} is not fitted")

    # -- serialisation ---------------------------------------------------------------
    def params(self) -> dict[str, Any]:
        """Constructor arguments specific to the subclass."""
        return {}

    def state(self) -> dict[str, Any]:
        """Fitted statistics (JSON-serialisable)."""
        return {}

    def set_state(self, state: dict[str, Any]) -> None:
        self.fitted = True

    def spec(self) -> dict[str, Any]:
        """Configuration without fitted state; used to key caches."""
        return {
            "class": type(self).__name__,
            "offset": self.offset,
            "length": self.length,
            "columns": self.columns,
            "name": self.name,
            "params": self.params(),
        }

    def get_config(self) -> dict[str, Any]:
        cfg = self.spec()
        cfg["indices"] = self.indices
        cfg["state"] = self.state() if self.fitted else None
        return cfg

    @staticmethod
    def from_config(cfg: dict[str, Any]) -> "Processor":
        cls = _REGISTRY.get(cfg["class"])
        if cls is None:
            raise ValueError(f"unknown processor class {cfg['class']!r}")
        p = cls(offset=cfg["offset"], length=cfg["length"], columns=cfg["columns"], name=cfg["name"], **cfg["params"])
        p.indices = cfg.get("indices")
        if cfg.get("state") is not None:
            p.set_state(cfg["state"])
        return p
