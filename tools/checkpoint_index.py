"""Reads a TF V2 checkpoint's ``.index`` file without TensorFlow.

The index is a LevelDB-format SSTable: data blocks of prefix-compressed keys with restart points, an
index block pointing at them, and a 48-byte footer ending in a magic number. Each value is a
``BundleEntryProto`` keyed by tensor name; the empty key holds the ``BundleHeaderProto``.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from tfkg_graph.runtime import protos

TABLE_MAGIC = 0xDB4775248B80FB57
FOOTER_SIZE = 48  # two BlockHandles padded to 40 bytes + 8-byte magic
BLOCK_TRAILER_SIZE = 5  # compression type byte + masked crc32c
_COMPRESSION = {0: None, 1: "snappy"}


class CheckpointIndexError(ValueError):
    """The file is not a readable checkpoint index."""


@dataclass(frozen=True)
class CheckpointTensor:
    name: str
    dtype: int
    shape: tuple[int, ...]
    shard_id: int
    sliced: bool


@dataclass(frozen=True)
class CheckpointIndex:
    path: str
    num_shards: int
    producer: int
    tensors: list[CheckpointTensor]


def _crc32c_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    table = _CRC_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _unmask(masked: int) -> int:
    """LevelDB stores crcs rotated and offset so a crc of data holding crcs stays well spread."""
    rot = (masked - 0xA282EAD8) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise CheckpointIndexError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _block_handle(buf: bytes, pos: int) -> tuple[tuple[int, int], int]:
    offset, pos = _varint(buf, pos)
    size, pos = _varint(buf, pos)
    return (offset, size), pos


def _read_block(data: bytes, handle: tuple[int, int], what: str) -> bytes:
    offset, size = handle
    end = offset + size
    if end + BLOCK_TRAILER_SIZE > len(data):
        raise CheckpointIndexError(f"{what} block [{offset}, {end}) runs past the end of the file")
    block = data[offset:end]
    kind = data[end]
    (masked,) = struct.unpack_from("<I", data, end + 1)
    if crc32c(data[offset:end + 1]) != _unmask(masked):
        raise CheckpointIndexError(f"{what} block at offset {offset} fails its crc32c check (corrupt file)")
    if kind not in _COMPRESSION:
        raise CheckpointIndexError(f"{what} block at offset {offset} has unknown compression type {kind}")
    if _COMPRESSION[kind]:
        raise CheckpointIndexError(f"{what} block at offset {offset} is {_COMPRESSION[kind]}-compressed; only "
                                   "uncompressed indexes (TF's default) can be read")
    return block


def _block_entries(block: bytes, what: str) -> Iterator[tuple[bytes, bytes]]:
    if len(block) < 4:
        raise CheckpointIndexError(f"{what} block is too short")
    (num_restarts,) = struct.unpack_from("<I", block, len(block) - 4)
    limit = len(block) - 4 - 4 * num_restarts
    if limit < 0:
        raise CheckpointIndexError(f"{what} block claims {num_restarts} restart points, more than fit")
    pos, key = 0, b""
    while pos < limit:
        shared, pos = _varint(block, pos)
        unshared, pos = _varint(block, pos)
        value_len, pos = _varint(block, pos)
        if shared > len(key) or pos + unshared + value_len > limit:
            raise CheckpointIndexError(f"{what} block has a malformed entry at byte {pos}")
        key = key[:shared] + block[pos:pos + unshared]
        pos += unshared
        yield key, block[pos:pos + value_len]
        pos += value_len


def table_entries(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Every (key, value) of an SSTable, in key order."""
    if len(data) < FOOTER_SIZE:
        raise CheckpointIndexError(f"{len(data)} bytes is too short for an SSTable")
    footer = data[-FOOTER_SIZE:]
    (magic,) = struct.unpack_from("<Q", footer, FOOTER_SIZE - 8)
    if magic != TABLE_MAGIC:
        raise CheckpointIndexError("not an SSTable (bad magic number in the footer)")
    _metaindex, pos = _block_handle(footer, 0)
    index_handle, _ = _block_handle(footer, pos)
    for _, handle_bytes in _block_entries(_read_block(data, index_handle, "index"), "index"):
        handle, _ = _block_handle(handle_bytes, 0)
        yield from _block_entries(_read_block(data, handle, "data"), "data")


def index_path(prefix: str | Path) -> Path:
    """``model.ckpt`` or ``model.ckpt.index`` -> the index file."""
    path = Path(prefix)
    return path if path.name.endswith(".index") else path.with_name(path.name + ".index")


def read_index(prefix: str | Path) -> CheckpointIndex:
    """The tensors a checkpoint holds (name, dtype, shape), like ``tf.train.list_variables``."""
    path = index_path(prefix)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise CheckpointIndexError(f"cannot read checkpoint index {path}: {e.strerror}") from None
    header: Any = None
    tensors: list[CheckpointTensor] = []
    try:
        for key, value in table_entries(data):
            if key == b"":
                header = protos.BundleHeaderProto.FromString(value)
            elif not key.startswith(b"\x00"):  # keys starting with NUL hold slices of partitioned tensors
                entry = protos.BundleEntryProto.FromString(value)
                tensors.append(CheckpointTensor(key.decode("utf-8", "replace"), entry.dtype,
                                                tuple(d.size for d in entry.shape.dim), entry.shard_id,
                                                bool(entry.slices)))
    except CheckpointIndexError as e:
        raise CheckpointIndexError(f"{path}: {e}") from None
    except Exception as e:  # protobuf DecodeError and friends: a value that is not a bundle proto
        raise CheckpointIndexError(f"{path}: not a TensorFlow checkpoint index ({e})") from None
    if header is None:
        raise CheckpointIndexError(f"{path}: an SSTable without a BundleHeaderProto, not a checkpoint index")
    return CheckpointIndex(str(path), header.num_shards, header.version.producer, tensors)
