"""One model shared by threads: each scenario runs in a fresh interpreter, so a segfault fails the test
instead of killing the suite. The oracle is the same model used from one thread."""
from __future__ import annotations

import pytest

from conftest import run_python

MODEL = """
import threading, numpy as np
from tfkg_graph import layers, models, optimizers
from tfkg_graph.runtime import errors

def make_model(seed=3):
    from tfkg_graph.layers import base
    base.set_random_seed(seed)
    m = models.Sequential([layers.Input((4,), name="x"), layers.Dense(32, activation="relu"),
                           layers.Dense(3, activation="softmax")])
    m.compile(optimizer=optimizers.SGD(0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m

rng = np.random.default_rng(0)
x = rng.normal(size=(256, 4)).astype("float32")
y = rng.integers(0, 3, 256)

def run_threads(targets):
    errors_seen = []
    def wrap(fn):
        def run():
            try:
                fn()
            except BaseException as e:  # reported to the main thread
                errors_seen.append(e)
        return run
    threads = [threading.Thread(target=wrap(fn)) for fn in targets]
    [t.start() for t in threads]
    [t.join() for t in threads]
    if errors_seen:
        raise errors_seen[0]
"""


def run_scenario(body: str, timeout: float = 240) -> str:
    proc = run_python(MODEL + body + "\nprint('SCENARIO OK')\n", timeout=timeout)
    assert proc.returncode == 0 and "SCENARIO OK" in proc.stdout, (
        f"exit {proc.returncode}\nstdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}")
    return proc.stdout


def test_eight_threads_predict_500_times_each_like_one_thread():
    run_scenario("""
m = make_model()
m.fit(x, y, epochs=1, verbose=0)
rows = [x[i:i + 1 + i % 7] for i in range(16)]
want = [m.predict_on_batch(r) for r in rows]
want_call = [np.asarray(m(r)) for r in rows]
def worker(k):
    def run():
        for i in range(500):
            j = (i + k) % 16
            out = m.predict_on_batch(rows[j]) if i % 3 else np.asarray(m(rows[j]))
            np.testing.assert_array_equal(out, want[j])
        np.testing.assert_array_equal(m.predict(x, verbose=0), m.predict(x, verbose=0))
    return run
run_threads([worker(k) for k in range(8)])
for a, b in zip(want, want_call):
    np.testing.assert_array_equal(a, b)
""")


def test_first_predictions_from_many_threads_build_one_runtime():
    """A Sequential without an Input builds at its first data; eight first calls race to build it."""
    run_scenario("""
from tfkg_graph.layers import base
base.set_random_seed(1)
m = models.Sequential([layers.Dense(8, activation="tanh"), layers.Dense(2)])
outs = []
barrier = threading.Barrier(8)
def first():
    barrier.wait()
    outs.append(m.predict_on_batch(x[:4]))
run_threads([first] * 8)
assert len(outs) == 8 and len(m.weights) == 4, (len(outs), len(m.weights))
for o in outs:
    np.testing.assert_array_equal(o, outs[0])
np.testing.assert_array_equal(m.predict_on_batch(x[:4]), outs[0])
""")


def test_predictions_during_training_see_whole_steps_and_fit_is_unchanged():
    """Every prediction made while another thread trains equals the model's output before or after some
    step (never a half-applied update), and fit's history equals a run with no other thread."""
    run_scenario("""
probe = x[:8]
alone = make_model()
alone_history = alone.fit(x, y, batch_size=16, epochs=3, validation_data=(x[:64], y[:64]), verbose=0).history

m = make_model()
snapshots = [m.predict_on_batch(probe)]
class Snapshot:  # a callback: after each step, the model's output (no step can run in between)
    def set_model(self, model): pass
    def __getattr__(self, name):
        return lambda *a, **k: None
    def on_train_batch_end(self, batch, logs=None):
        snapshots.append(m.predict_on_batch(probe))
seen, done = [], threading.Event()
def predictor():
    while not done.is_set():
        seen.append(m.predict_on_batch(probe))
def trainer():
    try:
        trainer.history = m.fit(x, y, batch_size=16, epochs=3, validation_data=(x[:64], y[:64]), verbose=0,
                                callbacks=[Snapshot()]).history
    finally:
        done.set()
run_threads([trainer] + [predictor] * 3)
assert len(snapshots) == 3 * 16 + 1, len(snapshots)
keys = {s.tobytes() for s in snapshots}
torn = sum(s.tobytes() not in keys for s in seen)
assert len(seen) > 0 and torn == 0, (len(seen), torn)
assert trainer.history.keys() == alone_history.keys()
for k in alone_history:
    np.testing.assert_allclose(trainer.history[k], alone_history[k], rtol=1e-6, err_msg=k)
for a, b in zip(m.get_weights(), alone.get_weights()):
    np.testing.assert_allclose(a, b, rtol=1e-6)
""")


def test_train_on_batch_from_several_threads_runs_one_step_at_a_time():
    run_scenario("""
m = make_model()
run_threads([lambda: [m.train_on_batch(x[:32], y[:32]) for _ in range(25)]] * 4)
iterations = m.optimizer.iterations.numpy() if hasattr(m.optimizer.iterations, "numpy") else None
ref = make_model()
for _ in range(100):
    ref.train_on_batch(x[:32], y[:32])
for a, b in zip(m.get_weights(), ref.get_weights()):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
""")


def test_evaluate_from_several_threads_gives_the_single_thread_result():
    run_scenario("""
m = make_model()
m.fit(x, y, epochs=1, verbose=0)
want = m.evaluate(x, y, batch_size=20, verbose=0, return_dict=True)
got = []
run_threads([lambda: got.append(m.evaluate(x, y, batch_size=20, verbose=0, return_dict=True))] * 4
            + [lambda: [m.predict_on_batch(x[:3]) for _ in range(200)]])
assert len(got) == 4
for g in got:
    assert g == want, (g, want)
""")


def test_predictions_during_save_and_the_saved_models_load(tmp_path):
    run_scenario(f"""
import os
from tfkg_graph.saving import SavedModelPredictor
m = make_model()
m.fit(x, y, epochs=1, verbose=0)
want = m.predict_on_batch(x[:10])
done = threading.Event()
def predictor():
    while not done.is_set():
        np.testing.assert_array_equal(m.predict_on_batch(x[:10]), want)
def saver():
    try:
        for i in range(4):
            m.save(os.path.join({str(tmp_path)!r}, f"m{{i}}"))
            m.save_weights(os.path.join({str(tmp_path)!r}, f"w{{i}}.weights.h5"))
    finally:
        done.set()
run_threads([saver, predictor, predictor, predictor])
for i in range(4):
    loaded = models.load_model(os.path.join({str(tmp_path)!r}, f"m{{i}}"))
    np.testing.assert_allclose(loaded.predict_on_batch(x[:10]), want, rtol=1e-6)
    np.testing.assert_allclose(SavedModelPredictor(os.path.join({str(tmp_path)!r}, f"m{{i}}")).predict(x[:10]),
                               want, rtol=1e-6)
""")


def test_closing_during_predictions_ends_them_with_a_clear_error():
    run_scenario("""
m = make_model()
started = threading.Barrier(5)
ended = []
def predictor():
    started.wait()
    try:
        while True:
            m.predict_on_batch(x)
    except (errors.FailedPreconditionError, errors.CancelledError) as e:
        ended.append(type(e).__name__)
def closer():
    started.wait()
    m.close()
run_threads([predictor] * 4 + [closer])
assert len(ended) == 4, ended
try:
    m.predict_on_batch(x[:1])
    raise AssertionError("a closed model predicted")
except errors.FailedPreconditionError as e:
    assert "closed" in str(e)
m.close()  # twice is fine
""")


def test_closing_a_session_while_a_long_run_is_inside_tf_waits_and_cancels():
    """The session is freed only after every run has left TF_SessionRun (no use-after-free)."""
    run_scenario("""
from tfkg_graph.graph import Graph
from tfkg_graph.graph.ops import constants, math
from tfkg_graph.runtime import Session
g = Graph()
with g.as_default():
    a = constants.placeholder("float32", (None, None), name="a")
    out = a
    for _ in range(6):
        out = math.matmul(out, a)
sess = Session(g)
big = np.ones((600, 600), "float32") / 600
fn = sess.make_callable(["a:0"], [out.name])
inside = threading.Event()
outcomes = []
def runner():
    try:
        for _ in range(1000):
            inside.set()
            fn(big)
        outcomes.append("finished")
    except (errors.CancelledError, errors.FailedPreconditionError) as e:
        outcomes.append(type(e).__name__)
def closer():
    inside.wait()
    sess.close()
run_threads([runner, runner, closer])
assert len(outcomes) == 2 and "finished" not in outcomes, outcomes
assert sess.closed
""")


def test_concurrent_runs_overlap_inside_tensorflow():
    """A long run releases the GIL around TF_SessionRun: two threads are inside the C call at the same time."""
    run_scenario("""
from tfkg_graph.graph import Graph
from tfkg_graph.graph.ops import constants, math
from tfkg_graph.runtime import Session, SessionConfig
g = Graph()
with g.as_default():
    a = constants.placeholder("float32", (None, None), name="a")
    out = a
    for _ in range(4):
        out = math.matmul(out, a)
sess = Session(g, config=SessionConfig(intra_op_threads=1, inter_op_threads=-1))
fn = sess.make_callable(["a:0"], [out.name])
big = np.ones((400, 400), "float32") / 400
most, done = [0], threading.Event()
def watch():
    while not done.is_set():
        most[0] = max(most[0], sess.runs_inside)
def work():
    for _ in range(30):
        fn(big)
watcher = threading.Thread(target=watch); watcher.start()
run_threads([work, work])
done.set(); watcher.join()
assert most[0] == 2, most
""")


def test_saved_model_predictor_and_inference_helper_from_eight_threads(tmp_path):
    run_scenario(f"""
import os
from tfkg_graph.saving import SavedModelPredictor
from tfkg_graph.data import InferenceHelper, ProcessorSet, Standardize
m = make_model()
m.fit(x, y, epochs=1, verbose=0)
path = os.path.join({str(tmp_path)!r}, "m")
std = Standardize(offset=0, length=4)
std.fit(x)
m.save(path, processors=ProcessorSet([std], n_columns=4))
predictor = SavedModelPredictor(path)
helper = InferenceHelper.from_directory(predictor, path)
rows = [[list(row)] for row in x[:12]]  # one value list per feature processor
want = predictor.predict(x[:12])
want_rows = helper.predict_values(rows)
def worker():
    for i in range(300):
        np.testing.assert_array_equal(predictor.predict(x[:12]), want)
        if i % 10 == 0:
            np.testing.assert_array_equal(helper.predict_values(rows), want_rows)
run_threads([worker] * 8)
""")
