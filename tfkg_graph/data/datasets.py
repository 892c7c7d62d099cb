"""Datasets following the fit/evaluate/predict protocol.

Protocol: a dataset is iterable; each ``iter(ds)`` is one epoch yielding ``(x, y)`` batches
(x: array, list of arrays in model-input order, or dict name→array; y may be None), the last
partial batch kept; ``len(ds)`` is the number of batches per epoch when known (TypeError
otherwise). Training splits reshuffle on every new iteration, deterministically from the
seed and an epoch counter.

Shuffling large CSV files (``CsvDataset``): rows are grouped into blocks of consecutive
rows (~``block_bytes`` each). An epoch visits the blocks in a seeded random order, reading
each block with one sequential read, and shuffles rows inside a window of
``shuffle_blocks`` blocks in memory. So disk access is a few large reads per window, never
one seek per row, and memory stays bounded by the window. Rows of one block end up spread
over at most ``shuffle_blocks * block`` rows of the epoch: increase ``shuffle_blocks`` (or
lower ``block_bytes``) for a more thorough mix of sorted files.

Splits: inside every block, an exact share of rows (cumulative rounding of the fractions)
goes to train/val/test, chosen by a seeded permutation of that block, so the splits are
disjoint, their union is every row, and the same seed gives the same split. Because the
splits are interleaved inside blocks, a pass over val or test still reads the whole file
sequentially (each block is parsed, only the split's share is preprocessed).
Row filters and ``ignore_parse_errors`` apply after the split, so they never move rows
between splits.
"""

from __future__ import annotations

import csv
import io
import math
import multiprocessing
import operator
import os
import tempfile
import warnings
from collections import deque
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from ._util import CsvParseError, Progress, atomic_write_json, config_hash
from .csv_index import CsvIndex, load_or_build_index
from .processors import Processor, class_weights
from .inference import ProcessorSet

# Lines longer than the csv module's 128 KiB default field limit are legitimate data.
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))

SPLITS = ("train", "val", "test")


# ----------------------------------------------------------------------------------------
# In-memory arrays
# ----------------------------------------------------------------------------------------
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


# ----------------------------------------------------------------------------------------
# Shared row pipeline: raw rows -> split selection -> filter -> processors
# ----------------------------------------------------------------------------------------
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
class _Chunk:
    xs: list[np.ndarray]
    y: np.ndarray | None
    n: int
    n_bad: int = 0

    def take(self, idx: np.ndarray | slice) -> "_Chunk":
        y = self.y[idx] if self.y is not None else None
        xs = [x[idx] for x in self.xs]
        return _Chunk(xs, y, len(xs[0]) if xs else (len(y) if y is not None else 0))

    @staticmethod
    def concat(chunks: list["_Chunk"]) -> "_Chunk":
        if len(chunks) == 1:
            return chunks[0]
        xs = [np.concatenate([c.xs[i] for c in chunks]) for i in range(len(chunks[0].xs))]
        y = np.concatenate([c.y for c in chunks]) if chunks[0].y is not None else None
        return _Chunk(xs, y, sum(c.n for c in chunks))


class _Table:
    """Source of raw rows: ``raw(start, stop)`` returns (columns, kept row positions or None, bad rows)."""

    n_rows: int
    n_columns: int
    column_names: list[str] | None

    def raw(self, start: int, stop: int) -> tuple[list[Sequence], np.ndarray | None, list[tuple[int, str]]]:
        raise NotImplementedError

    def error(self, row: int, message: str) -> ValueError:
        return ValueError(f"row {row}: {message}")


class _Pipeline:
    """Everything a worker needs to turn a block number into processed arrays."""

    def __init__(self, table: _Table, features: list[Processor], label: Processor | None, rows_per_block: int,
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

    def load_block(self, block: int, split: int) -> _Chunk:
        cols, rows, bad = self.rows(block, split)
        n_bad = self._report(bad)
        if len(rows) == 0:
            return _Chunk([], None, 0, n_bad)
        (xs, y), n, bad = self._apply(self._transform, cols, rows)
        return _Chunk(xs, y, n, n_bad + self._report(bad))

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


# Worker processes receive the pipeline through fork (not pickled), so row filters may be lambdas.
_WORKER_PIPELINE: _Pipeline | None = None


def _worker_init(pipeline: _Pipeline) -> None:
    global _WORKER_PIPELINE
    _WORKER_PIPELINE = pipeline


def _worker_call(method: str, *args: Any) -> Any:
    assert _WORKER_PIPELINE is not None
    return getattr(_WORKER_PIPELINE, method)(*args)


def _format_x(xs: list[np.ndarray], names: list[str] | None) -> Any:
    if names is not None:
        return dict(zip(names, xs))
    return xs[0] if len(xs) == 1 else list(xs)


class _Split:
    """One split of a processed table; iterable per the dataset protocol."""

    def __init__(self, owner: "_ProcessedTable", split: int) -> None:
        self.owner, self.split = owner, split
        self.name = SPLITS[split]
        self._epoch = 0
        self._rows_seen: int | None = None  # exact row count after one complete epoch
        self.skipped_rows: int | None = None  # bad rows skipped in the last complete epoch

    @property
    def num_rows(self) -> int | None:
        """Rows per epoch: exact unless a row filter or skipped bad rows make it unknown before one epoch."""
        if self._rows_seen is not None:
            return self._rows_seen
        if self.owner.pipeline.row_filter is None and not self.owner.pipeline.ignore_errors:
            return self.owner.pipeline.split_size(self.split)
        return None

    def __len__(self) -> int:
        n = self.num_rows
        if n is None:
            raise TypeError(f"{self.name} split: number of batches unknown until one epoch has run "
                            "(row_filter / ignore_parse_errors may drop rows)")
        return math.ceil(n / self.owner.batch_size)

    def __iter__(self) -> Iterator[tuple]:
        epoch, self._epoch = self._epoch, self._epoch + 1
        o = self.owner
        shuffle = self.split == 0 and o.shuffle
        order = np.arange(o.pipeline.n_blocks)
        rng = np.random.default_rng([o.seed, 1, epoch])
        if shuffle:
            order = rng.permutation(order)
        window = o.shuffle_blocks if shuffle else 1
        bs = o.batch_size
        pending: list[_Chunk] = []
        blocks_in_window = total = bad = 0
        for chunk in o.run(order, "load_block", self.split):
            bad += chunk.n_bad
            if chunk.n == 0:
                continue
            pending.append(chunk)
            blocks_in_window += 1
            if blocks_in_window >= window:
                merged = _Chunk.concat(pending)
                if shuffle:
                    merged = merged.take(rng.permutation(merged.n))
                full = merged.n // bs * bs
                for s in range(0, full, bs):
                    total += bs
                    yield o.batch(merged.take(slice(s, s + bs)))
                pending = [merged.take(slice(full, merged.n))] if full < merged.n else []
                blocks_in_window = 0
        if pending:
            merged = _Chunk.concat(pending)
            if shuffle:
                merged = merged.take(rng.permutation(merged.n))
            for s in range(0, merged.n, bs):
                total += min(bs, merged.n - s)
                yield o.batch(merged.take(slice(s, s + bs)))
        self._rows_seen, self.skipped_rows = total, bad
        if bad and not o.warned[self.split]:
            o.warned[self.split] = True
            warnings.warn(f"{o.source}: skipped {bad} malformed rows in the {self.name} split", stacklevel=2)


class _ProcessedTable:
    """Common front end of CsvDataset and MemoryDataset: processors, splits, batching, workers."""

    source = "<memory>"

    def _setup(self, table: _Table, features: Sequence[Processor], label: Processor | None, *,
               batch_size: int, val_fraction: float, test_fraction: float, seed: int, rows_per_block: int,
               row_filter: Callable[[list], bool] | None, ignore_parse_errors: bool, shuffle: bool,
               shuffle_blocks: int, prefetch: int, workers: int, as_dict: bool) -> None:
        if not features:
            raise ValueError("at least one feature processor is required")
        if not (0 <= val_fraction and 0 <= test_fraction and val_fraction + test_fraction <= 1):
            raise ValueError("val_fraction and test_fraction must be >= 0 and sum to at most 1")
        if batch_size < 1 or shuffle_blocks < 1 or prefetch < 1 or workers < 0:
            raise ValueError("batch_size, shuffle_blocks and prefetch must be >= 1, workers >= 0")
        features = list(features)
        for p in features + ([label] if label is not None else []):
            p.resolve(table.column_names, table.n_columns)
        names = [p.name or f"input_{i}" for i, p in enumerate(features)]
        if as_dict and len(set(names)) != len(names):
            raise ValueError(f"feature names must be unique for as_dict=True: {names}")
        self.names = names if as_dict else None
        cum = (1.0 - val_fraction - test_fraction, 1.0 - test_fraction)
        self.pipeline = _Pipeline(table, features, label, rows_per_block, cum, seed, row_filter, ignore_parse_errors)
        self.batch_size, self.seed, self.shuffle = batch_size, seed, shuffle
        self.shuffle_blocks, self.prefetch, self.workers = shuffle_blocks, prefetch, workers
        self.warned = [False, False, False]
        self._splits = [_Split(self, i) for i in range(3)]

    # -- protocol: iterating the dataset itself iterates the train split ----------------------
    def __iter__(self) -> Iterator[tuple]:
        return iter(self.train)

    def __len__(self) -> int:
        return len(self.train)

    @property
    def train(self) -> _Split:
        return self._splits[0]

    @property
    def val(self) -> _Split:
        return self._splits[1]

    @property
    def test(self) -> _Split:
        return self._splits[2]

    @property
    def features(self) -> list[Processor]:
        return self.pipeline.features

    @property
    def label(self) -> Processor | None:
        return self.pipeline.label

    @property
    def processors(self) -> ProcessorSet:
        """Everything needed to turn raw rows into model inputs at inference (see save_processors)."""
        t = self.pipeline.table
        return ProcessorSet(self.features, self.label, column_names=t.column_names, n_columns=t.n_columns,
                            delimiter=getattr(self, "delimiter", ","), quotechar=getattr(self, "quotechar", '"'))

    def class_weights(self, user: dict[Any, float] | None = None) -> dict[int, float]:
        """Dict for ``fit(class_weight=...)``: TFKG's majority/count over the fitted sample, or ``user`` mapped to indices."""
        label = self.label
        counts = label.class_counts() if hasattr(label, "class_counts") else None
        if counts is None:
            raise ValueError("class weights need a categorical label processor (SparseCategoricalY, BinaryY, "
                             "Tokenizer(mode='category'))")
        return class_weights(counts, user, getattr(label, "classes", None))

    def batch(self, chunk: _Chunk) -> tuple:
        return _format_x(chunk.xs, self.names), chunk.y

    def run(self, order: np.ndarray, method: str, *args: Any) -> Iterator[Any]:
        """``pipeline.<method>(block, *args)`` for blocks in ``order``, computed ahead by background
        workers (``prefetch`` blocks deep): one thread, or ``workers`` forked processes."""
        ex: Executor
        if self.workers > 0:
            ex = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("fork"),
                                     initializer=_worker_init, initargs=(self.pipeline,))
            submit = lambda b: ex.submit(_worker_call, method, b, *args)  # noqa: E731
        else:
            ex = ThreadPoolExecutor(1)
            fn = getattr(self.pipeline, method)
            submit = lambda b: ex.submit(fn, b, *args)  # noqa: E731
        depth = max(self.prefetch, self.workers)
        pending: deque = deque()
        it = iter(order.tolist())
        try:
            for b in it:
                pending.append(submit(b))
                if len(pending) >= depth:
                    break
            while pending:
                result = pending.popleft().result()
                nxt = next(it, None)
                if nxt is not None:
                    pending.append(submit(nxt))
                yield result
        finally:
            ex.shutdown(wait=True, cancel_futures=True)

    def fit(self, max_rows: int, progress: bool | None) -> None:
        """Fit unfitted processors on up to ``max_rows`` train rows from blocks in seeded random order."""
        pipe = self.pipeline
        todo = [p for p in pipe.processors if not p.fitted]
        if not todo:
            return
        for p in todo:
            p.reset()
        order = np.random.default_rng([pipe.seed, 11]).permutation(pipe.n_blocks)
        bar = Progress(min(max_rows, pipe.split_size(0)), "fitting preprocessors", progress)
        seen = 0
        results = self.run(order, "fit_values")
        try:
            for values, n in results:
                take = min(n, max_rows - seen)
                for p, v in zip(todo, values):
                    p.partial_fit(v[:take])
                seen += take
                bar.update(take)
                if seen >= max_rows:
                    break
        finally:
            results.close()  # stops the workers early once the sample is complete
        bar.close()
        for p in todo:
            p.finish_fit()


# ----------------------------------------------------------------------------------------
# CSV files
# ----------------------------------------------------------------------------------------
def _fast_columns(data: bytes, n: int, n_columns: int, delimiter: str, quotechar: str) -> list[list[str]] | None:
    """Vectorised split for the common case: no quotes, no blank lines, exactly n_columns fields per row."""
    d = delimiter.encode("utf-8")
    if len(d) != 1 or not data:
        return None
    a = np.frombuffer(data, dtype=np.uint8)
    if data.find(quotechar.encode("utf-8")) != -1:
        return None
    nl = np.flatnonzero(a == 10)
    ends = nl if a[-1] == 10 else np.append(nl, len(a))
    if len(ends) != n:
        return None
    delims = np.flatnonzero(a == d[0])
    per_row = np.diff(np.searchsorted(delims, ends), prepend=0)
    if (per_row != n_columns - 1).any():
        return None
    try:
        s = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\r" in s:
        s = s.replace("\r\n", "\n")
        if "\r" in s:
            return None
    if s.endswith("\n"):
        s = s[:-1]
    flat = s.replace("\n", delimiter).split(delimiter)
    if len(flat) != n * n_columns:  # a blank line inside the block
        return None
    return [flat[j::n_columns] for j in range(n_columns)]


class _CsvTable(_Table):
    def __init__(self, index: CsvIndex, delimiter: str, quotechar: str) -> None:
        self.index, self.path = index, index.path
        self.delimiter, self.quotechar = delimiter, quotechar
        self.n_rows, self.n_columns, self.column_names = index.n_rows, index.n_columns, index.header

    def error(self, row: int, message: str) -> CsvParseError:
        return CsvParseError(self.path, self.index.line_of(int(self.index.offsets[row])), message)

    def _reader(self, text: str) -> list[list[str]]:
        return [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter,
                                      quotechar=self.quotechar) if r]

    def raw(self, start: int, stop: int) -> tuple[list[Sequence], np.ndarray | None, list[tuple[int, str]]]:
        offs = self.index.offsets
        a, z = int(offs[start]), int(offs[stop])
        with open(self.path, "rb") as f:
            f.seek(a)
            data = f.read(z - a)
        n, k = stop - start, self.n_columns
        cols = _fast_columns(data, n, k, self.delimiter, self.quotechar)
        if cols is not None:
            return cols, None, []
        try:
            rows = self._reader(data.decode("utf-8"))
            if len(rows) == n and all(len(r) == k for r in rows):
                return list(zip(*rows)), None, []
        except (UnicodeDecodeError, csv.Error):
            pass
        # Slow path, only for blocks with bad rows: parse every indexed record on its own.
        rel = np.asarray(offs[start: stop + 1], dtype=np.int64) - a
        good, kept, bad = [], [], []
        for i in range(n):
            try:
                rs = self._reader(data[rel[i]: rel[i + 1]].decode("utf-8"))
            except UnicodeDecodeError as e:
                bad.append((i, f"invalid UTF-8 ({e.reason})"))
                continue
            except csv.Error as e:
                bad.append((i, f"malformed CSV ({e})"))
                continue
            if len(rs) != 1:
                bad.append((i, "record does not parse as one row (quote character inside an unquoted field?)"))
            elif len(rs[0]) != k:
                bad.append((i, f"expected {k} fields, got {len(rs[0])}"))
            else:
                good.append(rs[0])
                kept.append(i)
        cols = list(zip(*good)) if good else [() for _ in range(k)]
        return cols, np.asarray(kept, dtype=np.int64), bad


def default_cache_dir() -> str:
    return os.path.join(tempfile.gettempdir(), "tfkg_graph_csv_cache")


class CsvDataset(_ProcessedTable):
    """A CSV file as train/val/test datasets of preprocessed batches, with bounded memory.

    One sequential pass builds a memory-mapped row-offset index (cached in ``cache_dir``);
    processors are fitted on at most ``max_rows_for_fit`` train rows and cached; batches
    are parsed by a background thread (``workers=0``) or ``workers`` forked processes,
    ``prefetch`` blocks ahead. Iterating the dataset itself iterates ``.train``. Worker
    processes are forked per epoch and run only numpy/stdlib code, so row filters may be
    lambdas; use ``workers=0`` where forking is unwelcome.
    """

    def __init__(
        self,
        path: str,
        features: Sequence[Processor],
        label: Processor | None = None,
        *,
        header: bool = True,
        delimiter: str = ",",
        quotechar: str = '"',
        batch_size: int = 32,
        val_fraction: float = 0.0,
        test_fraction: float = 0.0,
        seed: int = 0,
        shuffle: bool = True,
        cache_dir: str | None = None,
        max_rows_for_fit: int = 1_000_000,
        row_filter: Callable[[list[str]], bool] | None = None,
        ignore_parse_errors: bool = False,
        block_bytes: int = 4 << 20,
        shuffle_blocks: int = 8,
        prefetch: int = 4,
        workers: int = 0,
        as_dict: bool = False,
        progress: bool | None = None,
    ) -> None:
        if len(delimiter) != 1 or len(quotechar) != 1:
            raise ValueError("delimiter and quotechar must be single characters")
        self.path, self.source = path, path
        self.delimiter, self.quotechar = delimiter, quotechar
        self.cache_dir = cache_dir or default_cache_dir()
        index = load_or_build_index(path, self.cache_dir, header=header, delimiter=delimiter,
                                    quotechar=quotechar, progress=progress)
        if index.unterminated_line is not None:
            err = CsvParseError(path, index.unterminated_line, "unterminated quoted field runs to the end of the file")
            if not ignore_parse_errors:
                raise err
            warnings.warn(f"{err}; the rest of the file from that line is skipped", stacklevel=2)
        if index.n_rows == 0:
            raise CsvParseError(path, None, "file has no data rows")
        self.index = index
        data_bytes = int(index.offsets[-1]) - int(index.offsets[0])
        rows_per_block = max(1, int(block_bytes * index.n_rows / max(data_bytes, 1)))
        self._setup(_CsvTable(index, delimiter, quotechar), features, label, batch_size=batch_size,
                    val_fraction=val_fraction, test_fraction=test_fraction, seed=seed,
                    rows_per_block=rows_per_block, row_filter=row_filter,
                    ignore_parse_errors=ignore_parse_errors, shuffle=shuffle, shuffle_blocks=shuffle_blocks,
                    prefetch=prefetch, workers=workers, as_dict=as_dict)
        self._fit_or_load(max_rows_for_fit, progress)

    def _fit_or_load(self, max_rows: int, progress: bool | None) -> None:
        pipe = self.pipeline
        if all(p.fitted for p in pipe.processors):
            return
        # Processors fitted with a row filter are not cached: the filter's code cannot be keyed.
        cache = None
        if pipe.row_filter is None:
            key = config_hash([self.index.key, [p.spec() for p in pipe.processors], pipe.cum, pipe.seed,
                               max_rows, pipe.rows_per_block, pipe.ignore_errors])
            cache = os.path.join(self.cache_dir, f"{os.path.basename(self.path)}.{key}.processors.json")
            if os.path.exists(cache):
                try:
                    loaded = ProcessorSet.from_file(cache)
                    for p, q in zip(pipe.processors, loaded.all):
                        p.set_state(q.state())
                    return
                except (ValueError, KeyError, TypeError):
                    pass  # unreadable cache: refit and overwrite
        self.fit(max_rows, progress)
        if cache is not None:
            atomic_write_json(cache, self.processors.get_config())


# ----------------------------------------------------------------------------------------
# In-memory tables
# ----------------------------------------------------------------------------------------
class _MemoryTable(_Table):
    def __init__(self, data: Any, column_names: Sequence[str] | None) -> None:
        if isinstance(data, np.ndarray):
            if data.ndim != 2:
                raise ValueError(f"MemoryDataset: data must be 2-D (rows, columns), got shape {data.shape}")
            self.cols: list[Sequence] = [data[:, j] for j in range(data.shape[1])]
            self.n_rows, self.n_columns = data.shape
        else:
            rows = [list(r) for r in data]
            if not rows:
                raise ValueError("MemoryDataset: no rows")
            k = len(rows[0])
            for i, r in enumerate(rows):
                if len(r) != k:
                    raise ValueError(f"MemoryDataset: row {i} has {len(r)} values, expected {k}")
            self.cols = [list(c) for c in zip(*rows)]
            self.n_rows, self.n_columns = len(rows), k
        if self.n_rows == 0:
            raise ValueError("MemoryDataset: no rows")
        self.column_names = list(column_names) if column_names is not None else None
        if self.column_names is not None and len(self.column_names) != self.n_columns:
            raise ValueError(f"MemoryDataset: {len(self.column_names)} column names for {self.n_columns} columns")

    def raw(self, start: int, stop: int) -> tuple[list[Sequence], np.ndarray | None, list[tuple[int, str]]]:
        return [c[start:stop] for c in self.cols], None, []


class MemoryDataset(_ProcessedTable):
    """Rows from a 2-D numpy array or a list of rows, with the same processors and splits as CsvDataset.

    Processors are fitted on the train split; iterating works exactly like CsvDataset."""

    def __init__(
        self,
        data: Any,
        features: Sequence[Processor],
        label: Processor | None = None,
        *,
        column_names: Sequence[str] | None = None,
        batch_size: int = 32,
        val_fraction: float = 0.0,
        test_fraction: float = 0.0,
        seed: int = 0,
        shuffle: bool = True,
        max_rows_for_fit: int = 1_000_000,
        row_filter: Callable[[list], bool] | None = None,
        ignore_parse_errors: bool = False,
        as_dict: bool = False,
    ) -> None:
        self._setup(_MemoryTable(data, column_names), features, label, batch_size=batch_size,
                    val_fraction=val_fraction, test_fraction=test_fraction, seed=seed, rows_per_block=65536,
                    row_filter=row_filter, ignore_parse_errors=ignore_parse_errors, shuffle=shuffle,
                    shuffle_blocks=4, prefetch=1, workers=0, as_dict=as_dict)
        self.fit(max_rows_for_fit, False)

    def run(self, order: np.ndarray, method: str, *args: Any) -> Iterator[Any]:
        """In memory there is no I/O to overlap: compute blocks inline."""
        fn = getattr(self.pipeline, method)
        for b in order.tolist():
            yield fn(b, *args)
