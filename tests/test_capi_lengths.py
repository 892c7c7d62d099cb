"""The C library on sequence models whose time axis is unknown (`Input(shape=(None, F))`): one handle
predicts and trains at any length, with each call's shape given in `tfkg_input.dims` (tfkg_cli's
`--shape`), against the same model in Python. The programs run in subprocesses (see test_capi.py)."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from test_capi import bin_dir, tfkg_cli, write  # noqa: F401 - bin_dir is a fixture
from tfkg_graph import layers, models
from tfkg_graph.saving import load_model, read_variables

pytestmark = pytest.mark.skipif(not (shutil.which("cc") and shutil.which("make")), reason="needs cc and make")


def shape_arg(key: str, array: np.ndarray) -> list[str]:
    return ["--shape", f"{key}={'x'.join(map(str, array.shape))}"]


@pytest.fixture(scope="module")
def tagger(tmp_path_factory) -> Path:
    """A per-step model over an unknown length: its output's size depends on the call."""
    inputs = layers.Input((None, 3), name="frames")
    hidden = layers.LSTM(4, return_sequences=True)(inputs)
    model = models.Model(inputs, layers.Dense(2, name="scores")(hidden))
    model.compile(optimizer="sgd", loss="mse")
    path = tmp_path_factory.mktemp("loops") / "tagger"
    model.save(str(path))
    return path


@pytest.mark.parametrize("rows,steps", [(2, 4), (3, 11), (1, 1)])
def test_one_saved_model_predicts_any_length_from_c(bin_dir, tagger, tmp_path, rows, steps):  # noqa: F811
    x = np.random.default_rng(steps).normal(size=(rows, steps, 3)).astype(np.float32)
    out = tmp_path / "scores.bin"
    r = tfkg_cli(bin_dir, "run", tagger, "serving_default", rows, "--in", f"frames={write(tmp_path, 'x', x)}",
                 *shape_arg("frames", x), "--out", f"scores={out}")
    assert r.returncode == 0, r.stderr
    expected = load_model(str(tagger)).predict(x, verbose=0)
    np.testing.assert_allclose(np.fromfile(out, np.float32).reshape(rows, steps, 2), expected, rtol=0, atol=1e-6)


def test_a_length_without_its_shape_or_with_a_wrong_one_is_a_clear_error(bin_dir, tagger, tmp_path):  # noqa: F811
    x = np.zeros((2, 5, 3), np.float32)
    feed = ["--in", f"frames={write(tmp_path, 'x', x)}", "--out", f"scores={tmp_path / 'o.bin'}"]
    r = tfkg_cli(bin_dir, "run", tagger, "serving_default", 2, *feed)
    assert r.returncode == 1 and "give its shape for this call in tfkg_input.dims" in r.stderr, r.stderr
    r = tfkg_cli(bin_dir, "run", tagger, "serving_default", 2, *feed, "--shape", "frames=2x5x4")
    assert r.returncode == 1 and "has shape [-1, -1, 3]; the call gives [2, 5, 4]" in r.stderr, r.stderr
    r = tfkg_cli(bin_dir, "run", tagger, "serving_default", 3, *feed, "--shape", "frames=2x5x3")
    assert r.returncode == 1 and "for 3 rows" in r.stderr, r.stderr


def test_c_trains_a_masked_text_model_on_batches_of_different_lengths_like_python(bin_dir, tmp_path):  # noqa: F811
    """Embedding(mask_zero) + LSTM over `Input(shape=(None,))`: C steps at length 4, then at 11, on one
    SavedModel; Python's train_on_batch on the same batches gives the same losses and weights."""
    inputs = layers.Input((None,), dtype="int32", name="tokens")
    hidden = layers.LSTM(5)(layers.Embedding(20, 4, mask_zero=True)(inputs))
    model = models.Model(inputs, layers.Dense(3, activation="softmax", name="label")(hidden))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(5)
    model.train_on_batch(rng.integers(1, 20, (6, 7)), rng.integers(0, 3, 6))  # the train signature is saved once trained
    path = tmp_path / "text"
    model.save(str(path))
    python = load_model(str(path))
    losses = []
    for steps in (4, 11):
        tokens = rng.integers(1, 20, (6, steps)).astype(np.int32)
        tokens[::2, steps // 2:] = 0  # padded rows: the mask matters
        labels = rng.integers(0, 3, 6).astype(np.float32)
        loss_file = tmp_path / f"loss{steps}.bin"
        r = tfkg_cli(bin_dir, "run", path, "train", 6, "--save", "--in", f"tokens={write(tmp_path, 't', tokens)}",
                     *shape_arg("tokens", tokens), "--in", f"label_target={write(tmp_path, 'y', labels)}",
                     "--out", f"loss={loss_file}")
        assert r.returncode == 0, r.stderr
        losses.append(float(np.fromfile(loss_file, np.float32)[0]))
        expected = python.train_on_batch(tokens, labels)
        assert losses[-1] == pytest.approx(float(expected), abs=1e-6)
    c_values = read_variables(str(path / "variables" / "variables"))
    for name, value in python.runtime.variable_values().items():
        np.testing.assert_allclose(c_values[name], value, rtol=0, atol=1e-6, err_msg=name)
