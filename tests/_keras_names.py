"""Layer-name counters for tests that create Keras layers without creating ours in step.

Parity tests elsewhere compare auto-generated names (``concatenate_1``) between Keras and us, which holds
only while both sides' counters move together. ``fresh_names`` (import it into a test module) starts each
test with both counters at zero and leaves them there.
"""
import pytest


@pytest.fixture(autouse=True)
def fresh_names(tf):
    import keras

    from tfkg_graph import layers

    def reset():
        layers.clear_session()
        keras.backend.clear_session()
    reset()
    yield
    reset()
