"""SavedModels we write, read by TF Python; SavedModels TF writes, run by us; safety and freezing."""
import json
import os

import numpy as np
import pytest

from tfkg_graph.autodiff import gradients
from tfkg_graph.graph import Graph, Variable, array, constants, math
from tfkg_graph.runtime import Session
from tfkg_graph.saving import checkpoint as ckpt
from tfkg_graph.saving import savedmodel as sm
from tfkg_graph.saving.safety import UnsafeGraphError, check_graph_def

RNG = np.random.default_rng(1)
X = RNG.standard_normal((5, 4)).astype(np.float32)
Y = RNG.standard_normal((5, 2)).astype(np.float32)
SW = np.array([1, 0.5, 2, 1, 0], np.float32)
LR = 0.1


def linear_model():
    """y = x @ W + b with a weighted-MSE SGD train step, wired as the three signatures."""
    g = Graph(seed=3)
    with g.as_default():
        x = constants.placeholder("float32", (None, 4), name="x")
        labels = constants.placeholder("float32", (None, 2), name="labels")
        sw = constants.placeholder("float32", (None,), name="sample_weight")
        w = Variable(RNG.standard_normal((4, 2)).astype(np.float32), name="dense/kernel")
        b = Variable(np.zeros(2, np.float32), name="dense/bias")
        with g.name_scope("dense"):
            y = math.add(math.matmul(x, w.value()), b.value(), name="output")
        with g.name_scope("loss"):
            per_sample = math.reduce_mean(math.square(y - labels), axis=1)
            loss = math.reduce_sum(per_sample * sw) / math.cast(array.shape(x)[0], "float32")
        grads = gradients(loss, [w, b])
        with g.name_scope("optimizer"):
            step = array.group([v.assign_sub(gr * LR) for v, gr in zip((w, b), grads)], name="step")
        with g.control_dependencies([step]):
            train_loss = array.identity(loss, name="train_loss")
        reads = [w.value(name="read_kernel").name, b.value(name="read_bias").name]
        saver = ckpt.Saver([w, b])
    sess = Session(g)
    sess.run([], targets=[w.initializer.name, b.initializer.name])
    sigs = {sm.SERVING: sm.Signature({"x": x}, {"output": y}),
            "train": sm.Signature({"x": x, "labels": labels, "sample_weight": sw}, {"loss": train_loss},
                                  "tensorflow/serving/regress"),
            "evaluate": sm.Signature({"x": x, "labels": labels, "sample_weight": sw}, {"loss": loss},
                                     "tensorflow/serving/regress")}
    return g, sess, saver, sigs, reads


@pytest.fixture
def exported(tmp_path):
    g, sess, saver, sigs, reads = linear_model()
    path = sm.write_saved_model(str(tmp_path / "model"), g, sess, saver, sigs)
    return path, g, sess, saver, sigs, reads


def test_tf_serving_signature_returns_our_predictions(exported, tf):
    path, g, sess, _, sigs, _ = exported
    ours = sess.run(sigs[sm.SERVING].outputs["output"].name, {"x:0": X})
    loaded = tf.saved_model.load(path)
    theirs = loaded.signatures[sm.SERVING](x=tf.constant(X))["output"].numpy()
    np.testing.assert_allclose(theirs, ours, rtol=1e-6)


def test_tf_train_signature_steps_like_ours(exported, tf):
    path, g, sess, _, sigs, reads = exported
    loaded = tf.saved_model.load(path)
    read = loaded.prune([], ["dense/kernel/Read/ReadVariableOp:0", "dense/bias/Read/ReadVariableOp:0"])
    feeds = {"x": X, "labels": Y, "sample_weight": SW}
    for _ in range(3):
        tf_loss = loaded.signatures["train"](**{k: tf.constant(v) for k, v in feeds.items()})["loss"].numpy()
        our_loss = sess.run(sigs["train"].outputs["loss"].name, {f"{k}:0": v for k, v in feeds.items()})
        np.testing.assert_allclose(tf_loss, our_loss, rtol=1e-6)
    for theirs, ours in zip(read(), sess.run(reads)):
        np.testing.assert_allclose(theirs.numpy(), ours, rtol=1e-6)


def test_signature_json_and_our_loader(exported):
    path, g, sess, _, sigs, _ = exported
    meta = json.load(open(os.path.join(path, sm.SIGNATURES_FILE)))
    assert meta["signatures"]["train"]["inputs"]["labels"] == {"name": "labels:0", "dtype": "float32",
                                                              "shape": [None, 2]}
    predictor = sm.SavedModelPredictor(path)
    np.testing.assert_allclose(predictor.predict(X), sess.run("dense/output:0", {"x:0": X}), rtol=1e-6)


def test_tf_exported_v1_savedmodel_predicts_like_tf(tmp_path, tf):
    export = str(tmp_path / "tf_v1")
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, (None, 4), name="x")
        w = tf.compat.v1.get_variable("w", initializer=tf.constant(RNG.standard_normal((4, 3)).astype(np.float32)),
                                      use_resource=True)
        y = tf.nn.softmax(tf.nn.relu(tf.matmul(x, w)) + 0.5, name="probs")
        with tf.compat.v1.Session(graph=graph) as s:
            s.run(tf.compat.v1.global_variables_initializer())
            expected = s.run(y, {x: X})
            builder = tf.compat.v1.saved_model.Builder(export)
            builder.add_meta_graph_and_variables(s, ["serve"], signature_def_map={
                sm.SERVING: tf.compat.v1.saved_model.predict_signature_def({"x": x}, {"probs": y})})
            builder.save()
    np.testing.assert_allclose(sm.SavedModelPredictor(export).predict(X), expected, rtol=1e-6)


def test_forbidden_ops_are_refused_by_name(exported, tmp_path):
    path = exported[0]
    meta = sm.read_saved_model(path)
    check_graph_def(meta.graph_def, meta.saver_def)  # our own graphs pass
    node = meta.graph_def.node.add(name="steal", op="ReadFile", input=["save/Const"])
    meta.graph_def.node.add(name="py", op="PyFunc")
    with pytest.raises(UnsafeGraphError, match=r"PyFunc \(py\); ReadFile \(steal\)"):
        check_graph_def(meta.graph_def, meta.saver_def)
    check_graph_def(meta.graph_def, meta.saver_def, allow_ops=["ReadFile", "PyFunc"])
    node.op = "SaveV2"  # a file op not fed by the saver's filename tensor
    node.input[:] = ["x"]
    with pytest.raises(UnsafeGraphError, match="SaveV2"):
        check_graph_def(meta.graph_def, meta.saver_def, allow_ops=["PyFunc"])


def test_broken_savedmodels_fail_clearly(exported, tmp_path):
    path = exported[0]
    import shutil
    broken = str(tmp_path / "broken")
    shutil.copytree(path, broken)
    shutil.rmtree(os.path.join(broken, "variables"))
    with pytest.raises(sm.SavedModelError, match="no variables/ directory"):
        sm.SavedModelPredictor(broken)
    with pytest.raises(sm.SavedModelError, match="does not exist"):
        sm.SavedModelPredictor(str(tmp_path / "nowhere"))
    shutil.copytree(path, broken, dirs_exist_ok=True)
    with open(os.path.join(broken, sm.VARIABLES_PREFIX + ".index"), "r+b") as f:
        f.truncate(20)
    with pytest.raises(sm.SavedModelError, match="corrupt checkpoint index"):
        sm.SavedModelPredictor(broken)
    with open(os.path.join(broken, sm.SAVED_MODEL_FILE), "wb") as f:
        f.write(b"\x0a\xff garbage")
    with pytest.raises(sm.SavedModelError, match="corrupt"):
        sm.read_saved_model(broken)


def test_crash_mid_save_keeps_previous_savedmodel(exported, monkeypatch):
    path, g, sess, saver, sigs, _ = exported
    before = open(os.path.join(path, sm.SAVED_MODEL_FILE), "rb").read()

    def crash(tmp):
        raise RuntimeError("killed")
    with pytest.raises(RuntimeError, match="killed"):
        sm.write_saved_model(path, g, sess, saver, sigs, extra=crash)
    assert open(os.path.join(path, sm.SAVED_MODEL_FILE), "rb").read() == before
    assert os.listdir(os.path.dirname(path)) == ["model"]
    sm.write_saved_model(path, g, sess, saver, sigs)  # overwriting works and leaves no temp dirs
    assert os.listdir(os.path.dirname(path)) == ["model"]


def test_frozen_graph_runs_in_tf_without_variables(exported, tf):
    path, g, sess, _, sigs, _ = exported
    frozen = sm.freeze(sess, g.as_graph_def(), ["dense/output:0"])
    assert not {n.op for n in frozen.node} & {"VarHandleOp", "ReadVariableOp"}
    graph = tf.Graph()
    with graph.as_default():
        gd = tf.compat.v1.GraphDef.FromString(frozen.SerializeToString())
        out, = tf.compat.v1.import_graph_def(gd, return_elements=["dense/output:0"], name="")
        with tf.compat.v1.Session(graph=graph) as s:
            got = s.run(out, {"x:0": X})
    np.testing.assert_allclose(got, sess.run("dense/output:0", {"x:0": X}), rtol=1e-6)


def test_every_op_we_emit_passes_the_safety_check():
    """Every op type with a gradient rule (or declared non-differentiable) is one we emit: a model using it
    must load in safe mode, so each is on the allowlist (or is a saver op the loader drives)."""
    import tfkg_graph.ops  # noqa: F401 - registers the rules of every op family
    from tfkg_graph.autodiff import RULES
    from tfkg_graph.saving.safety import SAFE_OPS, SAVER_OPS
    assert not sorted(set(RULES) - SAFE_OPS - set(SAVER_OPS))
