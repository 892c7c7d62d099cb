"""One call per prepared step (``fastrun.c``, a CPython extension), instead of ~8 cffi calls and the Python
around them.

Through plain cffi a step is ~8 foreign calls (allocate, data, run, status code, byte size, deletes), each
paying cffi's argument conversion and a GIL release, plus the Python that shapes feeds and fetches: about
25 µs over a bare ``TF_SessionRun`` for one row (issue 16's per-call floor), and several Python threads
handing the GIL back and forth instead of overlapping (issue 13). ``fastrun.c`` checks the numpy feeds,
runs and builds the numpy fetches in C, against the TF functions of the library already loaded.

A run measured to be short keeps the GIL: for a single-row prediction the run takes a few µs, less than
handing the GIL to another thread and back, so releasing it made two serving threads slower than one
(docs/design.md "Threads"). Runs that take longer, and graphs with ops that may wait on another thread,
process or worker, always release it.

It is compiled with the system C compiler against this Python's and numpy's headers on first use, into a
per-user cache keyed by the source, the Python and the numpy it was built for; written to a temporary
name and renamed into place (safe with several processes at once). Without a compiler or Python's headers,
or with ``TFKG_FASTRUN=0``, ``available()`` is False and prepared calls keep the pure-cffi path: the same
results, more foreign calls.
"""
from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from . import dtypes, errors
from .feeds import Feed, Fetch, coerce
from .library import ffi, lib

ENV_SWITCH = "TFKG_FASTRUN"
ENV_CACHE = "TFKG_CACHE_DIR"
SOURCE = Path(__file__).with_name("fastrun.c")

# A feed size class whose fastest run so far is shorter than this keeps the GIL (see the module docstring).
HOLD_GIL_BELOW_NS = 50_000
# Op types that may wait for something outside the run: a graph holding one never keeps the GIL.
MAY_WAIT = ("Queue", "Barrier", "Stage", "Recv", "Send", "Collective", "Iterator", "PyFunc", "Dataset",
            "Accumulator", "Notification")
# The TF dtypes the helper carries (numpy has them built in; fastrun.c's numpy_type() lists the same).
CARRIED = frozenset({dtypes.FLOAT, dtypes.DOUBLE, dtypes.INT32, dtypes.UINT8, dtypes.INT16, dtypes.INT8,
                     dtypes.INT64, dtypes.BOOL, dtypes.UINT16, dtypes.HALF, dtypes.UINT32, dtypes.UINT64})
NEVER_HOLD = -1  # a size class's table entry once a held run of it ran long (0: not measured yet)

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


def _include_dirs() -> list[str] | None:
    """Python's and numpy's header directories, or None when Python's headers are not installed."""
    python = sysconfig.get_paths()["include"]
    if not os.path.exists(os.path.join(python, "Python.h")):
        return None
    return [python, np.get_include()]


def build(directory: Path | None = None) -> Path | None:
    """The compiled helper's path, compiling it if this source has not been compiled for this Python and
    numpy yet; None when no C compiler or no Python headers are available, or compiling fails."""
    source = SOURCE.read_bytes()
    abi = f"{sys.version}|{sysconfig.get_config_var('EXT_SUFFIX')}|{np.__version__}".encode()
    directory = directory or cache_dir()
    target = directory / f"fastrun-{hashlib.sha256(source + abi).hexdigest()[:16]}.so"
    if target.exists():
        return target
    compiler, includes = _compiler(), _include_dirs()
    if compiler is None or includes is None:
        return None
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, partial = tempfile.mkstemp(suffix=".so", dir=directory)
        os.close(fd)
        done = subprocess.run([compiler, "-O2", "-shared", "-fPIC", *(f"-I{d}" for d in includes), str(SOURCE),
                               "-o", partial], capture_output=True, timeout=120)
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
                _state["module"], _state["api"] = _load()
    return _state["api"] is not None


def _load() -> tuple[Any, Any]:
    if os.environ.get(ENV_SWITCH, "1") == "0":
        return None, None
    path = build()
    if path is None:
        return None, None
    loader = importlib.machinery.ExtensionFileLoader("_fastrun_ext", str(path))
    module = importlib.util.module_from_spec(importlib.util.spec_from_file_location(
        "_fastrun_ext", str(path), loader=loader))
    loader.exec_module(module)
    L = lib()
    api = ffi.new("tfkg_capi*")
    for field, name in (("allocate", "TF_AllocateTensor"), ("data", "TF_TensorData"),
                        ("byte_size", "TF_TensorByteSize"), ("num_dims", "TF_NumDims"), ("dim", "TF_Dim"),
                        ("delete_tensor", "TF_DeleteTensor"), ("session_run", "TF_SessionRun"),
                        ("new_status", "TF_NewStatus"), ("delete_status", "TF_DeleteStatus"),
                        ("get_code", "TF_GetCode"), ("message", "TF_Message")):
        setattr(api, field, ffi.addressof(L, name))
    return module, api


class Step:
    """A prepared call's one-call path: fixed feeds, fetches and targets as the helper reads them (the
    plan), and the plan's GIL table: per feed-size class (bit length of the bytes fed), the fastest run
    so far. The fastest, not an average: other threads' runs only ever slow a run down, so the minimum is
    the work itself. A class starts unmeasured (released)."""

    def __init__(self, session: Any, feeds: list[Feed], fetches: list[Fetch], ports: tuple[Any, Any, Any],
                 counts: tuple[int, int, int]):
        self.feeds = feeds
        self._run, self._accepts = _state["module"].run, _state["module"].accepts
        static_dims = [-1 if d is None else d for feed in feeds for d in feed.spec.shape]
        self._arrays = (ffi.new("int[]", [feed.dtype for feed in feeds] or [0]),
                        ffi.new("int[]", [feed.rank for feed in feeds] or [0]),
                        ffi.new("int64_t[]", static_dims or [0]),
                        ffi.new("int[]", [fetch.dtype for fetch in fetches] or [0]))
        self._ports = ports  # the plan points into these arrays and the ones above: kept alive with it
        may_wait = bool(session.target) or any(
            kind in op for op in session.graph.op_types() for kind in MAY_WAIT)
        self.plan = ffi.new("tfkg_plan*", {
            "api": _state["api"], "feeds": ports[0], "feed_dtypes": self._arrays[0],
            "feed_ranks": self._arrays[1], "feed_dims": self._arrays[2], "n_feeds": counts[0],
            "fetches": ports[1], "fetch_dtypes": self._arrays[3], "n_fetches": counts[1],
            "targets": ports[2], "n_targets": counts[2], "may_wait": may_wait,
            "hold_below_ns": HOLD_GIL_BELOW_NS})
        self._plan_address = _address(self.plan)
        self._guard = session.guard  # kept: its C struct must outlive every run of this step
        self._guard_address = self._guard.address

    @staticmethod
    def supports(feeds: list[Feed], fetches: list[Fetch]) -> bool:
        """Feeds of known rank and feeds and fetches of the dtypes numpy has built in (strings, bfloat16
        and unknown ranks take the general path)."""
        return available() and all(feed.dtype in CARRIED and feed.rank is not None for feed in feeds) and all(
            fetch.dtype in CARRIED for fetch in fetches)

    def accepts(self, values: tuple[Any, ...]) -> bool:
        """True when every value goes to TF as it is (exact ndarray, dtype, native byte order, C order,
        shape), checked in C."""
        return self._accepts(self._plan_address, values)

    def __call__(self, values: tuple[Any, ...]) -> list[np.ndarray]:
        got = self._run(self._plan_address, self._guard_address, values)
        if got is None:  # a value to convert first (dtype, order, a list): convert, or raise why not
            got = self._run(self._plan_address, self._guard_address, tuple(
                np.asarray(coerce(feed.spec, value), order="C") for feed, value in zip(self.feeds, values)))
            if got is None:
                raise errors.InvalidArgumentError("a feed value could not be converted to its placeholder")
        if type(got) is tuple:
            code, message = got
            raise errors.BY_CODE.get(code, errors.UnknownError)(message)
        return got


class Guard:
    """The session pointer and run count that one-call steps read and update in C (atomically, with no
    lock): ``close()`` stops new runs and waits for the ones inside to return before freeing the session.
    Made only when ``available()``."""

    def __init__(self, session_ptr: Any):
        self._struct = ffi.new("tfkg_guard*", {"session": session_ptr})
        self.address = _address(self._struct)

    def stop_runs(self) -> None:
        """No run enters from now on (runs already inside go on)."""
        _state["module"].stop_runs(self.address)

    def runs_inside(self) -> int:
        return _state["module"].runs_inside(self.address)

    def wait_for_runs(self) -> None:
        """Returns once the runs inside have returned (after TF_CloseSession cancelled them: soon)."""
        while self.runs_inside():
            time.sleep(0.001)


def _address(pointer: Any) -> int:
    return int(ffi.cast("uintptr_t", pointer))
