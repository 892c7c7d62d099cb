"""Checkpoints written by our SaveV2 ops, read back by TF Python, Keras and our RestoreV2 ops."""
import os

import numpy as np
import pytest

from tfkg_graph.graph import Graph, Variable
from tfkg_graph.runtime import Session
from tfkg_graph.saving import checkpoint as ckpt
from tfkg_graph.saving.bundle import CheckpointError, list_variables

VALUES = {  # variable path -> value; one per dtype a model holds (weights, step counter, flags)
    "dense/kernel": np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32),
    "dense/bias": np.array([1e-38, -0.0, np.pi], np.float32),
    "optimizer/iterations": np.int64(2**40 + 3),
    "stats/count": np.arange(6, dtype=np.int32).reshape(2, 3),
    "stats/sum": np.array([1 / 3], np.float64),
}
KERAS_PATHS = {"dense/kernel": ["_operations/1/_kernel"], "dense/bias": ["_operations/1/bias"]}


def build(values=VALUES):
    """Variables holding ``values``, a Saver over them, and a read tensor per variable."""
    g = Graph()
    with g.as_default():
        variables = {k: Variable(np.asarray(v), dtype=np.asarray(v).dtype, name=k) for k, v in values.items()}
        reads = {k: v.value(name=k.replace("/", "_") + "_read").name for k, v in variables.items()}
        saver = ckpt.Saver(variables, object_paths=KERAS_PATHS)
    sess = Session(g)
    sess.run([], targets=[v.initializer.name for v in variables.values()])
    return sess, saver, variables, reads


def current(sess, reads):
    return dict(zip(reads, sess.run(list(reads.values()))))


@pytest.fixture
def saved(tmp_path):
    sess, saver, variables, reads = build()
    prefix = saver.save(sess, str(tmp_path / "ckpt-1"))
    return sess, saver, variables, reads, prefix


def test_tf_reads_every_variable_bit_exactly(saved, tf):
    _, _, _, _, prefix = saved
    reader = tf.train.load_checkpoint(prefix)
    keys = {k for k, _ in tf.train.list_variables(prefix)}
    assert keys == {ckpt.checkpoint_key(k) for k in VALUES} | {ckpt.OBJECT_GRAPH_KEY}
    for path, value in VALUES.items():
        got = reader.get_tensor(ckpt.checkpoint_key(path))
        assert got.dtype == np.asarray(value).dtype and got.tobytes() == np.asarray(value).tobytes()
    assert tf.train.latest_checkpoint(os.path.dirname(prefix)) == prefix
    assert list_variables(prefix) == sorted(tf.train.list_variables(prefix))


def test_keras_model_built_the_same_way_restores_it(saved, tf):
    import keras
    _, _, _, _, prefix = saved
    x = keras.Input((4,))
    model = keras.Model(x, keras.layers.Dense(3, name="dense")(x))
    tf.train.Checkpoint(model).restore(prefix).expect_partial()
    np.testing.assert_array_equal(model.layers[1].kernel.numpy(), VALUES["dense/kernel"])
    np.testing.assert_array_equal(model.layers[1].bias.numpy(), VALUES["dense/bias"])


def test_restore_brings_back_saved_values(saved):
    sess, saver, variables, reads, prefix = saved
    for v in variables.values():
        v.assign_from_feed()  # adds the feed/assign ops; the session below is made after them
    sess = Session(saver.graph)
    sess.run([], targets=[v.initializer.name for v in variables.values()])
    for path, v in variables.items():
        ph, assign = v.assign_from_feed()
        sess.run([], {ph.name: np.zeros_like(VALUES[path])}, targets=[assign.name])
    saver.restore(sess, os.path.dirname(prefix))  # a directory means its latest checkpoint
    for path, value in current(sess, reads).items():
        assert value.tobytes() == np.asarray(VALUES[path]).tobytes()
    assert ckpt.read_variables(prefix).keys() == VALUES.keys()


def corrupt(path, how):
    data = bytearray(open(path, "rb").read())
    if how == "truncate":
        data = data[: len(data) // 2]
    else:  # in .data: a byte of dense/kernel (the object graph, stored last, is never restored)
        data[20] ^= 0xFF
    open(path, "wb").write(bytes(data))


@pytest.mark.parametrize("suffix,how,match", [
    (".index", "truncate", "corrupt checkpoint index"),
    (".index", "flip", "fails its crc32c check"),
    (".data-00000-of-00001", "truncate", "past the end"),
    (".data-00000-of-00001", "flip", "cannot restore"),
])
def test_corrupt_files_fail_clearly_and_change_nothing(saved, suffix, how, match):
    sess, saver, variables, reads, prefix = saved
    before = current(sess, reads)
    corrupt(prefix + suffix, how)
    with pytest.raises(CheckpointError, match=match):
        saver.restore(sess, prefix)
    after = current(sess, reads)
    assert all(after[k].tobytes() == before[k].tobytes() for k in before)


def test_mismatched_checkpoint_names_the_variable(tmp_path):
    sess, saver, _, _ = build()
    prefix = saver.save(sess, str(tmp_path / "ckpt"))
    other = dict(VALUES, **{"dense/kernel": np.zeros((3, 3), np.float32)})
    sess2, saver2, _, _ = build(other)
    with pytest.raises(CheckpointError, match=r"'dense/kernel' is float32\[4, 3\] in the checkpoint but float32\[3, 3\]"):
        saver2.restore(sess2, prefix)
    fewer = {k: v for k, v in VALUES.items() if k != "stats/sum"}
    sess3, saver3, _, _ = build(dict(fewer, extra=np.zeros(2, np.float32)))
    with pytest.raises(CheckpointError, match="'extra' is missing"):
        saver3.restore(sess3, prefix)
    with pytest.raises(CheckpointError, match="no checkpoint"):
        saver.restore(sess, str(tmp_path / "nothing"))


def test_crash_mid_save_keeps_previous_checkpoint_current(saved, monkeypatch):
    sess, saver, _, _, prefix = saved
    directory = os.path.dirname(prefix)
    real_replace = os.replace

    def crash_on_index(src, dst):
        if dst.endswith(".index"):
            raise OSError("disk full")
        real_replace(src, dst)
    monkeypatch.setattr(os, "replace", crash_on_index)
    with pytest.raises(OSError, match="disk full"):
        saver.save(sess, os.path.join(directory, "ckpt-2"))
    monkeypatch.undo()
    assert ckpt.latest_checkpoint(directory) == prefix
    assert not [f for f in os.listdir(directory) if f.startswith(".tmp")]
    assert not os.path.exists(os.path.join(directory, "ckpt-2.index"))
    saver.restore(sess, directory)
