"""CIFAR-100: the python files Keras extracts to ``datasets/cifar-100-python-target``."""
from __future__ import annotations

import os

import numpy as np

from ._cifar import channels_last, load_batch
from ._files import find_extracted

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"


def load_data(label_mode: str = "fine") -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """uint8 (n, 32, 32, 3) images and (n, 1) labels: the 100 ``fine`` classes or the 20 ``coarse`` ones."""
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f"label_mode must be 'fine' or 'coarse', got {label_mode!r}")
    folder = os.path.join(find_extracted("cifar-100-python-target", ORIGIN), "cifar-100-python")
    splits = []
    for name in ("train", "test"):
        x, y = load_batch(os.path.join(folder, name), label_key=f"{label_mode}_labels")
        splits.append((channels_last(x), np.reshape(y, (len(y), 1))))
    return splits[0], splits[1]
