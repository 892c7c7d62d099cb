"""The keras-io corpus (examples/keras_io/, see its README): every example runs short and offline in its own
process through examples/keras_io/run.py; the ones that do not run yet fail with the error the README table
names (so a fix shows up here and the table gets updated); where seeds allow a fair comparison, the same file
is run with Keras on the same stand-in data and the final accuracies must agree."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNNER = os.path.join(ROOT, "examples", "keras_io", "run.py")


def run(example, *flags, timeout=900):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": ROOT}
    return subprocess.run([sys.executable, RUNNER, *flags, example], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=ROOT)


def result_of(done):
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("CORPUS_RESULT ")]
    assert lines, done.stdout[-2000:]
    return json.loads(lines[-1][len("CORPUS_RESULT "):])


def history(result, key):
    return result["history"][key]


RUNS = [  # (example, check of its final numbers, needs Graphviz' dot)
    ("vision/mnist_convnet.py", lambda r: r["score"][1] > 0.8, False),
    ("vision/autoencoder.py", lambda r: True, False),
    ("timeseries/timeseries_classification_from_scratch.py",
     lambda r: history(r, "sparse_categorical_accuracy") > 0.6 and 0 <= r["test_acc"] <= 1, True),
    ("structured_data/imbalanced_classification.py", lambda r: history(r, "val_recall") > 0.5, False),
    ("nlp/text_classification_with_transformer.py", lambda r: history(r, "val_accuracy") > 0.7, False),
    ("nlp/addition_rnn.py", lambda r: history(r, "accuracy") > 0.2, False),
    ("keras_recipes/antirectifier.py", lambda r: history(r, "val_sparse_categorical_accuracy") > 0.8, False),
    ("nlp/bidirectional_lstm_imdb.py", lambda r: history(r, "val_accuracy") > 0.7, False),
]


@pytest.mark.parametrize("example, check, needs_dot", RUNS, ids=[r[0] for r in RUNS])
def test_example_runs(example, check, needs_dot):
    if needs_dot and shutil.which("dot") is None:
        pytest.skip("the example calls keras.utils.plot_model, which needs Graphviz' dot")
    result = result_of(run(example))
    assert check(result), result


FAILS = [  # (example, what it stops on today; the README table says why)
    ("guides/functional_api.py", "has no attribute 'applications'"),
    ("guides/making_new_layers_and_models_via_subclassing.py", "'Weight' object has no attribute 'assign_add'"),
    ("guides/training_with_built_in_methods.py", "No module named 'torch'"),
]


@pytest.mark.parametrize("example, error", FAILS, ids=[f[0] for f in FAILS])
def test_example_stops_where_the_readme_says(example, error):
    if "torch" in error and _has("torch"):
        pytest.skip("torch is installed here; the guide's next stop is not recorded")
    done = run(example)
    assert done.returncode != 0 and error in done.stderr, done.stderr[-3000:]


def _has(module):
    import importlib.util
    return importlib.util.find_spec(module) is not None


COMPARED = [  # (example, the History key both runs report)
    ("vision/mnist_convnet.py", None),
    ("nlp/text_classification_with_transformer.py", "val_accuracy"),
]


@pytest.mark.parametrize("example, key", COMPARED, ids=[c[0] for c in COMPARED])
def test_example_learns_like_keras(example, key):
    pytest.importorskip("keras")
    ours, theirs = result_of(run(example)), result_of(run(example, "--keras"))
    pick = (lambda r: r["score"][1]) if key is None else (lambda r: history(r, key))
    assert abs(pick(ours) - pick(theirs)) < 0.15, (ours, theirs)
