"""tfkg_graph/_io.py: the one atomic writer and crc32c, against files read back and published check values."""
import os

import pytest

from tfkg_graph import _io


def test_atomic_write_replaces_whole_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "sub" / "state.txt"
    _io.atomic_write(target, "first")
    _io.atomic_write(target, b"second")
    assert target.read_bytes() == b"second"
    assert os.listdir(target.parent) == ["state.txt"]


def test_atomic_path_keeps_old_file_when_writer_fails(tmp_path):
    target = tmp_path / "weights.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="disk full"):
        with _io.atomic_path(target) as tmp:
            with open(tmp, "wb") as f:
                f.write(b"half")
            raise RuntimeError("disk full")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["weights.bin"]


def test_crc32c_check_values_and_mask_round_trip():
    # RFC 3720 (iSCSI) B.4 check values for CRC-32C
    assert _io.crc32c(b"123456789") == 0xE3069283
    assert _io.crc32c(bytes(32)) == 0x8A9136AA
    assert _io.crc32c(bytes([0xFF] * 32)) == 0x62A8AB43
    for data in (b"", b"tfkg", bytes(range(256))):
        crc = _io.crc32c(data)
        assert _io.unmask_crc(_io.masked_crc32c(data)) == crc
        assert _io.masked_crc32c(data) == _io.mask_crc(crc)
