"""Small defects found while restructuring (issue 17 part 7): arguments that were accepted and then
ignored now work or raise, and the single save/save_weights honours ``overwrite``."""
from __future__ import annotations

import os

import numpy as np
import pytest

from tfkg_graph import layers, models


def small_model() -> models.Model:
    layers.clear_session()
    model = models.Sequential([layers.Input((3,)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_save_and_save_weights_with_overwrite_false_refuse_an_existing_path(tmp_path):
    model = small_model()
    saved = str(tmp_path / "model")
    weights = str(tmp_path / "w.weights.h5")
    model.save(saved)
    model.save_weights(weights)
    before = os.path.getmtime(weights)
    with pytest.raises(FileExistsError, match="overwrite=False"):
        model.save(saved, overwrite=False)
    with pytest.raises(FileExistsError, match="overwrite=False"):
        model.save_weights(weights, overwrite=False)
    assert os.path.getmtime(weights) == before
    restored = models.load_model(saved)
    x = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
