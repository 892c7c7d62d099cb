"""Categorical features and label processors: OneHot, CategoryLookup, SparseCategoricalY, BinaryY,
RegressionY, and class weights from label counts."""
from __future__ import annotations

from collections import Counter
from typing import Any, Sequence

import numpy as np

from ._util import UnknownCategoryError
from .processor_base import Processor, _as_float, _register, _sort_categories


def _lookup_column(column: Sequence[Any], lookup: dict[str, int], default: int | None, what: str) -> list[int]:
    """Map values to indices with dict lookups in C; only misses (whitespace, non-str, unknown) go slow."""
    out = list(map(lookup.get, column))
    if None in out:
        for i, o in enumerate(out):
            if o is None:
                o = lookup.get(str(column[i]).strip(), default)
                if o is None:
                    raise UnknownCategoryError(f"{what} {column[i]!r}")
                out[i] = o
    return out


class _CategoryProcessor(Processor):
    """Shared fitting for processors mapping string categories to indices (bounded by max_categories)."""

    kind = "string"

    def __init__(
        self,
        offset: int | None = None,
        length: int = 1,
        columns: Sequence[str | int] | None = None,
        name: str | None = None,
        *,
        categories: Sequence[str] | None = None,
        max_categories: int | None = None,
        separator: str | None = None,
    ) -> None:
        super().__init__(offset, length, columns, name)
        self.fixed_categories = [str(c) for c in categories] if categories is not None else None
        self.max_categories = max_categories
        self.separator = separator
        if self.fixed_categories is not None:
            self._set_categories(self.fixed_categories, {})

    def params(self) -> dict[str, Any]:
        return {"categories": self.fixed_categories, "max_categories": self.max_categories, "separator": self.separator}

    def _set_categories(self, cats: list[str], counts: dict[str, int]) -> None:
        self.categories = cats
        self.lookup = {c: i for i, c in enumerate(cats)}
        self.counts = [int(counts.get(c, 0)) for c in cats]
        self.fitted = True

    def _values(self, values: np.ndarray) -> list[list[str]]:
        """Rows of category strings (several columns and/or separator-split cells per row)."""
        v = np.asarray(values, dtype=object).reshape(len(values), -1)
        rows = []
        for row in v:
            cells = [str(c).strip() for c in row]
            if self.separator is not None:
                cells = [t.strip() for c in cells for t in c.split(self.separator) if t.strip()]
            rows.append(cells)
        return rows

    def reset(self) -> None:
        super().reset()
        self._counter: Counter[str] = Counter()

    def partial_fit(self, values: np.ndarray) -> None:
        if self.separator is None:
            v = np.asarray(values, dtype=object).reshape(len(values), -1)
            for j in range(v.shape[1]):
                # Counter counts a list in C; stripping then touches only the distinct values
                for c, n in Counter(v[:, j].tolist()).items():
                    self._counter[str(c).strip()] += n
        else:
            for cells in self._values(values):
                self._counter.update(cells)
        if self.max_categories is None and len(self._counter) > 10_000_000:
            raise ValueError(f"{type(self).__name__}: more than 10M distinct categories; set max_categories")

    def finish_fit(self) -> None:
        if self.fixed_categories is not None:
            self._set_categories(self.fixed_categories, dict(self._counter))
        else:
            common = self._counter.most_common(self.max_categories)
            self._set_categories(_sort_categories([c for c, _ in common]), dict(self._counter))
        del self._counter

    def _index(self, value: str) -> int | None:
        return self.lookup.get(value)

    def state(self) -> dict[str, Any]:
        return {"categories": self.categories, "counts": self.counts}

    def set_state(self, state: dict[str, Any]) -> None:
        self._set_categories(list(state["categories"]), dict(zip(state["categories"], state["counts"])))


@_register
class OneHot(_CategoryProcessor):
    """One-hot (one column) or multi-hot (several columns, or cells split on ``separator``) float32 vectors.

    Unknown values raise ``UnknownCategoryError`` unless ``ignore_unknown=True`` (then they
    contribute nothing: an all-zero vector is the documented fallback)."""

    def __init__(self, offset: int | None = None, length: int = 1, columns: Sequence[str | int] | None = None,
                 name: str | None = None, *, categories: Sequence[str] | None = None,
                 max_categories: int | None = None, separator: str | None = None,
                 ignore_unknown: bool = False) -> None:
        super().__init__(offset, length, columns, name, categories=categories,
                         max_categories=max_categories, separator=separator)
        self.ignore_unknown = ignore_unknown

    def params(self) -> dict[str, Any]:
        return {**super().params(), "ignore_unknown": self.ignore_unknown}

    def transform(self, values: np.ndarray) -> np.ndarray:
        self._check_fitted()
        rows = self._values(values)
        out = np.zeros((len(rows), len(self.categories)), dtype=np.float32)
        for r, cells in enumerate(rows):
            for c in cells:
                i = self.lookup.get(c)
                if i is not None:
                    out[r, i] = 1.0
                elif not self.ignore_unknown:
                    raise UnknownCategoryError(f"OneHot: unknown category {c!r} (known: {len(self.categories)})")
        return out


@_register
class CategoryLookup(_CategoryProcessor):
    """Integer or string categories → int32 indices, one per column.

    With ``num_oov_indices=1`` unknown values map to index 0 and known ones start at 1
    (documented fallback); with 0 an unknown value raises ``UnknownCategoryError``."""

    def __init__(self, offset: int | None = None, length: int = 1, columns: Sequence[str | int] | None = None,
                 name: str | None = None, *, categories: Sequence[str] | None = None,
                 max_categories: int | None = None, num_oov_indices: int = 1) -> None:
        if num_oov_indices not in (0, 1):
            raise ValueError("num_oov_indices must be 0 or 1")
        self.num_oov_indices = num_oov_indices
        super().__init__(offset, length, columns, name, categories=categories, max_categories=max_categories)

    def params(self) -> dict[str, Any]:
        p = super().params()
        del p["separator"]
        return {**p, "num_oov_indices": self.num_oov_indices}

    @property
    def vocabulary_size(self) -> int:
        return len(self.categories) + self.num_oov_indices

    def transform(self, values: np.ndarray) -> np.ndarray:
        self._check_fitted()
        v = np.asarray(values, dtype=object).reshape(len(values), -1)
        out = np.empty(v.shape, dtype=np.int32)
        default = -self.num_oov_indices if self.num_oov_indices else None
        for j in range(v.shape[1]):
            out[:, j] = _lookup_column(v[:, j].tolist(), self.lookup, default, "CategoryLookup: unknown category")
        return out + self.num_oov_indices


class LabelProcessor(Processor):
    """Target processors: one label column (``column`` = index or name, TFKG's "category offset")."""

    def __init__(self, column: int | str | None = None, *, offset: int | None = None, length: int = 1,
                 columns: Sequence[str | int] | None = None, name: str | None = None) -> None:
        if column is not None:
            if isinstance(column, str):
                columns = [column]
            else:
                offset = column
        super().__init__(offset=offset, length=length, columns=columns, name=name)

    def class_counts(self) -> list[int] | None:
        return None

    def inverse_transform(self, predictions: np.ndarray) -> np.ndarray:
        """Model outputs → label values."""
        raise NotImplementedError


@_register
class SparseCategoricalY(LabelProcessor, _CategoryProcessor):
    """String or int class labels → int32 class indices (sorted, numerically if labels are numbers)."""

    kind = "string"

    def __init__(self, column: int | str | None = None, *, offset: int | None = None, length: int = 1,
                 columns: Sequence[str | int] | None = None, name: str | None = None,
                 classes: Sequence[str] | None = None) -> None:
        LabelProcessor.__init__(self, column, offset=offset, length=length, columns=columns, name=name)
        self.fixed_categories = [str(c) for c in classes] if classes is not None else None
        self.max_categories = None
        self.separator = None
        if self.fixed_categories is not None:
            self._set_categories(self.fixed_categories, {})

    def params(self) -> dict[str, Any]:
        return {"classes": self.fixed_categories}

    @property
    def classes(self) -> list[str]:
        return self.categories

    def class_counts(self) -> list[int]:
        return self.counts

    def transform(self, values: np.ndarray) -> np.ndarray:
        self._check_fitted()
        v = np.asarray(values, dtype=object).reshape(len(values), -1)[:, 0]
        return np.asarray(_lookup_column(v.tolist(), self.lookup, None,
                                         f"SparseCategoricalY: unknown class (known: {self.categories})"), dtype=np.int32)

    def inverse_transform(self, predictions: np.ndarray) -> np.ndarray:
        p = np.asarray(predictions)
        idx = p.argmax(axis=-1) if p.ndim > 1 else p.astype(np.int64)
        return np.asarray(self.categories, dtype=object)[idx]


_TRUE = {"1", "true", "yes", "y", "t", "1.0"}
_FALSE = {"0", "false", "no", "n", "f", "0.0"}


@_register
class BinaryY(LabelProcessor, _CategoryProcessor):
    """Binary targets → float32 (rows, 1) of 0/1. 0/1, true/false, yes/no are understood;
    otherwise the two sorted labels map to 0 and 1 (or ``positive`` names the 1 label)."""

    kind = "string"

    def __init__(self, column: int | str | None = None, *, offset: int | None = None, length: int = 1,
                 columns: Sequence[str | int] | None = None, name: str | None = None,
                 positive: str | None = None) -> None:
        LabelProcessor.__init__(self, column, offset=offset, length=length, columns=columns, name=name)
        self.positive = positive
        self.fixed_categories, self.max_categories, self.separator = None, None, None

    def params(self) -> dict[str, Any]:
        return {"positive": self.positive}

    def finish_fit(self) -> None:
        seen = list(self._counter)
        lowered = {s.lower() for s in seen}
        if lowered <= _TRUE | _FALSE:
            neg = [s for s in seen if s.lower() in _FALSE]
            pos = [s for s in seen if s.lower() in _TRUE]
            cats = sorted(neg) + sorted(pos)
            self.positives = pos
        else:
            if len(seen) > 2:
                raise ValueError(f"BinaryY: more than two label values: {sorted(seen)[:5]}")
            cats = _sort_categories(seen)
            if self.positive is not None:
                if self.positive not in cats:
                    raise ValueError(f"BinaryY: positive label {self.positive!r} not among {cats}")
                cats = [c for c in cats if c != self.positive] + [self.positive]
            self.positives = cats[-1:]
        self._set_categories(cats, dict(self._counter))
        del self._counter

    @property
    def classes(self) -> list[str]:
        """Label of class 0 and class 1."""
        pos = set(self.positives)
        neg = [c for c in self.categories if c not in pos]
        return [neg[0] if neg else "0", self.positives[0]]

    def class_counts(self) -> list[int]:
        pos = set(self.positives)
        return [sum(n for c, n in zip(self.categories, self.counts) if c not in pos),
                sum(n for c, n in zip(self.categories, self.counts) if c in pos)]

    def transform(self, values: np.ndarray) -> np.ndarray:
        self._check_fitted()
        v = np.asarray(values, dtype=object).reshape(len(values), -1)[:, 0]
        pos = set(self.positives)
        target = {c: int(c in pos) for c in self.categories}
        out = _lookup_column(v.tolist(), target, None, f"BinaryY: unknown label (known: {self.categories})")
        return np.asarray(out, dtype=np.float32).reshape(-1, 1)

    def inverse_transform(self, predictions: np.ndarray) -> np.ndarray:
        p = np.asarray(predictions, dtype=np.float64).reshape(len(predictions), -1)[:, 0] > 0.5
        neg = [c for c in self.categories if c not in set(self.positives)]
        return np.where(p, self.positives[0], neg[0] if neg else "0").astype(object)

    def state(self) -> dict[str, Any]:
        return {**super().state(), "positives": self.positives}

    def set_state(self, state: dict[str, Any]) -> None:
        self.positives = list(state["positives"])
        super().set_state(state)


@_register
class RegressionY(LabelProcessor):
    """Numeric targets passed through as float32 (rows, length)."""

    def transform(self, values: np.ndarray) -> np.ndarray:
        return _as_float(values).astype(np.float32).reshape(len(values), -1)

    def inverse_transform(self, predictions: np.ndarray) -> np.ndarray:
        return np.asarray(predictions)


def class_weights(counts: Sequence[int], user: dict[Any, float] | None = None,
                  classes: Sequence[str] | None = None) -> dict[int, float]:
    """``fit(class_weight=...)`` dict: a user dict (keys are class indices or class labels), or
    TFKG's automatic ``majority count / class count`` for each class with at least one row."""
    if user is not None:
        out = {}
        for k, w in user.items():
            if isinstance(k, str) and classes is not None and k in classes:
                out[list(classes).index(k)] = float(w)
            elif isinstance(k, (int, np.integer)) and 0 <= int(k) < len(counts):
                out[int(k)] = float(w)
            else:
                raise ValueError(f"class_weight key {k!r} is not a class index or label")
        return out
    majority = max(counts) if len(counts) else 0
    return {i: majority / c for i, c in enumerate(counts) if c > 0}
