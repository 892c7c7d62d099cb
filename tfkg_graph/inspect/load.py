"""Reading what a path holds: GraphDef (binary or text), MetaGraphDef, SavedModel, tfkg_graph model
directory or checkpoint. Nothing runs and TensorFlow's Python package is never imported."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Sequence

from google.protobuf import text_format
from google.protobuf.message import DecodeError

from ..runtime import protos
from ..saving.bundle import CheckpointError as CheckpointIndexError
from ..saving.bundle import CheckpointIndex, index_path, parse_index as read_index
from .views import GraphView, InspectError

MODEL_CONFIG = "tfkg_model.json"


@dataclass
class Artifact:
    """What a path holds: a graph (maybe inside a MetaGraphDef), a checkpoint index, a model config."""

    path: str
    kind: str  # "GraphDef", "MetaGraphDef", "SavedModel", "tfkg_graph model", "checkpoint"
    graph_def: Any = None
    meta_graph: Any = None
    checkpoint: CheckpointIndex | None = None
    model_config: dict | None = None
    notes: list[str] = field(default_factory=list)

    @cached_property
    def graph(self) -> "GraphView":
        if self.graph_def is None:
            raise InspectError(f"{self.path} is a {self.kind} and holds no graph")
        return GraphView(self.graph_def)


def load(path: str | Path, tag: str | None = None) -> Artifact:
    """Reads any supported artifact; ``tag`` picks a MetaGraphDef (comma-separated tags)."""
    p = Path(path)
    if p.is_dir():
        return _load_dir(p, tag)
    if p.name.endswith(".index") or (not p.exists() and Path(index_path(p)).exists()):
        return Artifact(str(p), "checkpoint", checkpoint=_read_checkpoint(p))
    if not p.exists():
        raise InspectError(f"{p}: no such file or directory")
    if p.name in ("saved_model.pb", "saved_model.pbtxt"):
        return _load_dir(p.parent, tag)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise InspectError(f"{p}: cannot read: {e.strerror}") from None
    if p.suffix == ".meta":
        meta = _parse(data, protos.MetaGraphDef, p)
        return Artifact(str(p), "MetaGraphDef", _checked_graph(meta.graph_def, p), meta)
    return Artifact(str(p), "GraphDef", _checked_graph(_parse(data, protos.GraphDef, p), p))


def _read_checkpoint(prefix: Path) -> CheckpointIndex:
    try:
        return read_index(prefix)
    except CheckpointIndexError as e:
        raise InspectError(str(e)) from None


def _parse(data: bytes, cls: type, path: Path) -> Any:
    """Binary first, then text format (TF's .pbtxt); fields newer than our schema are tolerated."""
    try:
        return cls.FromString(data)
    except (DecodeError, RuntimeError, ValueError):
        pass
    try:
        return text_format.Parse(data.decode("utf-8"), cls(), allow_unknown_field=True)
    except (UnicodeDecodeError, text_format.ParseError) as e:
        detail = "" if isinstance(e, UnicodeDecodeError) else f" (text parse: {str(e).splitlines()[0]})"
        raise InspectError(f"{path}: not a {cls.DESCRIPTOR.name}, binary or text{detail}") from None


_NODE_NAME = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\-/>]*$")


def _checked_graph(graph_def: Any, path: Path) -> Any:
    """A parse can 'succeed' on bytes that were never a graph; real graphs have named, typed nodes."""
    if not graph_def.node and not graph_def.library.function:
        raise InspectError(f"{path}: not a GraphDef (no nodes and no functions)")
    for node in graph_def.node:
        if not node.op or not _NODE_NAME.match(node.name):
            raise InspectError(f"{path}: not a GraphDef (node {node.name!r} has no valid name or op)")
    return graph_def


def _load_dir(d: Path, tag: str | None) -> Artifact:
    for name in ("saved_model.pb", "saved_model.pbtxt"):
        if (d / name).exists():
            return _load_saved_model(d, d / name, tag)
    state = d / "checkpoint"
    if state.exists():
        ckpt = _parse(state.read_bytes(), protos.CheckpointState, state)
        prefix = Path(ckpt.model_checkpoint_path)
        return Artifact(str(d), "checkpoint", checkpoint=_read_checkpoint(prefix if prefix.is_absolute()
                                                                           else d / prefix))
    indexes = sorted(d.glob("*.index"))
    if len(indexes) == 1:
        return Artifact(str(d), "checkpoint", checkpoint=_read_checkpoint(indexes[0]))
    raise InspectError(f"{d}: not a SavedModel, model or checkpoint directory (no saved_model.pb, "
                       "no 'checkpoint' file, no single *.index)")


def _load_saved_model(d: Path, file: Path, tag: str | None) -> Artifact:
    saved = _parse(file.read_bytes(), protos.SavedModel, file)
    if not saved.meta_graphs:
        raise InspectError(f"{file}: a SavedModel without MetaGraphDefs")
    meta = _pick_meta_graph(saved.meta_graphs, tag, file)
    art = Artifact(str(d), "SavedModel", _checked_graph(meta.graph_def, file), meta)
    if len(saved.meta_graphs) > 1:
        art.notes.append("meta graphs (tags): " + "; ".join(",".join(m.meta_info_def.tags) or "-"
                                                            for m in saved.meta_graphs))
    variables = d / "variables" / "variables.index"
    if variables.exists():
        art.checkpoint = _read_checkpoint(variables)
    config = d / MODEL_CONFIG
    if config.exists():
        art.kind = "tfkg_graph model"
        try:
            art.model_config = json.loads(config.read_text())
        except (OSError, ValueError) as e:
            raise InspectError(f"{config}: not readable JSON ({e})") from None
    return art


def _pick_meta_graph(metas: Sequence[Any], tag: str | None, file: Path) -> Any:
    if tag:
        wanted = set(tag.split(","))
        for meta in metas:
            if wanted <= set(meta.meta_info_def.tags):
                return meta
        raise InspectError(f"{file}: no MetaGraphDef with tags {sorted(wanted)}")
    return next((m for m in metas if "serve" in m.meta_info_def.tags), metas[0])
