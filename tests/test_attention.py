"""MultiHeadAttention against Keras 3: a transformer block (masked self-attention, residual, LayerNorm,
masked pooling) and cross-attention train to the same weights; masks (inputs', causal, explicit) and
attention scores match; weight files and checkpoints move between the two; the config has Keras' keys."""
from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import tfkg_graph  # noqa: E402
from _parity import assert_weight_files_move_both_ways, train_both_and_compare  # noqa: E402
from tfkg_graph import layers  # noqa: E402

ROWS, BATCH, EPOCHS, STEPS, VOCAB = 48, 8, 4, 6, 12
RNG = np.random.default_rng(13)
LENGTHS = RNG.integers(2, STEPS + 1, ROWS)
TOKENS = np.where(np.arange(STEPS)[None] < LENGTHS[:, None], RNG.integers(1, VOCAB, (ROWS, STEPS)), 0).astype("int32")
LABELS = ((TOKENS % 3 == 1).sum(1) > LENGTHS / 3).astype("float32")[:, None]
OTHER = RNG.normal(size=(ROWS, 4, 5)).astype("float32")  # a second sequence for cross-attention


def block(mask_zero: bool, causal: bool = False):
    """Embedding -> self-attention + residual -> LayerNorm -> mean over (valid) steps -> sigmoid."""
    def build(root):
        L = root.layers
        inputs = L.Input((STEPS,), dtype="int32")
        x = L.Embedding(VOCAB, 8, mask_zero=mask_zero)(inputs)
        attended = L.MultiHeadAttention(num_heads=2, key_dim=4)(x, x, use_causal_mask=causal)
        x = L.LayerNormalization()(L.Add()([x, attended]))
        return root.models.Model(inputs, L.Dense(1, activation="sigmoid")(L.GlobalAveragePooling1D()(x)))
    return build


def cross(root):
    """Tokens attend over another sequence of another width; output_shape sets the result's width."""
    L = root.layers
    tokens, other = L.Input((STEPS,), dtype="int32"), L.Input((4, 5))
    x = L.Embedding(VOCAB, 6, mask_zero=True)(tokens)
    attended = L.MultiHeadAttention(num_heads=3, key_dim=2, value_dim=4, output_shape=7)(x, other)
    return root.models.Model([tokens, other], L.Dense(1, activation="sigmoid")(L.GlobalAveragePooling1D()(attended)))


CASES = [("self_masked", block(True), TOKENS), ("self_unmasked", block(False), TOKENS),
         ("causal_masked", block(True, causal=True), TOKENS),
         ("cross_attention", cross, [TOKENS, OTHER])]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_trains_like_keras(case):
    _, build, x = case
    ours, theirs = build(tfkg_graph), build(keras)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    train_both_and_compare(ours, theirs, x, LABELS, "binary_crossentropy", 0.2, batch_size=BATCH, epochs=EPOCHS)


def _direct(root, **call):
    """The layer alone with an explicit attention mask, returning the attention scores too."""
    L = root.layers
    query, value, mask = L.Input((STEPS, 8)), L.Input((4, 5)), L.Input((STEPS, 4), dtype="bool")
    mha = L.MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.3)
    return root.models.Model([query, value, mask],
                             mha(query, value, attention_mask=mask, return_attention_scores=True, **call))


@pytest.mark.parametrize("call", [{}, {"use_causal_mask": True}], ids=["explicit_mask", "and_causal"])
def test_scores_and_explicit_masks_match_keras(call):
    """With return_attention_scores (and dropout, inactive in predict) Keras zeroes masked entries;
    one row of the explicit mask is all False."""
    ours, theirs = _direct(tfkg_graph, **call), _direct(keras, **call)
    ours.set_weights(theirs.get_weights())
    mask = RNG.random((3, STEPS, 4)) > 0.4
    mask[0, 1] = False
    x = [RNG.normal(size=(3, STEPS, 8)).astype("float32"), RNG.normal(size=(3, 4, 5)).astype("float32"), mask]
    got, want = ours.predict(x, verbose=0), theirs.predict(x, verbose=0)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert np.all(got[1][0, :, 1] == 0)  # the fully masked query row attends to nothing


def test_weight_files_and_checkpoints_move_between_keras_and_us(tf, tmp_path):
    assert_weight_files_move_both_ways(block(True), tmp_path, RNG)
    # checkpoints: the residual Add merges the masks, which puts Keras' LogicalOr among the operations
    theirs, ours = block(True)(keras), block(True)(tfkg_graph)
    ours.set_weights([RNG.uniform(-1, 1, w.shape).astype("float32") for w in theirs.get_weights()])
    ours.save_weights(str(tmp_path / "ckpt"))
    tf.train.Checkpoint(theirs).restore(str(tmp_path / "ckpt")).expect_partial()
    for a, b in zip(theirs.get_weights(), ours.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_config_has_keras_keys_and_round_trips():
    ours = layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=5, dropout=0.1, output_shape=7)
    theirs = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=5, dropout=0.1, output_shape=7)
    mine, keras_config = ours.get_config(), theirs.get_config()
    assert set(mine) == set(keras_config)
    for key in ("num_heads", "key_dim", "value_dim", "dropout", "use_bias", "attention_axes", "seed"):
        assert mine[key] == keras_config[key], key
    assert layers.deserialize(layers.serialize(ours)).get_config() == mine


def test_unsupported_arguments_are_named():
    with pytest.raises(ValueError, match="attention_axes=None"):
        layers.MultiHeadAttention(2, 3, attention_axes=(1, 2))
    with pytest.raises(ValueError, match="use_gate and sliding_window are not supported"):
        layers.MultiHeadAttention(2, 3, use_gate=True)
    with pytest.raises(ValueError, match=r"must be \(batch, steps, features\)"):
        layers.MultiHeadAttention(2, 3)(layers.Input((4,)), layers.Input((4,)))


def test_transformer_text_example_trains_to_its_documented_accuracy():
    import importlib.util
    import pathlib
    import sys
    folder = pathlib.Path(__file__).resolve().parents[1] / "examples" / "text"
    sys.path.insert(0, str(folder))
    other_train = sys.modules.pop("train", None)  # the example imports its sibling train.py as "train"
    try:
        spec = importlib.util.spec_from_file_location("text_train_transformer", folder / "train_transformer.py")
        example = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(example)
        results = example.main(verbose=0)
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("train", None)
        if other_train is not None:
            sys.modules["train"] = other_train
    assert results["accuracy"] >= 0.9 and results["auc"] >= 0.9
