"""Masks as Keras 3 uses them, checked against Keras on zero-padded token sequences: masked global
pooling, BatchNormalization's masked moments, losses and metrics weighted by the output's mask
(per-step losses ignore padded steps), and checkpoints / ``.weights.h5`` files of models whose mask ops
(``Embedding(mask_zero=True)``'s NotEqual, Masking's NotEqual/Any, merges' LogicalOr/Concatenate/Any)
sit in Keras' operation list.

Training runs 24 steps of SGD with momentum on the same weights and batches (shuffle=False): Keras'
Adam updates embedding tables from IndexedSlices, which differs from the dense gradient."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import tfkg_graph  # noqa: E402
from _parity import TRAINED_ATOL, TRAINED_RTOL, assert_weights_match  # noqa: E402
from tfkg_graph import layers  # noqa: E402

ROWS, BATCH, EPOCHS, STEPS, VOCAB, CLASSES = 48, 8, 4, 6, 12, 3  # 6 batches x 4 epochs = 24 steps
RNG = np.random.default_rng(11)
LENGTHS = RNG.integers(1, STEPS + 1, ROWS)
VALID = np.arange(STEPS)[None, :] < LENGTHS[:, None]
TOKENS = np.where(VALID, RNG.integers(1, VOCAB, (ROWS, STEPS)), 0).astype("int32")  # post-padded
Y_SAMPLE = ((TOKENS % 3 == 1).sum(1) > LENGTHS / 3).astype("float32")[:, None]
Y_STEPS = (TOKENS % CLASSES).astype("int32")  # a class per step; padded steps carry label 0
RTOL, ATOL = TRAINED_RTOL, TRAINED_ATOL


def pooled(L, M, pool):
    inputs = L.Input((STEPS,), dtype="int32")
    x = getattr(L, pool)()(L.Embedding(VOCAB, 4, mask_zero=True)(inputs))
    return M.Model(inputs, L.Dense(1, activation="sigmoid")(x))


def per_step(L, M):
    inputs = L.Input((STEPS,), dtype="int32")
    x = L.LSTM(4, return_sequences=True)(L.Embedding(VOCAB, 3, mask_zero=True)(inputs))
    return M.Model(inputs, L.Dense(CLASSES, activation="softmax")(x))


def normalized(L, M):
    inputs = L.Input((STEPS,), dtype="int32")
    x = L.BatchNormalization(momentum=0.8)(L.Embedding(VOCAB, 4, mask_zero=True)(inputs))
    x = L.LayerNormalization()(x)
    return M.Model(inputs, L.Dense(1, activation="sigmoid")(L.GRU(3)(x)))


CASES = [  # id, model builder, loss, y, metrics
    ("global_average_pooling", lambda L, M: pooled(L, M, "GlobalAveragePooling1D"), "binary_crossentropy",
     Y_SAMPLE, ["accuracy"]),
    ("global_max_pooling", lambda L, M: pooled(L, M, "GlobalMaxPooling1D"), "binary_crossentropy", Y_SAMPLE,
     ["accuracy"]),
    ("lstm_per_step_loss", per_step, "sparse_categorical_crossentropy", Y_STEPS, ["sparse_categorical_accuracy"]),
    ("batch_and_layer_normalization", normalized, "binary_crossentropy", Y_SAMPLE, ["accuracy"]),
]


def build_both(builder):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras' GlobalMaxPooling1D warns that it drops the mask
        ours, theirs = builder(layers, tfkg_graph.models), builder(keras.layers, keras)
        ours.set_weights(theirs.get_weights())
    return ours, theirs


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_training_evaluate_and_predict_match_keras(case):
    _, builder, loss, y, metrics = case
    ours, theirs = build_both(builder)
    for m, side in ((ours, tfkg_graph), (theirs, keras)):
        m.compile(optimizer=side.optimizers.SGD(0.2, momentum=0.5), loss=loss, metrics=list(metrics),
                  weighted_metrics=list(metrics))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m.history_ = m.fit(TOKENS, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0).history
            m.evaluation = m.evaluate(TOKENS, y, batch_size=BATCH, verbose=0, return_dict=True)
            m.predictions = m.predict(TOKENS, batch_size=BATCH, verbose=0)
    assert_weights_match(ours, theirs)
    for key, values in theirs.history_.items():
        np.testing.assert_allclose(ours.history_[key], values, rtol=RTOL, atol=ATOL, err_msg=key)
    assert set(ours.evaluation) == set(theirs.evaluation)
    for key, value in theirs.evaluation.items():
        np.testing.assert_allclose(ours.evaluation[key], value, rtol=RTOL, atol=ATOL, err_msg=key)
    np.testing.assert_allclose(ours.predictions, theirs.predictions, rtol=RTOL, atol=ATOL)


def test_per_step_loss_ignores_padded_steps():
    """Keras' sum_over_batch_size with a mask: sum(loss * weight over valid steps) / number of valid steps,
    so the padded steps' labels cannot change the loss. Keras itself rejects (batch,) sample weights on a
    per-step output (it multiplies them into the (batch, steps) mask unexpanded), so numpy is the oracle
    here; a per-sample weight covers all of its steps (per-step weights: the tests below)."""
    ours, _ = build_both(per_step)
    ours.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    probs = ours.predict(TOKENS, verbose=0)
    picked = np.take_along_axis(probs, Y_STEPS[..., None], -1)[..., 0]
    weights = RNG.uniform(0.5, 2.0, ROWS).astype("float32")
    expected = (-np.log(picked) * weights[:, None] * VALID).sum() / VALID.sum()
    flipped = np.where(VALID, Y_STEPS, (Y_STEPS + 1) % CLASSES)
    for labels in (Y_STEPS, flipped):
        loss = ours.evaluate(TOKENS, labels, sample_weight=weights, batch_size=ROWS, verbose=0)
        np.testing.assert_allclose(loss, expected, rtol=1e-5)


STEP_WEIGHTS = RNG.uniform(0.2, 2.0, (ROWS, STEPS)).astype("float32")


def tagger(mask_zero):
    """A label per step: Embedding -> LSTM(return_sequences) -> Dense softmax on every step."""
    def build(L, M):
        inputs = L.Input((STEPS,), dtype="int32")
        x = L.LSTM(4, return_sequences=True)(L.Embedding(VOCAB, 3, mask_zero=mask_zero)(inputs))
        return M.Model(inputs, L.Dense(CLASSES, activation="softmax")(x))
    return build


@pytest.mark.parametrize("mask_zero", [True, False], ids=["masked", "unmasked"])
def test_per_step_sample_weights_match_keras(mask_zero):
    """Keras 3 takes sample_weight of shape (batch, steps) for a sequence output: each step's loss and the
    weighted metrics are weighted per step (and by the mask). After training on them, the same model
    evaluates with per-sample (batch, 1) weights and with none, as Keras does."""
    ours, theirs = build_both(tagger(mask_zero))
    for m, side in ((ours, tfkg_graph), (theirs, keras)):
        m.compile(optimizer=side.optimizers.SGD(0.2, momentum=0.5), loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"], weighted_metrics=["sparse_categorical_accuracy"])
        m.history_ = m.fit(TOKENS, Y_STEPS, sample_weight=STEP_WEIGHTS, batch_size=BATCH, epochs=EPOCHS,
                           shuffle=False, verbose=0).history
        m.evaluation = [m.evaluate(TOKENS, Y_STEPS, sample_weight=w, batch_size=BATCH, verbose=0, return_dict=True)
                        for w in (STEP_WEIGHTS, STEP_WEIGHTS[:, :1], None)]
    assert_weights_match(ours, theirs)
    for key, values in theirs.history_.items():
        np.testing.assert_allclose(ours.history_[key], values, rtol=RTOL, atol=ATOL, err_msg=key)
    for got, want in zip(ours.evaluation, theirs.evaluation):
        assert set(got) == set(want)
        for key, value in want.items():
            np.testing.assert_allclose(got[key], value, rtol=RTOL, atol=ATOL, err_msg=key)
    unweighted = ours.evaluation[2]["loss"]
    assert abs(ours.evaluation[0]["loss"] - unweighted) > 1e-3, "the per-step weights changed the loss"


def test_class_weight_on_sequence_targets_weights_each_step():
    """class_weight with a label per step gives each step its class's weight: the same training as
    explicit per-step sample weights, checked against Keras trained with those weights."""
    class_weight = {0: 0.5, 1: 2.0, 2: 1.0}
    per_step_weights = np.vectorize(class_weight.get)(Y_STEPS).astype("float32")
    ours, theirs = build_both(tagger(False))
    for m, side in ((ours, tfkg_graph), (theirs, keras)):
        m.compile(optimizer=side.optimizers.SGD(0.2, momentum=0.5), loss="sparse_categorical_crossentropy")
    ours.fit(TOKENS, Y_STEPS, class_weight=class_weight, batch_size=BATCH, epochs=2, shuffle=False, verbose=0)
    theirs.fit(TOKENS, Y_STEPS, sample_weight=per_step_weights, batch_size=BATCH, epochs=2, shuffle=False, verbose=0)
    assert_weights_match(ours, theirs)


def test_per_step_sample_weights_of_the_wrong_shape_are_named():
    ours, _ = build_both(tagger(True))
    ours.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=rf"sample_weight for 'dense\w*': expected shape \({ROWS},\) or "
                                         rf"\({ROWS}, {STEPS}\) \(one weight per step\), got \({ROWS}, {STEPS + 1}\)"):
        ours.fit(TOKENS, Y_STEPS, sample_weight=np.ones((ROWS, STEPS + 1)), verbose=0)
    flat = tfkg_graph.models.Sequential([layers.Input((4,)), layers.Dense(2, activation="softmax")])
    flat.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"expected shape \(5,\), got \(5, 4\)"):
        flat.fit(np.ones((5, 4)), np.zeros(5), sample_weight=np.ones((5, 4)), verbose=0)


def test_saved_model_keeps_per_step_sample_weights(tmp_path):
    """A model trained with per-step weights saves and loads with that training graph: one more step
    from the loaded model equals one more step from the original."""
    model, _ = build_both(tagger(True))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(TOKENS, Y_STEPS, sample_weight=STEP_WEIGHTS, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    model.save(str(tmp_path / "tagger"))
    loaded = tfkg_graph.models.load_model(str(tmp_path / "tagger"))
    for m in (model, loaded):
        m.train_on_batch(TOKENS[:BATCH], Y_STEPS[:BATCH], sample_weight=STEP_WEIGHTS[:BATCH])
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_masked_pooling_outputs_match_keras_and_max_pooling_warns_as_keras():
    """GlobalAveragePooling1D averages the valid steps only; GlobalMaxPooling1D takes no mask in Keras 3
    (padded steps enter the max) and warns that it drops it, as Keras does."""
    for pool in ("GlobalAveragePooling1D", "GlobalMaxPooling1D"):
        outputs, warned = [], []
        for L, M in ((layers, tfkg_graph.models), (keras.layers, keras)):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                inputs = L.Input((STEPS,), dtype="int32")
                model = M.Model(inputs, getattr(L, pool)()(L.Embedding(VOCAB, 4, mask_zero=True)(inputs)))
                model.set_weights([np.arange(VOCAB * 4, dtype="float32").reshape(VOCAB, 4) % 7 - 3])
                outputs.append(model.predict(TOKENS, verbose=0))
            warned.append(any("mask" in str(w.message) for w in caught))
        np.testing.assert_allclose(outputs[0], outputs[1], rtol=RTOL, atol=ATOL)
        assert warned[0] == warned[1] == (pool == "GlobalMaxPooling1D")
        if pool == "GlobalAveragePooling1D":
            table = model.get_weights()[0]
            mean = (table[TOKENS] * VALID[..., None]).sum(1) / VALID.sum(1)[:, None]
            np.testing.assert_allclose(outputs[0], mean, rtol=1e-6)


def sequential_per_step(L, M):
    return M.Sequential([L.Input((STEPS,), dtype="int32"), L.Embedding(VOCAB, 3, mask_zero=True),
                         L.Dense(4, activation="tanh"), L.LSTM(2), L.Dense(1)])


def functional_lstm(L, M):
    inputs = L.Input((STEPS,), dtype="int32")
    return M.Model(inputs, L.Dense(2)(L.LSTM(3)(L.Embedding(VOCAB, 4, mask_zero=True)(inputs))))


def bidirectional(L, M):
    inputs = L.Input((STEPS,), dtype="int32")
    x = L.Bidirectional(L.GRU(2, return_sequences=True))(L.Embedding(VOCAB, 3, mask_zero=True)(inputs))
    return M.Model(inputs, L.Dense(1)(L.LSTM(2)(x)))


def two_branches(L, M):
    """The mask reaches the GRU through a Dense, so Keras' NotEqual sorts between the Dense layers, not
    next to the Embedding; the float branch is deeper than the token branch."""
    tokens, floats = L.Input((STEPS,), dtype="int32"), L.Input((4,))
    words = L.GRU(2)(L.Dense(3)(L.Embedding(VOCAB, 3, mask_zero=True)(tokens)))
    numbers = L.Dense(2)(L.Dense(3)(L.Dense(3)(floats)))
    return M.Model([tokens, floats], L.Dense(1)(L.Concatenate()([numbers, words])))


def masked_floats(L, M):  # noqa: N803 - Masking's mask is Keras' NotEqual + Any ops
    inputs = L.Input((STEPS, 3))
    return M.Model(inputs, L.Dense(1)(L.LSTM(2)(L.Dense(3)(L.Masking(0.0)(inputs)))))


@pytest.mark.parametrize("builder", [functional_lstm, sequential_per_step, per_step, two_branches, masked_floats],
                         ids=["functional", "sequential", "lstm_sequences", "two_branches", "masking_layer"])
def test_checkpoint_restores_into_keras_with_hidden_mask_op(builder, tmp_path, tf):
    """Keras lists Embedding(mask_zero)'s NotEqual among the model's operations (``_operations/2``), so the
    layers after it sit one index later; tf.train.Checkpoint(keras_model) restores every weight of our
    prefix (each one distinct, so a wrong path shows)."""
    ours, theirs = builder(layers, tfkg_graph.models), builder(keras.layers, keras)
    ours.set_weights([RNG.normal(size=w.shape).astype("float32") for w in ours.weights])
    prefix = ours.save_weights(str(tmp_path / "ckpt"))
    tf.train.Checkpoint(theirs).restore(prefix).expect_partial()  # our bundle has no save_counter
    saved = {a.tobytes() for a in ours.get_weights()}  # layer orders differ when branches do
    missed = [w.path for w, b in zip(theirs.weights, theirs.get_weights()) if b.tobytes() not in saved]
    assert not missed and len(theirs.weights) == len(saved), missed


@pytest.mark.parametrize("builder", [functional_lstm, sequential_per_step, per_step, bidirectional],
                         ids=["functional", "sequential", "lstm_sequences", "bidirectional"])
def test_keras_weights_h5_loads_into_recurrent_models_and_back(builder, tmp_path):
    """Keras stores RNN weights under ``layers/lstm/cell/vars``: model.load_weights reads them, and our
    ``.weights.h5`` loads back into Keras."""
    ours, theirs = builder(layers, tfkg_graph.models), builder(keras.layers, keras)
    theirs.set_weights([RNG.normal(size=w.shape).astype("float32") for w in theirs.weights])
    theirs.save_weights(str(tmp_path / "keras.weights.h5"))
    ours.load_weights(str(tmp_path / "keras.weights.h5"))
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, b)
    ours.set_weights([w + 1.0 for w in ours.get_weights()])
    ours.save_weights(str(tmp_path / "ours.weights.h5"))
    theirs.load_weights(str(tmp_path / "ours.weights.h5"))
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(ours.predict(TOKENS, verbose=0), theirs.predict(TOKENS, verbose=0),
                               rtol=RTOL, atol=ATOL)


TOKENS_B = np.where(np.arange(STEPS)[None, :] < RNG.integers(1, STEPS + 1, ROWS)[:, None],
                    RNG.integers(1, VOCAB, (ROWS, STEPS)), 0).astype("int32")  # padded differently


def merged(merge, mask_second=True):
    """Two token branches merged, then an LSTM that skips the steps the merged mask drops."""
    def builder(L, M):
        a, b = L.Input((STEPS,), dtype="int32"), L.Input((STEPS,), dtype="int32")
        first = L.Embedding(VOCAB, 3, mask_zero=True)(a)
        x = merge(L)([first, L.Embedding(VOCAB, 3, mask_zero=mask_second)(b)])
        return M.Model([a, b], L.Dense(1, activation="sigmoid")(L.LSTM(3)(x)))
    return builder


MERGES = {"add": lambda L: L.Add(), "concatenate_features": lambda L: L.Concatenate(axis=-1),
          "concatenate_steps": lambda L: L.Concatenate(axis=1), "maximum": lambda L: L.Maximum(),
          "minimum": lambda L: L.Minimum(), "multiply": lambda L: L.Multiply()}
MERGE_CASES = [(name, merge, True) for name, merge in MERGES.items()] + [
    ("add_one_unmasked", MERGES["add"], False),  # an unmasked input drops an elementwise merge's mask
    ("maximum_one_unmasked", MERGES["maximum"], False), ("multiply_one_unmasked", MERGES["multiply"], False),
    ("concatenate_steps_one_unmasked", MERGES["concatenate_steps"], False)]  # its steps count as valid


@pytest.mark.parametrize("case", MERGE_CASES, ids=[c[0] for c in MERGE_CASES])
def test_merged_masks_train_like_keras(case):
    """Keras 3 merges masks: elementwise merges OR them, Concatenate joins them along the axis; Maximum,
    Minimum and Multiply also ignore the values at masked steps."""
    _, merge, mask_second = case
    ours, theirs = build_both(merged(merge, mask_second))
    for m, side in ((ours, tfkg_graph), (theirs, keras)):
        m.compile(optimizer=side.optimizers.SGD(0.2, momentum=0.5), loss="binary_crossentropy")
        m.fit([TOKENS, TOKENS_B], Y_SAMPLE, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0)
        m.predictions = m.predict([TOKENS, TOKENS_B], batch_size=BATCH, verbose=0)
    assert_weights_match(ours, theirs)
    np.testing.assert_allclose(ours.predictions, theirs.predictions, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("case", MERGE_CASES, ids=[c[0] for c in MERGE_CASES])
def test_checkpoint_of_merged_masks_restores_into_keras(case, tmp_path, tf):
    """Keras lists the ops a merge builds its mask with (LogicalOr chains; Concatenate's OnesLike or
    ExpandDims/ZerosLike/LogicalOr per input, then Concatenate and Any) among the model's operations:
    the LSTM after the merge sits at the index they leave, and its weights restore into Keras."""
    _, merge, mask_second = case
    test_checkpoint_restores_into_keras_with_hidden_mask_op(merged(merge, mask_second), tmp_path, tf)
