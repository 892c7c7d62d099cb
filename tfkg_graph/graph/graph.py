"""Graph, Operation and Tensor: the builder that writes GraphDefs.

Nodes are validated against TF's OpDefs as they are created (unknown op, wrong input count or
dtype, missing or bad attr fail here, naming the node), default attrs are filled in like TF Python
does, and static shapes come from the table in ``shapes.py``. Output is deterministic: the same
model gives the same GraphDef bytes.
"""
from __future__ import annotations

import contextlib
import re
import threading
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from ..runtime import dtypes, protos
from . import opdefs, shapes
from .opdefs import GraphBuildError

Shape = tuple  # tuple[int | None, ...]; None in place of the tuple means unknown rank


class Tensor:
    """One output of an Operation: the value a graph edge carries."""

    __slots__ = ("op", "index", "dtype", "shape")
    __array_priority__ = 100  # numpy defers to our operators

    def __init__(self, op: "Operation", index: int, dtype: int, shape: Shape | None):
        self.op, self.index, self.dtype, self.shape = op, index, dtype, shape

    @property
    def name(self) -> str:
        return f"{self.op.name}:{self.index}"

    @property
    def graph(self) -> "Graph":
        return self.op.graph

    @property
    def rank(self) -> int | None:
        return None if self.shape is None else len(self.shape)

    def __repr__(self) -> str:
        shape = "<unknown>" if self.shape is None else "(" + ", ".join(
            "None" if d is None else str(d) for d in self.shape) + ")"
        return f"<Tensor {self.name!r} shape={shape} dtype={dtypes.name(self.dtype)}>"

    def __hash__(self) -> int:
        return id(self)

    def __iter__(self) -> Iterator["Tensor"]:
        """Like a graph tf.Tensor: iterable over a first dimension known when the graph is built. Without
        this, Python would index ``t[0], t[1], ...`` forever, since a slice never runs out while building."""
        if not self.shape or self.shape[0] is None:
            raise TypeError(f"{self!r} is not iterable: its first dimension is not known while the graph is built")
        return (self[i] for i in range(self.shape[0]))

    def __eq__(self, other: object) -> bool:  # identity, like tf.Tensor in graphs (used in dicts)
        return self is other

    @classmethod
    def _override_operator(cls, operator: str, func: Callable) -> None:
        """Installs ``+``, ``[]``... from the op module that defines them (TF's pattern), so this core
        module never imports its op constructors. ``tfkg_graph.graph`` loads them with itself."""
        setattr(cls, operator, func)


class Operation:
    """A node: op type, inputs, attrs (as AttrValue protos), device and outputs."""

    def __init__(self, graph: "Graph", name: str, op_type: str, inputs: list[Tensor],
                 attrs: dict[str, Any], device: str, control_inputs: list["Operation"]):
        self.graph, self.name, self.type = graph, name, op_type
        self.inputs, self.attrs, self.device = inputs, attrs, device
        self.control_inputs = control_inputs
        self.outputs: list[Tensor] = []
        self.input_groups: list[list[Tensor]] = []  # inputs per OpDef input arg (lists stay lists)

    def get_attr(self, name: str) -> Any:
        if name not in self.attrs:
            raise KeyError(f"node {self.name!r} ({self.type}) has no attr {name!r}")
        return opdefs.python_attr(self.attrs[name])

    def output(self, index: int = 0) -> Tensor:
        return self.outputs[index]

    def to_node_def(self) -> Any:
        node = protos.NodeDef(name=self.name, op=self.type, device=self.device)
        node.input.extend(t.name if t.index else t.op.name for t in self.inputs)
        node.input.extend("^" + op.name for op in self.control_inputs)
        for key, value in self.attrs.items():
            node.attr[key].CopyFrom(value)
        return node

    def __repr__(self) -> str:
        return f"<Operation {self.name!r} type={self.type}>"


_default = threading.local()


def get_default_graph() -> "Graph":
    stack = getattr(_default, "stack", None)
    if not stack:
        _default.stack = [Graph()]
    return _default.stack[-1]


class Graph:
    """A growing set of operations with name scopes, device scopes and control dependencies."""

    def __init__(self, seed: int | None = None):
        self.operations: list[Operation] = []
        self._by_name: dict[str, Operation] = {}
        self._name_counts: dict[str, int] = {}
        self._scope: list[str] = []
        self._device: list[str | Callable[[str, str], str]] = []
        self._control: list[list[Operation]] = []
        self.seed = seed
        self._op_seed = 0
        self.collections: dict[str, list[Any]] = {}

    # -- context -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def as_default(self) -> Iterator["Graph"]:
        if not getattr(_default, "stack", None):
            _default.stack = []
        _default.stack.append(self)
        try:
            yield self
        finally:
            _default.stack.pop()

    @contextlib.contextmanager
    def name_scope(self, name: str | None) -> Iterator[str]:
        """Nests node names under ``name/`` (made unique like TF's); ``"outer/inner/"`` with a
        trailing slash re-enters that exact scope; ``None`` or ``""`` leaves the scope as it is."""
        if not name:
            yield self.scope_prefix
            return
        self._scope.append(name[:-1] if name.endswith("/") else self.unique_name(check_name(name)))
        try:
            yield self.scope_prefix
        finally:
            self._scope.pop()

    @property
    def scope_prefix(self) -> str:
        return self._scope[-1] + "/" if self._scope else ""

    @contextlib.contextmanager
    def device(self, device: str | Callable[[str, str], str] | None) -> Iterator[None]:
        """Places ops created inside on ``device``; a function ``(op_type, node_name) -> device`` places
        by type and name (e.g. variables and their optimizer slots on one parameter server)."""
        self._device.append(device or "")
        try:
            yield
        finally:
            self._device.pop()

    @contextlib.contextmanager
    def control_dependencies(self, ops: Sequence[Operation | Tensor] | None) -> Iterator[None]:
        """Ops created inside run after ``ops``; ``None`` clears outer dependencies."""
        if ops is None:
            saved, self._control = self._control, []
        else:
            saved = None
            self._control.append([o.op if isinstance(o, Tensor) else o for o in ops])
        try:
            yield
        finally:
            if saved is None:
                self._control.pop()
            else:
                self._control = saved

    def unique_name(self, name: str) -> str:
        """``scope/name``, then ``scope/name_1``... for later ops of the same name."""
        full = self.scope_prefix + name
        key = full.lower()
        count = self._name_counts.get(key, 0)
        while True:
            candidate = full if count == 0 else f"{full}_{count}"
            count += 1
            if candidate.lower() not in self._name_counts and candidate not in self._by_name:
                break
        self._name_counts[key] = count
        self._name_counts.setdefault(candidate.lower(), 1)
        return candidate

    def next_seed(self) -> tuple[int, int]:
        """(seed, seed2) for a random op: reproducible per graph when the graph has a seed."""
        self._op_seed += 1
        base = 87654321 if self.seed is None else int(self.seed)
        return base, self._op_seed

    # -- building ----------------------------------------------------------------------------
    def create_op(self, op_type: str, inputs: Sequence[Any] = (), attrs: dict[str, Any] | None = None,
                  name: str | None = None, exact_name: bool = False) -> Operation:
        """Validates against the OpDef, infers type attrs from inputs, fills defaults, adds the node.

        ``inputs`` holds one entry per OpDef input arg: a Tensor, or a list of Tensors for list args.
        ``exact_name`` uses ``name`` as the full node name (e.g. a variable named like its scope).
        """
        if exact_name:
            if name in self._by_name:
                raise GraphBuildError(f"a node named {name!r} already exists")
            check_name(name)
        else:
            name = self.unique_name(check_name(name) if name else op_type)
        op_def = opdefs.op_def(op_type, name)
        attrs = dict(attrs or {})
        if len(inputs) != len(op_def.input_arg):
            raise GraphBuildError(
                f"node {name!r} ({op_type}) takes {len(op_def.input_arg)} input(s) "
                f"({', '.join(a.name for a in op_def.input_arg)}), got {len(inputs)}")
        groups: list[list[Tensor]] = []
        for arg, value in zip(op_def.input_arg, inputs):
            group = [self._own_input(name, arg.name, t)
                     for t in (list(value) if isinstance(value, (list, tuple)) else [value])]
            self._bind_input_attrs(name, op_type, arg, group, attrs)
            groups.append(group)
        attr_protos = self._attr_protos(name, op_type, op_def, attrs)
        control = [op for ops in self._control for op in ops]
        device = next((d for d in reversed(self._device) if d), "")
        if callable(device):
            device = device(op_type, name)
        op = Operation(self, name, op_type, [t for g in groups for t in g], attr_protos, device,
                       list(dict.fromkeys(control)))
        op.input_groups = groups
        out_dtypes = self._output_dtypes(op, op_def)
        out_shapes = shapes.infer(op, len(out_dtypes))
        op.outputs = [Tensor(op, i, dt, s) for i, (dt, s) in enumerate(zip(out_dtypes, out_shapes))]
        self.operations.append(op)
        self._by_name[name] = op
        return op

    def _own_input(self, node: str, arg: str, t: Any) -> Tensor:
        """An input as this graph uses it (a function body captures outer tensors instead)."""
        if not isinstance(t, Tensor):
            raise GraphBuildError(f"node {node!r}: input {arg!r} is {type(t).__name__}, not a Tensor")
        if t.graph is not self:
            raise GraphBuildError(f"node {node!r}: input {t.name!r} belongs to another graph")
        return t

    @staticmethod
    def _bind_input_attrs(name: str, op_type: str, arg: Any, group: list[Tensor], attrs: dict) -> None:
        got = [t.dtype for t in group]
        if arg.number_attr:
            attrs.setdefault(arg.number_attr, len(group))
        elif not arg.type_list_attr and len(group) != 1:
            raise GraphBuildError(f"node {name!r} ({op_type}): input {arg.name!r} takes one tensor")
        if arg.type_list_attr:
            attrs.setdefault(arg.type_list_attr, got)
            return
        want = arg.type if arg.type else None
        if arg.type_attr:
            if arg.type_attr in attrs:
                want = dtypes.as_dtype(attrs[arg.type_attr])
            elif got:
                want = got[0]
                attrs[arg.type_attr] = want
        for t in group:
            if want is not None and t.dtype != want:
                raise GraphBuildError(
                    f"node {name!r} ({op_type}): input {arg.name!r} must be {dtypes.name(want)}, "
                    f"but {t.name!r} is {dtypes.name(t.dtype)}")

    @staticmethod
    def _attr_protos(name: str, op_type: str, op_def: Any, attrs: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        known = {a.name: a for a in op_def.attr}
        for key in attrs:
            if key not in known and not key.startswith("_"):
                raise GraphBuildError(f"node {name!r} ({op_type}) has no attr {key!r}; it takes "
                                      f"{sorted(known) or 'none'}")
        for key, value in attrs.items():
            if key.startswith("_"):
                out[key] = value if isinstance(value, protos.AttrValue) else _string_list_attr(value)
        for attr_def in op_def.attr:
            value = protos.AttrValue()
            if attr_def.name in attrs:
                raw = attrs[attr_def.name]
                if isinstance(raw, protos.AttrValue):
                    value.CopyFrom(raw)
                else:
                    try:
                        opdefs.set_attr_value(value, attr_def.type, raw)
                    except (TypeError, ValueError) as e:
                        raise GraphBuildError(f"node {name!r} ({op_type}): attr {attr_def.name!r} "
                                              f"({attr_def.type}) cannot be {raw!r}: {e}") from None
            elif attr_def.HasField("default_value"):
                value.CopyFrom(attr_def.default_value)
            else:
                raise GraphBuildError(f"node {name!r} ({op_type}) needs attr {attr_def.name!r} "
                                      f"({attr_def.type})")
            allowed = attr_def.allowed_values.list
            if attr_def.type == "type" and allowed.type and value.type not in allowed.type:
                raise GraphBuildError(
                    f"node {name!r} ({op_type}): {dtypes.name(value.type)} is not allowed for attr "
                    f"{attr_def.name!r} (allowed: {', '.join(dtypes.name(t) for t in allowed.type)})")
            if attr_def.type == "string" and allowed.s and value.s not in allowed.s:
                raise GraphBuildError(f"node {name!r} ({op_type}): attr {attr_def.name!r} must be one "
                                      f"of {[s.decode() for s in allowed.s]}, got {value.s.decode()!r}")
            if attr_def.has_minimum and attr_def.type == "int" and value.i < attr_def.minimum:
                raise GraphBuildError(f"node {name!r} ({op_type}): attr {attr_def.name!r} must be "
                                      f">= {attr_def.minimum}, got {value.i}")
            out[attr_def.name] = value
        return out

    @staticmethod
    def _output_dtypes(op: Operation, op_def: Any) -> list[int]:
        out: list[int] = []
        for arg in op_def.output_arg:
            if arg.type_list_attr:
                out.extend(op.get_attr(arg.type_list_attr))
                continue
            dt = arg.type if arg.type else op.attrs[arg.type_attr].type
            out.extend([dt] * (op.get_attr(arg.number_attr) if arg.number_attr else 1))
        return out

    # -- lookup and export -------------------------------------------------------------------
    def get_operation(self, name: str) -> Operation:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"no operation named {name!r} in the graph") from None

    def get_tensor(self, name: str) -> Tensor:
        op_name, _, index = name.rpartition(":")
        return self.get_operation(op_name if op_name else name).outputs[int(index) if op_name else 0]

    def add_to_collection(self, key: str, value: Any) -> None:
        self.collections.setdefault(key, []).append(value)

    def as_graph_def(self) -> Any:
        graph_def = protos.GraphDef()
        graph_def.versions.producer = opdefs.producer_version()
        graph_def.node.extend(op.to_node_def() for op in self.operations)
        if any(getattr(op, "functions", None) for op in self.operations):
            graph_def.library.CopyFrom(library_of(self.operations))
        return graph_def

    def to_text(self) -> str:
        return protos.to_text(self.as_graph_def())

    def to_bytes(self) -> bytes:
        return protos.to_bytes(self.as_graph_def())


def _string_list_attr(value: Any) -> Any:
    attr = protos.AttrValue()
    if isinstance(value, (list, tuple)):
        attr.list.SetInParent()
        attr.list.s.extend(v.encode() if isinstance(v, str) else v for v in value)
    else:
        attr.s = value.encode() if isinstance(value, str) else value
    return attr


_VALID_NAME = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\-/>]*$")


def check_name(name: str) -> str:
    if not _VALID_NAME.match(name):
        raise GraphBuildError(f"{name!r} is not a valid TensorFlow node name")
    return name


def as_shape(value: Any) -> Shape | None:
    if value is None:
        return None
    return tuple(None if d is None or (isinstance(d, (int, np.integer)) and d < 0) else int(d) for d in value)


def library_of(operations: Iterable[Operation]) -> Any:
    """The FunctionDefLibrary of every function the ops call, nested calls included, in a stable order."""
    library = protos.FunctionDefLibrary()
    seen: set[str] = set()
    stack = [fn for op in reversed(list(operations)) for fn in reversed(getattr(op, "functions", ()))]
    ordered: list[Any] = []  # FuncGraphs (graph/functions.py)
    while stack:
        fn = stack.pop()
        if fn.name in seen:
            continue
        seen.add(fn.name)
        ordered.append(fn)
        stack.extend(f for op in reversed(fn.operations) for f in reversed(getattr(op, "functions", ())))
    library.function.extend(fn.to_function_def() for fn in sorted(ordered, key=lambda f: f.name))
    return library
