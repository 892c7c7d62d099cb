"""Writes ``events.out.tfevents.*`` files the way TF's EventsWriter does.

A TFRecord is ``uint64 length | uint32 masked_crc32c(length) | data | uint32 masked_crc32c(data)``
(little-endian); the data is a serialized ``Event``. The first event carries ``file_version``.
"""
from __future__ import annotations

import os
import socket
import struct
import time
from pathlib import Path
from typing import Any, Iterator

from .._io import masked_crc32c
from ..runtime import protos


def record_bytes(data: bytes) -> bytes:
    header = struct.pack("<Q", len(data))
    return header + struct.pack("<I", masked_crc32c(header)) + data + struct.pack("<I", masked_crc32c(data))


def read_records(path: str | os.PathLike) -> Iterator[bytes]:
    """Reads back TFRecords, checking both CRCs; a truncated tail (a writer still running) ends the file."""
    blob = Path(path).read_bytes()
    pos = 0
    while pos + 12 <= len(blob):
        header = blob[pos:pos + 8]
        (length,) = struct.unpack("<Q", header)
        (header_crc,) = struct.unpack("<I", blob[pos + 8:pos + 12])
        if header_crc != masked_crc32c(header):
            raise ValueError(f"{path}: corrupt record length at byte {pos}")
        end = pos + 12 + length + 4
        if end > len(blob):
            return
        data = blob[pos + 12:pos + 12 + length]
        if struct.unpack("<I", blob[end - 4:end])[0] != masked_crc32c(data):
            raise ValueError(f"{path}: corrupt record data at byte {pos}")
        yield data
        pos = end


class EventFileWriter:
    """Appends Event records to one new file in ``logdir``; each record goes out in a single write so a
    reader never sees a torn record, and ``flush()`` makes everything so far durable."""

    def __init__(self, logdir: str | os.PathLike, filename_suffix: str = ""):
        self.logdir = Path(logdir)
        self.logdir.mkdir(parents=True, exist_ok=True)
        stamp, host = int(time.time()), socket.gethostname()
        path = self.logdir / f"events.out.tfevents.{stamp}.{host}{filename_suffix}"
        counter = 0
        while path.exists():  # two writers in one second
            counter += 1
            path = self.logdir / f"events.out.tfevents.{stamp}.{host}.{os.getpid()}.{counter}{filename_suffix}"
        self.path = path
        self._file: Any = open(path, "xb")
        self.add_event(protos.Event(wall_time=time.time(), file_version="brain.Event:2"))
        self.flush()

    def add_event(self, event: Any) -> None:
        if self._file is None:
            raise ValueError(f"event file {self.path} is closed")
        self._file.write(record_bytes(event.SerializeToString()))

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())

    def close(self) -> None:
        if self._file is not None:
            self.flush()
            self._file.close()
            self._file = None


class SummaryWriter:
    """Scalars (``simple_value`` with the ``scalars`` plugin tag) and graphs for one run directory."""

    def __init__(self, logdir: str | os.PathLike):
        self.events = EventFileWriter(logdir)

    @property
    def path(self) -> Path:
        return self.events.path

    def scalar(self, tag: str, value: float, step: int) -> None:
        summary = protos.Summary()
        entry = summary.value.add(tag=tag, simple_value=float(value))
        entry.metadata.plugin_data.plugin_name = "scalars"
        self.events.add_event(protos.Event(wall_time=time.time(), step=int(step), summary=summary))

    def graph(self, graph_def: Any, step: int = 0) -> None:
        data = graph_def if isinstance(graph_def, bytes) else protos.to_bytes(graph_def)
        self.events.add_event(protos.Event(wall_time=time.time(), step=step, graph_def=data))

    def flush(self) -> None:
        self.events.flush()

    def close(self) -> None:
        self.events.close()
