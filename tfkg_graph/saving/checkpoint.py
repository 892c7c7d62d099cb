"""Checkpoints as TF V2 bundles, written and read by SaveV2/RestoreV2 ops under ``save/``.

The ops mirror what ``tf.compat.v1.train.Saver`` builds (a ``save/Const`` filename tensor fed with the
prefix, ``save/control_dependency`` as the save target, ``save/restore_all``), so TF's own SavedModel
loader can restore our variables from the SaverDef. Besides the variables the bundle holds the TF2
object graph (``_CHECKPOINTABLE_OBJECT_GRAPH``), which lets ``tf.train.Checkpoint(obj).restore``
match our tensors to the attributes of Python objects built the same way (e.g. a Keras model).
"""
from __future__ import annotations

import os
import time
import uuid
from typing import Any, Mapping, Sequence

import numpy as np

from .._io import atomic_write
from ..graph import Graph, Operation
from ..graph.ops import array, constants
from ..graph.ops.state import Variable
from ..runtime import dtypes, errors, protos
from .bundle import INDEX_SUFFIX, CheckpointError, data_files, describe, read_index

OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"
STATE_FILE = "checkpoint"
_ATTRIBUTE = "/.ATTRIBUTES/VARIABLE_VALUE"  # TF's restore finds the saveable name by this suffix


def checkpoint_key(path: str) -> str:
    """The bundle key of a variable path: ``dense/kernel`` -> ``dense/kernel/.ATTRIBUTES/VARIABLE_VALUE``."""
    return path + _ATTRIBUTE


def variable_path(key: str) -> str:
    return key[:-len(_ATTRIBUTE)] if key.endswith(_ATTRIBUTE) else key


def object_graph(paths: Mapping[str, Sequence[str]]) -> bytes:
    """A serialized TrackableObjectGraph: for each variable path, the object paths that reach it.

    ``{"dense/kernel": ["_operations/1/_kernel"]}`` makes root -> _operations -> 1 -> _kernel, a node
    whose VARIABLE_VALUE attribute is read from ``checkpoint_key("dense/kernel")``. Several paths to one key share
    one node, as when an optimizer also tracks a model's variables.
    """
    graph = protos.TrackableObjectGraph()
    graph.nodes.add()
    children: list[dict[str, int]] = [{}]
    for key, key_paths in paths.items():
        leaf = None
        for path in key_paths:
            *parents, last = path.split("/")
            node = 0
            for part in parents:
                if part not in children[node]:
                    children[node][part] = len(graph.nodes)
                    graph.nodes[node].children.add(node_id=len(graph.nodes), local_name=part)
                    graph.nodes.add()
                    children.append({})
                node = children[node][part]
            if leaf is None:
                leaf = len(graph.nodes)
                graph.nodes.add().attributes.add(name="VARIABLE_VALUE", full_name=key,
                                                 checkpoint_key=checkpoint_key(key))
                children.append({})
            if last in children[node]:
                raise ValueError(f"object path {path!r} is used twice")
            children[node][last] = leaf
            graph.nodes[node].children.add(node_id=leaf, local_name=last)
    return protos.to_bytes(graph)


class Saver:
    """Save and restore ops for a fixed set of variables, keyed by Keras-like paths (``dense/kernel``;
    stored under ``checkpoint_key(path)``).

    Build it before the session is created (the ops must be in the session's graph). ``object_paths``
    maps keys to TF2 object paths (default: the key itself).
    """

    def __init__(self, variables: Mapping[str, Variable] | Sequence[Variable], graph: Graph | None = None,
                 object_paths: Mapping[str, Sequence[str]] | None = None):
        items = dict(variables) if isinstance(variables, Mapping) else {v.name: v for v in variables}
        if not items:
            raise ValueError("a Saver needs at least one variable")
        if OBJECT_GRAPH_KEY in items:
            raise ValueError(f"{OBJECT_GRAPH_KEY!r} is reserved")
        self.variables = dict(sorted(items.items()))
        g = graph or next(iter(self.variables.values())).graph
        self.graph = g
        paths = {k: list((object_paths or {}).get(k, [k])) for k in self.variables}
        with g.as_default(), g.name_scope("save") as scope, g.control_dependencies(None):
            self.scope = scope
            self.filename = constants.constant("model", name="Const")
            keys = [checkpoint_key(k) for k in self.variables] + [OBJECT_GRAPH_KEY]
            names = constants.constant(np.array(keys, dtype=object), dtype="string", name="tensor_names")
            slices = constants.constant(np.array([""] * len(keys), dtype=object), dtype="string",
                                        name="shape_and_slices")
            values = [v.value() for v in self.variables.values()]
            values.append(constants.constant(np.array(object_graph(paths), dtype=object), dtype="string",
                                             name="object_graph"))
            save = g.create_op("SaveV2", [self.filename, names, slices, values], name="SaveV2")
            with g.control_dependencies([save]):
                self.save_tensor = array.identity(self.filename, name="control_dependency")
            restore_names = constants.constant(np.array(keys[:-1], dtype=object), dtype="string",
                                               name="restore_names")
            restore_slices = constants.constant(np.array([""] * (len(keys) - 1), dtype=object),
                                                dtype="string", name="restore_slices")
            restored = g.create_op("RestoreV2", [self.filename, restore_names, restore_slices],
                                   {"dtypes": [v.dtype for v in self.variables.values()]},
                                   name="RestoreV2").outputs
            assigns = [v.assign(t) for v, t in zip(self.variables.values(), restored)]
            self.restore_op: Operation = array.group(assigns, name="restore_all")

    def saver_def(self) -> Any:
        return protos.SaverDef(filename_tensor_name=self.filename.name, save_tensor_name=self.save_tensor.name,
                               restore_op_name=self.restore_op.name, max_to_keep=5, sharded=False,
                               keep_checkpoint_every_n_hours=10000.0, version=protos.SaverDef.V2)

    def save(self, session: Any, prefix: str, write_state: bool = True) -> str:
        """Writes the bundle ``prefix.index`` + ``prefix.data-00000-of-00001``: SaveV2 writes a temporary
        prefix beside it, then the files are renamed, the index last (an older index at ``prefix`` is
        removed first, so no reader ever pairs it with the new data). The ``checkpoint`` state file
        moves to the new prefix only after that, so a crash leaves the previous checkpoint current."""
        def run_save(tmp: str) -> None:
            session.run(self.save_tensor.name, {self.filename.name: np.array(tmp, dtype=object)})
        return _write_atomically(prefix, run_save, write_state)

    def check(self, prefix: str) -> None:
        """Raises CheckpointError unless every variable is in the bundle with its dtype and shape."""
        entries = read_index(prefix)
        problems = []
        for key, var in self.variables.items():
            entry = entries.get(checkpoint_key(key))
            if entry is None:
                problems.append(f"{key!r} is missing")
            elif entry.dtype != var.dtype or (var.shape is not None and tuple(var.shape) != entry.shape):
                problems.append(f"{key!r} is {describe(entry)} in the checkpoint but "
                                f"{dtypes.name(var.dtype)}{list(var.shape or [])} in the model")
        if problems:
            raise CheckpointError(f"checkpoint {prefix!r} does not fit: " + "; ".join(problems))

    def restore(self, session: Any, prefix: str) -> None:
        """Checks the bundle against the variables, then assigns all of them in one run (RestoreV2
        reads everything before any assignment, so a bad data file changes nothing)."""
        prefix = os.fspath(prefix)
        if os.path.isdir(prefix):
            prefix = latest_checkpoint(prefix) or prefix
        self.check(prefix)
        try:
            session.run([], {self.filename.name: np.array(prefix, dtype=object)}, targets=[self.restore_op.name])
        except errors.TFError as e:
            raise CheckpointError(f"cannot restore {prefix!r}: {e.message}") from None


def _write_atomically(prefix: str, run_save: Any, write_state: bool) -> str:
    prefix = os.fspath(prefix)
    directory = os.path.dirname(os.path.abspath(prefix))
    os.makedirs(directory, exist_ok=True)
    tmp = os.path.join(directory, f".tmp-{os.path.basename(prefix)}-{uuid.uuid4().hex[:8]}")
    try:
        run_save(tmp)
        if os.path.exists(prefix + INDEX_SUFFIX):
            os.remove(prefix + INDEX_SUFFIX)
        for src, dst in zip(data_files(tmp), data_files(prefix)):
            os.replace(src, dst)
        os.replace(tmp + INDEX_SUFFIX, prefix + INDEX_SUFFIX)
    finally:
        for leftover in data_files(tmp) + [tmp + INDEX_SUFFIX]:
            if os.path.exists(leftover):
                os.remove(leftover)
    if write_state:
        update_checkpoint_state(directory, prefix)
    return prefix


def write_bundle(prefix: str, values: Mapping[str, np.ndarray],
                 object_paths: Mapping[str, Sequence[str]] | None = None, write_state: bool = True) -> str:
    """Writes numpy values as a checkpoint (same keys, object graph and atomicity as ``Saver.save``)
    through SaveV2 in a throwaway graph: for sessions whose graph has no ``save/`` ops."""
    from ..runtime import Session
    if not values:
        raise ValueError("nothing to save")
    items = dict(sorted(values.items()))
    paths = {k: list((object_paths or {}).get(k, [k])) for k in items}
    g = Graph()
    with g.as_default():
        filename = constants.placeholder("string", (), name="filename")
        feeds = [constants.placeholder(dtypes.as_dtype(np.asarray(v).dtype), np.shape(v), name=f"value_{i}")
                 for i, v in enumerate(items.values())]
        keys = [checkpoint_key(k) for k in items] + [OBJECT_GRAPH_KEY]
        save = g.create_op("SaveV2", [filename, constants.constant(np.array(keys, dtype=object), dtype="string"),
                                      constants.constant(np.array([""] * len(keys), dtype=object), dtype="string"),
                                      feeds + [constants.constant(np.array(object_graph(paths), dtype=object),
                                                                  dtype="string")]])
    sess = Session(g)
    run = sess.make_callable([filename.name] + [f.name for f in feeds], [], [save.name])
    return _write_atomically(prefix, lambda tmp: run(np.array(tmp, dtype=object), *items.values()), write_state)


def update_checkpoint_state(directory: str, prefix: str, keep: int = 5) -> None:
    """Writes the ``checkpoint`` text proto (like tf.train.CheckpointManager) atomically."""
    path = os.path.join(directory, STATE_FILE)
    state = read_checkpoint_state(directory) or protos.CheckpointState()
    rel = os.path.relpath(os.path.abspath(prefix), directory)
    paths = [p for p in state.all_model_checkpoint_paths if p != rel][-(keep - 1):] + [rel]
    new = protos.CheckpointState(model_checkpoint_path=rel, all_model_checkpoint_paths=paths)
    new.all_model_checkpoint_timestamps.extend([time.time()] * len(paths))
    atomic_write(path, protos.to_text(new))


def read_checkpoint_state(directory: str) -> Any:
    path = os.path.join(directory, STATE_FILE)
    if not os.path.isfile(path):
        return None
    try:
        with open(path) as f:
            return protos.from_text(f.read(), protos.CheckpointState)
    except Exception as e:  # noqa: BLE001 - text_format raises ParseError and others
        raise CheckpointError(f"corrupt checkpoint state file {path}: {e}") from None


def latest_checkpoint(directory: str) -> str | None:
    """The newest checkpoint prefix recorded in ``directory/checkpoint`` (None if there is none)."""
    state = read_checkpoint_state(directory)
    if state is None or not state.model_checkpoint_path:
        return None
    path = state.model_checkpoint_path
    return path if os.path.isabs(path) else os.path.join(directory, path)


def read_variables(prefix: str) -> dict[str, np.ndarray]:
    """Every variable in a bundle as numpy, by variable path (RestoreV2 in a throwaway session)."""
    from ..runtime import Session
    entries = {k: e for k, e in read_index(prefix).items() if k != OBJECT_GRAPH_KEY}
    if not entries:
        return {}
    g = Graph()
    with g.as_default():
        keys = list(entries)
        restored = g.create_op("RestoreV2", [
            constants.constant(prefix, dtype="string"),
            constants.constant(np.array(keys, dtype=object), dtype="string"),
            constants.constant(np.array([""] * len(keys), dtype=object), dtype="string")],
            {"dtypes": [entries[k].dtype for k in keys]}).outputs
    try:
        values = Session(g).run([t.name for t in restored])
    except errors.TFError as e:
        raise CheckpointError(f"cannot read checkpoint {prefix!r}: {e.message}") from None
    return {variable_path(k): v for k, v in zip(keys, values)}


__all__ = ["Saver", "write_bundle", "checkpoint_key", "variable_path", "CheckpointError", "object_graph", "latest_checkpoint", "read_checkpoint_state",
           "update_checkpoint_state", "read_variables", "OBJECT_GRAPH_KEY"]
