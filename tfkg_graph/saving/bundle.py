"""Reading a TF V2 checkpoint bundle's ``.index`` without TensorFlow.

The index is a LevelDB table (uncompressed blocks, prefix-compressed keys) mapping each tensor key to a
BundleEntryProto; the empty key holds the BundleHeaderProto. We read it to check keys, dtypes and
shapes before a restore, so mismatches fail with our message before any variable is touched.
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import Any

from ..runtime import dtypes, protos

INDEX_SUFFIX = ".index"
_MAGIC = 0xDB4775248B80FB57
_FOOTER = 48
_TRAILER = 5  # compression type byte + masked crc32c


class CheckpointError(ValueError):
    """A checkpoint that is missing, truncated, corrupt, or does not fit the variables."""


def data_files(prefix: str, num_shards: int = 1) -> list[str]:
    return [f"{prefix}.data-{i:05d}-of-{num_shards:05d}" for i in range(num_shards)]


@dataclass(frozen=True)
class Entry:
    key: str
    dtype: int
    shape: tuple[int, ...]
    shard: int
    offset: int
    size: int


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise CheckpointError("bad varint")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def _block(data: bytes, offset: int, size: int) -> list[tuple[bytes, bytes]]:
    if offset < 0 or offset + size + _TRAILER > len(data):
        raise CheckpointError(f"block at {offset}+{size} runs past the end of the file")
    if data[offset + size] != 0:
        raise CheckpointError("compressed index blocks are not supported")
    block = data[offset:offset + size]
    if size < 4:
        raise CheckpointError("block too small")
    num_restarts = struct.unpack_from("<I", block, size - 4)[0]
    end = size - 4 - 4 * num_restarts
    if end < 0:
        raise CheckpointError("bad restart count")
    entries, pos, key = [], 0, b""
    while pos < end:
        shared, pos = _varint(block, pos)
        unshared, pos = _varint(block, pos)
        length, pos = _varint(block, pos)
        if shared > len(key) or pos + unshared + length > end:
            raise CheckpointError("bad block entry")
        key = key[:shared] + block[pos:pos + unshared]
        pos += unshared
        entries.append((key, block[pos:pos + length]))
        pos += length
    return entries


def read_index(prefix: str) -> dict[str, Entry]:
    """Every tensor in the checkpoint at ``prefix``: key -> Entry (dtype, shape, where its bytes are)."""
    path = prefix + INDEX_SUFFIX
    if not os.path.isfile(path):
        raise CheckpointError(f"no checkpoint at {prefix!r} ({path} does not exist)")
    with open(path, "rb") as f:
        data = f.read()
    try:
        if len(data) < _FOOTER or struct.unpack_from("<Q", data, len(data) - 8)[0] != _MAGIC:
            raise CheckpointError("not a table file (bad magic; truncated?)")
        footer = data[-_FOOTER:]
        _, pos = _varint(footer, 0)
        _, pos = _varint(footer, pos)  # metaindex handle (unused by TF bundles)
        index_offset, pos = _varint(footer, pos)
        index_size, _ = _varint(footer, pos)
        raw: list[tuple[bytes, bytes]] = []
        for _, handle in _block(data, index_offset, index_size):
            offset, pos = _varint(handle, 0)
            size, _ = _varint(handle, pos)
            raw.extend(_block(data, offset, size))
        return _entries(prefix, raw)
    except CheckpointError as e:
        raise CheckpointError(f"corrupt checkpoint index {path}: {e}") from None
    except Exception as e:  # noqa: BLE001 - protobuf decode errors have many types
        raise CheckpointError(f"corrupt checkpoint index {path}: {type(e).__name__}: {e}") from None


def _entries(prefix: str, raw: list[tuple[bytes, bytes]]) -> dict[str, Entry]:
    if not raw or raw[0][0] != b"":
        raise CheckpointError("missing bundle header")
    header = protos.BundleHeaderProto.FromString(raw[0][1])
    sizes = []
    for path in data_files(prefix, max(header.num_shards, 1)):
        if not os.path.isfile(path):
            raise CheckpointError(f"data file {path} is missing")
        sizes.append(os.path.getsize(path))
    out: dict[str, Entry] = {}
    for key, value in raw[1:]:
        proto: Any = protos.BundleEntryProto.FromString(value)
        entry = Entry(key.decode(), proto.dtype, tuple(d.size for d in proto.shape.dim), proto.shard_id,
                      proto.offset, proto.size)
        if entry.shard >= len(sizes) or entry.offset + entry.size > sizes[entry.shard]:
            raise CheckpointError(f"tensor {entry.key!r} lies past the end of its data file (truncated?)")
        out[entry.key] = entry
    return out


def list_variables(prefix: str) -> list[tuple[str, list[int]]]:
    """Like ``tf.train.list_variables``: (key, shape) pairs sorted by key."""
    return [(k, list(e.shape)) for k, e in sorted(read_index(prefix).items())]


def describe(entry: Entry) -> str:
    return f"{dtypes.name(entry.dtype)}{list(entry.shape)}"
