"""The two row sources: CSV files (indexed once, read in blocks) and in-memory columns."""
from __future__ import annotations

import csv
import io
import os
import tempfile
import warnings
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from ._util import CsvParseError, atomic_write_json, config_hash
from .csv_index import CsvIndex, load_or_build_index
from .inference import ProcessorSet
from .processors import Processor
from .pipeline import Table
from .workers import ProcessedTable


# ----------------------------------------------------------------------------------------
# CSV files
# ----------------------------------------------------------------------------------------
# Lines longer than the csv module's 128 KiB default field limit are legitimate data.
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))


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


class _CsvTable(Table):
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


class CsvDataset(ProcessedTable):
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
class _MemoryTable(Table):
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


class MemoryDataset(ProcessedTable):
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
