"""CIFAR batch files: pickled dicts with ``data`` (rows of 3x32x32 uint8) and labels."""
from __future__ import annotations

import numpy as np

from ._files import load_pickle


def load_batch(path: str, label_key: str = "labels") -> tuple[np.ndarray, list[int]]:
    batch = {key.decode("utf8"): value for key, value in load_pickle(path).items()}
    data = batch["data"]
    return data.reshape(data.shape[0], 3, 32, 32), batch[label_key]


def channels_last(x: np.ndarray) -> np.ndarray:
    return x.transpose(0, 2, 3, 1)
