"""Shared fixtures: TensorFlow Python as an oracle (tests only) and a subprocess runner."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from tfkg_graph.runtime import Session, SessionConfig
from tfkg_graph.runtime import protos as _protos

# TF's thread pools are process-wide and take the first session's settings when TF_OVERRIDE_GLOBAL_THREADPOOL
# is 0 (the runtime sets it to 1 by default: each session's own pool; tests/test_thread_policy.py checks
# that in child processes). Share one one-thread pool here, fixed before any test (ours or the Keras/TF
# oracle side) creates one, so parallel float reductions cannot change the summation order with the
# order tests happen to run in: parity tests compare at 1e-5.
os.environ["TF_OVERRIDE_GLOBAL_THREADPOOL"] = "0"
Session(_protos.GraphDef(), config=SessionConfig(intra_op_threads=1, inter_op_threads=-1)).close()


@pytest.fixture(scope="session")
def tf():
    """TF Python, imported once and kept to one thread so it does not crowd the shared cores."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    tf = pytest.importorskip("tensorflow")
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # already initialised by an earlier import
        pass
    return tf


@pytest.fixture(scope="session")
def keras(tf):
    """Keras 3 (on the TF backend) as the oracle, after TF's thread settings above."""
    import keras
    return keras


@pytest.fixture(autouse=True)
def _seed_keras():
    """Keras' initial weights come from its global seed: fix it per test so a parity failure reproduces.
    Set TFKG_TEST_SEED to draw other weights (a sweep over seeds checks the parity tolerances)."""
    keras = sys.modules.get("keras")
    if keras is not None:
        keras.utils.set_random_seed(int(os.environ.get("TFKG_TEST_SEED", "0")))


def run_python(code: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Runs ``code`` in a fresh interpreter, so a crash or a leak cannot touch the test process."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
