"""Event files we write, read back by the tensorboard package (its own record reader and CRC checks)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tfkg_graph import callbacks as C
from tfkg_graph.runtime import protos
from tfkg_graph.tensorboard import SummaryWriter, crc32c, masked_crc32c, read_records, record_bytes
from _fake_model import FakeModel

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
from tensorboard.backend.event_processing import event_file_loader  # noqa: E402

SCRIPT = {"val_loss": [1.0, 0.8, 0.9], "val_accuracy": [0.5, 0.6, 0.7], "accuracy": [0.4, 0.55, 0.65]}


@pytest.mark.parametrize("data,want", [
    (b"", 0x00000000), (b"123456789", 0xE3069283), (b"a", 0xC1D04330),
    (bytes(32), 0x8A9136AA), (bytes([0xFF] * 32), 0x62A8AB43), (bytes(range(32)), 0x46DD794E),  # RFC 3720
])
def test_crc32c_known_vectors(data, want):
    assert crc32c(data) == want


def test_records_are_read_by_tensorboards_loader(tmp_path):
    writer = SummaryWriter(tmp_path)
    for step in range(3):
        writer.scalar("x", step * 1.5, step)
    writer.close()
    events = list(event_file_loader.EventFileLoader(str(writer.path)).Load())
    assert events[0].file_version == "brain.Event:2"
    assert [(e.step, e.summary.value[0].tensor.float_val[0]) for e in events[1:]] == [(0, 0.0), (1, 1.5), (2, 3.0)]
    assert len(list(read_records(writer.path))) == 4


def test_reader_rejects_corruption_and_tolerates_a_torn_tail(tmp_path):
    path = tmp_path / "events.out.tfevents.1.host"
    good = record_bytes(b"hello") + record_bytes(b"world")
    path.write_bytes(good + record_bytes(b"tail")[:9])
    assert list(read_records(path)) == [b"hello", b"world"]
    path.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
    with pytest.raises(ValueError, match="corrupt record data"):
        list(read_records(path))
    assert masked_crc32c(b"") == 0xA282EAD8


def fit_with_tensorboard(tmp_path, **kwargs):
    model = FakeModel(learning_rate=0.05)
    history = model.fit(3, [C.TensorBoard(tmp_path / "logs", **kwargs)], steps=4, script=SCRIPT)
    return model, history


def scalars(run_dir: Path, tag: str) -> list[tuple[int, float]]:
    acc = event_accumulator.EventAccumulator(str(run_dir))
    acc.Reload()
    return [(e.step, e.value) for e in acc.Scalars(tag)]


def test_fit_writes_keras_layout_scalars_equal_to_history_and_the_graph(tmp_path):
    model, history = fit_with_tensorboard(tmp_path)
    train, validation = tmp_path / "logs" / "train", tmp_path / "logs" / "validation"
    for key, values in history.history.items():
        run, tag = (validation, "epoch_" + key[4:]) if key.startswith("val_") else (train, "epoch_" + key)
        got = scalars(run, tag)
        assert [s for s, _ in got] == [0, 1, 2]
        np.testing.assert_allclose([v for _, v in got], values, rtol=1e-6)
    np.testing.assert_allclose([v for _, v in scalars(train, "epoch_learning_rate")], [0.05] * 3, rtol=1e-6)
    acc = event_accumulator.EventAccumulator(str(train))
    acc.Reload()
    graph = acc.Graph()
    assert {n.name for n in graph.node} == {n.name for n in model.graph.as_graph_def().node}
    assert any(n.name == "dense/kernel" for n in graph.node)
    assert all(p.name.startswith("events.out.tfevents.") for p in train.iterdir())


def test_batch_scalars_every_n_batches(tmp_path):
    _, history = fit_with_tensorboard(tmp_path, update_freq=5)
    got = scalars(tmp_path / "logs" / "train", "batch_loss")
    assert [s for s, _ in got] == [5, 10]  # 12 batches in all


def test_tensorboard_inspect_lists_the_runs(tmp_path):
    fit_with_tensorboard(tmp_path)
    tensorboard = Path(sys.executable).with_name("tensorboard")
    out = subprocess.run([str(tensorboard), "--inspect", "--logdir", str(tmp_path / "logs")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "epoch_loss" in text and "epoch_accuracy" in text and "epoch_learning_rate" in text
    assert "graph" in text and "train" in text and "validation" in text
