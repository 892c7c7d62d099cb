"""Callbacks: decisions compared with keras.callbacks driven by the same logs, and their effects on a
model with a real graph (tests/_fake_model.py; end-to-end model.fit tests are in test_callbacks_fit.py)."""
from __future__ import annotations

import csv
import io
import re
import logging

import numpy as np
import pytest

from tfkg_graph import callbacks as C
from _fake_model import FakeModel

keras = pytest.importorskip("keras")


class Recorder:
    """The plain model object both Keras' and our callbacks act on; records what they do."""

    def __init__(self):
        self.stop_training = False
        self.weights = [np.zeros(1)]
        self.saves: list[tuple[str, int]] = []
        self.epoch = 0
        self.optimizer = type("Opt", (), {"learning_rate": 0.1})()

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [w.copy() for w in weights]

    def save(self, path, overwrite=True):
        self.saves.append(("model", self.epoch))
        open(path, "w").write(str(self.epoch))

    def save_weights(self, path, overwrite=True):
        self.saves.append(("weights", self.epoch))
        open(path, "w").write(str(self.epoch))


def drive(callback, script: dict[str, list[float]]):
    """Runs the epoch hooks with scripted logs; the weights at epoch e are [e]. Returns (model, epochs run,
    learning rate seen at each epoch end)."""
    model = Recorder()
    callback.set_model(model)
    callback.set_params({"epochs": len(next(iter(script.values()))), "steps": 1, "verbose": 0})
    callback.on_train_begin({})
    epochs, rates = 0, []
    for epoch in range(len(next(iter(script.values())))):
        model.epoch = epoch
        callback.on_epoch_begin(epoch, {})
        model.weights = [np.array([float(epoch)])]
        callback.on_epoch_end(epoch, {k: v[epoch] for k, v in script.items()})
        rates.append(float(model.optimizer.learning_rate))
        epochs += 1
        if model.stop_training:
            break
    callback.on_train_end({})
    return model, epochs, rates


LOSSES = [1.0, 0.8, 0.81, 0.79, 0.795, 0.6, 0.7, 0.71, 0.72, 0.5, 0.9, 0.95]
ACCS = [0.5, 0.6, 0.55, 0.58, 0.7, 0.69, 0.71, 0.65, 0.64, 0.63, 0.62, 0.61]
SCRIPT = {"val_loss": LOSSES, "val_accuracy": ACCS, "loss": LOSSES[::-1]}


@pytest.mark.parametrize("kwargs", [
    dict(monitor="val_loss", patience=0), dict(monitor="val_loss", patience=2),
    dict(monitor="val_loss", patience=2, min_delta=0.05), dict(monitor="val_loss", patience=1, baseline=0.75),
    dict(monitor="val_loss", patience=2, start_from_epoch=3), dict(monitor="val_accuracy", patience=2, mode="max"),
    dict(monitor="val_accuracy", patience=3, restore_best_weights=True, mode="max"),
    dict(monitor="val_loss", patience=2, restore_best_weights=True),
    dict(monitor="loss", patience=1, mode="min"),
])
def test_early_stopping_matches_keras(kwargs):
    ours, epochs, _ = drive(C.EarlyStopping(**kwargs), SCRIPT)
    theirs, keras_epochs, _ = drive(keras.callbacks.EarlyStopping(**kwargs), SCRIPT)
    assert epochs == keras_epochs < len(LOSSES) or kwargs.get("baseline")
    np.testing.assert_array_equal(ours.weights, theirs.weights)


def test_early_stopping_auto_mode_maximises_accuracy_and_restores_best():
    cb = C.EarlyStopping(monitor="val_accuracy", patience=2, restore_best_weights=True)
    model, epochs, _ = drive(cb, SCRIPT)
    best = int(np.argmax(ACCS[:epochs]))
    assert epochs == 4 and model.stop_training and cb.stopped_epoch == 3
    assert model.weights[0][0] == best == 1


def test_early_stopping_threshold_mode_stops_on_reaching_the_value():
    model, epochs, _ = drive(C.EarlyStopping(monitor="val_accuracy", patience=100, threshold=0.7), SCRIPT)
    assert epochs == ACCS.index(0.7) + 1 and model.stop_training
    model, epochs, _ = drive(C.EarlyStopping(monitor="val_loss", patience=100, threshold=0.79), SCRIPT)
    assert epochs == 4


@pytest.mark.parametrize("kwargs", [
    dict(monitor="val_loss", save_best_only=True, mode="min"), dict(monitor="val_loss", save_best_only=True),
    dict(monitor="val_accuracy", save_best_only=True, mode="max"),
    dict(monitor="val_accuracy", save_best_only=True, save_weights_only=True, mode="max"),
    dict(monitor="val_loss", save_best_only=True, initial_value_threshold=0.7),
    dict(monitor="val_loss"),
])
def test_model_checkpoint_saves_at_the_same_epochs_as_keras(kwargs, tmp_path):
    suffix = ".weights.h5" if kwargs.get("save_weights_only") else ".keras"
    ours, _, _ = drive(C.ModelCheckpoint(str(tmp_path / "ours-{epoch:02d}"), **kwargs), SCRIPT)
    theirs, _, _ = drive(keras.callbacks.ModelCheckpoint(str(tmp_path / ("k" + suffix)), **kwargs), SCRIPT)
    assert ours.saves == theirs.saves and ours.saves


def test_model_checkpoint_files_modes_and_keep_last(tmp_path):
    model = FakeModel()
    weights_at = {}
    record = C.LambdaCallback(on_epoch_end=lambda e, logs: weights_at.__setitem__(e, model.get_weights()[0]))
    best_min = C.ModelCheckpoint(tmp_path / "min" / "w-{epoch}.npy", monitor="val_loss", mode="min",
                                 save_best_only=True, save_weights_only=True)
    best_max = C.ModelCheckpoint(tmp_path / "max" / "m-{epoch}", monitor="val_accuracy", mode="max",
                                 save_best_only=True, keep_last=2)
    model.fit(len(LOSSES), [record, best_min, best_max], script=SCRIPT)
    want_min = [e for e in range(len(LOSSES)) if LOSSES[e] < min(LOSSES[:e], default=np.inf)]
    want_max = [e for e in range(len(ACCS)) if ACCS[e] > max(ACCS[:e], default=-np.inf)]
    assert best_min.saved_epochs == want_min == [0, 1, 3, 5, 9]
    assert best_max.saved_epochs == want_max == [0, 1, 4, 6]
    assert sorted(p.name for p in (tmp_path / "min").iterdir()) == sorted(f"w-{e + 1}.npy" for e in want_min)
    for e in want_min:
        np.testing.assert_array_equal(np.load(tmp_path / "min" / f"w-{e + 1}.npy"), weights_at[e])
    assert sorted(p.name for p in (tmp_path / "max").iterdir()) == ["m-5", "m-7"]  # keep_last=2, no temp dirs
    np.testing.assert_array_equal(np.load(tmp_path / "max" / "m-7" / "weights.npy"), weights_at[6])


def test_atomic_save_keeps_the_old_checkpoint_when_saving_fails(tmp_path):
    target = tmp_path / "ckpt"
    C.atomic_save(lambda p: open(p, "w").write("good"), target)

    def broken(path):
        open(path, "w").write("half")
        raise OSError("disk full")
    with pytest.raises(OSError, match="disk full"):
        C.atomic_save(broken, target)
    assert target.read_text() == "good" and [p.name for p in tmp_path.iterdir()] == ["ckpt"]


@pytest.mark.parametrize("kwargs", [dict(patience=2, factor=0.5), dict(patience=1, factor=0.2, cooldown=2),
                                    dict(patience=1, factor=0.1, min_lr=0.005, min_delta=0.02),
                                    dict(monitor="val_accuracy", patience=1, factor=0.5, mode="max")])
def test_reduce_lr_on_plateau_matches_keras_and_writes_the_graph_variable(kwargs):
    _, _, ours = drive(C.ReduceLROnPlateau(**kwargs), SCRIPT)
    _, _, theirs = drive(keras.callbacks.ReduceLROnPlateau(**kwargs), SCRIPT)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    assert ours[-1] < 0.1

    model = FakeModel(learning_rate=0.1)
    seen = []
    probe = C.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(model.optimizer.learning_rate))
    history = model.fit(len(LOSSES), [C.ReduceLROnPlateau(**kwargs), probe], script=SCRIPT)
    np.testing.assert_allclose(seen, theirs, rtol=1e-6)  # read back from the graph variable
    np.testing.assert_allclose(history.history["learning_rate"][1:], theirs[:-1], rtol=1e-6)


def test_learning_rate_scheduler_sets_the_graph_variable_each_epoch():
    model = FakeModel(learning_rate=0.1)
    seen = []
    probe = C.LambdaCallback(on_epoch_begin=lambda e, logs: seen.append(model.optimizer.learning_rate))
    history = model.fit(4, [C.LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch else lr), probe])
    np.testing.assert_allclose(seen, [0.1, 0.05, 0.025, 0.0125], rtol=1e-6)
    np.testing.assert_allclose(history.history["learning_rate"], seen, rtol=1e-6)
    model = FakeModel()
    model.fit(2, [C.LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1))])
    assert model.optimizer.learning_rate == pytest.approx(0.02)


def test_csv_logger_rows_match_history(tmp_path):
    path = tmp_path / "stats.csv"
    history = FakeModel().fit(5, [C.CSVLogger(path)], script=SCRIPT)
    rows = list(csv.DictReader(path.open()))
    assert list(rows[0]) == ["epoch", "loss", "val_accuracy", "val_loss"]
    assert [int(r["epoch"]) for r in rows] == history.epoch == list(range(5))
    for key, values in history.history.items():
        assert [float(r[key]) for r in rows] == values
    FakeModel().fit(2, [C.RecordStats(path, append=True)], script=SCRIPT)
    assert len(list(csv.DictReader(path.open()))) == 7


def test_terminate_on_nan_stops_within_the_epoch():
    model = FakeModel(learning_rate=1e20)  # diverges to inf/nan
    history = model.fit(10, [C.TerminateOnNaN()])
    assert len(history.epoch) < 10 and not np.isfinite(history.history["loss"][-1])


def test_callback_list_order_and_lambda_hooks():
    calls = []
    hooks = {name: (lambda name: lambda *a: calls.append(name))(name)
             for name in ("on_train_begin", "on_epoch_begin", "on_train_batch_end", "on_epoch_end", "on_train_end")}
    FakeModel().fit(2, [C.LambdaCallback(**hooks)], steps=2)
    assert calls == ["on_train_begin", "on_epoch_begin", "on_train_batch_end", "on_train_batch_end",
                     "on_epoch_end", "on_epoch_begin", "on_train_batch_end", "on_train_batch_end",
                     "on_epoch_end", "on_train_end"]
    with pytest.raises(ValueError, match="unknown hook"):
        C.LambdaCallback(on_epoch_finish=print)
    with pytest.raises(TypeError, match="Callback instances"):
        C.CallbackList([print])


@pytest.mark.parametrize("verbose", [1, 2])
def test_progbar_shows_steps_rate_eta_and_logs(verbose):
    stream = io.StringIO()
    bar = C.ProgbarLogger(stream=stream)
    FakeModel().fit(2, [bar], steps=4, verbose=verbose)
    text = re.sub("\x1b\\[[0-9;]*m", "", stream.getvalue())  # Keras' bold/green/gray
    lines = [line.split("\r")[-1] for line in text.split("\n")[:-1]]
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    if verbose == 1:  # the bar redrawn in place (the first step always, then every 50 ms), ending full
        assert lines[1].startswith("4/4 " + "━" * 20 + " ") and "/step - loss: " in lines[1]
        assert "1/4 ━━━━━━━━━━━━━━━━━━━━ " in text and text.count("\r") >= 4
    else:  # one line per epoch, as Keras' verbose=2 (tests/test_namespace_utils.py compares byte for byte)
        assert re.fullmatch(r"4/4 - \d+s - \d+(us|ms|s)/step - loss: .*", lines[1]) and "\r" not in text


def test_logger_writes_epochs_and_eta_to_a_file(tmp_path):
    path = tmp_path / "train.log"
    FakeModel().fit(3, [C.Logger(filename=str(path), every_n_batches=2)], steps=4, script=SCRIPT)
    text = path.read_text()
    assert text.count("epoch 2/3 - ") == 1 and "val_loss: 0.8000" in text
    assert "epoch 3/3 batch 2/4 - " in text and "batches/s - ETA " in text and "training done" in text
    assert not logging.getLogger("tfkg_graph.training").handlers  # the file handler is removed
