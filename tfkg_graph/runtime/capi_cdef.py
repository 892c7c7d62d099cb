"""The subset of TensorFlow's C API (tensorflow/c/c_api.h) that tfkg_graph calls, as cffi declarations.

``python -m tfkg_graph.runtime.capi_cdef`` regenerates ``_capi.py`` from them (cffi's out-of-line ABI
mode: the parsed declarations as a Python module, so importing the runtime skips pycparser);
tests/test_runtime.py fails when the two differ.
"""
from __future__ import annotations

import os

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
TF_Operation* TF_GraphNextOperation(TF_Graph*, size_t*);
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

/* runtime/fastrun.c: one prepared step in one call from Python */
typedef struct {
  TF_Tensor* (*allocate)(int, const int64_t*, int, size_t);
  void* (*data)(const TF_Tensor*);
  size_t (*byte_size)(const TF_Tensor*);
  int (*num_dims)(const TF_Tensor*);
  int64_t (*dim)(const TF_Tensor*, int);
  void (*delete_tensor)(TF_Tensor*);
  void (*session_run)(TF_Session*, const TF_Buffer*, const TF_Output*, TF_Tensor* const*, int,
      const TF_Output*, TF_Tensor**, int, const TF_Operation* const*, int, TF_Buffer*, TF_Status*);
  TF_Status* (*new_status)(void);
  void (*delete_status)(TF_Status*);
  int (*get_code)(const TF_Status*);
  const char* (*message)(const TF_Status*);
} tfkg_capi;
typedef struct {
  const tfkg_capi* api; const TF_Output* feeds; const int* feed_dtypes; const int* feed_ranks;
  const int64_t* feed_dims; int n_feeds; const TF_Output* fetches; const int* fetch_dtypes; int n_fetches;
  TF_Operation* const* targets; int n_targets; int may_wait; int64_t hold_below_ns; int64_t held_runs;
  int64_t fastest_ns[65];
} tfkg_plan;
typedef struct { TF_Session* session; int64_t runs; int closing; } tfkg_guard;
"""


def write_module(path: str = os.path.join(os.path.dirname(__file__), "_capi.py")) -> None:
    import cffi
    ffi = cffi.FFI()
    ffi.cdef(CDEF)
    ffi.set_source("tfkg_graph.runtime._capi", None)
    ffi.emit_python_code(path)


if __name__ == "__main__":
    write_module()
