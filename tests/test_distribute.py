"""Data-parallel and multi-worker training against the single-device run of the same model.

The oracle is our single-device training (itself checked against Keras in test_models): the same
initial weights and global batches must give the same weights after replicated training.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tfkg_graph import distribute, layers, models, regularizers
from tfkg_graph.callbacks import Callback
from tfkg_graph.distribute import server as server_mod

ROWS, FEATURES, CLASSES = 50, 5, 3  # batch 16 -> batches of 16, 16, 16 and 2 (< 4 replicas)


def make_model() -> models.Model:
    return models.Sequential([
        layers.Input((FEATURES,)),
        layers.Dense(8, activation="relu", kernel_regularizer=regularizers.L2(0.01), name="hidden"),
        layers.Dense(CLASSES, activation="softmax", name="probs"),
    ], name="mlp")


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(ROWS, FEATURES)).astype("float32")
    y = rng.integers(0, CLASSES, ROWS)
    sample_weight = rng.uniform(0.5, 2.0, ROWS).astype("float32")
    return x, y, sample_weight


def compiled(initial, strategy=None) -> models.Model:
    if strategy is None:
        model = make_model()
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    else:
        with strategy.scope():
            model = make_model()
            model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.set_weights(initial)
    return model


@pytest.fixture(scope="module")
def reference():
    """Initial weights and the single-device run: (initial, weights per epoch count, history)."""
    x, y, sw = data()
    initial = make_model().get_weights()
    model = compiled(initial)
    after = {}
    for epoch in range(4):
        model.fit(x, y, sample_weight=sw, batch_size=16, epochs=epoch + 1, initial_epoch=epoch, shuffle=False,
                  verbose=0)
        after[epoch + 1] = model.get_weights()
    return initial, after


def assert_weights_close(got, want, atol=1e-5):
    assert len(got) == len(want)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, atol=atol, rtol=0)


def test_four_virtual_cpus_match_one_device(reference):
    initial, after = reference
    x, y, sw = data()
    single = compiled(initial)
    single_logs = single.fit(x, y, sample_weight=sw, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    strategy = distribute.MirroredStrategy([f"/device:CPU:{i}" for i in range(4)])
    assert strategy.num_replicas_in_sync == 4
    model = compiled(initial, strategy)
    logs = model.fit(x, y, sample_weight=sw, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    assert_weights_close(model.get_weights(), after[2])
    for key in ("loss", "accuracy"):
        np.testing.assert_allclose(logs[key], single_logs[key], rtol=1e-5)
    runtime = model.runtime
    assert len(runtime.session.list_devices()) == 4
    placed = {op.device for op in runtime.graph.operations if op.name.startswith("replica_3/")}
    assert placed == {"/device:CPU:3"}
    assert model.distribute_strategy is strategy and single.distribute_strategy is None


def test_batch_smaller_than_replicas_and_evaluate(reference):
    initial, _ = reference
    x, y, sw = data()
    single, mirrored = compiled(initial), compiled(initial, distribute.MirroredStrategy(
        [f"/device:CPU:{i}" for i in range(4)]))
    for model in (single, mirrored):
        model.train_on_batch(x[:3], y[:3], sample_weight=sw[:3])  # replica 0 gets no rows
    assert_weights_close(mirrored.get_weights(), single.get_weights())
    np.testing.assert_allclose(mirrored.evaluate(x, y, verbose=0), single.evaluate(x, y, verbose=0), rtol=1e-5)


@pytest.mark.parametrize("devices, problem", [
    (["/device:CPU:0", "/device:CPU:0"], "distinct"),
    (["cpu0"], "bad device"),
])
def test_mirrored_strategy_rejects_bad_devices(devices, problem):
    with pytest.raises(ValueError, match=problem):
        distribute.MirroredStrategy(devices)


def test_tf_config_and_server_command_errors(capsys):
    spec = distribute.ClusterSpec.from_tf_config(json.dumps({
        "cluster": {"chief": ["a:1"], "worker": ["b:2", "c:3"], "ps": ["d:4"]}, "task": {"type": "chief", "index": 0}}))
    assert spec.is_chief and spec.target("worker", 1) == "grpc://c:3"
    assert {job.name: dict(job.tasks) for job in spec.to_proto().job} == {
        "chief": {0: "a:1"}, "ps": {0: "d:4"}, "worker": {0: "b:2", 1: "c:3"}}
    for bad, problem in [("{", "not valid JSON"), ('{"cluster": {}}', "no 'cluster'"),
                         ('{"cluster": {"worker": ["nohost"]}}', "host:port"),
                         ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "ps"}}', "not a job")]:
        with pytest.raises(ValueError, match=problem):
            distribute.ClusterSpec.from_tf_config(bad)
    assert server_mod.main(["--cluster", '{"worker": ["a:1"]}', "--job", "worker", "--task", "3"]) == 2
    assert "out of range" in capsys.readouterr().err


def test_variables_and_their_slots_share_a_parameter_server():
    strategy = distribute.ParameterServerStrategy(distribute.ClusterSpec(
        {"worker": ["127.0.0.1:1"], "ps": ["127.0.0.1:2", "127.0.0.1:3"]}))
    place = strategy.variable_device
    got = [place("VarHandleOp", name) for name in
           ["hidden/kernel", "hidden/bias", "probs/kernel", "optimizer/iterations", "optimizer/hidden/bias/m",
            "optimizer/probs/kernel/v"]]
    ps0, ps1 = "/job:ps/task:0/device:CPU:0", "/job:ps/task:1/device:CPU:0"
    assert got == [ps0, ps1, ps0, ps1, ps1, ps0]
    assert place("MatMul", "hidden/MatMul") == ""


@pytest.fixture(scope="module")
def cluster():
    with distribute.local_cluster(workers=2, ps=1) as c:
        yield c


def test_training_across_worker_processes_matches_one_process(reference, cluster):
    initial, after = reference
    x, y, sw = data()
    strategy = distribute.ParameterServerStrategy(cluster.spec)
    model = compiled(initial, strategy)
    model.fit(x, y, sample_weight=sw, batch_size=16, epochs=2, shuffle=False, verbose=0)
    assert_weights_close(model.get_weights(), after[2])
    devices = {op.name: op.device for op in model.runtime.graph.operations if op.type == "VarHandleOp"}
    assert set(devices.values()) == {"/job:ps/task:0/device:CPU:0"} and "optimizer/hidden/kernel/momentum" in devices
    assert {op.device for op in model.runtime.graph.operations if op.name.startswith("replica_1/")} == {
        "/job:worker/task:1/device:CPU:0"}


class KillWorker(Callback):
    def __init__(self, cluster, epoch, batch):
        super().__init__()
        self.cluster, self.at, self.epoch = cluster, (epoch, batch), None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            self.cluster.kill("worker", 1)


def test_killed_worker_gives_clear_error_and_resume_finishes(reference, cluster, tmp_path):
    initial, after = reference
    x, y, sw = data()
    backup = tmp_path / "backup"
    model = compiled(initial, distribute.ParameterServerStrategy(cluster.spec))
    with pytest.raises(distribute.WorkerUnavailableError, match=r"/job:worker/replica:0/task:1 is unavailable") as e:
        model.fit(x, y, sample_weight=sw, batch_size=16, epochs=4, shuffle=False, verbose=0,
                  callbacks=[distribute.BackupAndRestore(backup), KillWorker(cluster, epoch=2, batch=1)])
    assert e.value.task == "/job:worker/replica:0/task:1"
    assert sorted(os.listdir(backup)) == ["checkpoint", *sorted(f"ckpt-{i}.{s}" for i in (1, 2) for s in
                                                                ("data-00000-of-00001", "index"))]
    cluster.restart("worker", 1)
    resumed = compiled(make_model().get_weights(), distribute.ParameterServerStrategy(cluster.spec))
    history = resumed.fit(x, y, sample_weight=sw, batch_size=16, epochs=4, shuffle=False, verbose=0,
                          callbacks=[distribute.BackupAndRestore(backup)])
    assert history.epoch == [2, 3]
    assert_weights_close(resumed.get_weights(), after[4])
    assert not backup.exists()  # delete_checkpoint after a finished run, as Keras


CHIEF_SCRIPT = """
import sys
import numpy as np
sys.path.insert(0, {tests!r})
import test_distribute as t
from tfkg_graph import distribute
x, y, sw = t.data()
strategy = distribute.ParameterServerStrategy()  # cluster and task from TF_CONFIG
model = t.compiled(list(np.load(sys.argv[1]).values()), strategy)
model.fit(x, y, sample_weight=sw, batch_size=16, epochs=2, shuffle=False, verbose=0)
np.savez(sys.argv[2], *model.get_weights())
print(strategy.target)
"""


def test_chief_process_configured_by_tf_config(reference, tmp_path):
    """The documented deployment: tasks run `python -m tfkg_graph.server`, the chief runs the training
    script with TF_CONFIG naming it, serves its own address and is the master."""
    initial, after = reference
    script, init, out = tmp_path / "train.py", tmp_path / "initial.npz", tmp_path / "trained.npz"
    script.write_text(CHIEF_SCRIPT.format(tests=os.path.dirname(os.path.abspath(__file__))))
    np.savez(init, *initial)
    with distribute.local_cluster(workers=2, ps=1, chief=True) as cluster:
        tf_config = {"cluster": cluster.spec.jobs, "task": {"type": "chief", "index": 0}}
        done = subprocess.run([sys.executable, str(script), str(init), str(out)], capture_output=True, text=True,
                              timeout=120, env={**os.environ, "TF_CONFIG": json.dumps(tf_config)})
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split()[-1] == "grpc://" + cluster.spec.jobs["chief"][0]
    assert_weights_close(list(np.load(out).values()), after[2])
