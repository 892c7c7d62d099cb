"""Finds and loads the TensorFlow C library through cffi (ABI mode: no compiler needed).

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

import cffi

ENV_LIBRARY = "TFKG_LIBTENSORFLOW"
ENV_VERBOSE = "TFKG_VERBOSE"

CDEF = """
typedef struct TF_Status TF_Status;
typedef struct TF_Graph TF_Graph;
typedef struct TF_Operation TF_Operation;
typedef struct TF_ImportGraphDefOptions TF_ImportGraphDefOptions;
typedef struct TF_SessionOptions TF_SessionOptions;
typedef struct TF_Session TF_Session;
typedef struct TF_Tensor TF_Tensor;
typedef struct TF_DeviceList TF_DeviceList;
typedef struct TF_Server TF_Server;
typedef struct { TF_Operation* oper; int index; } TF_Output;
typedef struct TF_Buffer {
  const void* data; size_t length; void (*data_deallocator)(void* data, size_t length);
} TF_Buffer;
typedef struct { char raw[24]; } TF_TString;

const char* TF_Version(void);

TF_Status* TF_NewStatus(void);
void TF_DeleteStatus(TF_Status*);
int TF_GetCode(const TF_Status*);
const char* TF_Message(const TF_Status*);

TF_Buffer* TF_NewBufferFromString(const void* proto, size_t proto_len);
TF_Buffer* TF_NewBuffer(void);
void TF_DeleteBuffer(TF_Buffer*);
TF_Buffer* TF_GetAllOpList(void);

TF_Graph* TF_NewGraph(void);
void TF_DeleteGraph(TF_Graph*);
TF_ImportGraphDefOptions* TF_NewImportGraphDefOptions(void);
void TF_DeleteImportGraphDefOptions(TF_ImportGraphDefOptions*);
void TF_ImportGraphDefOptionsSetPrefix(TF_ImportGraphDefOptions*, const char*);
void TF_GraphImportGraphDef(TF_Graph*, const TF_Buffer*, const TF_ImportGraphDefOptions*, TF_Status*);
void TF_GraphToGraphDef(TF_Graph*, TF_Buffer*, TF_Status*);
TF_Operation* TF_GraphOperationByName(TF_Graph*, const char*);
int TF_OperationNumOutputs(TF_Operation*);
int TF_OperationOutputType(TF_Output);
const char* TF_OperationOpType(TF_Operation*);
int TF_GraphGetTensorNumDims(TF_Graph*, TF_Output, TF_Status*);
void TF_GraphGetTensorShape(TF_Graph*, TF_Output, int64_t*, int, TF_Status*);

TF_SessionOptions* TF_NewSessionOptions(void);
void TF_DeleteSessionOptions(TF_SessionOptions*);
void TF_SetTarget(TF_SessionOptions*, const char*);
void TF_SetConfig(TF_SessionOptions*, const void*, size_t, TF_Status*);
TF_Session* TF_NewSession(TF_Graph*, const TF_SessionOptions*, TF_Status*);
TF_Session* TF_LoadSessionFromSavedModel(const TF_SessionOptions*, const TF_Buffer*, const char*,
    const char* const*, int, TF_Graph*, TF_Buffer*, TF_Status*);
void TF_CloseSession(TF_Session*, TF_Status*);
void TF_DeleteSession(TF_Session*, TF_Status*);
void TF_SessionRun(TF_Session*, const TF_Buffer*, const TF_Output*, TF_Tensor* const*, int,
    const TF_Output*, TF_Tensor**, int, const TF_Operation* const*, int, TF_Buffer*, TF_Status*);

TF_DeviceList* TF_SessionListDevices(TF_Session*, TF_Status*);
void TF_DeleteDeviceList(TF_DeviceList*);
int TF_DeviceListCount(const TF_DeviceList*);
const char* TF_DeviceListName(const TF_DeviceList*, int, TF_Status*);
const char* TF_DeviceListType(const TF_DeviceList*, int, TF_Status*);
int64_t TF_DeviceListMemoryBytes(const TF_DeviceList*, int, TF_Status*);

TF_Tensor* TF_AllocateTensor(int, const int64_t*, int, size_t);
void TF_DeleteTensor(TF_Tensor*);
int TF_TensorType(const TF_Tensor*);
int TF_NumDims(const TF_Tensor*);
int64_t TF_Dim(const TF_Tensor*, int);
size_t TF_TensorByteSize(const TF_Tensor*);
void* TF_TensorData(const TF_Tensor*);
int64_t TF_TensorElementCount(const TF_Tensor*);

void TF_StringInit(TF_TString*);
void TF_StringCopy(TF_TString*, const char*, size_t);
const char* TF_StringGetDataPointer(const TF_TString*);
size_t TF_StringGetSize(const TF_TString*);
void TF_StringDealloc(TF_TString*);

TF_Server* TF_NewServer(const void*, size_t, TF_Status*);
void TF_ServerStart(TF_Server*, TF_Status*);
void TF_ServerStop(TF_Server*, TF_Status*);
void TF_ServerJoin(TF_Server*, TF_Status*);
const char* TF_ServerTarget(TF_Server*);
void TF_DeleteServer(TF_Server*);
"""

ffi = cffi.FFI()
ffi.cdef(CDEF)
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
