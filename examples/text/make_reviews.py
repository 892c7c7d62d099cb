"""Writes ``reviews.csv``: 600 short generated restaurant reviews with a positive/negative label.

A review mixes filler words with one to three opinion words; "not" before an opinion word flips it,
so word order matters (a bag of words cannot tell "not good ... bad" from "good ... not bad"). The label
is the sign of the summed opinions (ties are redrawn). Deterministic: the same seed writes the same
bytes, so the committed CSV can be regenerated with ``python examples/text/make_reviews.py``.
"""
from __future__ import annotations

import csv
import io
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
PATH = os.path.join(HERE, "reviews.csv")
POSITIVE = "good great tasty friendly fresh lovely excellent cosy quick delicious".split()
NEGATIVE = "bad awful bland rude stale noisy slow cold greasy dirty".split()
SUBJECTS = ["the food", "the service", "the staff", "the pasta", "our table", "the coffee", "the soup"]
VERBS = ["was", "is", "seemed", "looked", "felt"]
JOINERS = ["and", "but", "also", "then", "really"]


def review(rng: np.random.Generator) -> tuple[str, str]:
    while True:
        words, score = [], 0
        for _ in range(rng.integers(1, 4)):
            subject = rng.choice(SUBJECTS)
            positive = rng.random() < 0.5
            opinion = rng.choice(POSITIVE if positive else NEGATIVE)
            negated = rng.random() < 0.3
            words += [subject, rng.choice(VERBS)] + (["not"] if negated else []) + [opinion]
            words.append(rng.choice(JOINERS))
            score += (1 if positive else -1) * (-1 if negated else 1)
        if score:
            return " ".join(words[:-1]), "positive" if score > 0 else "negative"


def write(path: str = PATH, rows: int = 600, seed: int = 2024) -> str:
    """Writes the CSV atomically (temp file + os.replace) and returns its path."""
    rng = np.random.default_rng(seed)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["review", "sentiment"])
    writer.writerows(review(rng) for _ in range(rows))
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(buffer.getvalue())
    os.replace(tmp, path)
    return path


if __name__ == "__main__":
    print(write())
