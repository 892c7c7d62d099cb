"""Shared fixtures: TensorFlow Python as an oracle (tests only) and a subprocess runner."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest


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


def run_python(code: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Runs ``code`` in a fresh interpreter, so a crash or a leak cannot touch the test process."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
