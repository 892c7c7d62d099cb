"""Thread pools per model: a large model gets a full intra-op pool even when a small model (one thread)
started first. TF sizes a process-wide pool with the first session's settings unless
TF_OVERRIDE_GLOBAL_THREADPOOL is set, which the runtime sets by default; each child process here starts
clean, since the suite itself runs with one shared one-thread pool (conftest)."""
from __future__ import annotations

import os
import subprocess
import sys

CHILD = """
import os, numpy as np
from tfkg_graph import layers, models
def threads():
    return len(os.listdir("/proc/self/task"))
small = models.Sequential([layers.Input((4,)), layers.Dense(3)])
small.predict_on_batch(np.zeros((1, 4), "float32"))
before = threads()
wide = models.Sequential([layers.Input((512,)), layers.Dense(512), layers.Dense(512)])  # > 200k parameters
wide.predict_on_batch(np.zeros((1, 512), "float32"))
print(threads() - before)
"""


def _new_threads(override: str | None) -> int:
    env = {k: v for k, v in os.environ.items() if k != "TF_OVERRIDE_GLOBAL_THREADPOOL"}
    if override is not None:
        env["TF_OVERRIDE_GLOBAL_THREADPOOL"] = override
    proc = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120,
                          env={**env, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    return int(proc.stdout.split()[-1])


def test_a_large_model_after_a_small_one_gets_its_own_full_pool():
    assert _new_threads(None) == os.cpu_count()  # the default: the wide model's own intra-op pool
    assert _new_threads("0") == 0  # one process-wide pool, sized (one thread) by the small model
