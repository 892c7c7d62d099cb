"""keras.utils image helpers (PIL images <-> arrays, load_img/save_img) and interactive logging, against
Keras on the same inputs and files."""
from __future__ import annotations

import io
import logging

import numpy as np
import pytest

from tfkg_graph import layers, models, utils

pytest.importorskip("PIL")
RNG = np.random.default_rng(11)


@pytest.mark.parametrize("shape,data_format", [((5, 7, 3), "channels_last"), ((4, 5, 6), "channels_first"),
                                               ((6, 4, 1), "channels_last"), ((6, 4, 4), "channels_last")])
@pytest.mark.parametrize("scale", [True, False])
def test_array_to_img_and_back_match_keras(keras, shape, data_format, scale):
    x = RNG.uniform(0, 255 if not scale else 3, size=shape).astype("float32")
    ours, theirs = utils.array_to_img(x, data_format, scale), keras.utils.array_to_img(x, data_format, scale)
    assert ours.mode == theirs.mode and ours.size == theirs.size
    np.testing.assert_array_equal(utils.img_to_array(ours, data_format), keras.utils.img_to_array(theirs, data_format))
    np.testing.assert_array_equal(utils.img_to_array(ours, data_format, dtype="uint8"),
                                  keras.utils.img_to_array(theirs, data_format, dtype="uint8"))


def test_one_channel_above_255_becomes_a_32_bit_image_as_in_keras(keras):
    x = RNG.uniform(0, 1000, size=(3, 4, 1)).astype("float32")
    ours, theirs = utils.array_to_img(x, scale=False), keras.utils.array_to_img(x, scale=False)
    assert ours.mode == theirs.mode == "I"
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))


@pytest.mark.parametrize("ext", ["png", "jpg", "bmp"])
@pytest.mark.parametrize("color_mode", ["rgb", "grayscale", "rgba"])
@pytest.mark.parametrize("target_size,interpolation,keep", [(None, "nearest", False), ((5, 9), "bilinear", False),
                                                             ((6, 6), "bicubic", True), ((3, 8), "lanczos", True)])
def test_save_and_load_img_match_keras(keras, tmp_path, ext, color_mode, target_size, interpolation, keep):
    x = RNG.uniform(0, 255, size=(12, 10, 3)).astype("float32")
    utils.save_img(str(tmp_path / f"ours.{ext}"), x)
    keras.utils.save_img(str(tmp_path / f"theirs.{ext}"), x)
    assert (tmp_path / f"ours.{ext}").read_bytes() == (tmp_path / f"theirs.{ext}").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"ours.{ext}", f"theirs.{ext}"]  # no partial file left
    path = str(tmp_path / f"ours.{ext}")
    ours = utils.load_img(path, color_mode, target_size, interpolation, keep)
    theirs = keras.utils.load_img(path, color_mode, target_size, interpolation, keep)
    assert ours.mode == theirs.mode and ours.size == theirs.size
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    with open(path, "rb") as f:
        from_bytes = utils.load_img(io.BytesIO(f.read()), color_mode, target_size, interpolation, keep)
    np.testing.assert_array_equal(np.asarray(from_bytes), np.asarray(theirs))


def test_image_helpers_reject_bad_input():
    with pytest.raises(ValueError, match="rank 3"):
        utils.array_to_img(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="channels"):
        utils.array_to_img(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="color_mode"):
        utils.load_img(io.BytesIO(b""), color_mode="cmyk")
    with pytest.raises(TypeError, match="path"):
        utils.load_img(3)


def test_without_interactive_logging_progress_goes_to_the_logger_as_in_keras(keras, capsys, caplog):
    x = RNG.normal(size=(8, 3)).astype("float32")
    y = RNG.normal(size=(8, 1)).astype("float32")
    ours = models.Sequential([layers.Input((3,)), layers.Dense(1)])
    theirs = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    for m in (ours, theirs):
        m.compile("sgd", "mse")
    assert utils.is_interactive_logging_enabled() and keras.utils.is_interactive_logging_enabled()
    try:
        utils.disable_interactive_logging()
        keras.utils.disable_interactive_logging()
        assert not utils.is_interactive_logging_enabled()
        with caplog.at_level(logging.INFO, logger="tfkg_graph"):
            ours.fit(x, y, epochs=2, verbose=1)
        theirs.fit(x, y, epochs=2, verbose=1)
        assert capsys.readouterr().out == ""  # neither writes to stdout
        messages = [r.getMessage() for r in caplog.records if r.name == "tfkg_graph"]
        assert messages[0] == "Epoch 1/2" and "Epoch 2/2" in messages and any("loss:" in m for m in messages)
    finally:
        utils.enable_interactive_logging()
        keras.utils.enable_interactive_logging()
    ours.fit(x, y, epochs=2, verbose=1)
    assert "Epoch 1/2" in capsys.readouterr().out
