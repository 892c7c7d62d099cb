"""Row-offset index of a CSV file, built in one vectorised pass and cached on disk.

The index is a raw little-endian int64 file of record start offsets (plus one end
sentinel) that is memory-mapped, so a file with billions of rows costs 8 bytes/row on
disk and only the touched pages in memory. It is keyed by a fingerprint of the file so
an edited file is re-indexed.

Record boundaries follow RFC 4180: a newline ends a record when an even number of quote
characters precede it (doubled quotes inside quoted fields keep the parity). A quote
character inside an *unquoted* field is therefore not supported (Python's csv module
reads it literally); a file that ends inside an open quote is reported with its line.
Blank lines are not rows.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass

import numpy as np

from .._io import atomic_path
from ._util import CsvParseError, Progress, atomic_write_json, config_hash, file_fingerprint

INDEX_VERSION = 1
_CHUNK = 16 << 20
_BOM = b"\xef\xbb\xbf"


@dataclass
class CsvIndex:
    path: str
    offsets: np.ndarray  # int64, n_rows + 1 entries: start of each data row, then end of data
    header: list[str] | None  # column names if the file has a header row
    n_columns: int
    unterminated_line: int | None  # line of a trailing record with an unclosed quote (dropped)
    key: str = ""  # cache key: file fingerprint + parsing options

    @property
    def n_rows(self) -> int:
        return len(self.offsets) - 1

    def line_of(self, offset: int) -> int:
        """1-based line number of a byte offset (counts newlines; only used for error messages)."""
        count = 0
        with open(self.path, "rb") as f:
            remaining = offset
            while remaining > 0:
                buf = f.read(min(_CHUNK, remaining))
                if not buf:
                    break
                count += buf.count(b"\n")
                remaining -= len(buf)
        return count + 1


class _StartWriter:
    """Appends record starts to the index file; the first record is set aside as the header."""

    def __init__(self, out, header: bool) -> None:
        self.out = out
        self.pending_header = header
        self.header_start: int | None = None
        self.first_data: int | None = None
        self.count = 0

    def write(self, starts: np.ndarray) -> None:
        if self.pending_header and len(starts):
            self.header_start = int(starts[0])
            starts = starts[1:]
            self.pending_header = False
        if len(starts):
            if self.first_data is None:
                self.first_data = int(starts[0])
            self.out.write(starts.astype("<i8").tobytes())
            self.count += len(starts)


def _scan(path: str, quote: int, progress: Progress, out: _StartWriter) -> tuple[int, int | None]:
    """Write record starts to ``out``; return (end of data, start of an unterminated trailing record)."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        start = 3 if f.read(3) == _BOM else 0
        f.seek(start)
        pos = start
        rec_start = start  # start of the record currently open
        in_quote = False
        prev_byte = -1
        qbyte = bytes([quote])
        while True:
            buf = f.read(_CHUNK)
            if not buf:
                break
            a = np.frombuffer(buf, dtype=np.uint8)
            nl = np.flatnonzero(a == 10)
            if in_quote or buf.find(qbyte) != -1:
                q = np.flatnonzero(a == quote)
                before = np.searchsorted(q, nl) + (1 if in_quote else 0)
                nl = nl[(before & 1) == 0]
                in_quote = bool((len(q) + (1 if in_quote else 0)) & 1)
            if len(nl):
                ends = nl + pos  # absolute positions of record-ending newlines
                starts = np.empty_like(ends)
                starts[0] = rec_start
                starts[1:] = ends[:-1] + 1
                length = ends - starts
                # a blank record is "\n" or "\r\n"; its first byte may sit at the end of the previous chunk
                first = np.where(starts >= pos, a[np.clip(starts - pos, 0, len(a) - 1)], prev_byte)
                out.write(starts[(length > 1) | ((length == 1) & (first != 13))])
                rec_start = int(ends[-1]) + 1
            prev_byte = int(a[-1])
            pos += len(buf)
            progress.update(len(buf))
    if rec_start < size:
        if in_quote:
            return rec_start, rec_start
        with open(path, "rb") as f:
            f.seek(rec_start)
            if f.read(2) != b"\r":
                out.write(np.asarray([rec_start], dtype=np.int64))
    return size, None


def _read_meta(path: str) -> dict | None:
    """Cached index metadata, or None if missing or unreadable (then the index is rebuilt)."""
    try:
        with open(path, encoding="utf-8") as f:
            meta = json.load(f)
        return meta if isinstance(meta, dict) and isinstance(meta.get("n_offsets"), int) else None
    except (OSError, ValueError):
        return None


def _record(path: str, start: int, stop: int, delimiter: str, quotechar: str) -> list[str]:
    """Parse the single record in bytes [start, stop) (header or first row, to learn the columns)."""
    with open(path, "rb") as f:
        f.seek(start)
        raw = f.read(stop - start)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise CsvParseError(path, None, f"header/first row is not valid UTF-8 ({e.reason})") from None
    rows = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar=quotechar) if r]
    return rows[0] if rows else []


def load_or_build_index(
    path: str,
    cache_dir: str,
    *,
    header: bool,
    delimiter: str,
    quotechar: str,
    progress: bool | None = None,
) -> CsvIndex:
    """Return the cached index for ``path`` or build it with one sequential pass."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"CSV file not found: {path}")
    if os.path.getsize(path) == 0:
        raise CsvParseError(path, None, "file is empty")
    key = config_hash([INDEX_VERSION, file_fingerprint(path), os.path.abspath(path), header, delimiter, quotechar])
    os.makedirs(cache_dir, exist_ok=True)
    base = os.path.join(cache_dir, f"{os.path.basename(path)}.{key}")
    idx_path, meta_path = base + ".offsets.i8", base + ".meta.json"
    meta = _read_meta(meta_path) if os.path.exists(idx_path) else None
    if meta is not None and os.path.getsize(idx_path) == 8 * meta["n_offsets"]:
        return CsvIndex(path, np.memmap(idx_path, dtype="<i8", mode="r"), meta["header"], meta["n_columns"],
                        meta["unterminated_line"], key)

    bar = Progress(os.path.getsize(path), f"indexing {os.path.basename(path)}", progress)
    with atomic_path(idx_path) as tmp:
        with open(tmp, "wb") as f:
            writer = _StartWriter(f, header)
            end, unterminated = _scan(path, ord(quotechar), bar, writer)
            f.write(np.asarray([end], dtype="<i8").tobytes())
        bar.close()
    n_offsets = writer.count + 1
    names = None
    if header:
        if writer.header_start is None:
            raise CsvParseError(path, None, "file has no header row (only blank lines)")
        names = [c.strip() for c in _record(path, writer.header_start, writer.first_data or end, delimiter, quotechar)]
        n_columns = len(names)
    elif writer.first_data is not None:
        stop = _record_end(idx_path, end)
        n_columns = len(_record(path, writer.first_data, stop, delimiter, quotechar))
    else:
        n_columns = 0
    unterminated_line = None
    if unterminated is not None:
        unterminated_line = CsvIndex(path, np.zeros(1, np.int64), None, 0, None).line_of(unterminated)
    atomic_write_json(meta_path, {"n_offsets": n_offsets, "header": names, "n_columns": n_columns,
                                  "unterminated_line": unterminated_line})
    return CsvIndex(path, np.memmap(idx_path, dtype="<i8", mode="r"), names, n_columns, unterminated_line, key)


def _record_end(idx_path: str, end: int) -> int:
    """End of the first indexed record: the second offset in the index file."""
    with open(idx_path, "rb") as f:
        f.seek(8)
        b = f.read(8)
    return int.from_bytes(b, "little", signed=True) if len(b) == 8 else end
