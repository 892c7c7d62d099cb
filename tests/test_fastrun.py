"""The one-call step (runtime/fastrun.c, a CPython extension): the same results and errors as the per-call
cffi path, its conversions (lists, scalars, other dtypes and orders), its fall-backs (no compiler,
TFKG_FASTRUN=0), its GIL table, and its build cache."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading

import numpy as np
import pytest
from tfkg_graph.graph import Graph, array, math, placeholder
from tfkg_graph.runtime import Session, errors, fastrun

pytestmark = pytest.mark.skipif(shutil.which("cc") is None and shutil.which("gcc") is None,
                                reason="needs a C compiler")


def _graph() -> Graph:
    g = Graph()
    with g.as_default():
        x = placeholder("float32", [None, 3], name="x")
        n = placeholder("int32", [], name="n")
        b = placeholder("bool", [None], name="b")
        math.multiply(x, 2.0, name="double")                       # (None, 3): rows of the feed
        array.concat([x, x], 0, name="twice")                      # (None, 3) with 2x the rows
        math.reduce_sum(x, axis=0, name="column_sums")             # (3,): fully known
        math.add(n, 1, name="n_plus_one")                          # scalar
        math.logical_not(b, name="not_b")
        array.reshape(x, array.stack([n, -1]), name="reshaped")    # unknown shape
    return g


CASES = [  # feeds, fetches, values
    (["x"], ["double", "twice", "column_sums"], lambda r: [r.normal(size=(5, 3)).astype(np.float32)]),
    (["x"], ["double", "column_sums"], lambda r: [np.zeros((0, 3), np.float32)]),
    (["x", "n"], ["reshaped", "n_plus_one"], lambda r: [r.normal(size=(4, 3)).astype(np.float32), np.int32(2)]),
    (["b"], ["not_b"], lambda r: [r.normal(size=7) > 0]),
    (["x"], ["double"], lambda r: [r.normal(size=(2, 3))]),  # float64 values: converted, same as before
    (["x"], ["double"], lambda r: [np.asfortranarray(r.normal(size=(3, 3)).astype(np.float32))]),
    (["x"], ["double"], lambda r: [r.normal(size=(2, 3)).astype(">f4")]),  # big-endian: converted
    (["x"], ["double"], lambda r: [[[1.0, 2.0, 3.0]]]),                     # a list
    (["x"], ["double"], lambda r: [r.normal(size=(4, 6)).astype(np.float32)[:, ::2]]),  # strided view
]


@pytest.mark.parametrize("feeds,fetches,make", CASES)
def test_one_call_path_gives_what_the_per_call_path_gives(feeds, fetches, make):
    assert fastrun.available()
    session = Session(_graph())
    one_call = session.make_callable([f + ":0" for f in feeds], [f + ":0" for f in fetches])
    per_call = session.make_callable([f + ":0" for f in feeds], [f + ":0" for f in fetches])
    per_call._one_call = None
    assert one_call._one_call is not None
    values = make(np.random.default_rng(0))
    for _ in range(3):  # buffers are reused from the free list
        got, want = one_call(*values), per_call(*values)
        assert len(got) == len(want)
        for a, b in zip(got, want):
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_array_equal(a, b)


def test_runtime_errors_raise_and_the_next_call_works():
    session = Session(_graph())
    step = session.make_callable(["x:0", "n:0"], ["reshaped:0"])
    x = np.ones((4, 3), np.float32)
    with pytest.raises(errors.InvalidArgumentError):
        step(x, np.int32(5))  # 12 values cannot be 5 rows
    np.testing.assert_array_equal(step(x, np.int32(6))[0], np.ones((6, 2), np.float32))
    with pytest.raises(errors.InvalidArgumentError, match="expects shape"):
        step(np.ones((4, 2), np.float32), np.int32(2))
    with pytest.raises(TypeError, match="expected 2 feed value"):
        step(x)
    session.close()
    with pytest.raises(errors.FailedPreconditionError):
        step(x, np.int32(2))


def test_build_is_cached_by_source_hash_and_leaves_no_partial_file(tmp_path):
    first = fastrun.build(tmp_path)
    assert first is not None and first.parent == tmp_path
    stamp = first.stat().st_mtime_ns
    assert fastrun.build(tmp_path) == first and first.stat().st_mtime_ns == stamp
    assert sorted(p.name for p in tmp_path.iterdir()) == [first.name]


@pytest.mark.parametrize("env", [{"TFKG_FASTRUN": "0"}, {"CC": "/nonexistent/cc", "PATH": os.path.dirname(sys.executable)}])
def test_without_the_helper_prepared_calls_take_the_per_call_path(tmp_path, env):
    script = """
import numpy as np
from tfkg_graph.graph import Graph, math, placeholder
from tfkg_graph.runtime import Session, fastrun
g = Graph()
with g.as_default():
    math.multiply(placeholder("float32", [None, 2], name="x"), 3.0, name="y")
step = Session(g).make_callable(["x:0"], ["y:0"])
assert not fastrun.available() and step._one_call is None
print(step(np.ones((2, 2), np.float32))[0].tolist())
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env, "TFKG_CACHE_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[[3.0, 3.0], [3.0, 3.0]]"
    assert not list(tmp_path.iterdir())


def test_short_runs_keep_the_gil_and_give_the_same_results_and_errors():
    """A size class measured under the plan's limit runs with the GIL kept: same numbers, same errors,
    from several threads at once."""
    session = Session(_graph())
    step = session.make_callable(["x:0", "n:0"], ["reshaped:0", "n_plus_one:0"])
    per_call = session.make_callable(["x:0", "n:0"], ["reshaped:0", "n_plus_one:0"])
    per_call._one_call = None
    plan = step._one_call.plan
    plan.hold_below_ns = 10**12
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    want = per_call(x, np.int32(2))
    step(x, np.int32(2))  # the first run of a feed size is measured with the GIL released
    assert plan.held_runs == 0

    def serve() -> None:
        for _ in range(200):
            got = step(x, np.int32(2))
            np.testing.assert_array_equal(got[0], want[0])
            assert got[1] == want[1]

    threads = [threading.Thread(target=serve) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert plan.held_runs == 800
    with pytest.raises(errors.InvalidArgumentError):
        step(x, np.int32(5))
    np.testing.assert_array_equal(step(x, np.int32(6))[0], x.reshape(6, 2))


def test_graphs_with_ops_that_may_wait_always_release_the_gil():
    """A dequeue may wait for another Python thread to enqueue: keeping the GIL there would deadlock."""
    g = _graph()
    with g.as_default():
        g.create_op("FIFOQueueV2", [], {"component_types": ["float32"]}, name="queue")
    assert Session(g).make_callable(["x:0"], ["double:0"])._one_call.plan.may_wait
    assert not Session(_graph()).make_callable(["x:0"], ["double:0"])._one_call.plan.may_wait


def test_a_size_class_whose_held_run_ran_long_releases_the_gil_from_then_on():
    """The choice is per feed size (powers of two of the bytes fed); a held run a hundred times over the limit
    (a cost that depends on the values) sends its size class back to releasing, for good."""
    session = Session(_graph())
    step = session.make_callable(["x:0"], ["double:0"])._one_call
    plan = step.plan
    small, large = np.ones((1, 3), np.float32), np.ones((64, 3), np.float32)
    plan.hold_below_ns = 0  # measure only
    step((small,))
    step((large,))
    classes = [small.nbytes.bit_length(), large.nbytes.bit_length()]
    assert [i for i in range(65) if plan.fastest_ns[i]] == classes and plan.held_runs == 0
    plan.hold_below_ns = 2
    plan.fastest_ns[classes[0]] = 1  # measured as instant: held, and a run takes far over 100 x 2 ns
    step((small,))
    assert plan.held_runs == 1 and plan.fastest_ns[classes[0]] == fastrun.NEVER_HOLD
    plan.hold_below_ns = 10**12
    step((small,))
    step((large,))
    assert plan.held_runs == 2  # the large class holds now; the small one never again


def test_without_python_headers_prepared_calls_take_the_per_call_path(tmp_path):
    """A machine with a compiler but no Python headers (no python3-dev): no build, same results."""
    script = """
import numpy as np
from tfkg_graph.runtime import fastrun
fastrun._include_dirs = lambda: None
from tfkg_graph.graph import Graph, math, placeholder
from tfkg_graph.runtime import Session
g = Graph()
with g.as_default():
    math.multiply(placeholder("float32", [None, 2], name="x"), 3.0, name="y")
session = Session(g)
step = session.make_callable(["x:0"], ["y:0"])
assert not fastrun.available() and step._one_call is None and session.guard is None
print(step(np.ones((2, 2), np.float32))[0].tolist())
session.close()
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "TFKG_CACHE_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[[3.0, 3.0], [3.0, 3.0]]"
    assert not list(tmp_path.iterdir())
