"""Text classification: review text -> Tokenizer -> Embedding(mask_zero) -> LSTM -> Dense sigmoid.

``reviews.csv`` (600 generated restaurant reviews, see ``make_reviews.py``; regenerated if missing) is
read by CsvDataset: a Tokenizer turns each review into 16 word indices, zero-padded at the end (the
Embedding's mask makes the LSTM skip the padding), BinaryY the positive/negative label; 70/10/20
train/val/test split. "not" flips the next opinion word, so the model has to read word order.

Run ``python examples/text/train.py``; it prints test accuracy, AUC and specificity at 0.9
sensitivity. With the fixed seeds test accuracy reaches >= 0.9 (tests/test_recurrent.py runs it).
``train_transformer.py`` trains a self-attention model on the same data.
"""
from __future__ import annotations

import os
import tempfile
from typing import Callable

from tfkg_graph import layers, metrics, models, optimizers, set_random_seed
from tfkg_graph.data import BinaryY, CsvDataset, Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
SEED, MAX_LEN, EPOCHS = 3, 16, 12


def build_model(vocabulary: int) -> models.Model:
    return models.Sequential([
        layers.Input((None,), dtype="int32", name="review"),  # any length: the LSTM is a loop
        layers.Embedding(vocabulary, 16, mask_zero=True),
        layers.LSTM(16),
        layers.Dense(1, activation="sigmoid"),
    ], name="reviews")


def main(epochs: int = EPOCHS, verbose: int = 2, build: Callable[[int], models.Model] = build_model
         ) -> dict[str, float]:
    set_random_seed(SEED)
    path = os.path.join(HERE, "reviews.csv")
    if not os.path.exists(path):
        from make_reviews import write  # noqa: PLC0415 - only when the CSV is missing
        write(path)
    tokenizer = Tokenizer(columns=["review"], name="review", max_len=MAX_LEN, padding="post", truncating="post")
    dataset = CsvDataset(path, features=[tokenizer], label=BinaryY("sentiment", positive="positive"),
                         batch_size=16, val_fraction=0.1, test_fraction=0.2, seed=SEED,
                         cache_dir=tempfile.mkdtemp(prefix="tfkg_text_cache_"), progress=False)
    model = build(len(tokenizer.word_index) + 1)  # index 0 is the padding
    model.compile(optimizer=optimizers.Adam(0.01), loss="binary_crossentropy",
                  metrics=["accuracy", metrics.AUC(name="auc"),
                           metrics.SpecificityAtSensitivity(0.9, name="specificity_at_sensitivity")])
    model.fit(dataset.train, validation_data=dataset.val, epochs=epochs, verbose=verbose)
    results = model.evaluate(dataset.test, verbose=0, return_dict=True)
    print("test " + "  ".join(f"{name}: {value:.4f}" for name, value in results.items()))
    return results


if __name__ == "__main__":
    main()
