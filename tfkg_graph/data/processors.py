"""Feature and label preprocessors, fitted once and saved as JSON.

Each processor reads a range of raw table columns (``offset`` + ``length``, or ``columns``
by name/index) and produces one model input (features) or the target (label processors).
Fitting is incremental (``partial_fit`` on chunks, then ``finish_fit``) so a bounded
sample of a huge file can be streamed through without holding it in memory.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar, Sequence

import numpy as np

from ._util import UnknownCategoryError

KERAS_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'

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


def _as_float(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


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


class _Vocabulary:
    """Frequency counter with bounded memory: past ``max_tracked`` entries it keeps the most
    frequent half (ties by first appearance), so huge vocabularies cannot exhaust memory.
    Exact whenever the vocabulary stays under the bound."""

    def __init__(self, max_tracked: int) -> None:
        self.max_tracked = max_tracked
        self.counts: dict[str, int] = {}

    def add(self, tokens: Sequence[str]) -> None:
        counts = self.counts
        for t in tokens:
            counts[t] = counts.get(t, 0) + 1
        if len(counts) > self.max_tracked:
            keep = sorted(counts.items(), key=lambda kv: kv[1], reverse=True)[: self.max_tracked // 2]
            order = {k: i for i, k in enumerate(counts)}
            self.counts = dict(sorted(keep, key=lambda kv: order[kv[0]]))

    def by_frequency(self) -> list[str]:
        # Stable sort: ties keep first-appearance order, exactly like Keras' Tokenizer.
        return [k for k, _ in sorted(self.counts.items(), key=lambda kv: kv[1], reverse=True)]


@_register
class Tokenizer(Processor):
    """Keras-compatible text tokenizer (legacy ``Tokenizer`` + ``pad_sequences``).

    ``mode="sequence"``: filter characters become ``split``, text is lowercased and split,
    words indexed by frequency from 1 (OOV token, if any, gets 1), ``num_words`` keeps
    indices < num_words, output is (rows, max_len) int32 padded/truncated "pre" or "post".
    ``mode="category"``: each whole value is one token mapped to a 0-based index by
    frequency (for labels); unknown values map to the OOV token or raise.
    """

    kind = "string"

    def __init__(
        self,
        offset: int | None = None,
        length: int = 1,
        columns: Sequence[str | int] | None = None,
        name: str | None = None,
        *,
        num_words: int | None = None,
        max_len: int | None = None,
        padding: str = "pre",
        truncating: str = "pre",
        oov_token: str | None = None,
        filters: str = KERAS_FILTERS,
        lower: bool = True,
        split: str = " ",
        mode: str = "sequence",
        max_tracked_words: int = 2_000_000,
    ) -> None:
        super().__init__(offset, length, columns, name)
        if padding not in ("pre", "post") or truncating not in ("pre", "post"):
            raise ValueError("padding and truncating must be 'pre' or 'post'")
        if mode not in ("sequence", "category"):
            raise ValueError("mode must be 'sequence' or 'category'")
        self.num_words, self.max_len, self.padding, self.truncating = num_words, max_len, padding, truncating
        self.oov_token, self.filters, self.lower, self.split = oov_token, filters, lower, split
        self.mode, self.max_tracked_words = mode, max_tracked_words
        self._table = str.maketrans({c: split for c in filters})

    def params(self) -> dict[str, Any]:
        return {
            "num_words": self.num_words, "max_len": self.max_len, "padding": self.padding,
            "truncating": self.truncating, "oov_token": self.oov_token, "filters": self.filters,
            "lower": self.lower, "split": self.split, "mode": self.mode,
            "max_tracked_words": self.max_tracked_words,
        }

    def _texts(self, values: np.ndarray) -> list[str]:
        v = np.asarray(values, dtype=object).reshape(len(values), -1)
        if v.shape[1] == 1:
            return [str(t) for t in v[:, 0]]
        return [self.split.join(str(t) for t in row) for row in v]

    def words(self, text: str) -> list[str]:
        """Keras ``text_to_word_sequence``."""
        if self.mode == "category":
            return [text.lower() if self.lower else text]
        if self.lower:
            text = text.lower()
        return [w for w in text.translate(self._table).split(self.split) if w]

    def reset(self) -> None:
        super().reset()
        self._vocab = _Vocabulary(self.max_tracked_words)
        self._longest = 0

    def partial_fit(self, values: np.ndarray) -> None:
        for text in self._texts(values):
            ws = self.words(text)
            self._longest = max(self._longest, len(ws))
            self._vocab.add(ws)

    def finish_fit(self) -> None:
        words = self._vocab.by_frequency()
        if self.oov_token is not None:
            words = [self.oov_token] + words
        if self.num_words:
            words = words[: max(self.num_words - 1, 0)]  # indices >= num_words are never emitted
        self.word_index = {w: i for i, w in enumerate(words, start=1)}
        self.seq_len = self.max_len if self.max_len is not None else max(self._longest, 1)
        self.counts = {w: self._vocab.counts.get(w, 0) for w in words}
        del self._vocab
        super().finish_fit()

    def texts_to_sequences(self, texts: Sequence[str]) -> list[list[int]]:
        self._check_fitted()
        wi = self.word_index
        oov = wi.get(self.oov_token) if self.oov_token is not None else None
        out = []
        for text in texts:
            seq = []
            for w in self.words(text):
                i = wi.get(w)
                if i is not None:
                    seq.append(i)
                elif oov is not None:
                    seq.append(oov)
            out.append(seq)
        return out

    def transform(self, values: np.ndarray) -> np.ndarray:
        self._check_fitted()
        texts = self._texts(values)
        if self.mode == "category":
            return self._category(texts)
        n = self.seq_len
        out = np.zeros((len(texts), n), dtype=np.int32)
        for r, seq in enumerate(self.texts_to_sequences(texts)):
            if not seq:
                continue
            seq = seq[-n:] if self.truncating == "pre" else seq[:n]
            if self.padding == "pre":
                out[r, n - len(seq):] = seq
            else:
                out[r, : len(seq)] = seq
        return out

    def _category(self, texts: list[str]) -> np.ndarray:
        wi = self.word_index
        oov = wi.get(self.oov_token) if self.oov_token is not None else None
        out = np.empty(len(texts), dtype=np.int32)
        for r, t in enumerate(texts):
            i = wi.get(self.words(t)[0], oov)
            if i is None:
                raise UnknownCategoryError(f"Tokenizer(category): unknown value {t!r} (not seen when fitting, no oov_token)")
            out[r] = i - 1
        return out

    @property
    def classes(self) -> list[str]:
        """Category mode: the label of each 0-based class index."""
        return list(self.word_index)

    def class_counts(self) -> list[int]:
        """Category mode, used as a label processor: rows per class in the fitted sample."""
        return [self.counts[w] for w in self.word_index]

    def inverse_transform(self, predictions: np.ndarray) -> np.ndarray:
        """Category mode: class scores (or indices) → category strings."""
        p = np.asarray(predictions)
        idx = p.argmax(axis=-1) if p.ndim > 1 else p.astype(np.int64)
        return np.asarray(self.classes, dtype=object)[idx]

    def state(self) -> dict[str, Any]:
        return {"words": list(self.word_index), "seq_len": self.seq_len, "counts": list(self.counts.values())}

    def set_state(self, state: dict[str, Any]) -> None:
        self.word_index = {w: i for i, w in enumerate(state["words"], start=1)}
        self.counts = dict(zip(state["words"], state["counts"]))
        self.seq_len = state["seq_len"]
        super().set_state(state)


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
