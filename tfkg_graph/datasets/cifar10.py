"""CIFAR-10: the python batches Keras extracts to ``datasets/cifar-10-batches-py-target``."""
from __future__ import annotations

import os

import numpy as np

from ._cifar import channels_last, load_batch
from ._files import find_extracted

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"


def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """uint8 (n, 32, 32, 3) images and uint8 (n, 1) labels, channels last."""
    folder = os.path.join(find_extracted("cifar-10-batches-py-target", ORIGIN), "cifar-10-batches-py")
    parts = [load_batch(os.path.join(folder, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([x for x, _ in parts]).astype("uint8")
    y_train = np.concatenate([np.asarray(y) for _, y in parts]).astype("uint8").reshape(-1, 1)
    x_test, y_test = load_batch(os.path.join(folder, "test_batch"))
    return ((channels_last(x_train), y_train),
            (channels_last(x_test.astype("uint8")), np.asarray(y_test).astype("uint8").reshape(-1, 1)))
