"""What callbacks see, against Keras: a recording callback in Keras and in ours, fed the same data and the
same weights, gets the same hook calls in the same order, with the same logs keys and (to float tolerance)
values, in fit with validation, evaluate and predict; also stop flags and the on_batch_* aliases."""
from __future__ import annotations

import numpy as np
import pytest

import tfkg_graph

HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
         "on_train_batch_end", "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
         "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end")


def recorder(k, hooks=HOOKS, stop_at=None):
    """A callback of module ``k`` that records (hook, index, logs) for every hook in ``hooks``; ``stop_at``:
    (hook, index, flag) sets ``model.<flag> = True`` there."""
    def make(hook):
        indexed = "batch" in hook or "epoch" in hook

        def record(self, *args, **kwargs):
            named = dict(zip(("index", "logs") if indexed else ("logs",), args), **kwargs)
            index = (named["index"],) if indexed else ()
            logs = named.get("logs")
            self.calls.append((hook, *index, None if logs is None else dict(logs)))
            if stop_at is not None and stop_at[:2] == (hook, index[0] if index else None):
                setattr(self.model, stop_at[2], True)
        return record

    def init(self):
        k.callbacks.Callback.__init__(self)
        self.calls = []
    return type("Recorder", (k.callbacks.Callback,), {"__init__": init, **{h: make(h) for h in hooks}})()


def data():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(40, 4)).astype("float32")
    return x, np.eye(3, dtype="float32")[rng.integers(0, 3, size=(40,))]


def pair(keras, **compile_args):
    """The same two-layer classifier in Keras and in ours, with Keras' initial weights."""
    models = []
    for k in (keras, tfkg_graph):
        m = k.Sequential([k.Input((4,)), k.layers.Dense(5, activation="relu"), k.layers.Dense(3, activation="softmax")])
        m.compile(k.optimizers.SGD(0.1), "categorical_crossentropy", metrics=["accuracy", "mae"], **compile_args)
        models.append(m)
    models[1].set_weights(models[0].get_weights())
    return models


def same_calls(theirs, ours):
    assert [c[:-1] for c in ours] == [c[:-1] for c in theirs]
    for (hook, *_, their_logs), (_, *_, our_logs) in zip(theirs, ours):
        assert list(our_logs) == list(their_logs), hook
        for key, value in their_logs.items():
            np.testing.assert_allclose(np.asarray(our_logs[key]), np.asarray(value), rtol=2e-5, atol=1e-6,
                                       err_msg=f"{hook} {key}")


def test_fit_with_validation_evaluate_and_predict_call_hooks_as_keras(keras):
    x, y = data()
    calls = []
    for k, m in zip((keras, tfkg_graph), pair(keras)):
        cb = recorder(k)
        m.fit(x, y, batch_size=16, epochs=2, shuffle=False, validation_data=(x[:12], y[:12]), callbacks=[cb],
              verbose=0)
        m.evaluate(x, y, batch_size=16, callbacks=[cb], verbose=0)
        m.predict(x, batch_size=16, callbacks=[cb], verbose=0)
        calls.append(cb.calls)
    theirs, ours = calls
    assert ("on_epoch_end", 0) in [c[:2] for c in theirs]  # the recorder saw the loops at all
    assert ours[-2][0] == "on_predict_batch_end" and set(ours[-2][-1]) == {"outputs"}
    same_calls(theirs, ours)


def test_callbacks_written_against_the_batch_aliases_are_called_as_in_keras(keras):
    x, y = data()
    calls = []
    for k, m in zip((keras, tfkg_graph), pair(keras)):
        cb = recorder(k, hooks=("on_batch_begin", "on_batch_end"))
        m.fit(x, y, batch_size=16, epochs=1, shuffle=False, callbacks=[cb], verbose=0)
        calls.append(cb.calls)
    assert len(calls[0]) == 6
    same_calls(*calls)


@pytest.mark.parametrize("stop_at, loop", [(("on_train_batch_end", 1, "stop_training"), "fit"),
                                           (("on_test_batch_end", 0, "stop_evaluating"), "evaluate"),
                                           (("on_predict_batch_end", 1, "stop_predicting"), "predict")])
def test_stop_flags_end_the_loop_after_that_batch_as_in_keras(keras, stop_at, loop):
    x, y = data()
    calls, lengths = [], []
    for k, m in zip((keras, tfkg_graph), pair(keras)):
        cb = recorder(k, stop_at=stop_at)
        if loop == "fit":
            m.fit(x, y, batch_size=8, epochs=3, shuffle=False, callbacks=[cb], verbose=0)
        elif loop == "evaluate":
            m.evaluate(x, y, batch_size=8, callbacks=[cb], verbose=0)
        else:
            lengths.append(len(m.predict(x, batch_size=8, callbacks=[cb], verbose=0)))
        calls.append(cb.calls)
    assert len(calls[0]) < len(HOOKS) * 5  # Keras stopped early
    assert lengths[0] == lengths[1] if lengths else True
    same_calls(*calls)


def test_fit_returns_the_history_callback_and_sets_model_history(keras):
    x, y = data()
    for k, m in zip((keras, tfkg_graph), pair(keras)):
        history = k.callbacks.History()
        returned = m.fit(x, y, batch_size=16, epochs=2, callbacks=[history], verbose=0)
        assert returned is history and m.history is history and history.epoch == [0, 1]


def test_steps_per_execution_groups_the_batch_hooks_as_keras(keras):
    """compile(steps_per_execution=3): batch hooks once per group of 3 steps, a short last group reported
    with Keras' end index, predict's group outputs joined; the weights after fit equal Keras'."""
    x, y = data()
    calls, models = [], pair(keras, steps_per_execution=3)
    for k, m in zip((keras, tfkg_graph), models):
        cb = recorder(k)
        m.fit(x, y, batch_size=8, epochs=2, shuffle=False, validation_data=(x[:24], y[:24]), callbacks=[cb],
              verbose=0)
        m.evaluate(x, y, batch_size=8, callbacks=[cb], verbose=0)
        m.predict(x, batch_size=8, callbacks=[cb], verbose=0)
        calls.append(cb.calls)
    theirs, ours = calls
    assert ("on_train_batch_end", 5) in [c[:2] for c in theirs]  # 5 batches: groups end at 2 and (short) 5
    same_calls(theirs, ours)
    for a, b in zip(models[0].get_weights(), models[1].get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def test_compile_rejects_what_it_cannot_do(keras):
    model = tfkg_graph.Sequential([tfkg_graph.Input((4,)), tfkg_graph.layers.Dense(3)])
    with pytest.raises(ValueError, match="eager"):
        model.compile("sgd", "mse", run_eagerly=True)
    with pytest.raises(ValueError, match="steps_per_execution"):
        model.compile("sgd", "mse", steps_per_execution=0)
