"""Iris as a multi-input functional model: each of the four measurements is its own input, goes through
its own Dense(10), and the four are concatenated before the classifier (TFKG's multiple_inputs example).
``graphdefs/multiple_inputs.pbtxt`` is this model's training graph (``make graphdefs``).
"""
from __future__ import annotations

import os
import sys

import numpy as np

from tfkg_graph import layers, models, optimizers, set_random_seed

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "iris"))
from train import CLASSES, SEED, load_iris, train_test_split  # noqa: E402

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def build_model() -> models.Model:
    inputs = [layers.Input(shape=(1,), name=name) for name in FEATURES]
    encoded = [layers.Dense(10, activation="relu", name=f"{name}_dense")(x) for name, x in zip(FEATURES, inputs)]
    merged = layers.Concatenate(name="concatenate")(encoded)
    hidden = layers.Dense(32, activation="relu", name="hidden")(merged)
    output = layers.Dense(3, activation="softmax", name="species")(hidden)
    return models.Model(inputs=inputs, outputs=output, name="multiple_inputs")


def compile_model(model: models.Model) -> None:
    model.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])


def main() -> float:
    set_random_seed(SEED)
    x, y = load_iris()
    x = x / x.max(axis=0)
    x_train, y_train, x_test, y_test = train_test_split(x, y)
    model = build_model()
    compile_model(model)
    model.summary()
    as_inputs = lambda a: {name: a[:, i] for i, name in enumerate(FEATURES)}  # noqa: E731
    model.fit(as_inputs(x_train), y_train, batch_size=8, epochs=30, verbose=2)
    loss, accuracy = model.evaluate(as_inputs(x_test), y_test, verbose=0)
    print(f"test loss: {loss:.4f}  test accuracy: {accuracy:.4f}")
    probabilities = model.predict(as_inputs(x_test[:5]), verbose=0)
    for p, label in zip(probabilities, y_test[:5]):
        print(f"predicted {CLASSES[int(np.argmax(p))]:<16} p={p.max():.3f}  actual {CLASSES[label]}")
    return accuracy


if __name__ == "__main__":
    main()
