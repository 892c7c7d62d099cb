"""IMDB reviews as word-index sequences: ``imdb.npz`` and ``imdb_word_index.json`` from the Keras cache."""
from __future__ import annotations

import json
from typing import Any

import numpy as np

from ._files import ORIGIN, find, load_npz
from ._splits import drop_long, encode_words, limit_vocabulary


def load_data(path: str = "imdb.npz", num_words: int | None = None, skip_top: int = 0, maxlen: int | None = None,
              seed: int = 113, start_char: int | None = 1, oov_char: int | None = 2, index_from: int = 3,
              **kwargs: Any) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Object arrays of word-index lists and 0/1 labels; each split shuffled with one RandomState(seed)."""
    arrays = load_npz(find(path, ORIGIN + "imdb.npz"))
    rng = np.random.RandomState(seed)
    splits = []
    for x_key, y_key in (("x_train", "y_train"), ("x_test", "y_test")):
        indices = np.arange(len(arrays[x_key]))
        rng.shuffle(indices)
        sequences = encode_words(arrays[x_key][indices], start_char, index_from)
        sequences, labels = drop_long(maxlen, sequences, arrays[y_key][indices])
        if not sequences:
            raise ValueError(f"no sequence is shorter than maxlen={maxlen}; increase maxlen")
        splits.append((sequences, np.asarray(labels)))
    words = limit_vocabulary(splits[0][0] + splits[1][0], num_words, skip_top, oov_char)
    cut = len(splits[0][0])
    return ((np.array(words[:cut], dtype="object"), splits[0][1]),
            (np.array(words[cut:], dtype="object"), splits[1][1]))


def get_word_index(path: str = "imdb_word_index.json") -> dict[str, int]:
    with open(find(path, ORIGIN + "imdb_word_index.json")) as f:
        return json.load(f)
