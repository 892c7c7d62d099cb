"""MNIST digits: ``mnist.npz`` (uint8 28x28 images, uint8 labels) from the Keras cache."""
from __future__ import annotations

import numpy as np

from ._files import ORIGIN, find


def load_data(path: str = "mnist.npz") -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    with np.load(find(path, ORIGIN + "mnist.npz"), allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
