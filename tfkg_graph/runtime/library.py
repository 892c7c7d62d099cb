"""Finds and loads the TensorFlow C library through cffi (ABI mode: no compiler needed).

The declarations (``capi_cdef.CDEF``) are parsed ahead of time into ``_capi.py`` (cffi's out-of-line ABI
mode), so loading needs neither a compiler nor pycparser at run time.

Search order: ``$TFKG_LIBTENSORFLOW`` (a standalone libtensorflow file or its directory), then the
installed ``tensorflow``/``tensorflow-cpu`` wheel's ``libtensorflow_cc.so.2`` — located with
``importlib.util.find_spec`` so TensorFlow's Python package is never imported.
"""
from __future__ import annotations

import importlib.util
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from . import _capi

ENV_LIBRARY = "TFKG_LIBTENSORFLOW"
ENV_VERBOSE = "TFKG_VERBOSE"

ffi: Any = _capi.ffi
_lib: Any = None


class LibraryNotFound(ImportError):
    """No TensorFlow C library could be located."""


def library_path() -> Path:
    """The C library that will be loaded, without loading it."""
    override = os.environ.get(ENV_LIBRARY)
    if override:
        path = Path(override)
        if path.is_dir():
            found = [p for name in ("libtensorflow.so.2", "libtensorflow.so", "libtensorflow_cc.so.2")
                     if (p := path / name).exists() or (p := path / "lib" / name).exists()]
            if not found:
                raise LibraryNotFound(f"${ENV_LIBRARY}={override}: no libtensorflow*.so in that directory")
            path = found[0]
        if not path.exists():
            raise LibraryNotFound(f"${ENV_LIBRARY}={override}: no such file")
        return path
    spec = importlib.util.find_spec("tensorflow")
    if spec is None or not spec.submodule_search_locations:
        raise LibraryNotFound(
            "TensorFlow's C library was not found: install `tfkg-graph[cpu]` (tensorflow-cpu) or "
            f"point ${ENV_LIBRARY} at a standalone libtensorflow")
    path = Path(list(spec.submodule_search_locations)[0]) / "libtensorflow_cc.so.2"
    if not path.exists():
        raise LibraryNotFound(f"{path} is missing: the tensorflow wheel looks incomplete")
    return path


@contextmanager
def _quiet_stderr() -> Iterator[None]:
    """TF prints a oneDNN banner on fd 2 while loading, whatever TF_CPP_MIN_LOG_LEVEL says."""
    if os.environ.get(ENV_VERBOSE):
        yield
        return
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def lib() -> Any:
    """The loaded C library (loaded once; RTLD_NODELETE keeps TF's static destructors from running
    after the interpreter has torn down, which otherwise can crash at exit)."""
    global _lib
    if _lib is None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "0" if os.environ.get(ENV_VERBOSE) else "2")
        # Each session gets the intra-op pool its own config asks for, instead of every session sharing
        # the pool sized by the first one: a small model (one thread) built first no longer slows a
        # large model built later. TF reads this once, when it creates its first CPU device; set it to
        # 0 before the first session to share one process-wide pool. docs/design.md, "Thread pools".
        os.environ.setdefault("TF_OVERRIDE_GLOBAL_THREADPOOL", "1")
        path = library_path()
        with _quiet_stderr():
            _lib = ffi.dlopen(str(path), ffi.RTLD_NOW | ffi.RTLD_NODELETE)
    return _lib


def version() -> str:
    return ffi.string(lib().TF_Version()).decode()
