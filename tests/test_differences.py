"""One test per entry of docs/differences.md: our behaviour against the math, and Keras-on-TF's difference
(so a Keras change that removes a difference fails here and the page gets updated)."""
import numpy as np
import pytest

from tfkg_graph import layers, models, optimizers
from _keras_names import fresh_names  # noqa: F401  (autouse)
from _parity import assert_arrays_match

IDS = np.array([[1, 1, 2], [1, 3, 3]], np.int32)  # ids 1 and 3 repeat within the batch
TARGETS = np.array([[0.5], [-1.0]], np.float32)


def keras_embedding_model(keras):
    return keras.Sequential([keras.Input((3,), dtype="int32"), keras.layers.Embedding(5, 2),
                             keras.layers.Flatten(), keras.layers.Dense(1)])


@pytest.mark.parametrize("name", ["Adam", "AdamW", "Adamax", "Nadam", "RMSprop", "Adagrad"])
def test_embedding_gradient_is_dense_in_optimizers_that_square_it(name, keras, tf):
    """Keras 3 on TF hands these optimizers an Embedding's gradient as IndexedSlices and squares it slice
    by slice: an id used twice in a batch gets g1^2 + g2^2 instead of (g1 + g2)^2. The oracle is Keras'
    own optimizer given the dense gradient (the formula; what Keras on JAX and tf.keras compute)."""
    start = [w.numpy() for w in keras_embedding_model(keras).weights]
    updated = []
    for dense in (True, False):
        theirs = keras_embedding_model(keras)
        theirs.set_weights(start)
        with tf.GradientTape() as tape:
            loss = keras.losses.MeanSquaredError()(TARGETS, theirs(IDS))
        gradients = tape.gradient(loss, theirs.trainable_weights)
        assert isinstance(gradients[0], tf.IndexedSlices)
        if dense:
            gradients = [tf.convert_to_tensor(g) for g in gradients]
        getattr(keras.optimizers, name)(0.1).apply_gradients(zip(gradients, theirs.trainable_weights))
        updated.append(theirs.get_weights())
    formula, keras_on_tf = updated

    ours = models.Sequential([layers.Input((3,), dtype="int32"), layers.Embedding(5, 2), layers.Flatten(),
                              layers.Dense(1)])
    ours.set_weights(start)
    ours.compile(optimizer=getattr(optimizers, name)(0.1), loss="mse")
    ours.train_on_batch(IDS, TARGETS)
    for got, want in zip(ours.get_weights(), formula):
        assert_arrays_match(got, want)

    assert_arrays_match(keras_on_tf[0][[0, 2, 4]], formula[0][[0, 2, 4]])  # ids seen once (or never) agree
    for repeated in (1, 3):
        assert np.abs(keras_on_tf[0][repeated] - formula[0][repeated]).max() > 1e-3, (
            "Keras-on-TF now updates repeated ids like the formula: drop this entry from docs/differences.md")
