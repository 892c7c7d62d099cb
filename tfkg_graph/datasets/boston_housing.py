"""Boston housing prices: ``boston_housing.npz`` (x, y), split as Keras splits it."""
from __future__ import annotations

import numpy as np

from ._files import ORIGIN, find
from ._splits import shuffled_split


def load_data(path: str = "boston_housing.npz", test_split: float = 0.2, seed: int = 113) -> tuple[tuple, tuple]:
    with np.load(find(path, ORIGIN + "boston_housing.npz"), allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    return shuffled_split(x, y, test_split, seed)
