"""The runtime: numpy <-> TF_Tensor conversion, error mapping, isolation from TF Python, memory,
devices and SavedModels written by TF Python."""
from __future__ import annotations

import json
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest
from conftest import run_python

from tfkg_graph.graph import Graph, Variable, array, constant, math, placeholder
from tfkg_graph.runtime import Session, SessionConfig, errors


def _identity_session(dtype: str, shape) -> Session:
    g = Graph()
    with g.as_default():
        array.identity(placeholder(dtype, shape, name="x"), name="y")
    return Session(g)


def _extremes(dtype: str) -> np.ndarray:
    dt = np.dtype(dtype)
    if dt.kind == "f":
        info = np.finfo(dt)
        return np.array([[info.min, -0.0, info.tiny], [info.max, np.inf, np.nan]], dtype=dt)
    if dt.kind == "b":
        return np.array([[True, False, True], [False, False, True]])
    info = np.iinfo(dt)
    return np.array([[info.min, 0, 1], [info.max, info.max - 1, info.min + 1]], dtype=dt)


NUMERIC = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16",
           "uint32", "uint64", "bool"]


@pytest.mark.parametrize("dtype", NUMERIC + ["bfloat16"])
def test_numeric_dtypes_round_trip_exactly(dtype):
    value = (np.array([[-3.0e38, -0.0, 1e-38], [3.0e38, np.inf, np.nan]], dtype=ml_dtypes.bfloat16)
             if dtype == "bfloat16" else _extremes(dtype))
    sess = _identity_session(dtype, (None, 3))
    for v in (value, value[:0], value[:1]):
        out = sess.run("y:0", {"x:0": v})
        assert out.dtype == v.dtype and out.shape == v.shape
        assert out.tobytes() == v.tobytes()   # bit exact, NaN and -0.0 included


def test_scalars_round_trip():
    for dtype in NUMERIC:
        v = _extremes(dtype)[1, 0]
        out = _identity_session(dtype, ()).run("y:0", {"x:0": np.asarray(v)})
        assert out.shape == () and out.dtype == np.dtype(dtype) and out.tobytes() == np.asarray(v).tobytes()


STRINGS = [b"", "h\u00e9llo \u4e16\u754c".encode(), b"x" * 23, b"y" * 1000, b"a\x00b\x00", b"\x00", b"\xff\xfe"]


def test_strings_round_trip_bytes_exactly():
    sess = _identity_session("string", (None,))
    out = sess.run("y:0", {"x:0": np.array(STRINGS, dtype=object)})
    assert out.dtype == object and list(out) == STRINGS
    grid = np.array(STRINGS[:6], dtype=object).reshape(2, 3)
    out = _identity_session("string", None).run("y:0", {"x:0": grid})
    assert out.shape == (2, 3) and out.tolist() == grid.tolist()
    assert _identity_session("string", ()).run("y:0", {"x:0": np.array(b"z" * 40, dtype=object)}) == b"z" * 40


def test_strings_made_by_tf_kernels_come_back():
    g = Graph()
    with g.as_default():
        parts = [placeholder("string", (2,), name="a"), placeholder("string", (2,), name="b")]
        g.create_op("StringJoin", [parts], {"separator": " -- a separator past 22 bytes -- "}, name="joined")
    with Session(g) as sess:
        out = sess.run("joined:0", {"a:0": np.array([b"x", b""], object),
                                    "b:0": np.array([b"\x00", b"y" * 30], object)})
    assert out.tolist() == [b"x -- a separator past 22 bytes -- \x00", b" -- a separator past 22 bytes -- " + b"y" * 30]


def test_long_strings_fed_into_a_variable_outlive_the_feed():
    """TF may keep sharing a fed tensor after the run; its strings must not be freed under it."""
    values = np.array([b"q" * 50, b"short", "\u00e9".encode() * 20], dtype=object)
    g = Graph()
    with g.as_default():
        v = Variable(np.array([b""] * 3, dtype=object), dtype="string", name="v")
        feed, assign = v.assign_from_feed()
        read = v.value()
    with Session(g) as sess:
        sess.run([], targets=[v.initializer.name])
        sess.run([], {feed.name: values}, targets=[assign.name])
        assert sess.run(read.name).tolist() == values.tolist()


# ---- errors: the right class, a clear message, and never a crash --------------------------------
NASTY = r"""
import json, numpy as np
from tfkg_graph.graph import Graph, array, math, placeholder, constant
from tfkg_graph.runtime import Session, errors

g = Graph()
with g.as_default():
    x = placeholder("float32", (None, 3), name="x")
    s = placeholder("string", (2,), name="s")
    n = placeholder("int8", (), name="n")
    i = placeholder("int32", (None,), name="i")
    y = math.reduce_sum(x, name="y")
    n_twice = math.add(n, n, name="n_twice")
    gathered = array.gather(constant(np.arange(4, dtype=np.float32)), i, name="gathered")
    reshaped = array.reshape(x, array.stack([constant(np.int32(5)), constant(np.int32(-1))]), name="reshaped")
    quotient = math.floor_div(constant(np.array([7, 8], np.int32)), i, name="quotient")
sess = Session(g)
x_ok = np.ones((2, 3), np.float32)
cases = {
    "wrong_dtype_feed": lambda: sess.run("y:0", {"x:0": np.array([["a", "b", "c"]])}),
    "float_into_int_feed": lambda: sess.run("n_twice:0", {"n:0": np.float64(1.5)}),
    "int_out_of_range_feed": lambda: sess.run("n_twice:0", {"n:0": np.int64(300)}),
    "wrong_rank_feed": lambda: sess.run("y:0", {"x:0": np.ones(3, np.float32)}),
    "wrong_dim_feed": lambda: sess.run("y:0", {"x:0": np.ones((2, 4), np.float32)}),
    "missing_fetch_op": lambda: sess.run("nope:0", {"x:0": x_ok}),
    "missing_fetch_index": lambda: sess.run("y:7", {"x:0": x_ok}),
    "missing_feed": lambda: sess.run("y:0"),
    "feed_unknown_name": lambda: sess.run("y:0", {"x:0": x_ok, "ghost:0": x_ok}),
    "index_out_of_range_at_run_time": lambda: sess.run("gathered:0", {"i:0": np.array([1, 9], np.int32)}),
    "bad_reshape_at_run_time": lambda: sess.run("reshaped:0", {"x:0": x_ok}),
    "integer_division_by_zero": lambda: sess.run("quotient:0", {"i:0": np.array([1, 0], np.int32)}),
    "garbage_graph_def": lambda: Session(b"\x08\xff\xff not a graph"),
    "missing_saved_model": lambda: Session.from_saved_model("/nonexistent/model"),
    "wrong_feed_count": lambda: sess.make_callable(["x:0"], ["y:0"])(),
}
for name, fn in cases.items():
    try:
        fn()
        print(json.dumps([name, None, ""]))
    except Exception as e:
        print(json.dumps([name, type(e).__name__, str(e)]))
sess.close()
try:
    sess.run("y:0", {"x:0": x_ok})
    print(json.dumps(["closed_session", None, ""]))
except Exception as e:
    print(json.dumps(["closed_session", type(e).__name__, str(e)]))
"""

EXPECTED = {
    "wrong_dtype_feed": ("InvalidArgumentError", r"'x:0'.*float32"),
    "float_into_int_feed": ("InvalidArgumentError", r"'n:0'.*int8.*float64"),
    "int_out_of_range_feed": ("InvalidArgumentError", r"'n:0'.*int8.*out of its range"),
    "wrong_rank_feed": ("InvalidArgumentError", r"'x:0'.*\(None, 3\).*\(3,\)"),
    "wrong_dim_feed": ("InvalidArgumentError", r"'x:0'.*\(None, 3\).*\(2, 4\)"),
    "missing_fetch_op": ("NotFoundError", r"'nope'"),
    "missing_fetch_index": ("NotFoundError", r"'y:7'"),
    "missing_feed": ("InvalidArgumentError", r"placeholder.*'?x'?"),
    "feed_unknown_name": ("NotFoundError", r"'ghost'"),
    "index_out_of_range_at_run_time": ("InvalidArgumentError", r"9"),
    "bad_reshape_at_run_time": ("InvalidArgumentError", r"reshape|Reshape"),
    "integer_division_by_zero": ("InvalidArgumentError", r"[Dd]ivision by zero"),
    "garbage_graph_def": ("", r"GraphDef|parse|graph"),
    "missing_saved_model": ("NotFoundError", r"/nonexistent/model"),
    "wrong_feed_count": ("TypeError", r"expected 1 feed"),
    "closed_session": ("FailedPreconditionError", r"closed"),
}


@pytest.fixture(scope="module")
def nasty_results():
    proc = run_python(NASTY)
    assert proc.returncode == 0, f"process died (exit {proc.returncode}): {proc.stderr[-2000:]}"
    return {name: (cls, msg) for name, cls, msg in (json.loads(line) for line in proc.stdout.splitlines()
                                                    if line.startswith("["))}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_bad_input_raises_the_right_error_without_crashing(nasty_results, case):
    import re
    cls_name, pattern = EXPECTED[case]
    got_cls, message = nasty_results[case]
    assert got_cls is not None, f"{case}: no exception"
    if cls_name:
        assert got_cls == cls_name, f"{case}: {got_cls}: {message}"
    else:
        assert hasattr(errors, got_cls) or got_cls in ("GraphBuildError", "ValueError", "DecodeError"), message
    assert re.search(pattern, message), f"{case}: {message!r} does not match {pattern!r}"


def test_integer_feeds_are_cast_only_when_every_value_fits():
    g = Graph()
    with g.as_default():
        math.add(placeholder("int8", (None,), name="n"), placeholder("int8", (None,), name="m"), name="sum")
    with Session(g) as sess:
        fits = sess.run("sum:0", {"n:0": np.array([100, -100], np.int64), "m:0": np.array([27, -28])})
        assert fits.dtype == np.int8 and fits.tolist() == [127, -128]
        with pytest.raises(errors.InvalidArgumentError, match="out of its range"):
            sess.run("sum:0", {"n:0": np.array([128]), "m:0": np.array([0])})


def test_error_classes_are_python_exceptions_too():
    assert issubclass(errors.InvalidArgumentError, ValueError)
    assert issubclass(errors.NotFoundError, LookupError)
    assert all(errors.BY_CODE[cls.code] is cls for cls in errors.TFError.__subclasses__())


# ---- isolation and memory -------------------------------------------------------------------------
def test_building_and_running_never_imports_tensorflow_python():
    proc = run_python("""
        import sys, numpy as np
        import tfkg_graph
        from tfkg_graph.graph import Graph, placeholder, math
        from tfkg_graph.autodiff import gradients
        from tfkg_graph.runtime import Session
        g = Graph()
        with g.as_default():
            x = placeholder("float32", (2,), name="x")
            y = math.reduce_sum(math.tanh(x) * x)
            (gx,) = gradients(y, [x])
        print(Session(g).run([gx.name], {"x:0": np.ones(2, np.float32)})[0].sum() > 0)
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras", "tf_keras")))
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "[]"]


LEAK_CHECK = """
    import os, numpy as np
    from tfkg_graph.graph import Graph, placeholder, array, math
    from tfkg_graph.runtime import Session

    def rss_mb():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    g = Graph()
    with g.as_default():
        s = placeholder("string", (None,), name="s")
        x = placeholder("float32", (None, 8), name="x")
        array.identity(s, name="s_out")
        math.reduce_sum(x * x, axis=1, name="x_out")
    step = Session(g).make_callable(["s:0", "x:0"], ["s_out:0", "x_out:0"])
    strings = np.array([b"a long string well past the small-string size %d" % i for i in range(16)], dtype=object)
    floats = np.random.default_rng(0).standard_normal((16, 8)).astype(np.float32)
    for _ in range(1000):  # warm up allocator pools and caches
        step(strings, floats)
    before = rss_mb()
    for _ in range(20000):
        out = step(strings, floats)
    assert out[0].tolist() == strings.tolist()
    print(rss_mb() - before)
"""


def test_repeated_runs_with_string_and_float_feeds_do_not_leak():
    """16 strings of ~50 bytes per step: a leak of the fed or fetched strings would cost > 15 MB."""
    proc = run_python(LEAK_CHECK, timeout=300)
    assert proc.returncode == 0, proc.stderr
    growth_mb = float(proc.stdout.split()[-1])
    assert growth_mb < 4.0, f"RSS grew by {growth_mb:.1f} MB over 20000 runs"


# ---- devices and SavedModels ------------------------------------------------------------------
def test_virtual_cpu_devices_are_listed_and_usable():
    g = Graph()
    with g.as_default():
        with g.device("/device:CPU:3"):
            y = math.reduce_sum(placeholder("float32", (3,), name="x"), name="y")
    with Session(g, config=SessionConfig(cpu_devices=4)) as sess:
        cpus = sorted(d.name for d in sess.list_devices() if d.device_type == "CPU")
        assert [c.rsplit("/", 1)[-1] for c in cpus] == [f"device:CPU:{i}" for i in range(4)]
        assert sess.run(y.name, {"x:0": np.array([1, 2, 3], np.float32)}) == 6.0


def test_graph_rewrites_reach_tf_and_leave_results_unchanged(tf):
    """``graph_rewrites`` becomes RewriterConfig fields TF reads (TF's own ConfigProto is the oracle), and a
    graph grappler would rewrite (constant subexpressions, x*1) computes the same in every mode."""
    from tensorflow.core.protobuf import config_pb2, rewriter_config_pb2
    expected = {"default": {}, "one_pass": {"meta_optimizer_iterations": rewriter_config_pb2.RewriterConfig.ONE},
                "off": {"disable_meta_optimizer": True}}
    g = Graph()
    with g.as_default():
        x = placeholder("float32", (None, 3), name="x")
        y = math.reduce_sum((x * 1.0 + (constant(2.0) * constant(3.0))) * x, name="y")
    feed = {"x:0": np.arange(6, dtype=np.float32).reshape(2, 3)}
    results = []
    for mode, fields in expected.items():
        theirs = config_pb2.ConfigProto.FromString(SessionConfig(graph_rewrites=mode).to_proto().SerializeToString())
        rewrites = theirs.graph_options.rewrite_options
        assert rewrites == rewriter_config_pb2.RewriterConfig(**fields), mode
        with Session(g, config=SessionConfig(graph_rewrites=mode)) as sess:
            results.append(sess.run(y.name, feed))
    assert results == [float(((feed["x:0"] + 6.0) * feed["x:0"]).sum())] * 3
    with pytest.raises(ValueError, match="graph_rewrites must be 'default', 'one_pass' or 'off', got 'fast'"):
        SessionConfig(graph_rewrites="fast").to_proto()


def test_large_model_graphs_cut_grappler_down(monkeypatch):
    """An RNN unrolled over many steps makes a large graph: its session runs without grappler (a small
    model keeps TF's default) and its train step updates every weight. Other large graphs get one
    grappler pass; recurrent layers count inside wrappers and nested models too."""
    from tfkg_graph import layers, models
    from tfkg_graph.models import runtime

    def tagger(steps):
        inputs = layers.Input((steps,), dtype="int32")
        model = models.Model(inputs, layers.Dense(1)(layers.SimpleRNN(4, unroll=True)(layers.Embedding(5, 2)(inputs))))
        model.compile(optimizer="sgd", loss="mse")
        return model
    for steps, mode in ((3, "default"), (300, "off")):
        model = tagger(steps)
        tokens = np.arange(4 * steps).reshape(4, steps).astype(np.int32) % 5
        before = model.get_weights()
        assert np.isfinite(model.train_on_batch(tokens, np.ones(4)))
        assert all(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
        assert (len(model.runtime.graph.operations) > runtime.LARGE_GRAPH_OPS) == (mode == "off")
        assert model.runtime.session.config.graph_rewrites == mode
    monkeypatch.setattr(runtime, "LARGE_GRAPH_OPS", 10)  # every graph counts as large
    inner = models.Sequential([layers.Input((3, 2)), layers.Bidirectional(layers.GRU(2, unroll=True))])
    inputs = layers.Input((3, 2))
    for model, mode in ((models.Sequential([layers.Input((2,)), layers.Dense(3)]), "one_pass"),
                        (models.Model(inputs, layers.Dense(1)(inner(inputs))), "off")):
        model.predict(np.ones((1, *model.inputs[0].shape[1:]), np.float32), verbose=0)
        assert model.runtime.session.config.graph_rewrites == mode


def test_saved_model_written_by_tf_python_predicts_what_tf_predicts(tf, tmp_path):
    export_dir = str(tmp_path / "model")
    rng = np.random.default_rng(3)
    x_value = rng.standard_normal((5, 4)).astype(np.float32)
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, (None, 4), name="x")
        w = tf.compat.v1.get_variable("w", initializer=rng.standard_normal((4, 3)).astype(np.float32))
        b = tf.compat.v1.get_variable("b", initializer=rng.standard_normal(3).astype(np.float32))
        y = tf.nn.softmax(tf.matmul(x, w) + b, name="y")
        with tf.compat.v1.Session(graph=graph) as tf_sess:
            tf_sess.run(tf.compat.v1.global_variables_initializer())
            expected = tf_sess.run(y, {x: x_value})
            builder = tf.compat.v1.saved_model.Builder(export_dir)
            signature = tf.compat.v1.saved_model.predict_signature_def({"x": x}, {"y": y})
            builder.add_meta_graph_and_variables(tf_sess, ["serve"], signature_def_map={"serving_default": signature})
            builder.save()
    sess, meta = Session.from_saved_model(export_dir)
    with sess:
        sig = meta.signature_def["serving_default"]
        got = sess.run(sig.outputs["y"].name, {sig.inputs["x"].name: x_value})
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_the_parsed_c_api_declarations_match_their_source(tmp_path):
    """_capi.py is generated from capi_cdef.CDEF (python -m tfkg_graph.runtime.capi_cdef): regenerate it
    after editing the declarations. Loading the runtime then needs no pycparser."""
    from tfkg_graph.runtime import capi_cdef
    fresh = tmp_path / "_capi.py"
    capi_cdef.write_module(str(fresh))
    committed = Path(capi_cdef.__file__).with_name("_capi.py")
    assert fresh.read_text() == committed.read_text()
    proc = run_python("import sys, tfkg_graph.runtime as r; r.version(); print('pycparser' in sys.modules)")
    assert proc.returncode == 0 and proc.stdout.split()[-1] == "False", proc.stderr


def test_run_takes_graph_objects_and_tensors_iterate_only_over_a_known_first_dim():
    """Session.run(tensor) used to iterate the Tensor through ``[]`` forever, adding slices until memory ran
    out; graph objects are now names, and a Tensor iterates like a graph tf.Tensor."""
    from tfkg_graph.graph import Graph, math, placeholder
    g = Graph()
    with g.as_default():
        x = placeholder("float32", [None, 2], name="x")
        y = math.multiply(x, 2.0)
        rows = placeholder("float32", [3, 2], name="rows")
    with pytest.raises(TypeError, match="not iterable"):
        iter(x)
    assert len(list(rows)) == 3 and [r.shape for r in rows] == [(2,)] * 3
    with Session(g) as s:
        value = np.ones((2, 2), np.float32)
        np.testing.assert_array_equal(s.run(y, {x: value}), value * 2)
        both = s.run([y, y.name], {"x:0": value})
        np.testing.assert_array_equal(both[1], both[0])
        with pytest.raises(TypeError, match="graph Tensor"):
            s.run([3], {x: value})
