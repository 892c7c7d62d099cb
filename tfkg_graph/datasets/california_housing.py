"""California housing prices: ``california_housing.npz`` (x, y); version "small" keeps the first 600 rows."""
from __future__ import annotations

import numpy as np

from ._files import ORIGIN, find
from ._splits import shuffled_split


def load_data(version: str = "large", path: str = "california_housing.npz", test_split: float = 0.2,
              seed: int = 113) -> tuple[tuple, tuple]:
    if version not in ("small", "large"):
        raise ValueError(f"version must be 'small' or 'large', got {version!r}")
    with np.load(find(path, ORIGIN + "california_housing.npz"), allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    if version == "small":
        x, y = x[:600], y[:600]
    return shuffled_split(x, y, test_split, seed)
