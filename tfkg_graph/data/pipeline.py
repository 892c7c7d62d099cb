"""The row pipeline shared by CSV and in-memory tables: raw rows -> split selection -> filter ->
processors, one block of rows at a time (splits and blocks: see datasets.py)."""
from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from .processors import Processor

SPLITS = ("train", "val", "test")  # split ids 0, 1, 2


def _round(f: float, x: int) -> int:
    return int(math.floor(f * x + 0.5))


def _split_labels(block: int, start: int, stop: int, cum: tuple[float, float], seed: int) -> np.ndarray | None:
    """Split id (0 train, 1 val, 2 test) of each row in [start, stop); None when all are train."""
    n = stop - start
    n_tr = _round(cum[0], stop) - _round(cum[0], start)
    if n_tr == n:
        return None
    n_tv = _round(cum[1], stop) - _round(cum[1], start)
    lab = np.full(n, 2, dtype=np.uint8)
    lab[:n_tr] = 0
    lab[n_tr:n_tv] = 1
    np.random.default_rng([seed, 7, block]).shuffle(lab)
    return lab


def _pick(col: Sequence, idx: np.ndarray) -> Sequence:
    if isinstance(col, np.ndarray):
        return col[idx]
    if len(idx) == 1:
        return [col[int(idx[0])]]
    return operator.itemgetter(*idx.tolist())(col) if len(idx) else ()


def _floats(col: Sequence, n: int) -> np.ndarray:
    if isinstance(col, np.ndarray) and col.dtype.kind in "fiub":
        return col.astype(np.float64)
    return np.fromiter(map(float, col), dtype=np.float64, count=n)


def _extract(cols: list[Sequence], n: int, p: Processor) -> np.ndarray:
    idx = p.indices
    assert idx is not None
    if p.kind == "numeric":
        out = np.empty((n, len(idx)), dtype=np.float64)
        for j, i in enumerate(idx):
            out[:, j] = _floats(cols[i], n)
        return out
    out = np.empty((n, len(idx)), dtype=object)
    for j, i in enumerate(idx):
        c = cols[i]
        out[:, j] = [str(v) for v in c] if isinstance(c, np.ndarray) else list(c)
    return out


@dataclass
class Chunk:
    xs: list[np.ndarray]
    y: np.ndarray | None
    n: int
    n_bad: int = 0

    def take(self, idx: np.ndarray | slice) -> "Chunk":
        y = self.y[idx] if self.y is not None else None
        xs = [x[idx] for x in self.xs]
        return Chunk(xs, y, len(xs[0]) if xs else (len(y) if y is not None else 0))

    @staticmethod
    def concat(chunks: list["Chunk"]) -> "Chunk":
        if len(chunks) == 1:
            return chunks[0]
        xs = [np.concatenate([c.xs[i] for c in chunks]) for i in range(len(chunks[0].xs))]
        y = np.concatenate([c.y for c in chunks]) if chunks[0].y is not None else None
        return Chunk(xs, y, sum(c.n for c in chunks))


class Table:
    """Source of raw rows: ``raw(start, stop)`` returns (columns, kept row positions or None, bad rows)."""

    n_rows: int
    n_columns: int
    column_names: list[str] | None

    def raw(self, start: int, stop: int) -> tuple[list[Sequence], np.ndarray | None, list[tuple[int, str]]]:
        raise NotImplementedError

    def error(self, row: int, message: str) -> ValueError:
        return ValueError(f"row {row}: {message}")


class Pipeline:
    """Everything a worker needs to turn a block number into processed arrays."""

    def __init__(self, table: Table, features: list[Processor], label: Processor | None, rows_per_block: int,
                 cum: tuple[float, float], seed: int, row_filter: Callable[[list], bool] | None,
                 ignore_errors: bool) -> None:
        self.table, self.features, self.label = table, features, label
        self.rows_per_block, self.cum, self.seed = rows_per_block, cum, seed
        self.row_filter, self.ignore_errors = row_filter, ignore_errors
        self.n_blocks = math.ceil(table.n_rows / rows_per_block)

    @property
    def processors(self) -> list[Processor]:
        return self.features + ([self.label] if self.label is not None else [])

    def split_size(self, split: int) -> int:
        n = self.table.n_rows
        bounds = [0, _round(self.cum[0], n), _round(self.cum[1], n), n]
        return bounds[split + 1] - bounds[split]

    def rows(self, block: int, split: int) -> tuple[list[Sequence], np.ndarray, list[tuple[int, str]]]:
        """This split's valid rows in ``block`` (file order): raw columns, their absolute row numbers, and the
        bad rows as (absolute row, reason)."""
        start = block * self.rows_per_block
        stop = min(start + self.rows_per_block, self.table.n_rows)
        labels = _split_labels(block, start, stop, self.cum, self.seed)
        if (labels is None and split != 0) or (labels is not None and not (labels == split).any()):
            return [], np.zeros(0, np.int64), []
        cols, kept, bad = self.table.raw(start, stop)
        if labels is not None:
            bad = [(r, m) for r, m in bad if labels[r] == split]
        bad = [(start + r, m) for r, m in bad]
        pos = kept if kept is not None else np.arange(stop - start)
        if labels is not None:
            sel = np.flatnonzero(labels[pos] == split)
            cols, pos = [_pick(c, sel) for c in cols], pos[sel]
        if self.row_filter is not None and len(pos):
            keep = np.fromiter((bool(self.row_filter(list(r))) for r in zip(*cols)), dtype=bool, count=len(pos))
            if not keep.all():
                idx = np.flatnonzero(keep)
                cols, pos = [_pick(c, idx) for c in cols], pos[idx]
        return cols, pos + start, bad

    def _apply(self, fn: Callable[[list[Sequence], int], Any], cols: list[Sequence], rows: np.ndarray
               ) -> tuple[Any, int, list[tuple[int, str]]]:
        """Run ``fn`` on all rows; if some row is bad (ValueError), find the bad rows one by one and rerun on the rest."""
        n = len(rows)
        try:
            return fn(cols, n), n, []
        except ValueError:
            pass
        bad, good = [], []
        for i in range(n):
            try:
                fn([c[i: i + 1] for c in cols], 1)
                good.append(i)
            except ValueError as e:
                bad.append((int(rows[i]), str(e)))
        idx = np.asarray(good, dtype=np.int64)
        return fn([_pick(c, idx) for c in cols], len(good)), len(good), bad

    def _report(self, bad: list[tuple[int, str]]) -> int:
        if bad and not self.ignore_errors:
            row, msg = min(bad)
            raise self.table.error(row, msg)
        return len(bad)

    def _transform(self, cols: list[Sequence], n: int) -> tuple[list[np.ndarray], np.ndarray | None]:
        xs = [p.transform(_extract(cols, n, p)) for p in self.features]
        y = self.label.transform(_extract(cols, n, self.label)) if self.label is not None else None
        return xs, y

    def load_block(self, block: int, split: int) -> Chunk:
        cols, rows, bad = self.rows(block, split)
        n_bad = self._report(bad)
        if len(rows) == 0:
            return Chunk([], None, 0, n_bad)
        (xs, y), n, bad = self._apply(self._transform, cols, rows)
        return Chunk(xs, y, n, n_bad + self._report(bad))

    def fit_values(self, block: int) -> tuple[list[np.ndarray], int]:
        """Raw values (as the unfitted processors consume them) of the train rows in ``block``."""
        todo = [p for p in self.processors if not p.fitted]
        cols, rows, bad = self.rows(block, 0)
        self._report(bad)
        if len(rows) == 0:
            return [], 0

        def extract(cs: list[Sequence], m: int) -> list[np.ndarray]:
            return [_extract(cs, m, p) for p in todo]

        values, n, bad = self._apply(extract, cols, rows)
        self._report(bad)
        return values, n
