"""Reuters newswires as word-index sequences with 46 topics: ``reuters.npz`` from the Keras cache."""
from __future__ import annotations

import json

import numpy as np

from ._files import ORIGIN, find, load_npz
from ._splits import drop_long, encode_words, limit_vocabulary

LABEL_NAMES = ("cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply", "coffee",
               "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas", "cpi", "money-fx",
               "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin", "strategic-metal", "livestock",
               "retail", "ipi", "iron-steel", "rubber", "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem",
               "dlr", "gas", "silver", "wpi", "hog", "lead")


def load_data(path: str = "reuters.npz", num_words: int | None = None, skip_top: int = 0, maxlen: int | None = None,
              test_split: float = 0.2, seed: int = 113, start_char: int | None = 1, oov_char: int | None = 2,
              index_from: int = 3) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    arrays = load_npz(find(path, ORIGIN + "reuters.npz"))
    indices = np.arange(len(arrays["x"]))
    np.random.RandomState(seed).shuffle(indices)
    sequences = encode_words(arrays["x"][indices], start_char, index_from)
    sequences, labels = drop_long(maxlen, sequences, arrays["y"][indices])
    sequences = limit_vocabulary(sequences, num_words, skip_top, oov_char)
    cut = int(len(sequences) * (1 - test_split))
    return ((np.array(sequences[:cut], dtype="object"), np.array(labels[:cut])),
            (np.array(sequences[cut:], dtype="object"), np.array(labels[cut:])))


def get_word_index(path: str = "reuters_word_index.json") -> dict[str, int]:
    with open(find(path, ORIGIN + "reuters_word_index.json")) as f:
        return json.load(f)


def get_label_names() -> tuple[str, ...]:
    return LABEL_NAMES
