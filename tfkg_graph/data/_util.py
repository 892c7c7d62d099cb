"""Small shared helpers: JSON caches written atomically, file fingerprints, progress bar, errors."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from typing import Any, Callable, TextIO

from .._io import atomic_write


class CsvParseError(ValueError):
    """A data row could not be parsed; names the file and the 1-based line where the row starts."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}, line {line}" if line is not None else path
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[Callable[..., "CsvParseError"], tuple[str, int | None, str]]:
        # Default exception pickling replays self.args, which would not match __init__; worker
        # processes send these errors back to the parent, so make them round-trip.
        return (CsvParseError, (self.path, self.line, self.message))


class UnknownCategoryError(ValueError):
    """A value was not seen when the processor was fitted and the processor has no OOV fallback."""


def atomic_write_json(path: str, obj: Any) -> None:
    atomic_write(path, json.dumps(obj, indent=1, sort_keys=True))


def file_fingerprint(path: str, sample_bytes: int = 1 << 20) -> str:
    """Identify a file's content cheaply: size, mtime and a hash of its first and last MiB.

    Used to key caches so an edited or replaced file invalidates them without hashing
    hundreds of gigabytes. An in-place edit of the middle that keeps size and mtime is not
    detected (documented limitation).
    """
    st = os.stat(path)
    h = hashlib.sha1()
    h.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
    with open(path, "rb") as f:
        h.update(f.read(sample_bytes))
        if st.st_size > sample_bytes:
            f.seek(max(sample_bytes, st.st_size - sample_bytes))
            h.update(f.read(sample_bytes))
    return h.hexdigest()


def config_hash(obj: Any) -> str:
    return hashlib.sha1(json.dumps(obj, sort_keys=True).encode("utf-8")).hexdigest()[:16]


class Progress:
    """Minimal progress bar on stderr for long passes (indexing, fitting); throttled to 5 Hz."""

    def __init__(self, total: int, desc: str, enabled: bool | None = None, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.total = max(int(total), 1)
        self.desc = desc
        self.done = 0
        self._last = 0.0
        self._start = time.monotonic()

    def update(self, n: int) -> None:
        self.done += n
        if self.enabled and time.monotonic() - self._last > 0.2:
            self._draw()

    def _draw(self) -> None:
        self._last = time.monotonic()
        frac = min(self.done / self.total, 1.0)
        bar = "#" * int(frac * 30)
        self.stream.write(f"\r{self.desc} [{bar:<30}] {frac * 100:5.1f}% {self._last - self._start:6.1f}s")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()
