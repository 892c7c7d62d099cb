"""Fashion-MNIST: the four gzipped IDX files in ``datasets/fashion-mnist`` of the Keras cache."""
from __future__ import annotations

import gzip
import os

import numpy as np

from ._files import ORIGIN, find

FILES = ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz")


def _read(name: str, header: int) -> np.ndarray:
    with gzip.open(find(name, ORIGIN + name, os.path.join("datasets", "fashion-mnist")), "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=header)


def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    y_train, y_test = _read(FILES[0], 8), _read(FILES[2], 8)
    x_train = _read(FILES[1], 16).reshape(len(y_train), 28, 28)
    x_test = _read(FILES[3], 16).reshape(len(y_test), 28, 28)
    return (x_train, y_train), (x_test, y_test)
