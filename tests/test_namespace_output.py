"""What users see, as Keras shows it: ``Progbar`` byte for byte (both read the same stopped clock), and
fit/evaluate/predict with verbose=0/1/2 printing the same lines as Keras (times and metric digits aside), with
Keras' log-key order in ``History`` and callbacks."""
from __future__ import annotations

import re
import time

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import tfkg_graph  # noqa: E402
from tfkg_graph import utils  # noqa: E402


@pytest.fixture
def clock(monkeypatch):
    """time.time() frozen at clock[0]; both progress bars read it."""
    now = [1000.0]
    monkeypatch.setattr(time, "time", lambda: now[0])
    return now


UPDATES = [  # (time, current, values)
    (1000.2, 1, [("loss", 0.9), ("acc", 0.5)]),
    (1000.25, 2, [("loss", 0.7), ("acc", 0.25)]),
    (1000.9, 3, [("loss", 0.0001), ("acc", 0.75)]),
    (1075.0, 5, [("loss", -0.5), ("acc", 1.0)]),
]


@pytest.mark.parametrize("verbose", [1, 2])
@pytest.mark.parametrize("target, stateful", [(5, None), (5, ["acc"]), (None, None), (1200, ["loss"])])
def test_progbar_prints_what_keras_prints(clock, capsys, verbose, target, stateful):
    outputs = []
    for module in (keras.utils, utils):
        clock[0] = 1000.0
        bar = module.Progbar(target, verbose=verbose, stateful_metrics=stateful)
        for now, current, values in UPDATES:
            clock[0] = now
            bar.update(current, values)
        if target is None:
            bar.update(5, [("loss", 0.1)], finalize=True)
        bar.add(0, [("extra", 3.0)])
        outputs.append(capsys.readouterr().out)
    assert outputs[1] == outputs[0]


def normalized(text):
    """Final state of each printed line, times and digits masked (the runs differ only there)."""
    lines = []
    for line in text.split("\n"):
        line = line.split("\r")[-1].replace("\b", "").rstrip()
        line = re.sub(r"\d+(ms|us|s)/step", "T/step", line)
        line = re.sub(r"(\x1b\[1m)?\d+s(\x1b\[0m)?", "Ts", line)
        lines.append(re.sub(r"-?\d+\.\d+(e[-+]\d+)?", "N", line))
    return lines


def run(k, verbose, capsys):
    k.utils.set_random_seed(1)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 3)).astype("float32"), k.utils.to_categorical(rng.integers(0, 2, size=(40,)), 2)
    model = k.Sequential([k.Input((3,)), k.layers.Dense(2, activation="softmax")])
    model.compile("sgd", "categorical_crossentropy", metrics=["accuracy", "mae"])
    capsys.readouterr()
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=verbose, validation_data=(x[:8], y[:8]))
    single = model.fit(x, y, batch_size=16, epochs=1, verbose=verbose)
    model.evaluate(x, y, batch_size=16, verbose=verbose)
    model.predict(x, batch_size=16, verbose=verbose)
    return normalized(capsys.readouterr().out), list(history.history), list(single.history)


@pytest.mark.parametrize("verbose", [0, 1, 2])
def test_fit_evaluate_predict_print_as_keras(capsys, verbose):
    theirs, ours = run(keras, verbose, capsys), run(tfkg_graph, verbose, capsys)
    assert ours[1] == theirs[1] == ["accuracy", "loss", "mae", "val_accuracy", "val_loss", "val_mae"]
    assert ours[2] == theirs[2]
    if verbose == 1:  # Keras redraws more often; compare the final state of each line
        assert [line for line in ours[0] if line] == [line for line in theirs[0] if line]
    else:
        assert ours[0] == theirs[0]
    if verbose == 2:
        assert ours[0][:2] == ["Epoch 1/2", "3/3 - Ts - T/step - accuracy: N - loss: N - mae: N - val_accuracy: N "
                                            "- val_loss: N - val_mae: N"]
