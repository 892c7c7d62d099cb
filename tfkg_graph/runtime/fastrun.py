"""One foreign call per prepared step (``fastrun.c``), so a step releases the GIL once instead of ~8 times.

Through plain cffi a step is ~8 foreign calls (allocate, data, run, status code, byte size, deletes), and
cffi releases and retakes the GIL around each: several Python threads then hand the GIL back and forth
instead of overlapping (issue 13), and each call pays cffi's argument conversion (issue 16's per-call
floor). ``fastrun.c`` does the whole step in C against the TF functions of the library already loaded.

A run measured to be short keeps the GIL (the helper called through ``ctypes.PyDLL``): for a single-row
prediction the run takes a few µs, less than handing the GIL to another thread and back, so releasing it
made two serving threads slower than one (issue 13; docs/design.md "Threads"). Runs that take longer, and
graphs with ops that may wait on another thread, process or worker, always release it.

It is compiled with the system C compiler on first use into a per-user cache, keyed by the source's
hash, written to a temporary name and renamed into place (safe with several processes at once). Without
a compiler, or with ``TFKG_FASTRUN=0``, ``available()`` is False and prepared calls keep the pure-cffi
path: the same results, more foreign calls.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np

from . import errors
from .feeds import Feed, Fetch, coerce
from .library import ffi, lib

ENV_SWITCH = "TFKG_FASTRUN"
ENV_CACHE = "TFKG_CACHE_DIR"
SOURCE = Path(__file__).with_name("fastrun.c")

# A run whose recent average is shorter than this keeps the GIL (see the module docstring).
HOLD_GIL_BELOW_NS = 50_000
# Op types that may wait for something outside the run: a graph holding one never keeps the GIL.
MAY_WAIT = ("Queue", "Barrier", "Stage", "Recv", "Send", "Collective", "Iterator", "PyFunc", "Dataset",
            "Accumulator", "Notification")

UNMEASURED, NEVER_HOLD = 1 << 62, 1 << 63  # a size class's fastest run before any, and once it ran long

_state: dict[str, Any] = {}
_load_lock = threading.Lock()


def cache_dir() -> Path:
    """``$TFKG_CACHE_DIR``, else ``$XDG_CACHE_HOME/tfkg_graph``, else ``~/.cache/tfkg_graph``."""
    if os.environ.get(ENV_CACHE):
        return Path(os.environ[ENV_CACHE])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "tfkg_graph"


def _compiler() -> str | None:
    return next((c for c in (os.environ.get("CC"), "cc", "gcc", "clang") if c and shutil.which(c)), None)


def build(directory: Path | None = None) -> Path | None:
    """The compiled helper's path, compiling it if this source has not been compiled yet; None when no
    C compiler is available or compiling fails."""
    source = SOURCE.read_bytes()
    directory = directory or cache_dir()
    target = directory / f"fastrun-{hashlib.sha256(source).hexdigest()[:16]}.so"
    if target.exists():
        return target
    compiler = _compiler()
    if compiler is None:
        return None
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, partial = tempfile.mkstemp(suffix=".so", dir=directory)
        os.close(fd)
        done = subprocess.run([compiler, "-O2", "-shared", "-fPIC", "-std=c99", str(SOURCE), "-o", partial],
                              capture_output=True, timeout=120)
        if done.returncode:
            os.unlink(partial)
            return None
        os.replace(partial, target)
    except OSError:
        return None
    return target


def available() -> bool:
    """True when prepared calls can take the one-call path (built and loaded once per process)."""
    if "api" not in _state:
        with _load_lock:
            if "api" not in _state:
                _state["helper"], _state["api"], _state["holding"] = _load()
    return _state["api"] is not None


def _load() -> tuple[Any, Any, Any]:
    if os.environ.get(ENV_SWITCH, "1") == "0":
        return None, None, None
    path = build()
    if path is None:
        return None, None, None
    helper = ffi.dlopen(str(path))
    holding = ctypes.PyDLL(str(path)).tfkg_run  # PyDLL: the call keeps the GIL
    holding.argtypes, holding.restype = (ctypes.c_void_p,) * 3, ctypes.c_int
    L = lib()
    api = ffi.new("tfkg_capi*")
    api.allocate = ffi.addressof(L, "TF_AllocateTensor")
    api.data = ffi.addressof(L, "TF_TensorData")
    api.byte_size = ffi.addressof(L, "TF_TensorByteSize")
    api.delete_tensor = ffi.addressof(L, "TF_DeleteTensor")
    api.session_run = ffi.addressof(L, "TF_SessionRun")
    api.get_code = ffi.addressof(L, "TF_GetCode")
    return helper, api, holding


class Step:
    """A prepared call's one-foreign-call path: fixed feeds, fetches and targets as the C helper reads
    them, and a free list of per-call buffers (one per concurrent caller; pop/append are atomic)."""

    def __init__(self, session: Any, feeds: list[Feed], fetches: list[Fetch], ports: tuple[Any, Any, Any],
                 counts: tuple[int, int, int]):
        available()
        self.session, self.feeds, self.fetches = session, feeds, fetches
        self._run = _state["helper"].tfkg_run
        ranks = [feed.rank for feed in feeds]
        self._dims_at = [sum(ranks[:i]) for i in range(len(ranks))]
        self._n_dims = sum(ranks)
        self._arrays = (ffi.new("int[]", [feed.dtype for feed in feeds] or [0]), ffi.new("int[]", ranks or [0]))
        self._ports = ports
        self._plan = ffi.new("tfkg_plan*", {
            "api": _state["api"], "feeds": ports[0], "feed_dtypes": self._arrays[0],
            "feed_ranks": self._arrays[1], "n_feeds": counts[0], "fetches": ports[1], "n_fetches": counts[1],
            "targets": ports[2], "n_targets": counts[2]})
        self._spare: list[CallBuffers] = []
        self._plan_address = _address(self._plan)
        # None: always release the GIL. Otherwise the helper called with the GIL kept, for feeds of a size
        # class (total bytes, by powers of two) whose fastest run so far took under HOLD_GIL_BELOW_NS.
        # The fastest run, not an average: other threads' runs only ever slow a run down, so the minimum
        # is the work itself. A size class starts unmeasured (released), and one whose held run took a hundred
        # times the limit (5 ms: a graph whose cost depends on the values) is released from then on. Threads
        # race harmlessly on the table: a lost update only delays the choice.
        may_wait = bool(session.target) or any(
            kind in op for op in session.graph.op_types() for kind in MAY_WAIT)
        self._run_holding = None if may_wait else _state["holding"]
        self._fastest_ns: dict[int, int] = {}
        self._session_ptr: tuple[Any, int] = (None, 0)

    @staticmethod
    def supports(feeds: list[Feed]) -> bool:
        """Numeric feeds of known rank (strings and unknown ranks take the general path)."""
        return available() and all(feed.np_dtype is not None and feed.rank is not None for feed in feeds)

    def __call__(self, values: tuple[Any, ...]) -> list[np.ndarray]:
        try:
            buffers = self._spare.pop()
        except IndexError:
            buffers = CallBuffers(len(self.feeds), len(self.fetches), self._n_dims)
        keep = []  # the arrays and cffi views whose memory the helper reads or writes
        rows, total_bytes = None, 0
        try:
            data, dims, nbytes = buffers.feed_data, buffers.feed_dims, buffers.feed_bytes
            for i, feed in enumerate(self.feeds):
                value = values[i]
                if not feed.accepts(value):
                    value = np.asarray(coerce(feed.spec, value), order="C")  # keeps 0-d arrays 0-d
                view = ffi.from_buffer(value)
                keep.append(view)
                data[i] = view
                at = self._dims_at[i]
                dims[at:at + feed.rank] = value.shape
                nbytes[i] = value.nbytes
                total_bytes += value.nbytes
                if rows is None and value.ndim:
                    rows = value.shape[0]
            outs = []
            for i, fetch in enumerate(self.fetches):
                shape = fetch.expected_shape(rows)
                if shape is None:
                    buffers.fetch_data[i] = ffi.NULL
                    outs.append(None)
                    continue
                out = np.empty(shape, fetch.np_dtype)
                view = ffi.from_buffer(out)  # writable: np.empty made it
                keep.append(view)
                buffers.fetch_data[i] = view
                buffers.fetch_bytes[i] = out.nbytes
                outs.append(out)
            session = self.session
            ptr = session.enter_run()
            try:
                size_class = total_bytes.bit_length()
                fastest = self._fastest_ns.get(size_class, UNMEASURED)
                hold = fastest < HOLD_GIL_BELOW_NS and self._run_holding is not None
                if hold:
                    if self._session_ptr[0] is not ptr:
                        self._session_ptr = (ptr, _address(ptr))
                    code = self._run_holding(self._plan_address, self._session_ptr[1], buffers.address)
                else:
                    code = self._run(self._plan, ptr, buffers.ptr)
                took = buffers.ptr.run_ns  # measured in C: a GIL hand-over right after the call is not in it
                if hold and took > 100 * HOLD_GIL_BELOW_NS:
                    self._fastest_ns[size_class] = NEVER_HOLD
                elif took < fastest < NEVER_HOLD:
                    self._fastest_ns[size_class] = took
            finally:
                session.exit_run()
            if code == ALLOCATION_FAILED:
                raise errors.ResourceExhaustedError("could not allocate a feed tensor")
            if code:
                buffers.status.check()
            handed_back = buffers.fetch_tensors
            return [outs[i] if handed_back[i] == ffi.NULL else fetch.read(handed_back[i])
                    for i, fetch in enumerate(self.fetches)]
        finally:
            self._spare.append(buffers)


ALLOCATION_FAILED = -1


class CallBuffers:
    """The per-call arrays that one call at a time fills and the helper reads."""

    __slots__ = ("feed_data", "feed_dims", "feed_bytes", "fetch_data", "fetch_bytes", "fetch_tensors",
                 "status", "ptr", "address", "_inputs")

    def __init__(self, n_feeds: int, n_fetches: int, n_dims: int):
        self.feed_data = ffi.new("void*[]", max(n_feeds, 1))
        self.feed_dims = ffi.new("int64_t[]", max(n_dims, 1))
        self.feed_bytes = ffi.new("size_t[]", max(n_feeds, 1))
        self.fetch_data = ffi.new("void*[]", max(n_fetches, 1))
        self.fetch_bytes = ffi.new("size_t[]", max(n_fetches, 1))
        self.fetch_tensors = ffi.new("TF_Tensor*[]", max(n_fetches, 1))
        self._inputs = ffi.new("TF_Tensor*[]", max(n_feeds, 1))
        self.status = errors.Status(lib(), ffi)
        self.ptr = ffi.new("tfkg_call*", {
            "feed_data": self.feed_data, "feed_dims": self.feed_dims, "feed_bytes": self.feed_bytes,
            "fetch_data": self.fetch_data, "fetch_bytes": self.fetch_bytes, "fetch_tensors": self.fetch_tensors,
            "inputs": self._inputs, "status": self.status.ptr})
        self.address = _address(self.ptr)


def _address(pointer: Any) -> int:
    return int(ffi.cast("uintptr_t", pointer))
