"""The graph builder: OpDef validation, names and scopes, NodeDef contents, determinism, import into
TF Python, a trainable MLP, and initializers against Keras' distributions."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from tfkg_graph.autodiff import gradients
from tfkg_graph.graph import Graph, GraphBuildError, Variable, array, constant, math, nn, placeholder
from tfkg_graph.graph.ops import state
from tfkg_graph.runtime import Session


# ---- validation -----------------------------------------------------------------------------------
def _graph_with_inputs():
    g = Graph()
    with g.as_default():
        x = placeholder("float32", (2, 3), name="x")
        s = placeholder("string", (2, 3), name="s")
    return g, x, s


BAD_NODES = {
    "unknown op type": (lambda g, x, s: g.create_op("MatMulPlusPlus", [x, x], name="mm"),
                        r"unknown op type 'MatMulPlusPlus' \(node 'mm'\)"),
    "too few inputs": (lambda g, x, s: g.create_op("MatMul", [x], name="mm"),
                       r"'mm' \(MatMul\) takes 2 input\(s\) \(a, b\), got 1"),
    "too many inputs": (lambda g, x, s: g.create_op("Relu", [x, x], name="r"), r"'r' \(Relu\) takes 1 input"),
    "mismatched input dtypes": (lambda g, x, s: g.create_op("AddV2", [x, constant(np.ones((2, 3)))], name="a"),
                                r"'a' \(AddV2\): input 'y' must be float32, but 'Const:0' is float64"),
    "not a tensor": (lambda g, x, s: g.create_op("Relu", [np.ones(3)], name="r"), r"'features' is ndarray"),
    "disallowed type": (lambda g, x, s: g.create_op("MatMul", [s, s], name="mm"),
                        r"string is not allowed for attr 'T'"),
    "unknown attr": (lambda g, x, s: g.create_op("Relu", [x], {"alpha": 0.1}, name="r"), r"no attr 'alpha'"),
    "bad attr value": (lambda g, x, s: g.create_op("Squeeze", [x], {"squeeze_dims": ["a"]}, name="sq"),
                       r"attr 'squeeze_dims' \(list\(int\)\) cannot be \['a'\]"),
    "string not allowed": (lambda g, x, s: g.create_op("BiasAdd", [x, x], {"data_format": "NCWH"}, name="b"),
                           r"data_format.*\['NHWC', 'NCHW'\].*'NCWH'"),
    "below minimum": (lambda g, x, s: g.create_op("Split", [constant(np.int32(0)), x], {"num_split": 0},
                                                  name="sp"), r"'num_split' must be >= 1, got 0"),
    "list input too short": (lambda g, x, s: g.create_op("ConcatV2", [[x], constant(np.int32(0))], name="c"),
                             r"'N' must be >= 2, got 1"),
    "missing required attr": (lambda g, x, s: g.create_op("Cast", [x], name="c"), r"needs attr 'DstT'"),
    "invalid node name": (lambda g, x, s: g.create_op("Relu", [x], name="bad name!"), r"not a valid"),
    "static shapes": (lambda g, x, s: math.matmul(x, x), r"inner dimensions differ"),
}


@pytest.mark.parametrize("case", sorted(BAD_NODES))
def test_invalid_nodes_raise_graph_build_error_naming_the_problem(case):
    make, pattern = BAD_NODES[case]
    g, x, s = _graph_with_inputs()
    with g.as_default(), pytest.raises(GraphBuildError, match=pattern):
        make(g, x, s)
    assert {op.type for op in g.operations} <= {"Placeholder", "Const"}, "the bad node was added"


def test_defaults_and_inferred_type_attrs_are_filled_like_tf_python():
    g, x, _ = _graph_with_inputs()
    node = math.matmul(x, x, transpose_b=True).op.to_node_def()
    assert node.attr["T"].type == 1 and node.attr["transpose_b"].b and not node.attr["transpose_a"].b
    assert "grad_a" in node.attr  # defaults written out, as TF Python does


# ---- names, scopes, devices, control dependencies ------------------------------------------------
def test_names_are_unique_and_scopes_nest_like_tf():
    g = Graph()
    with g.as_default():
        x = placeholder("float32", (None, 2), name="x")
        with g.name_scope("dense") as first:
            k1 = Variable(np.ones((2, 2), np.float32), name="kernel")
            y1 = math.matmul(x, k1.value())
        with g.name_scope("dense") as second:
            k2 = Variable(np.ones((2, 2), np.float32), name="kernel")
        with g.name_scope("Dense") as third:  # TF compares names case-insensitively
            pass
        with g.name_scope("outer"):
            with g.name_scope("inner") as nested:
                r1, r2 = nn.relu(x), nn.relu(x)
        with g.name_scope("dense/"):  # re-entering an existing scope exactly
            again = nn.relu(x)
    assert (first, second, third, nested) == ("dense/", "dense_1/", "Dense_2/", "outer/inner/")
    assert (k1.name, k2.name) == ("dense/kernel", "dense_1/kernel")
    assert k1.handle.op.name == "dense/kernel" and k1.handle.op.type == "VarHandleOp"
    assert k1.initializer.name.startswith("dense/kernel/")
    assert y1.op.name == "dense/MatMul"
    assert (r1.op.name, r2.op.name, again.op.name) == ("outer/inner/Relu", "outer/inner/Relu_1", "dense/Relu")
    names = [op.name for op in g.operations]
    assert len(names) == len(set(names))
    with pytest.raises(GraphBuildError, match="'dense/kernel' already exists"):
        g.create_op("NoOp", name="dense/kernel", exact_name=True)


def test_device_scopes_and_control_dependencies_reach_the_node_def():
    g = Graph()
    with g.as_default():
        x = placeholder("float32", (2,), name="x")
        first = nn.relu(x, name="first")
        with g.device("/device:CPU:1"):
            on_cpu1 = nn.relu(x, name="on_cpu1")
            with g.device("/device:CPU:0"):
                inner = nn.relu(x, name="inner")
        with g.control_dependencies([first]):
            after = nn.relu(x, name="after")
            with g.control_dependencies([on_cpu1.op]):
                after_both = nn.relu(x, name="after_both")
            with g.control_dependencies(None):
                free = nn.relu(x, name="free")
    nodes = {n.name: n for n in g.as_graph_def().node}
    assert nodes["on_cpu1"].device == "/device:CPU:1" and nodes["inner"].device == "/device:CPU:0"
    assert nodes["first"].device == "" and nodes["after"].device == ""
    assert list(nodes["after"].input) == ["x", "^first"]
    assert list(nodes["after_both"].input) == ["x", "^first", "^on_cpu1"]
    assert list(nodes["free"].input) == ["x"]
    assert after.op.control_inputs == [first.op] and not free.op.control_inputs


# ---- a whole model: determinism, TF import, training ------------------------------------------------
def build_mlp(seed: int = 3) -> tuple[Graph, dict]:
    """Two dense layers, softmax cross entropy, and plain gradient descent as assign_sub ops."""
    g = Graph(seed=seed)
    with g.as_default():
        x = placeholder("float32", (None, 4), name="x")
        labels = placeholder("int32", (None,), name="labels")
        h, params = x, []
        for units, activation in ((16, nn.relu), (3, None)):
            with g.name_scope("dense"):
                fan_in = h.shape[1]
                kernel = Variable(lambda: state.GlorotUniform()((fan_in, units), graph=g), name="kernel")
                bias = Variable(lambda: state.Zeros()((units,), graph=g), name="bias")
                h = nn.bias_add(math.matmul(h, kernel.value()), bias.value())
                h = activation(h) if activation else h
            params += [kernel, bias]
        with g.name_scope("loss"):
            loss = math.reduce_mean(nn.sparse_softmax_cross_entropy_with_logits(labels, h), name="value")
        grads = gradients(loss, params)
        with g.name_scope("optimizer"):
            rate = constant(np.float32(0.2), name="learning_rate")
            train = array.group([p.assign_sub(gr * rate) for p, gr in zip(params, grads)], name="train")
        init = array.group([p.initializer for p in params], name="init")
    return g, {"loss": loss, "train": train, "init": init, "params": params}


def blobs(n: int = 90) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    labels = np.arange(n, dtype=np.int32) % 3
    centres = np.array([[2, 0, 0, 1], [0, 2, 1, 0], [-2, -1, 0, 0]], np.float32)
    return (centres[labels] + rng.normal(0, 0.7, (n, 4))).astype(np.float32), labels


def test_same_model_gives_identical_graph_def_bytes():
    assert build_mlp()[0].to_bytes() == build_mlp()[0].to_bytes()
    assert build_mlp()[0].to_text() == build_mlp()[0].to_text()
    assert build_mlp(seed=3)[0].to_bytes() != build_mlp(seed=4)[0].to_bytes()


def test_mlp_trains_with_gradient_descent_ops_and_tf_python_agrees_on_the_graph(tf):
    g, parts = build_mlp()
    x, y = blobs()
    feed = {"x:0": x, "labels:0": y}
    with Session(g) as sess:
        sess.run([], targets=[parts["init"].name])
        losses = []
        for _ in range(60):
            losses.append(sess.run(parts["loss"].name, feed))
            sess.run([], feed, targets=[parts["train"].name])
    assert losses[-1] < 0.3 * losses[0], losses[::10]
    assert all(b <= a + 1e-6 for a, b in zip(losses, losses[1:]))  # small steps: monotone on this data

    # the same bytes imported by TF Python: same initial loss, same first step
    graph_def = tf.compat.v1.GraphDef.FromString(g.to_bytes())
    tf_graph = tf.Graph()
    with tf_graph.as_default():
        tf.compat.v1.import_graph_def(graph_def, name="")
    with tf.compat.v1.Session(graph=tf_graph) as tf_sess:
        tf_sess.run("init")
        tf_losses = []
        for _ in range(3):
            tf_losses.append(tf_sess.run(parts["loss"].name, feed))
            tf_sess.run("optimizer/train", feed)
    np.testing.assert_allclose(tf_losses, losses[:3], rtol=1e-5)


# ---- initializers against Keras -------------------------------------------------------------------
INITIALIZERS = {
    "glorot_uniform": state.GlorotUniform, "glorot_normal": state.GlorotNormal,
    "he_uniform": state.HeUniform, "he_normal": state.HeNormal,
    "lecun_uniform": state.LecunUniform, "lecun_normal": state.LecunNormal,
    "random_normal": state.RandomNormal, "random_uniform": state.RandomUniform,
    "truncated_normal": state.TruncatedNormal,
}
SHAPE = (120, 250)  # fans differ, so fan_in / fan_out / fan_avg mix-ups show


def sample(initializer, shape=SHAPE, count: int = 1, seed: int | None = 11) -> list[np.ndarray]:
    g = Graph(seed=seed)
    with g.as_default():
        values = [initializer(shape, "float32", g) for _ in range(count)]
    with Session(g) as sess:
        return sess.run([v.name for v in values])


@pytest.mark.parametrize("name", sorted(INITIALIZERS))
def test_initializer_matches_keras_distribution(name):
    keras = pytest.importorskip("keras")
    ours = sample(INITIALIZERS[name](seed=5))[0]
    theirs = np.asarray(getattr(keras.initializers, INITIALIZERS[name].__name__)(seed=5)(SHAPE))
    assert ours.shape == theirs.shape == SHAPE and ours.dtype == np.float32
    result = stats.ks_2samp(ours.ravel(), theirs.ravel())
    assert result.pvalue > 1e-3, f"KS statistic {result.statistic:.4f}"
    assert abs(ours.mean() - theirs.mean()) < 0.02 * theirs.std() + 1e-4
    assert abs(ours.std() / theirs.std() - 1) < 0.02
    # support: uniform and truncated distributions share their bounds
    lo, hi = theirs.min(), theirs.max()
    if "uniform" in name or name.endswith("normal") and name != "random_normal":
        span = hi - lo
        assert ours.min() >= lo - 0.01 * span and ours.max() <= hi + 0.01 * span


def test_initializers_are_reproducible_and_differ_between_ops():
    init = state.GlorotUniform(seed=42)
    a1, a2 = sample(init, count=2)
    (b1, b2) = sample(state.GlorotUniform(seed=42), count=2)
    np.testing.assert_array_equal(a1, b1)   # same seed, same op position -> same values
    np.testing.assert_array_equal(a2, b2)
    assert not np.allclose(a1, a2)          # a different op draws different values
    assert not np.allclose(sample(state.GlorotUniform(seed=43))[0], a1)
    u1, u2 = sample(state.HeNormal(), seed=7)[0], sample(state.HeNormal(), seed=8)[0]
    assert not np.allclose(u1, u2)          # unseeded ops follow the graph seed


@pytest.mark.parametrize("dtype", ["float64", "int64", "float32", "int32"])
def test_one_hot_has_the_dtype_it_was_asked_for(dtype, tf):
    """One-hot's on/off values used to go through a numpy scalar that constant() narrowed to 32 bits."""
    g = Graph()
    with g.as_default():
        t = array.one_hot(constant(np.array([1, 2, 0], np.int32)), 3, dtype=dtype)
    got = Session(g).run(t)
    want = tf.one_hot([1, 2, 0], 3, dtype=dtype).numpy()
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
