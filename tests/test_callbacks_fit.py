"""End to end: callbacks and metrics inside the real model.fit (tfkg_graph.models)."""
from __future__ import annotations

import csv

import numpy as np
import pytest

from tfkg_graph import callbacks as C, layers, metrics as M, models, optimizers

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")

rng = np.random.default_rng(3)
X = rng.normal(size=(96, 4)).astype(np.float32)
Y = (X[:, 0] - X[:, 1] + 0.3 * X[:, 2] > 0).astype(np.int64) + (X[:, 3] > 1).astype(np.int64)  # 3 classes


def model(lr=0.1, metrics=("accuracy",)):
    m = models.Sequential([layers.Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(3, activation="softmax")])
    m.compile(optimizer=optimizers.SGD(learning_rate=lr), loss="sparse_categorical_crossentropy", metrics=list(metrics))
    return m


def fit(m, epochs, callbacks, **kwargs):
    return m.fit(X, Y, epochs=epochs, batch_size=16, validation_data=(X[:48], Y[:48]), verbose=0,
                 shuffle=False, callbacks=callbacks, **kwargs)


def test_metrics_in_fit_equal_keras_on_the_epochs_predictions():
    keras = pytest.importorskip("keras")
    m = model(metrics=["accuracy", M.AUC(multi_label=True, name="auc"), M.Precision(class_id=1, name="p1"),
                       M.FprAtTpr(0.8, class_id=0, name="fpr0")])
    fit(m, 2, [])
    logs = m.evaluate(X, Y, batch_size=16, verbose=0, return_dict=True)
    probs = m.predict(X, batch_size=16, verbose=0)
    one_hot = np.eye(3, dtype=np.float32)[Y]
    for name, oracle in [("accuracy", keras.metrics.SparseCategoricalAccuracy()),
                         ("auc", keras.metrics.AUC(multi_label=True)),
                         ("p1", keras.metrics.Precision(class_id=1))]:
        oracle.update_state(Y if name == "accuracy" else one_hot, probs)
        assert logs[name] == pytest.approx(float(oracle.result()), rel=1e-5, abs=1e-6), name
    spec = keras.metrics.SpecificityAtSensitivity(0.8, class_id=0)
    spec.update_state(one_hot, probs)
    assert logs["fpr0"] == pytest.approx(1 - float(spec.result()), abs=1e-5)
    assert {"fpr0_tpr", "fpr0_threshold"} <= set(logs)


def test_early_stopping_really_stops_and_restores_the_best_weights():
    m = model(lr=0.5)
    weights = {}
    record = C.LambdaCallback(on_epoch_end=lambda e, logs: weights.__setitem__(e, m.get_weights()))
    # min_delta=10: no epoch after the first counts as an improvement, so the best weights are epoch 0's
    stop = C.EarlyStopping(monitor="val_loss", patience=2, min_delta=10.0, restore_best_weights=True)
    history = fit(m, 20, [record, stop])
    assert history.epoch == [0, 1, 2] and stop.stopped_epoch == 2
    for got, want in zip(m.get_weights(), weights[0]):
        np.testing.assert_array_equal(got, want)


def test_model_checkpoint_min_and_max_in_fit(tmp_path):
    m = model()
    saved_min = C.ModelCheckpoint(tmp_path / "min-{epoch}.weights", monitor="val_loss", mode="min",
                                  save_best_only=True, save_weights_only=True)
    saved_max = C.ModelCheckpoint(tmp_path / "max-{epoch}.weights", monitor="val_accuracy", mode="max",
                                  save_best_only=True, save_weights_only=True)
    history = fit(m, 5, [saved_min, saved_max]).history
    want_min = [e for e, v in enumerate(history["val_loss"]) if v < min(history["val_loss"][:e], default=np.inf)]
    want_max = [e for e, v in enumerate(history["val_accuracy"])
                if v > max(history["val_accuracy"][:e], default=-np.inf)]
    assert saved_min.saved_epochs == want_min and saved_max.saved_epochs == want_max
    for e in want_min:
        assert any(p.name.startswith(f"min-{e + 1}.weights") for p in tmp_path.iterdir())


def test_reduce_lr_on_plateau_changes_the_rate_in_the_graph():
    m = model(lr=0.2)
    cb = C.ReduceLROnPlateau(monitor="val_loss", patience=1, factor=0.5, min_delta=10.0)
    history = fit(m, 3, [cb]).history
    np.testing.assert_allclose(history["learning_rate"], [0.2, 0.2, 0.1], rtol=1e-6)
    assert m.optimizer.learning_rate == pytest.approx(0.05)
    lr_var = [n for n in m.runtime.graph.as_graph_def().node if n.op == "VarHandleOp" and "learning_rate" in n.name]
    assert lr_var, "the learning rate lives in a graph variable"


def test_csv_logger_and_tensorboard_match_history(tmp_path):
    m = model()
    history = fit(m, 3, [C.CSVLogger(tmp_path / "log.csv"), C.TensorBoard(tmp_path / "tb")])
    rows = list(csv.DictReader((tmp_path / "log.csv").open()))
    for key, values in history.history.items():
        np.testing.assert_allclose([float(r[key]) for r in rows], values, rtol=1e-12)
        run, tag = ("validation", "epoch_" + key[4:]) if key.startswith("val_") else ("train", "epoch_" + key)
        acc = event_accumulator.EventAccumulator(str(tmp_path / "tb" / run))
        acc.Reload()
        np.testing.assert_allclose([e.value for e in acc.Scalars(tag)], values, rtol=1e-6)
    acc = event_accumulator.EventAccumulator(str(tmp_path / "tb" / "train"))
    acc.Reload()
    assert any(n.op == "MatMul" for n in acc.Graph().node)
