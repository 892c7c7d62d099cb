"""Synchronous data-parallel training: one graph, N replicas of the training step, one update.

``with strategy.scope(): model = ...; model.compile(...)`` (Keras' pattern) hands the strategy to the
model; when the model builds its graph (models/runtime.py) the strategy builds the training step:

- each global batch is split row-wise into N near-equal shares (the last, partial batch too; a share
  may be empty when the batch has fewer rows than replicas);
- replica i runs forward, loss and gradients under ``g.device(devices[i])`` and ``replica_i/``;
- gradients are averaged on the variable's device, replica i weighted by its share of rows, so the
  update equals the single-device gradient of the mean loss over the whole batch;
- one optimizer update is applied to the single set of variables.

The reported loss and the metrics are computed on the replicas' outputs gathered back into the
global batch, so logs are what single-device training reports. ``evaluate``/``predict`` run
unreplicated. BatchNormalization moving statistics follow replica 0's share (unsynchronized BN).
"""
from __future__ import annotations

import contextlib
import re
import socket
from dataclasses import replace
from typing import Any, Iterator, Sequence

from ..autodiff import gradients
from ..graph import Graph, Tensor
from ..graph.ops import array, constants, math
from ..layers.base import LOSSES, UPDATES
from ..models import runtime as model_runtime
from ..runtime import Session, SessionConfig, errors
from ..runtime.session import Callable
from .cluster import ClusterSpec
from .server import Server

_DEVICE = re.compile(r"^(/job:[\w-]+(/replica:\d+)?(/task:\d+)?)?(/device:(CPU|GPU):\d+)?$")


class MirroredStrategy:
    """Replicates the training step on local devices (``/device:GPU:i``, or virtual CPUs for tests)."""

    def __init__(self, devices: Sequence[str] | None = None):
        devices = list(devices or ["/device:CPU:0"])
        for d in devices:
            if not isinstance(d, str) or not _DEVICE.match(d) or d == "":
                raise ValueError(f"bad device {d!r}: expected e.g. '/device:CPU:0', '/device:GPU:1' or "
                                 "'/job:worker/task:0/device:CPU:0'")
        if len(set(devices)) != len(devices):
            raise ValueError(f"devices must be distinct, got {devices}")
        self.devices = devices
        self.target = ""

    @property
    def num_replicas_in_sync(self) -> int:
        return len(self.devices)

    @contextlib.contextmanager
    def scope(self) -> Iterator["MirroredStrategy"]:
        """Models created or compiled inside train with this strategy."""
        model_runtime.STRATEGY_STACK.append(self)
        try:
            yield self
        finally:
            model_runtime.STRATEGY_STACK.pop()

    # -- hooks the model runtime calls ---------------------------------------------------------------------
    def variable_device(self, op_type: str, name: str) -> str:
        """Device function for the model's graph: local variables stay unplaced (the placer puts them
        on the first device); other ops too, unless a replica scope places them."""
        return ""

    def session_config(self, config: SessionConfig) -> SessionConfig:
        """Enough virtual CPUs for the CPU devices named, and inter-op threads so replicas overlap."""
        cpus = [int(d.rsplit(":", 1)[1]) for d in self.devices if "/device:CPU:" in d and "/job:" not in d]
        return replace(config, cpu_devices=max([config.cpu_devices, *(i + 1 for i in cpus)]),
                       inter_op_threads=max(config.inter_op_threads, 0))

    def open_session(self, graph: Graph, config: SessionConfig) -> Session:
        return Session(graph, target=self.target, config=self.session_config(config))

    def build_train_step(self, runtime: Any, spec: Any, regularization: list[Tensor],
                         variables: list[Any]) -> tuple[Any, list[Tensor | None], list[Any]]:
        """Replicated forward/loss/gradients; returns (step graph, averaged gradients, update ops)."""
        g = runtime.graph
        feeds = runtime.inputs + runtime.targets + runtime.sample_weights
        n = len(self.devices)
        with g.name_scope("split"):
            rows = array.shape(feeds[0])[0]
            bounds = math.floor_div(constants.constant(list(range(n + 1)), dtype="int32") * rows, n)
            total_rows = math.cast(rows, "float32")
        replica_outputs, grads_per_replica, shares, layer_losses, updates = [], [], [], [], []
        for i, device in enumerate(self.devices):
            with g.device(device), g.name_scope(f"replica_{i}"):
                index = array.range_(bounds[i], bounds[i + 1])
                shard = [array.gather(t, index) for t in feeds]
                k, m = len(runtime.inputs), len(runtime.targets)
                losses_before, updates_before = (len(g.collections.get(c, [])) for c in (LOSSES, UPDATES))
                outputs = runtime.model.run_graph(shard[:k], training=True)
                own_losses = g.collections.get(LOSSES, [])[losses_before:]
                if i == 0:
                    updates = g.collections.get(UPDATES, [])[updates_before:]
                with g.name_scope("loss"):
                    total, _ = runtime._loss(spec, outputs, regularization + own_losses, shard[k:k + m], shard[k + m:])
                grads_per_replica.append(gradients(total, variables))
                share = math.cast(bounds[i + 1] - bounds[i], "float32") / total_rows
            replica_outputs.append(outputs)
            shares.append(share)
            layer_losses.append([(share, loss) for loss in own_losses])
        with g.device(self.devices[0]), g.name_scope("gather"):
            gathered = [array.concat([outs[j] for outs in replica_outputs], 0)
                        for j in range(len(replica_outputs[0]))]
            extra = [math.add_n([s * loss for s, loss in losses_j]) for losses_j in zip(*layer_losses)]
        with g.name_scope("loss"):
            loss = runtime._loss(spec, gathered, regularization + extra)
        step = model_runtime._StepGraph(*loss, runtime._metric_inputs(spec, gathered, "metrics"))
        with g.name_scope("average_gradients"):
            averaged = [self._average(g, grads, shares, var)
                        for grads, var in zip(zip(*grads_per_replica), variables)]
        return step, averaged, updates

    def _average(self, g: Graph, grads: Sequence[Tensor | None], shares: list[Tensor], var: Any) -> Tensor | None:
        """Row-share-weighted sum on the variable's device. With variables mirrored on several GPUs an
        NCCL all-reduce would replace this AddN; shared variables need one sum where they live."""
        if all(grad is None for grad in grads):
            return None
        with g.device(var.handle.op.device or self.devices[0]):
            return math.add_n([grad * share for grad, share in zip(grads, shares) if grad is not None])


class ParameterServerStrategy(MirroredStrategy):
    """Synchronous training across the tasks of a cluster (TF1-style in-graph replication).

    The chief (this process) builds one graph: one replica per worker task, variables and optimizer
    slots on the ``ps`` tasks (round robin; on worker 0 when the cluster has no ``ps`` job). It runs
    the graph through the master on the chief's own server (a ``chief`` job in the cluster) or on
    worker 0. If a task goes away mid-step the step raises :class:`WorkerUnavailableError` naming it.
    """

    def __init__(self, cluster: ClusterSpec | None = None, worker_device: str = "/device:CPU:0"):
        self.cluster = cluster if cluster is not None else ClusterSpec.from_tf_config()
        self.cluster.validate()
        if "worker" not in self.cluster.jobs:
            raise ValueError(f"the cluster needs a 'worker' job, got jobs {sorted(self.cluster.jobs)}")
        super().__init__([f"/job:worker/task:{i}{worker_device}" for i in range(len(self.cluster.jobs["worker"]))])
        self.variable_hosts = ([f"/job:ps/task:{i}/device:CPU:0" for i in range(len(self.cluster.jobs["ps"]))]
                               if "ps" in self.cluster.jobs else ["/job:worker/task:0/device:CPU:0"])
        self._hosts: dict[str, str] = {}
        self.server = None
        if "chief" in self.cluster.jobs:
            if not self.cluster.is_chief:
                raise ValueError("only the chief builds and runs the training graph; other tasks run "
                                 "`python -m tfkg_graph.server`")
            self.server = _chief_server(self.cluster)
            self.target = self.server.target
        else:
            self.target = self.cluster.target("worker", 0)

    def variable_device(self, op_type: str, name: str) -> str:
        """Variables round robin over the parameter servers; an optimizer slot
        (``optimizer/<variable>/<slot>``) joins its variable, as the update op needs both in one place."""
        if op_type != "VarHandleOp":
            return ""
        owner = name.split("/", 1)[1].rsplit("/", 1)[0] if name.startswith("optimizer/") else name
        if owner not in self._hosts:
            self._hosts[owner] = self.variable_hosts[len(self._hosts) % len(self.variable_hosts)]
        return self._hosts[owner]

    def session_config(self, config: SessionConfig) -> SessionConfig:
        return replace(config, inter_op_threads=max(config.inter_op_threads, 0))

    def open_session(self, graph: Graph, config: SessionConfig) -> Session:
        self._hosts.clear()  # the next graph places its variables afresh
        return ClusterSession(graph, self, config=self.session_config(config))

    def task_of(self, message: str) -> str:
        """The task that stopped answering: one whose port refuses connections, else the one the error
        message names (TF's message may name the reporting task rather than the dead one)."""
        tasks = [(f"/job:{job}/replica:0/task:{i}", address)
                 for job, addresses in self.cluster.jobs.items() for i, address in enumerate(addresses)]
        for task, address in tasks:
            if not _reachable(address):
                return task
        for task, address in tasks:
            if address in message:
                return task
        found = re.search(r"/job:[\w-]+/replica:\d+/task:\d+", message)
        return found.group(0) if found else "an unknown task"


_SERVERS: dict[str, Server] = {}  # servers live as long as the process (see server.py): one per address


def _chief_server(cluster: ClusterSpec) -> Server:
    address = cluster.jobs["chief"][0]
    if address not in _SERVERS:
        _SERVERS[address] = Server(cluster, "chief", 0).start()
    return _SERVERS[address]


class WorkerUnavailableError(errors.UnavailableError):
    """A cluster task stopped answering; the session is abandoned (restart it and resume)."""

    def __init__(self, task: str, detail: str):
        lines = [line for line in detail.splitlines() if line.strip() and not line.startswith("From /job:")]
        super().__init__(f"{task} is unavailable ({lines[0] if lines else 'no detail'}); the session is "
                         "abandoned: restart the task and resume from the last checkpoint "
                         "(distribute.BackupAndRestore)")
        self.task = task


_LOST = (errors.UnavailableError, errors.AbortedError, errors.DeadlineExceededError, errors.CancelledError)


class ClusterSession(Session):
    """A session on a grpc:// master whose calls turn a lost task into :class:`WorkerUnavailableError`.

    Closing a distributed session after one of its tasks died blocks inside TF (the master keeps
    retrying the dead task), so a failed session, or one whose tasks no longer answer when it is
    closed (e.g. garbage-collected after the cluster went away), is abandoned instead.
    """

    def __init__(self, graph: Graph, strategy: ParameterServerStrategy, config: SessionConfig):
        super().__init__(graph, target=strategy.target, config=config)
        self.strategy = strategy

    def make_callable(self, feeds: Sequence[str] = (), fetches: Sequence[str] = (),
                      targets: Sequence[str] = ()) -> "_GuardedCallable":
        return _GuardedCallable(self, list(feeds), list(fetches), list(targets))

    def close(self) -> None:
        if self._ptr is not None and not all(_reachable(a) for addrs in self.strategy.cluster.jobs.values()
                                             for a in addrs):
            self.forget()
        super().close()

    def abandon(self, error: errors.TFError) -> WorkerUnavailableError:
        self.forget()  # never closed: see the class docstring
        return WorkerUnavailableError(self.strategy.task_of(str(error)), str(error))


def _reachable(address: str, timeout: float = 1.0) -> bool:
    host, port = address.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
        return True
    except OSError:
        return False


class _GuardedCallable(Callable):
    def __call__(self, *values: Any) -> list:
        try:
            return super().__call__(*values)
        except _LOST as e:
            raise self.session.abandon(e) from None
