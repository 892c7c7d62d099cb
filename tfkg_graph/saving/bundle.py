"""Reading a TF V2 checkpoint bundle's ``.index`` without TensorFlow (the one reader; tools use it too).

The index is a LevelDB-format table: data blocks of prefix-compressed keys with restart points, each
followed by a compression byte and a masked crc32c, an index block pointing at them, and a 48-byte
footer ending in a magic number. Each value is a ``BundleEntryProto`` keyed by tensor name; the empty
key holds the ``BundleHeaderProto``. ``parse_index`` reads the index alone (for inspection);
``read_index`` also checks every tensor lies inside its data file, so a restore fails with our message
before any variable is touched.
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import Any, Iterator

from ..runtime import dtypes, protos
from .._io import crc32c, unmask_crc

INDEX_SUFFIX = ".index"
TABLE_MAGIC = 0xDB4775248B80FB57
FOOTER_SIZE = 48  # two block handles padded to 40 bytes + the 8-byte magic
BLOCK_TRAILER_SIZE = 5  # compression type byte + masked crc32c
_COMPRESSION = {0: None, 1: "snappy"}


class CheckpointError(ValueError):
    """A checkpoint that is missing, truncated, corrupt, or does not fit the variables."""


def data_files(prefix: str, num_shards: int = 1) -> list[str]:
    return [f"{prefix}.data-{i:05d}-of-{num_shards:05d}" for i in range(num_shards)]


@dataclass(frozen=True)
class Entry:
    """One tensor of the bundle: its key, dtype, shape and where its bytes are."""

    name: str
    dtype: int
    shape: tuple[int, ...]
    shard: int
    offset: int
    size: int
    sliced: bool  # a partitioned variable: its bytes are in slice entries, not at offset/size


@dataclass(frozen=True)
class CheckpointIndex:
    path: str
    num_shards: int
    producer: int
    entries: dict[str, Entry]

    @property
    def tensors(self) -> list[Entry]:
        """Entries in key order, like ``tf.train.list_variables``."""
        return list(self.entries.values())


# ---- the table format -------------------------------------------------------------------------------------
def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise CheckpointError("truncated varint")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def _block_handle(buf: bytes, pos: int) -> tuple[tuple[int, int], int]:
    offset, pos = _varint(buf, pos)
    size, pos = _varint(buf, pos)
    return (offset, size), pos


def _read_block(data: bytes, handle: tuple[int, int], what: str) -> bytes:
    offset, size = handle
    end = offset + size
    if end + BLOCK_TRAILER_SIZE > len(data):
        raise CheckpointError(f"{what} block [{offset}, {end}) runs past the end of the file (truncated?)")
    kind = data[end]
    (masked,) = struct.unpack_from("<I", data, end + 1)
    if crc32c(data[offset:end + 1]) != unmask_crc(masked):
        raise CheckpointError(f"{what} block at offset {offset} fails its crc32c check (corrupt file)")
    if kind not in _COMPRESSION:
        raise CheckpointError(f"{what} block at offset {offset} has unknown compression type {kind}")
    if _COMPRESSION[kind]:
        raise CheckpointError(f"{what} block at offset {offset} is {_COMPRESSION[kind]}-compressed; only "
                              "uncompressed indexes (TF's default) can be read")
    return data[offset:end]


def _block_entries(block: bytes, what: str) -> Iterator[tuple[bytes, bytes]]:
    if len(block) < 4:
        raise CheckpointError(f"{what} block is too short")
    (num_restarts,) = struct.unpack_from("<I", block, len(block) - 4)
    limit = len(block) - 4 - 4 * num_restarts
    if limit < 0:
        raise CheckpointError(f"{what} block claims {num_restarts} restart points, more than fit")
    pos, key = 0, b""
    while pos < limit:
        shared, pos = _varint(block, pos)
        unshared, pos = _varint(block, pos)
        value_len, pos = _varint(block, pos)
        if shared > len(key) or pos + unshared + value_len > limit:
            raise CheckpointError(f"{what} block has a malformed entry at byte {pos}")
        key = key[:shared] + block[pos:pos + unshared]
        pos += unshared
        yield key, block[pos:pos + value_len]
        pos += value_len


def table_entries(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Every (key, value) of a LevelDB table, in key order, each block's crc32c checked."""
    if len(data) < FOOTER_SIZE:
        raise CheckpointError(f"{len(data)} bytes is too short for a table file (truncated?)")
    footer = data[-FOOTER_SIZE:]
    (magic,) = struct.unpack_from("<Q", footer, FOOTER_SIZE - 8)
    if magic != TABLE_MAGIC:
        raise CheckpointError("not a table file (bad magic number in the footer; truncated?)")
    _, pos = _block_handle(footer, 0)  # the metaindex block: unused by TF bundles
    index_handle, _ = _block_handle(footer, pos)
    for _, handle_bytes in _block_entries(_read_block(data, index_handle, "index"), "index"):
        handle, _ = _block_handle(handle_bytes, 0)
        yield from _block_entries(_read_block(data, handle, "data"), "data")


# ---- bundles ---------------------------------------------------------------------------------------------
def index_path(prefix: str | os.PathLike) -> str:
    """``model.ckpt`` or ``model.ckpt.index`` -> the index file."""
    path = os.fspath(prefix)
    return path if path.endswith(INDEX_SUFFIX) else path + INDEX_SUFFIX


def parse_index(prefix: str | os.PathLike) -> CheckpointIndex:
    """The tensors an index lists (name, dtype, shape, location), without looking at the data files."""
    path = index_path(prefix)
    if not os.path.isfile(path):
        raise CheckpointError(f"no checkpoint at {os.fspath(prefix)!r} ({path} does not exist)")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise CheckpointError(f"cannot read checkpoint index {path}: {e.strerror}") from None
    header: Any = None
    entries: dict[str, Entry] = {}
    try:
        for key, value in table_entries(data):
            if key == b"":
                header = protos.BundleHeaderProto.FromString(value)
            elif not key.startswith(b"\x00"):  # keys starting with NUL hold slices of partitioned tensors
                proto: Any = protos.BundleEntryProto.FromString(value)
                name = key.decode("utf-8", "replace")
                entries[name] = Entry(name, proto.dtype, tuple(d.size for d in proto.shape.dim), proto.shard_id,
                                      proto.offset, proto.size, bool(proto.slices))
    except CheckpointError as e:
        raise CheckpointError(f"corrupt checkpoint index {path}: {e}") from None
    except Exception as e:  # noqa: BLE001 - protobuf decode errors have many types
        raise CheckpointError(f"corrupt checkpoint index {path}: not a TensorFlow checkpoint index "
                              f"({type(e).__name__}: {e})") from None
    if header is None:
        raise CheckpointError(f"corrupt checkpoint index {path}: a table without a bundle header")
    return CheckpointIndex(path, header.num_shards, header.version.producer, entries)


def read_index(prefix: str | os.PathLike) -> dict[str, Entry]:
    """Every tensor in the checkpoint at ``prefix``, after checking each lies inside its data file."""
    index = parse_index(prefix)
    base = index.path[:-len(INDEX_SUFFIX)]
    sizes = []
    for path in data_files(base, max(index.num_shards, 1)):
        if not os.path.isfile(path):
            raise CheckpointError(f"corrupt checkpoint {base!r}: data file {path} is missing")
        sizes.append(os.path.getsize(path))
    for entry in index.entries.values():
        if not entry.sliced and (entry.shard >= len(sizes) or entry.offset + entry.size > sizes[entry.shard]):
            raise CheckpointError(f"corrupt checkpoint {base!r}: tensor {entry.name!r} lies past the end of its "
                                  "data file (truncated?)")
    return index.entries


def list_variables(prefix: str) -> list[tuple[str, list[int]]]:
    """Like ``tf.train.list_variables``: (key, shape) pairs sorted by key."""
    return [(k, list(e.shape)) for k, e in sorted(read_index(prefix).items())]


def describe(entry: Entry) -> str:
    return f"{dtypes.name(entry.dtype)}{list(entry.shape)}"
