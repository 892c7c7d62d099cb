"""SavedModel (V1 MetaGraphDef, tag ``serve``) written from our graph, and loaded from any producer.

Layout: ``saved_model.pb``, ``variables/variables.{index,data-00000-of-00001}`` (written by our SaveV2
ops), plus whatever ``extra`` writes (our model config, processors, signature JSON). The directory is
built beside the target and swapped in with one rename, so a crash mid-save leaves the old one.
"""
from __future__ import annotations

import ctypes
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from ..graph import Graph, Tensor
from ..graph import opdefs
from ..graph.ops import state
from ..runtime import Session, SessionConfig, dtypes, protos, split_name, version
from ..runtime.codecs import numpy_to_tensor_proto
from .bundle import CheckpointError, read_index
from .checkpoint import Saver
from .safety import check_graph_def

SAVED_MODEL_FILE = "saved_model.pb"
VARIABLES_PREFIX = os.path.join("variables", "variables")
SIGNATURES_FILE = "tfkg_signatures.json"
SERVING = "serving_default"
PREDICT_METHOD = "tensorflow/serving/predict"


class SavedModelError(ValueError):
    """A SavedModel directory that is missing, incomplete or unreadable."""


@dataclass
class Signature:
    """Named inputs and outputs of one entry point (a V1 SignatureDef)."""

    inputs: Mapping[str, Tensor]
    outputs: Mapping[str, Tensor]
    method_name: str = PREDICT_METHOD


def _tensor_info(t: Tensor) -> Any:
    info = protos.TensorInfo(name=t.name, dtype=t.dtype)
    if t.shape is None:
        info.tensor_shape.unknown_rank = True
    else:
        info.tensor_shape.SetInParent()
        for d in t.shape:
            info.tensor_shape.dim.add(size=-1 if d is None else d)
    return info


def _variable_defs(graph: Graph, graph_def: Any) -> tuple[list[bytes], list[bytes]]:
    """VariableDefs as TF Python writes them; each needs a snapshot read, added to the exported
    GraphDef only (the live graph and session stay as they are)."""
    names = {node.name for node in graph_def.node}
    all_defs, trainable = [], []
    for v in state.global_variables(graph):
        snapshot = f"{v.name}/Read/ReadVariableOp"
        if snapshot not in names:
            node = graph_def.node.add(name=snapshot, op="ReadVariableOp", input=[v.handle.op.name])
            node.attr["dtype"].type = v.dtype
        vdef = protos.VariableDef(variable_name=v.handle.name, initializer_name=v.initializer.name,
                                  snapshot_name=snapshot + ":0", initial_value_name=v.initial_value.name,
                                  is_resource=True, trainable=v.trainable)
        data = protos.to_bytes(vdef)
        all_defs.append(data)
        if v.trainable:
            trainable.append(data)
    return all_defs, trainable


def build_meta_graph(graph: Graph, saver: Saver | None, signatures: Mapping[str, Signature],
                     tags: Sequence[str] = ("serve",)) -> Any:
    graph_def = graph.as_graph_def()
    meta = protos.MetaGraphDef()
    info = meta.meta_info_def
    info.meta_graph_version = "v" + version()
    info.tensorflow_version = version()
    info.tags.extend(tags)
    registry = opdefs.registry()
    for op in sorted({node.op for node in graph_def.node}):
        info.stripped_op_list.op.add().CopyFrom(registry[op])
    all_defs, trainable = _variable_defs(graph, graph_def)
    meta.graph_def.CopyFrom(graph_def)
    if saver is not None:  # a model without variables has no SaverDef (and no variables/ files)
        meta.saver_def.CopyFrom(saver.saver_def())
    for key, defs in (("variables", all_defs), ("trainable_variables", trainable)):
        if defs:
            meta.collection_def[key].bytes_list.value.extend(defs)
    for name, sig in signatures.items():
        sdef = meta.signature_def[name]
        sdef.method_name = sig.method_name
        for key, t in sig.inputs.items():
            sdef.inputs[key].CopyFrom(_tensor_info(t))
        for key, t in sig.outputs.items():
            sdef.outputs[key].CopyFrom(_tensor_info(t))
    return meta


def signatures_json(meta: Any) -> dict[str, Any]:
    """Plain metadata for C callers: signature -> inputs/outputs -> tensor name, dtype, shape."""
    def info(i: Any) -> dict[str, Any]:
        shape = None if i.tensor_shape.unknown_rank else [d.size if d.size >= 0 else None
                                                           for d in i.tensor_shape.dim]
        return {"name": i.name, "dtype": dtypes.name(i.dtype), "shape": shape}
    return {"tags": list(meta.meta_info_def.tags),
            "restore": {"filename_tensor": meta.saver_def.filename_tensor_name,
                        "restore_op": meta.saver_def.restore_op_name,
                        "variables_prefix": VARIABLES_PREFIX},
            "signatures": {name: {"method_name": s.method_name,
                                  "inputs": {k: info(v) for k, v in sorted(s.inputs.items())},
                                  "outputs": {k: info(v) for k, v in sorted(s.outputs.items())}}
                           for name, s in sorted(meta.signature_def.items())}}


def _exchange(a: str, b: str) -> bool:
    """Atomically swaps two paths (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def replace_dir(tmp: str, target: str) -> None:
    """Puts directory ``tmp`` at ``target``: one atomic exchange when the OS allows, else two renames
    (the old directory is renamed aside first, never deleted before the new one is in place)."""
    if not os.path.exists(target):
        os.rename(tmp, target)
        return
    if not os.path.isdir(target):
        raise SavedModelError(f"{target!r} exists and is not a directory")
    if _exchange(tmp, target):
        shutil.rmtree(tmp)
        return
    old = f"{tmp}.old"
    os.rename(target, old)
    os.rename(tmp, target)
    shutil.rmtree(old)


def write_saved_model(export_dir: str, graph: Graph, session: Session | None, saver: Saver | None,
                      signatures: Mapping[str, Signature], extra: Callable[[str], None] | None = None,
                      tags: Sequence[str] = ("serve",)) -> str:
    """Writes the SavedModel (and ``extra(tmp_dir)`` files) to a temp dir, then swaps it in. Without a
    session (one whose graph lacks the saver's ops) ``extra`` must write ``variables/variables``."""
    export_dir = os.path.abspath(os.fspath(export_dir))
    parent, name = os.path.split(export_dir)
    os.makedirs(parent, exist_ok=True)
    tmp = os.path.join(parent, f".{name}.tmp-{uuid.uuid4().hex[:8]}")
    os.makedirs(os.path.join(tmp, "variables"))
    try:
        meta = build_meta_graph(graph, saver, signatures, tags)
        model = protos.SavedModel(saved_model_schema_version=1)
        model.meta_graphs.add().CopyFrom(meta)
        with open(os.path.join(tmp, SAVED_MODEL_FILE), "wb") as f:
            f.write(protos.to_bytes(model))
        if session is not None and saver is not None:
            saver.save(session, os.path.join(tmp, VARIABLES_PREFIX), write_state=False)
        with open(os.path.join(tmp, SIGNATURES_FILE), "w") as f:
            json.dump(signatures_json(meta), f, indent=1)
        if extra is not None:
            extra(tmp)
        replace_dir(tmp, export_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return export_dir


def read_saved_model(export_dir: str, tags: Sequence[str] = ("serve",)) -> Any:
    """The MetaGraphDef with exactly ``tags`` (as a set), after checking the files are all there."""
    export_dir = os.fspath(export_dir)
    path = os.path.join(export_dir, SAVED_MODEL_FILE)
    if not os.path.isdir(export_dir):
        raise SavedModelError(f"SavedModel directory {export_dir!r} does not exist")
    if not os.path.isfile(path):
        raise SavedModelError(f"{export_dir!r} is not a SavedModel: no {SAVED_MODEL_FILE} "
                              "(text saved_model.pbtxt is not supported)")
    try:
        with open(path, "rb") as f:
            model = protos.SavedModel.FromString(f.read())
    except Exception as e:  # noqa: BLE001 - protobuf decode errors have many types
        raise SavedModelError(f"corrupt {path}: {type(e).__name__}: {e}") from None
    found = [sorted(m.meta_info_def.tags) for m in model.meta_graphs]
    meta = next((m for m in model.meta_graphs if set(m.meta_info_def.tags) == set(tags)), None)
    if meta is None:
        raise SavedModelError(f"{export_dir!r} has no MetaGraph tagged {sorted(tags)}; it has {found}")
    if meta.saver_def.restore_op_name:
        prefix = os.path.join(export_dir, VARIABLES_PREFIX)
        if not os.path.isdir(os.path.dirname(prefix)):
            raise SavedModelError(f"{export_dir!r} has variables but no variables/ directory")
        try:
            read_index(prefix)
        except CheckpointError as e:
            raise SavedModelError(f"{export_dir!r}: {e}") from None
    return meta


def load_session(export_dir: str, tags: Sequence[str] = ("serve",), safe: bool = True,
                 allow_ops: Iterable[str] = (), config: SessionConfig | None = None) -> tuple[Session, Any]:
    """A session with the SavedModel's variables restored (by TF's own loader), after the op check."""
    meta = read_saved_model(export_dir, tags)
    if safe:
        check_graph_def(meta.graph_def, meta.saver_def, allow_ops)
    session, _ = Session.from_saved_model(os.fspath(export_dir), tags, config)
    return session, meta


class SavedModelPredictor:
    """Inference over any SavedModel signature: ``predictor(**inputs) -> dict`` or ``predict(x)``.

    Safe to call from any number of threads at once (runs overlap inside TensorFlow); ``close()`` ends
    calls in progress with ``CancelledError``/``FailedPreconditionError`` and frees the session."""

    def __init__(self, export_dir: str, signature: str = SERVING, tags: Sequence[str] = ("serve",),
                 safe: bool = True, allow_ops: Iterable[str] = (), config: SessionConfig | None = None):
        self.session, self.meta_graph = load_session(export_dir, tags, safe, allow_ops, config)
        if signature not in self.meta_graph.signature_def:
            raise SavedModelError(f"no signature {signature!r}; the SavedModel has "
                                  f"{sorted(self.meta_graph.signature_def)}")
        sig = self.meta_graph.signature_def[signature]
        self.input_names = sorted(sig.inputs)
        self.output_names = sorted(sig.outputs)
        self._run = self.session.make_callable([sig.inputs[k].name for k in self.input_names],
                                               [sig.outputs[k].name for k in self.output_names])

    def __call__(self, **inputs: Any) -> dict[str, np.ndarray]:
        missing = set(self.input_names) - set(inputs)
        unknown = set(inputs) - set(self.input_names)
        if missing or unknown:
            raise ValueError(f"signature inputs are {self.input_names}; missing {sorted(missing)}, "
                             f"unknown {sorted(unknown)}")
        return dict(zip(self.output_names, self._run(*(inputs[k] for k in self.input_names))))

    def close(self) -> None:
        self.session.close()

    def predict(self, x: Any) -> Any:
        """Keras-style: an array (one input), a list (in input-name order) or a dict; one output
        comes back as an array, several as a dict."""
        if isinstance(x, Mapping):
            out = self(**x)
        else:
            values = list(x) if isinstance(x, (list, tuple)) else [x]
            if len(values) != len(self.input_names):
                raise ValueError(f"expected {len(self.input_names)} input(s) {self.input_names}, got "
                                 f"{len(values)}")
            out = self(**dict(zip(self.input_names, values)))
        return next(iter(out.values())) if len(out) == 1 else out


def freeze(session: Session, graph_def: Any, outputs: Sequence[str]) -> Any:
    """An inference GraphDef for ``outputs`` with every variable read replaced by a Const holding its
    current value, so it runs with no checkpoint (for embedding or ``tf.compat.v1.import_graph_def``)."""
    by_name = {node.name: node for node in graph_def.node}
    keep: list[str] = []
    stack = [split_name(o)[0] for o in outputs]
    seen: set[str] = set()
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        if name not in by_name:
            raise KeyError(f"no node {name!r} in the graph")
        seen.add(name)
        node = by_name[name]
        keep.append(name)
        if node.op == "ReadVariableOp":
            continue  # becomes a Const: its handle is not needed
        stack.extend(i.lstrip("^").split(":")[0] for i in node.input)
    reads = [n for n in keep if by_name[n].op == "ReadVariableOp"]
    unfrozen = sorted({by_name[n].op for n in keep} & {"VarHandleOp", "VariableV2", "ResourceGather"})
    if unfrozen:
        raise ValueError(f"cannot freeze: outputs depend on variables through {unfrozen}, not only "
                         "ReadVariableOp")
    values = session.run([r + ":0" for r in reads]) if reads else []
    frozen = protos.GraphDef()
    frozen.versions.CopyFrom(graph_def.versions)
    frozen.library.CopyFrom(graph_def.library)
    order = {name: i for i, name in enumerate(n.name for n in graph_def.node)}
    consts = dict(zip(reads, values))
    for name in sorted(keep, key=order.__getitem__):
        node = by_name[name]
        if name in consts:
            value = np.asarray(consts[name])
            const = frozen.node.add(name=name, op="Const", device=node.device)
            const.attr["dtype"].type = dtypes.as_dtype(value.dtype)
            const.attr["value"].tensor.CopyFrom(numpy_to_tensor_proto(value, dtypes.as_dtype(value.dtype)))
        else:
            frozen.node.add().CopyFrom(node)
    return frozen
