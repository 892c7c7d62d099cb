"""Shared steps of Keras' dataset loaders: the seeded shuffle-then-cut split, and IMDB/Reuters word indices."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np


def shuffled_split(x: np.ndarray, y: np.ndarray, test_split: float, seed: int) -> tuple[tuple, tuple]:
    """Rows shuffled by ``np.random.RandomState(seed)``, the last ``test_split`` share held out, as Keras does."""
    if not 0 <= test_split < 1:
        raise ValueError(f"test_split must be in [0, 1), got {test_split}")
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))


def encode_words(sequences: Sequence[Sequence[int]], start_char: int | None, index_from: int) -> list[list[int]]:
    """Word indices shifted by ``index_from`` (room for padding, start and out-of-vocabulary marks)."""
    if start_char is not None:
        return [[start_char] + [w + index_from for w in s] for s in sequences]
    return [[w + index_from for w in s] for s in sequences]


def drop_long(maxlen: int | None, sequences: list, labels: Any) -> tuple[list, list]:
    if not maxlen:
        return sequences, labels
    kept = [(s, label) for s, label in zip(sequences, labels) if len(s) < maxlen]
    return [s for s, _ in kept], [label for _, label in kept]


def limit_vocabulary(sequences: list[list[int]], num_words: int | None, skip_top: int,
                     oov_char: int | None) -> list[list[int]]:
    """Words outside [skip_top, num_words) become ``oov_char`` (or are dropped when it is None). Without
    ``num_words`` every word is kept, as Keras documents (Keras' code turns the highest index into oov_char)."""
    num_words = num_words or max(max(s) for s in sequences if s) + 1
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in s] for s in sequences]
    return [[w for w in s if skip_top <= w < num_words] for s in sequences]
