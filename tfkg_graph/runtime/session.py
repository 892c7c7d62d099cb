"""Sessions over the TF C API: import a GraphDef, run it, prepare cheap repeated steps.

Thread safety: ``TF_SessionRun`` is thread-safe, but the TF_Tensor arrays and the TF_Status handed to it
are not shareable between concurrent calls. So every call here uses its own (a prepared callable keeps a
free list of them), and a session counts the runs inside it: ``close()`` cancels them, waits for them to
return (they raise ``CancelledError`` or ``FailedPreconditionError``), and only then frees the C session.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np

from . import errors, fastrun, protos, tensor
from .feeds import Feed, FeedSpec, Fetch, coerce
from .library import ffi, lib


@dataclass
class SessionConfig:
    """What a ConfigProto says, in the words users reach for.

    ``intra_op_threads=1`` with ``inter_op_threads=-1`` (run ops in the caller's thread) is the fastest
    setting for small models; ``0`` lets TF choose (all cores), which large matmuls want.
    TF creates its thread pools once per process, with the first session's settings; later sessions
    share them unless ``per_session_threads=True`` (own pools; measured ~40% slower per small step).
    ``graph_rewrites`` sets TF's graph optimizer (grappler), which runs once when a step is first run:
    ``"default"`` (two passes), ``"one_pass"``, or ``"off"``. Models choose for themselves: see
    ``models.runtime.LARGE_GRAPH_OPS`` for the policy and what it was measured with.
    ``xla=True`` compiles the graph's clusters with XLA (TF's auto-clustering, CPU included), as
    ``compile(jit_compile=True)`` asks.
    """

    intra_op_threads: int = 0
    inter_op_threads: int = 0
    cpu_devices: int = 1
    gpu_memory_growth: bool = True
    visible_gpus: str = ""
    allow_soft_placement: bool = False
    log_device_placement: bool = False
    per_session_threads: bool = False
    graph_rewrites: str = "default"
    xla: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_proto(self) -> Any:
        config = protos.ConfigProto(
            intra_op_parallelism_threads=self.intra_op_threads,
            inter_op_parallelism_threads=self.inter_op_threads,
            allow_soft_placement=self.allow_soft_placement,
            log_device_placement=self.log_device_placement,
            use_per_session_threads=self.per_session_threads, **self.extra)
        config.device_count["CPU"] = self.cpu_devices
        config.gpu_options.allow_growth = self.gpu_memory_growth
        if self.visible_gpus:
            config.gpu_options.visible_device_list = self.visible_gpus
        if self.xla:
            config.graph_options.optimizer_options.global_jit_level = protos.OptimizerOptions.ON_2
            config.graph_options.optimizer_options.cpu_global_jit = True
        rewrites = config.graph_options.rewrite_options
        if self.graph_rewrites == "one_pass":
            rewrites.meta_optimizer_iterations = protos.RewriterConfig.ONE
        elif self.graph_rewrites == "off":
            rewrites.disable_meta_optimizer = True
        elif self.graph_rewrites != "default":
            raise ValueError(f"graph_rewrites must be 'default', 'one_pass' or 'off', got {self.graph_rewrites!r}")
        return config


@dataclass(frozen=True)
class Device:
    name: str
    device_type: str
    memory_bytes: int


def _name(item: Any) -> str:
    """A fetch, feed or target given as a name, or as a graph object with one (Tensor, Operation)."""
    if isinstance(item, str):
        return item
    name = getattr(item, "name", None)
    if not isinstance(name, str):
        raise TypeError(f"expected a name or a graph Tensor/Operation, got {type(item).__name__}: {item!r}")
    return name


def split_name(name: str) -> tuple[str, int]:
    """'dense/MatMul:1' -> ('dense/MatMul', 1); a bare op name means output 0."""
    op, sep, index = name.rpartition(":")
    if sep and index.isdigit():
        return op, int(index)
    return name, 0


class GraphHandle:
    """A TF_Graph holding an imported GraphDef."""

    def __init__(self, graph_def: Any = None):
        L = lib()
        self.ptr = ffi.gc(L.TF_NewGraph(), L.TF_DeleteGraph)
        if graph_def is not None:
            self.import_graph_def(graph_def)

    def import_graph_def(self, graph_def: Any, prefix: str = "") -> None:
        L = lib()
        data = graph_def if isinstance(graph_def, bytes) else protos.to_bytes(graph_def)
        buf = ffi.gc(L.TF_NewBufferFromString(data, len(data)), L.TF_DeleteBuffer)
        opts = ffi.gc(L.TF_NewImportGraphDefOptions(), L.TF_DeleteImportGraphDefOptions)
        if prefix:
            L.TF_ImportGraphDefOptionsSetPrefix(opts, prefix.encode())
        status = errors.Status(L, ffi)
        L.TF_GraphImportGraphDef(self.ptr, buf, opts, status.ptr)
        status.check("importing GraphDef")

    def operation(self, name: str) -> Any:
        op = lib().TF_GraphOperationByName(self.ptr, name.encode())
        if op == ffi.NULL:
            raise errors.NotFoundError(f"no operation named {name!r} in the graph")
        return op

    def op_types(self) -> set[str]:
        """The op types of the graph's nodes (functions' bodies not included)."""
        L = lib()
        position = ffi.new("size_t*", 0)
        types = set()
        while (op := L.TF_GraphNextOperation(self.ptr, position)) != ffi.NULL:
            types.add(ffi.string(L.TF_OperationOpType(op)).decode())
        return types

    def output(self, name: str) -> Any:
        op_name, index = split_name(name)
        op = self.operation(op_name)
        count = lib().TF_OperationNumOutputs(op)
        if index >= count:
            raise errors.NotFoundError(f"{name!r}: operation {op_name!r} has {count} output(s)")
        return op, index

    def spec(self, name: str) -> FeedSpec:
        L = lib()
        op, index = self.output(name)
        out = ffi.new("TF_Output*", (op, index))[0]
        status = errors.Status(L, ffi)
        ndims = L.TF_GraphGetTensorNumDims(self.ptr, out, status.ptr)
        status.check(name)
        shape: tuple[int | None, ...] | None = None
        if ndims >= 0:
            dims = ffi.new("int64_t[]", max(ndims, 1))
            L.TF_GraphGetTensorShape(self.ptr, out, dims, ndims, status.ptr)
            status.check(name)
            shape = tuple(None if d < 0 else int(d) for d in dims[0:ndims])
        return FeedSpec(name, L.TF_OperationOutputType(out), shape)

    def to_graph_def(self) -> Any:
        L = lib()
        buf = ffi.gc(L.TF_NewBuffer(), L.TF_DeleteBuffer)
        status = errors.Status(L, ffi)
        L.TF_GraphToGraphDef(self.ptr, buf, status.ptr)
        status.check("exporting GraphDef")
        return protos.GraphDef.FromString(ffi.unpack(ffi.cast("char*", buf.data), buf.length))


def _session_options(target: str, config: SessionConfig) -> Any:
    L = lib()
    opts = ffi.gc(L.TF_NewSessionOptions(), L.TF_DeleteSessionOptions)
    if target:
        L.TF_SetTarget(opts, target.encode())
    data = protos.to_bytes(config.to_proto())
    status = errors.Status(L, ffi)
    L.TF_SetConfig(opts, data, len(data), status.ptr)
    status.check("session config")
    return opts


class Session:
    """Runs a graph. ``graph`` is a GraphDef message, its bytes, or anything with ``as_graph_def()``."""

    def __init__(self, graph: Any = None, target: str = "", config: SessionConfig | None = None,
                 *, _handle: GraphHandle | None = None, _ptr: Any = None):
        L = lib()
        self.config = config or SessionConfig()
        if _handle is not None:
            self.graph = _handle
        else:
            if hasattr(graph, "as_graph_def"):
                graph = graph.as_graph_def()
            self.graph = GraphHandle(graph)
        if _ptr is None:
            status = errors.Status(L, ffi)
            _ptr = L.TF_NewSession(self.graph.ptr, _session_options(target, self.config), status.ptr)
            status.check("creating session")
        self._ptr = _ptr
        # the one-call steps' view of the session (fastrun.c counts their runs); None without the helper
        self.guard = fastrun.Guard(_ptr) if fastrun.available() else None
        self.target = target
        self._specs: dict[str, FeedSpec] = {}
        self._runs = 0  # runs inside TF_SessionRun now; close() waits for them
        self._closing = False
        self._mutex = threading.Lock()  # taken directly on the per-run path (cheaper than the Condition)
        self._state = threading.Condition(self._mutex)

    @classmethod
    def from_saved_model(cls, export_dir: str, tags: Sequence[str] = ("serve",),
                         config: SessionConfig | None = None) -> tuple["Session", Any]:
        """Loads any SavedModel through TF's own loader; returns the session and its MetaGraphDef."""
        L = lib()
        config = config or SessionConfig()
        handle = GraphHandle()
        meta = ffi.gc(L.TF_NewBuffer(), L.TF_DeleteBuffer)
        ctags = [ffi.new("char[]", t.encode()) for t in tags]
        status = errors.Status(L, ffi)
        if not os.path.isdir(export_dir):
            raise errors.NotFoundError(f"SavedModel directory {export_dir!r} does not exist")
        ptr = L.TF_LoadSessionFromSavedModel(_session_options("", config), ffi.NULL, export_dir.encode(),
                                             ffi.new("char*[]", ctags), len(ctags), handle.ptr, meta,
                                             status.ptr)
        status.check(f"loading SavedModel {export_dir!r}")
        meta_graph = protos.MetaGraphDef.FromString(ffi.unpack(ffi.cast("char*", meta.data), meta.length))
        return cls(config=config, _handle=handle, _ptr=ptr), meta_graph

    def spec(self, name: str) -> FeedSpec:
        if name not in self._specs:
            self._specs[name] = self.graph.spec(name)
        return self._specs[name]

    def make_callable(self, feeds: Sequence[str] = (), fetches: Sequence[str] = (),
                      targets: Sequence[str] = ()) -> "Callable":
        return Callable(self, list(feeds), list(fetches), list(targets))

    def run(self, fetches: Any = (), feed_dict: dict[Any, Any] | None = None, targets: Iterable[Any] = ()) -> Any:
        """One-off run; a single fetch returns one array, a list returns a list. Fetches, feed keys and
        targets are names or graph objects with a ``name`` (Tensors, Operations)."""
        feed_dict = feed_dict or {}
        single = isinstance(fetches, str) or hasattr(fetches, "name")
        names = [_name(f) for f in ([fetches] if single else fetches)]
        out = self.make_callable([_name(k) for k in feed_dict], names, [_name(t) for t in targets])(
            *feed_dict.values())
        return out[0] if single else out

    def list_devices(self) -> list[Device]:
        L = lib()
        status = errors.Status(L, ffi)
        ptr = self.enter_run()
        try:
            devices = ffi.gc(L.TF_SessionListDevices(ptr, status.ptr), L.TF_DeleteDeviceList)
        finally:
            self.exit_run()
        status.check("listing devices")
        out = []
        for i in range(L.TF_DeviceListCount(devices)):
            name = ffi.string(L.TF_DeviceListName(devices, i, status.ptr)).decode()
            kind = ffi.string(L.TF_DeviceListType(devices, i, status.ptr)).decode()
            out.append(Device(name, kind, L.TF_DeviceListMemoryBytes(devices, i, status.ptr)))
        status.check("listing devices")
        return out

    @property
    def runs_inside(self) -> int:
        """How many runs are inside TF_SessionRun now (one-call steps and the others)."""
        return self._runs + (self.guard.runs_inside() if self.guard is not None else 0)

    @property
    def closed(self) -> bool:
        return self._ptr is None or self._closing

    def enter_run(self) -> Any:
        """Counts a run in and returns the C session; raises if the session is closed or closing."""
        with self._mutex:
            if self._ptr is None or self._closing:
                raise errors.FailedPreconditionError("the session is closed")
            self._runs += 1
            return self._ptr

    def exit_run(self) -> None:
        with self._mutex:
            self._runs -= 1
            if self._closing and not self._runs:
                self._state.notify_all()

    def close(self) -> None:
        """Cancels runs in progress, waits for them to return, then frees the session. Safe to call from
        any thread, more than once; a second caller waits until the session is freed."""
        with self._state:
            if self._ptr is None:
                return
            if self._closing:
                self._state.wait_for(lambda: self._ptr is None)
                return
            self._closing = True
            ptr = self._ptr
        L = lib()
        status = errors.Status(L, ffi)
        if self.guard is not None:
            self.guard.stop_runs()
        L.TF_CloseSession(ptr, status.ptr)  # cancels running steps: they return with an error
        if self.guard is not None:
            self.guard.wait_for_runs()
        with self._state:
            self._state.wait_for(lambda: not self._runs)
            L.TF_DeleteSession(ptr, status.ptr)
            self._ptr = None
            self._state.notify_all()
        status.check("closing session")

    def forget(self) -> None:
        """No run enters from now on, and the C session is left as it is, never freed: for a distributed
        session whose task died, where TF_CloseSession would block (distribute.ClusterSession)."""
        with self._mutex:
            self._ptr = None
        if self.guard is not None:
            self.guard.stop_runs()

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            if getattr(self, "_state", None) is not None:
                self.close()
        except Exception:  # noqa: BLE001 - never raise from a finaliser
            pass


class Callable:
    """Fixed feeds, fetches and targets resolved once; each call is one TF_SessionRun.

    The per-call path is kept to the bare minimum: a fast feed check, then one foreign call
    (``fastrun``) that allocates the feeds, runs, copies the fetches into numpy and deletes every
    TF_Tensor. Without the compiled helper (or for string feeds), the same steps as separate cffi calls.
    """

    def __init__(self, session: Session, feeds: list[str], fetches: list[str], targets: list[str]):
        self.session = session
        graph = session.graph
        self.specs = [session.spec(name) for name in feeds]
        self._feed_info = [Feed(spec) for spec in self.specs]
        self._feeds = ffi.new("TF_Output[]", [graph.output(n) for n in feeds] or 1)
        self._fetches = ffi.new("TF_Output[]", [graph.output(n) for n in fetches] or 1)
        self._targets = ffi.new("TF_Operation*[]", [graph.operation(split_name(n)[0]) for n in targets] or 1)
        self._counts = (len(feeds), len(fetches), len(targets))
        self._fetch_info = [Fetch(session.spec(n)) for n in fetches]
        self.fetch_names = fetches
        self._spare: list[tuple[Any, Any, errors.Status]] = []  # per-call buffers, reused; pop/append are atomic
        self._one_call = fastrun.Step(session, self._feed_info, self._fetch_info,
                                      (self._feeds, self._fetches, self._targets), self._counts) \
            if fastrun.Step.supports(self._feed_info, self._fetch_info) else None

    def accepts(self, *values: Any) -> bool:
        """True when every value can be fed as it is (right dtype, C order, shape): callers may skip
        their own conversions."""
        if self._one_call is not None:
            return self._one_call.accepts(values)
        return len(values) == len(self._feed_info) and all(
            feed.np_dtype is not None and feed.accepts(value) for feed, value in zip(self._feed_info, values))

    def _buffers(self) -> tuple[Any, Any, errors.Status]:
        """A TF_Tensor* array for the feeds, one for the fetches and a TF_Status, used by one call at a time."""
        try:
            return self._spare.pop()
        except IndexError:
            n_in, n_out, _ = self._counts
            return (ffi.new("TF_Tensor*[]", max(n_in, 1)), ffi.new("TF_Tensor*[]", max(n_out, 1)),
                    errors.Status(lib(), ffi))

    def __call__(self, *values: Any) -> list[np.ndarray]:
        if self._one_call is not None:  # it checks the number of values itself
            return self._one_call(values)
        n_in, n_out, n_targets = self._counts
        if len(values) != n_in:
            raise TypeError(f"expected {n_in} feed value(s), got {len(values)}")
        L = lib()
        buffers = self._buffers()
        inputs, outputs, status = buffers
        made = 0
        try:
            for feed, value in zip(self._feed_info, values):
                if feed.np_dtype is None:
                    inputs[made] = tensor.to_tf(coerce(feed.spec, value), feed.dtype)
                else:
                    if not feed.accepts(value):
                        value = np.asarray(coerce(feed.spec, value), order="C")  # keeps 0-d arrays 0-d
                    t = L.TF_AllocateTensor(feed.dtype, value.shape, value.ndim, value.nbytes)
                    if value.nbytes:
                        ffi.memmove(L.TF_TensorData(t), value, value.nbytes)
                    inputs[made] = t
                made += 1
            session = self.session
            ptr = session.enter_run()
            try:
                L.TF_SessionRun(ptr, ffi.NULL, self._feeds, inputs, n_in, self._fetches, outputs, n_out,
                                self._targets, n_targets, ffi.NULL, status.ptr)
            finally:
                session.exit_run()
            if L.TF_GetCode(status.ptr):
                status.check()
            # read before the feeds are freed: a fetch may share a fed string tensor's buffer
            return [fetch.read(outputs[i]) for i, fetch in enumerate(self._fetch_info)]
        finally:
            for i in range(made):
                L.TF_DeleteTensor(inputs[i])
            self._spare.append(buffers)
