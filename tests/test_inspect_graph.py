"""tfkg_graph.inspect (tfkg-inspect) against independent oracles: our builder's own objects, TF Python's protos,
loaders and checkpoint readers, Keras' layer parameter counts, and Graphviz's rendered SVG."""
from __future__ import annotations

import json
import math
import os
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from tfkg_graph.autodiff import gradients
from tfkg_graph.graph import Graph, Variable, array, math as tmath, nn, placeholder
from tfkg_graph.runtime import protos
from tfkg_graph.saving import bundle
from tfkg_graph import inspect as ig

REPO = Path(__file__).resolve().parents[1]


def build_mlp(hidden: int = 8):
    """An MLP with gradients and a plain SGD step under optimizer/; records which build phase made
    each op so the tool's name-scope split can be checked against how the graph was really built."""
    g = Graph(seed=1)
    phase: dict[str, str] = {}

    def mark(name: str) -> None:
        for op in g.operations:
            phase.setdefault(op.name, name)

    with g.as_default():
        x = placeholder("float32", (None, 4), name="x")
        y = placeholder("int32", (None,), name="y")
        h, variables = x, []
        for scope, n_in, n_out, relu in (("dense", 4, hidden, True), ("dense_1", hidden, 3, False)):
            with g.name_scope(scope):
                k = Variable(np.full((n_in, n_out), 0.1, np.float32), name="kernel")
                b = Variable(np.zeros(n_out, np.float32), name="bias")
                h = nn.bias_add(tmath.matmul(h, k.value()), b.value())
                h = nn.relu(h) if relu else h
            variables += [k, b]
        mark("forward")
        with g.name_scope("loss"):
            loss = tmath.reduce_mean(nn.sparse_softmax_cross_entropy_with_logits(y, h))
        mark("loss")
        grads = gradients(loss, variables)
        mark("gradient")
        with g.name_scope("optimizer"):
            step = array.group([v.assign_sub(gr * 0.1) for gr, v in zip(grads, variables)], name="apply")
        mark("optimizer")
        array.group([v.initializer for v in variables], name="init")
        mark("init")
    return g, variables, h, loss, step, phase


def closure(op) -> set[str]:
    """Dependencies through the builder's own Operation objects (not through GraphDef text)."""
    seen, stack = set(), [op]
    while stack:
        cur = stack.pop()
        if cur.name in seen:
            continue
        seen.add(cur.name)
        stack += [t.op for t in cur.inputs] + list(cur.control_inputs)
    return seen


@pytest.fixture(scope="module")
def mlp(tmp_path_factory):
    g, variables, logits, loss, step, phase = build_mlp()
    path = tmp_path_factory.mktemp("mlp") / "mlp.pb"
    path.write_bytes(g.to_bytes())
    return {"graph": g, "variables": variables, "logits": logits, "loss": loss, "step": step, "phase": phase,
            "path": path}


def test_summary_of_builder_graph_matches_the_builder(mlp):
    g = mlp["graph"]
    s = ig.summarize(ig.load(mlp["path"]))
    assert s["kind"] == "GraphDef" and s["nodes"] == len(g.operations)
    assert s["op_types"] == dict(Counter(op.type for op in g.operations))
    assert {(i["name"], i["dtype"], tuple(i["shape"])) for i in s["inputs"]} == {
        ("x", "float32", (None, 4)), ("y", "int32", (None,))}
    want = {v.name: list(v.shape) for v in mlp["variables"]}
    assert {v["name"]: v["shape"] for v in s["variables"]} == want
    assert s["parameters"] == sum(math.prod(v.shape) for v in mlp["variables"])
    assert s["producer"] == g.as_graph_def().versions.producer > 0
    assert s["unknown_ops"] == [] and s["unsafe_ops"] == [] and s["safe_loading"] == "passes"
    assert {o["name"] for o in s["outputs"]} == {mlp["logits"].op.name, mlp["loss"].op.name}


def test_subgraph_splits_forward_gradient_optimizer_like_the_build_phases(mlp):
    art = ig.load(mlp["path"])
    s = ig.subgraph(art, ["optimizer/apply"])
    want = closure(mlp["step"])
    assert s["nodes"] == len(want)
    got = {n: part for part, names in s["parts"].items() for n in names}
    assert set(got) == want
    assert got == {n: mlp["phase"][n] for n in want}
    assert {"forward", "loss", "gradient", "optimizer"} <= set(s["parts"])
    assert sorted(s["feeds"]) == ["x", "y"]
    assert sorted(s["variables"]) == sorted(v.name for v in mlp["variables"])
    # forward only: the logits need no gradient or optimizer node
    fwd = ig.subgraph(art, [mlp["logits"].name])
    assert set(fwd["parts"]) == {"forward"} and fwd["feeds"] == ["x"]


def test_node_and_find(mlp):
    g, art = mlp["graph"], ig.load(mlp["path"])
    op = g.get_operation("dense/MatMul")
    n = ig.node_info(art, "dense/MatMul")
    assert n["op"] == "MatMul" and [i["name"] for i in n["inputs"]] == [t.op.name for t in op.inputs]
    assert n["attrs"]["T"] == "float32" and n["attrs"]["transpose_a"] is False
    assert set(n["consumers"]) == {o.name for o in g.operations if op in [t.op for t in o.inputs]}
    kernel = ig.node_info(art, "dense/kernel")
    assert kernel["attrs"]["shape"] == [4, 8] and kernel["attrs"]["dtype"] == "float32"
    assert {f["name"] for f in ig.find_nodes(art, op="AssignSubVariableOp")} == {
        o.name for o in g.operations if o.type == "AssignSubVariableOp"}
    assert {f["name"] for f in ig.find_nodes(art, name=r"^dense_1/")} == {
        o.name for o in g.operations if o.name.startswith("dense_1/")}
    with pytest.raises(ig.InspectError, match="no node named"):
        ig.node_info(art, "nope")


def test_file_reading_op_is_flagged_unsafe(mlp, tmp_path):
    g = build_mlp()[0]
    with g.as_default():
        g.create_op("ReadFile", [placeholder("string", (), name="path")], name="read")
    path = tmp_path / "reads_files.pb"
    path.write_bytes(g.to_bytes())
    s = ig.summarize(ig.load(path))
    assert s["unsafe_ops"] == ["ReadFile"]
    assert s["safe_loading"].startswith("refuses") and "ReadFile" in s["safe_loading"]


def test_text_graphdef_reads_like_binary(mlp, tmp_path):
    text = tmp_path / "mlp.pbtxt"
    text.write_text(mlp["graph"].to_text())
    assert ig.summarize(ig.load(text))["op_types"] == ig.summarize(ig.load(mlp["path"]))["op_types"]


def test_diff_reports_added_removed_changed_nodes(mlp, tmp_path):
    same = tmp_path / "same.pb"
    same.write_bytes(build_mlp()[0].to_bytes())
    assert ig.diff(ig.load(mlp["path"]), ig.load(same))["same"]
    assert ig.main(["diff", str(mlp["path"]), str(same)]) == 0

    g2 = build_mlp(hidden=6)[0]
    with g2.as_default():
        array.identity(g2.get_tensor("dense_1/BiasAdd:0"), name="probs")
    other = tmp_path / "other.pb"
    other.write_bytes(g2.to_bytes())
    d = ig.diff(ig.load(mlp["path"]), ig.load(other))
    names_a = {op.name for op in mlp["graph"].operations}
    names_b = {op.name for op in g2.operations}
    assert not d["same"]
    assert d["nodes"]["added"] == sorted(names_b - names_a) and "probs" in d["nodes"]["added"]
    assert d["nodes"]["removed"] == sorted(names_a - names_b)
    assert d["nodes"]["changed"]["dense/kernel"]["attrs"]["changed"]["shape"] == [[4, 8], [4, 6]]
    assert ig.main(["diff", str(mlp["path"]), str(other)]) == 1


def test_dot_collapses_scopes_and_expands_on_request(mlp):
    g, art = mlp["graph"], ig.load(mlp["path"])
    collapsed = ig.to_dot(art)
    groups = {op.name.split("/")[0] for op in g.operations}
    declared = {line.split('"')[1] for line in collapsed.splitlines() if line.startswith('  "') and "->" not in line}
    assert declared == groups
    assert '"dense" -> "dense_1";' in collapsed and '"x" -> "dense";' in collapsed
    expanded = ig.to_dot(art, expand=True)
    assert all(f'"{op.name}" [' in expanded for op in g.operations)
    assert 'subgraph "cluster_gradients/"' in expanded


def test_svg_of_builder_mlp(mlp, tmp_path):
    if ig.dot_available() is None:
        pytest.skip("Graphviz `dot` is not installed (apt-get install graphviz): SVG rendering not tested")
    out = tmp_path / "mlp.svg"
    assert ig.main(["svg", str(mlp["path"]), "-o", str(out)]) == 0
    ns = {"svg": "http://www.w3.org/2000/svg"}
    root = ET.parse(out).getroot()
    titles = {g.find("svg:title", ns).text for g in root.iter("{http://www.w3.org/2000/svg}g")
              if g.get("class") == "node"}
    assert titles == {op.name.split("/")[0] for op in mlp["graph"].operations}


def _keras_mlp():
    import keras
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu", name="dense"),
                              keras.layers.Dense(3, name="dense_1")])
    return model


def test_tfkg_model_dir_gets_a_keras_like_layer_summary(mlp, tmp_path, tf):
    """A model dir as model.save writes it: SavedModel + tfkg_model.json; Keras is the param oracle."""
    keras_model = _keras_mlp()
    g = mlp["graph"]
    meta = protos.MetaGraphDef()
    meta.meta_info_def.tags.append("serve")
    meta.graph_def.CopyFrom(g.as_graph_def())
    sig = meta.signature_def["serving_default"]
    sig.method_name = "tensorflow/serving/predict"
    sig.inputs["x"].name, sig.inputs["x"].dtype = "x:0", 1
    sig.inputs["x"].tensor_shape.dim.add(size=-1)
    sig.inputs["x"].tensor_shape.dim.add(size=4)
    sig.outputs["logits"].name, sig.outputs["logits"].dtype = mlp["logits"].name, 1
    for v in mlp["variables"]:
        meta.collection_def["trainable_variables"].bytes_list.value.append(
            protos.to_bytes(protos.VariableDef(variable_name=v.name + ":0", trainable=True, is_resource=True)))
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "saved_model.pb").write_bytes(protos.to_bytes(protos.SavedModel(meta_graphs=[meta])))
    (model_dir / "tfkg_model.json").write_text(keras_model.to_json())

    s = ig.summarize(ig.load(model_dir))
    assert s["kind"] == "tfkg_graph model"
    want = [(layer.name, type(layer).__name__, list(layer.output.shape), layer.count_params())
            for layer in keras_model.layers]
    assert [(r["name"], r["type"], r["output_shape"], r["params"]) for r in s["layers"]] == want
    assert [r["trainable_params"] for r in s["layers"]] == [layer.count_params() for layer in keras_model.layers]
    assert s["signatures"]["serving_default"]["inputs"]["x"] == {"name": "x:0", "dtype": "float32",
                                                                  "shape": [None, 4]}
    assert f"Total params: {keras_model.count_params():,}" in ig.format_summary(s)


# ---- artifacts written by TF Python -------------------------------------------------------------
@pytest.fixture(scope="module")
def tf1_saved_model(tmp_path_factory, tf):
    d = tmp_path_factory.mktemp("tf1")
    export = d / "export"
    with tf.Graph().as_default() as graph:
        x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
        w = tf.compat.v1.get_variable("w", [4, 3], initializer=tf.compat.v1.ones_initializer())
        b = tf.compat.v1.get_variable("b", [3], dtype=tf.float64, initializer=tf.compat.v1.zeros_initializer())
        probs = tf.nn.softmax(tf.matmul(x, w) + tf.cast(b, tf.float32), name="probs")
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            builder = tf.compat.v1.saved_model.Builder(str(export))
            sig = tf.compat.v1.saved_model.predict_signature_def({"x": x}, {"probs": probs})
            builder.add_meta_graph_and_variables(sess, ["serve"], signature_def_map={"serving_default": sig})
            builder.save()
        graph_def = graph.as_graph_def()
    (d / "graph.pb").write_bytes(graph_def.SerializeToString())
    (d / "graph.pbtxt").write_text(str(graph_def))
    return {"dir": export, "graph_def": graph_def, "root": d}


def test_tf1_graphdef_binary_and_text(tf1_saved_model, tf):
    gd = tf1_saved_model["graph_def"]
    for name in ("graph.pb", "graph.pbtxt"):
        s = ig.summarize(ig.load(tf1_saved_model["root"] / name))
        assert s["nodes"] == len(gd.node)
        assert s["op_types"] == dict(Counter(n.op for n in gd.node))
        assert s["producer"] == gd.versions.producer
        assert {v["name"]: (v["dtype"], v["shape"]) for v in s["variables"]} == {
            "w": ("float32", [4, 3]), "b": ("float64", [3])}
        assert "probs" in {o["name"] for o in s["outputs"]}


def test_tf1_saved_model_signatures_variables_checkpoint(tf1_saved_model, tf):
    from tensorflow.core.protobuf import saved_model_pb2
    export = tf1_saved_model["dir"]
    oracle = saved_model_pb2.SavedModel.FromString((export / "saved_model.pb").read_bytes()).meta_graphs[0]
    s = ig.summarize(ig.load(export))
    assert s["kind"] == "SavedModel" and s["tags"] == ["serve"]
    assert s["nodes"] == len(oracle.graph_def.node)
    assert s["op_types"] == dict(Counter(n.op for n in oracle.graph_def.node))
    assert s["tensorflow_version"] == tf.__version__
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        loaded = tf.compat.v1.saved_model.load(sess, ["serve"], str(export)).signature_def
    for key, sig in loaded.items():
        got = s["signatures"][key]
        assert got["method_name"] == sig.method_name
        for io in ("inputs", "outputs"):
            assert got[io] == {k: {"name": t.name, "dtype": tf.dtypes.as_dtype(t.dtype).name,
                                   "shape": tf.TensorShape(t.tensor_shape).as_list()}
                               for k, t in getattr(sig, io).items()}
    ckpt = str(export / "variables" / "variables")
    assert [(t["name"], t["shape"]) for t in s["checkpoint"]["tensors"]] == [
        (n, list(shape)) for n, shape in tf.train.list_variables(ckpt)]
    by_var = {v["name"]: v["checkpoint"] for v in s["variables"]}
    assert by_var["b"] == {"key": "b", "dtype": "float64", "shape": [3]}
    assert "RestoreV2" in s["op_types"]
    assert set(s["unsafe_ops"]) <= {"SaveV2", "RestoreV2", "MergeV2Checkpoints"}  # file ops, saver-driven only
    assert s["safe_loading"] == "passes"
    assert {v["name"] for v in s["variables"] if v["trainable"]} == {"w", "b"}


def test_tf2_saved_model_reports_functions(tmp_path, tf):
    class Affine(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(tf.ones([3, 2]), name="w")
            self.b = tf.Variable(tf.zeros([2], tf.float64), name="b")

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
        def __call__(self, x):
            return {"y": tf.nn.relu(x @ self.w + tf.cast(self.b, tf.float32))}

    export = tmp_path / "tf2"
    tf.saved_model.save(Affine(), str(export))
    from tensorflow.core.protobuf import saved_model_pb2
    oracle = saved_model_pb2.SavedModel.FromString((export / "saved_model.pb").read_bytes()).meta_graphs[0]
    art = ig.load(export)
    s = ig.summarize(art)
    functions = {f.signature.name: f for f in oracle.graph_def.library.function}
    assert {f["name"]: f["nodes"] for f in s["functions"]} == {k: len(f.node_def) for k, f in functions.items()}
    assert s["function_op_types"] == dict(Counter(n.op for f in functions.values() for n in f.node_def))
    assert {v["name"]: (v["dtype"], v["shape"]) for v in s["variables"]} == {
        "w": ("float32", [3, 2]), "b": ("float64", [2])}
    spec = tf.saved_model.load(str(export)).signatures["serving_default"]
    (x_spec,) = spec.structured_input_signature[1].values()
    assert s["signatures"]["serving_default"]["inputs"]["x"]["shape"] == x_spec.shape.as_list()
    assert s["signatures"]["serving_default"]["outputs"]["y"]["shape"] == spec.structured_outputs["y"].shape.as_list()
    matmuls = ig.find_nodes(art, op="MatMul")
    assert matmuls and all(m["function"] in functions for m in matmuls)
    assert ig.node_info(art, matmuls[0]["name"])["function"] == matmuls[0]["function"]


def test_checkpoint_index_matches_list_variables(tmp_path, tf):
    values = {f"v{i:02d}": tf.Variable(tf.zeros([i % 4 + 1, 3], tf.float32)) for i in range(40)}
    ckpt = tf.train.Checkpoint(step=tf.Variable(7, dtype=tf.int64), scale=tf.Variable([1.0, 2.0], dtype=tf.float64),
                               words=tf.Variable(["a", "b"]), **values)
    prefix = ckpt.write(str(tmp_path / "ckpt" / "model"))
    index = bundle.parse_index(prefix)
    assert [(t.name, list(t.shape)) for t in index.tensors] == [(n, s) for n, s in tf.train.list_variables(prefix)]
    dtype_map = tf.train.load_checkpoint(prefix).get_variable_to_dtype_map()
    assert {t.name: ig.dtype_name(t.dtype) for t in index.tensors} == {k: v.name for k, v in dtype_map.items()}
    # the tool finds it by prefix, by .index file and by directory (through the 'checkpoint' state file)
    managed = tf.train.CheckpointManager(ckpt, str(tmp_path / "managed"), max_to_keep=1).save()
    for path, real in ((prefix, prefix), (prefix + ".index", prefix), (tmp_path / "managed", managed)):
        s = ig.summarize(ig.load(path))
        assert s["kind"] == "checkpoint"
        assert [t["name"] for t in s["checkpoint"]["tensors"]] == [n for n, _ in tf.train.list_variables(real)]
    with pytest.raises(ig.InspectError, match="holds no graph"):
        ig.to_dot(ig.load(prefix))


def test_crc32c_check_value():
    assert bundle.crc32c(b"123456789") == 0xE3069283  # the standard CRC-32C check value


# ---- bad input ----------------------------------------------------------------------------------
def _snappy_flagged(index: bytes) -> bytes:
    """The same index with its first block's trailer claiming snappy (crc recomputed to match)."""
    data = bytearray(index)
    footer = data[-bundle.FOOTER_SIZE:]
    (_, _), pos = bundle._block_handle(bytes(footer), 0)
    (offset, size), _ = bundle._block_handle(bytes(footer), pos)  # index block
    (block_off, block_size), _ = bundle._block_handle(
        next(bundle._block_entries(bytes(data[offset:offset + size]), "index"))[1], 0)
    end = block_off + block_size
    data[end] = 1
    crc = bundle.crc32c(bytes(data[block_off:end + 1]))
    data[end + 1:end + 5] = struct.pack("<I", ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF)
    return bytes(data)


def test_corrupt_inputs_give_one_line_and_exit_2(tmp_path, tf1_saved_model, capsys):
    index = (tf1_saved_model["dir"] / "variables" / "variables.index").read_bytes()
    flipped = bytearray(index)
    flipped[10] ^= 0xFF
    broken_sm = tmp_path / "broken_sm"
    broken_sm.mkdir()
    whole = (tf1_saved_model["dir"] / "saved_model.pb").read_bytes()
    (broken_sm / "saved_model.pb").write_bytes(whole[: len(whole) // 2])
    cases = {
        "random.pb": (os.urandom(512), "not a GraphDef"),
        "empty.pb": (b"", "not a GraphDef"),
        "prose.pbtxt": (b"hello, I am not a graph\n", "not a GraphDef"),
        "flipped.index": (bytes(flipped), "crc32c"),
        "short.index": (index[:30], "too short"),
        "snappy.index": (_snappy_flagged(index), "snappy-compressed"),
    }
    for name, (data, message) in cases.items():
        (tmp_path / name).write_bytes(data)
    for path, message in [(tmp_path / n, m) for n, (_, m) in cases.items()] + [
            (broken_sm, "not a SavedModel"), (tmp_path / "missing.pb", "no such file"), (tmp_path, "not a SavedModel")]:
        assert ig.main(["summary", str(path)]) == 2, path
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err and "Traceback" not in err, (path, err)


# ---- as a program -------------------------------------------------------------------------------
def test_console_command_json_and_no_tensorflow_import(mlp):
    exe = Path(sys.executable).with_name("tfkg-inspect")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "tfkg_graph.inspect"]
    done = subprocess.run(cmd + ["--json", str(mlp["path"])], capture_output=True, text=True, timeout=120,
                          cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["nodes"] == len(mlp["graph"].operations)
    no_library = subprocess.run(cmd + ["--json", str(mlp["path"])], capture_output=True, text=True, timeout=120,
                                cwd=REPO, env={**os.environ, "TFKG_LIBTENSORFLOW": "/nonexistent/libtensorflow"})
    assert no_library.returncode == 0, no_library.stderr
    s = json.loads(no_library.stdout)
    assert s["unknown_ops"] is None and any("op registry unavailable" in n for n in s["notes"])
    assert s["nodes"] == len(mlp["graph"].operations)
    bad = subprocess.run(cmd + ["node", str(mlp["path"]), "missing"], capture_output=True, text=True,
                         timeout=120, cwd=REPO)
    assert bad.returncode == 2 and bad.stderr.startswith("tfkg-inspect: error:") and "Traceback" not in bad.stderr
    probe = subprocess.run([sys.executable, "-c", (
        "import sys, contextlib, io\n"
        "from tfkg_graph.inspect import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()): code = main(['summary', {str(mlp['path'])!r}])\n"
        "assert code == 0, code\n"
        "assert not [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')], 'TF imported'\n")],
        capture_output=True, text=True, timeout=120, cwd=REPO)
    assert probe.returncode == 0, probe.stderr
