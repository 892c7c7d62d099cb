/*
 * One prepared step in one call from Python: check the numpy feeds, copy them into TF_Tensors,
 * TF_SessionRun, and hand the fetches back as new numpy arrays, freeing every TF_Tensor made here.
 *
 * A CPython extension module (`_fastrun_ext`), built by tfkg_graph/runtime/fastrun.py with the system C
 * compiler against this Python's and numpy's headers. It links against nothing from TF: the C API
 * functions come in through `tfkg_capi` (pointers into whichever libtensorflow the process loaded, filled
 * by cffi), so no TF headers are needed and a second copy of TF can never be loaded.
 *
 * Reentrant: per-call state lives on the C stack; the plan is read-only except its GIL table, whose
 * entries are read and written atomically (a lost update only delays a choice).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

typedef struct TF_Tensor TF_Tensor;
typedef struct TF_Status TF_Status;
typedef struct TF_Session TF_Session;
typedef struct TF_Operation TF_Operation;
typedef struct TF_Buffer TF_Buffer;
typedef struct {
  TF_Operation *oper;
  int index;
} TF_Output;

/* Must match runtime/capi_cdef.py, which cffi fills. */
typedef struct {
  TF_Tensor *(*allocate)(int, const int64_t *, int, size_t);
  void *(*data)(const TF_Tensor *);
  size_t (*byte_size)(const TF_Tensor *);
  int (*num_dims)(const TF_Tensor *);
  int64_t (*dim)(const TF_Tensor *, int);
  void (*delete_tensor)(TF_Tensor *);
  void (*session_run)(TF_Session *, const TF_Buffer *, const TF_Output *, TF_Tensor *const *, int,
                      const TF_Output *, TF_Tensor **, int, TF_Operation *const *, int, TF_Buffer *,
                      TF_Status *);
  TF_Status *(*new_status)(void);
  void (*delete_status)(TF_Status *);
  int (*get_code)(const TF_Status *);
  const char *(*message)(const TF_Status *);
} tfkg_capi;

enum { SIZE_CLASSES = 65, NEVER_HOLD = -1 };

/* A session as runs see it: close() sets `closing`, cancels, and waits for `runs` to reach 0 before it
 * frees `session` (the Dekker pattern: each side stores its flag, then reads the other's, seq_cst). */
typedef struct {
  TF_Session *session;
  int64_t runs;
  int closing;
} tfkg_guard;

typedef struct {
  const tfkg_capi *api;
  const TF_Output *feeds;
  const int *feed_dtypes;
  const int *feed_ranks;
  const int64_t *feed_dims; /* every feed's static dims one after another, -1 where unknown */
  int n_feeds;
  const TF_Output *fetches;
  const int *fetch_dtypes;
  int n_fetches;
  TF_Operation *const *targets;
  int n_targets;
  int may_wait;          /* the graph has ops that may wait on another thread: always release the GIL */
  int64_t hold_below_ns; /* runs measured shorter than this keep the GIL */
  int64_t held_runs;     /* how many runs kept the GIL (tests and benchmarks read it) */
  /* per feed-size class (bit length of the bytes fed): 0 unmeasured, NEVER_HOLD, or the fastest run */
  int64_t fastest_ns[SIZE_CLASSES];
} tfkg_plan;

/* The numpy type of a TF_DataType, or -1 when this path does not carry it. */
static int numpy_type(int dtype) {
  switch (dtype) {
    case 1: return NPY_FLOAT32;
    case 2: return NPY_FLOAT64;
    case 3: return NPY_INT32;
    case 4: return NPY_UINT8;
    case 5: return NPY_INT16;
    case 6: return NPY_INT8;
    case 9: return NPY_INT64;
    case 10: return NPY_BOOL;
    case 17: return NPY_UINT16;
    case 19: return NPY_FLOAT16;
    case 22: return NPY_UINT32;
    case 23: return NPY_UINT64;
    default: return -1;
  }
}

/* True when `value` can be copied into the feed as is: exact ndarray, dtype, native order, C order, shape. */
static int acceptable(PyObject *value, int dtype, int rank, const int64_t *dims) {
  if (!PyArray_CheckExact(value)) return 0;
  PyArrayObject *array = (PyArrayObject *)value;
  int want = numpy_type(dtype), got = PyArray_TYPE(array);
  if (got != want && !PyArray_EquivTypenums(got, want)) return 0;
  if (!PyArray_IS_C_CONTIGUOUS(array) || !PyArray_ISNOTSWAPPED(array) || PyArray_NDIM(array) != rank) return 0;
  const npy_intp *shape = PyArray_DIMS(array);
  for (int d = 0; d < rank; d++)
    if (dims[d] >= 0 && dims[d] != shape[d]) return 0;
  return 1;
}

/* True when every value of the tuple (one per feed) is acceptable; adds their bytes to *total_bytes. */
static int all_acceptable(const tfkg_plan *plan, PyObject *values, uint64_t *total_bytes) {
  const int64_t *dims = plan->feed_dims;
  for (int i = 0; i < plan->n_feeds; i++) {
    PyObject *value = PyTuple_GET_ITEM(values, i);
    if (!acceptable(value, plan->feed_dtypes[i], plan->feed_ranks[i], dims)) return 0;
    *total_bytes += (uint64_t)PyArray_NBYTES((PyArrayObject *)value);
    dims += plan->feed_ranks[i];
  }
  return 1;
}

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int size_class(uint64_t bytes) { return bytes ? 64 - __builtin_clzll(bytes) : 0; }

/* Keeps the GIL for size classes measured fast; a held run a hundred times over the limit (a cost that
 * depends on the values) releases that class for good. */
static void record(tfkg_plan *plan, int cls, int held, int64_t took) {
  int64_t *slot = &plan->fastest_ns[cls];
  int64_t fastest = __atomic_load_n(slot, __ATOMIC_RELAXED);
  if (held) __atomic_fetch_add(&plan->held_runs, 1, __ATOMIC_RELAXED);
  if (fastest == NEVER_HOLD) return;
  if (held && took > 100 * plan->hold_below_ns)
    __atomic_store_n(slot, (int64_t)NEVER_HOLD, __ATOMIC_RELAXED);
  else if (fastest == 0 || took < fastest)
    __atomic_store_n(slot, took > 0 ? took : 1, __ATOMIC_RELAXED);
}

/* Reads the fetches into new numpy arrays (deleting each TF_Tensor); NULL with an exception on failure. */
static PyObject *fetched(const tfkg_plan *plan, TF_Tensor **outputs) {
  const tfkg_capi *api = plan->api;
  PyObject *result = PyList_New(plan->n_fetches);
  for (int i = 0; result && i < plan->n_fetches; i++) {
    TF_Tensor *t = outputs[i];
    if (!t) {
      PyErr_Format(PyExc_RuntimeError, "TF_SessionRun returned no tensor for fetch %d", i);
      Py_CLEAR(result);
      break;
    }
    int rank = api->num_dims(t);
    npy_intp shape[NPY_MAXDIMS];
    if (rank > NPY_MAXDIMS) {
      PyErr_Format(PyExc_ValueError, "fetch %d has rank %d, over numpy's %d", i, rank, NPY_MAXDIMS);
      Py_CLEAR(result);
      break;
    }
    for (int d = 0; d < rank; d++) shape[d] = (npy_intp)api->dim(t, d);
    PyObject *array = PyArray_SimpleNew(rank, shape, numpy_type(plan->fetch_dtypes[i]));
    if (!array) {
      Py_CLEAR(result);
      break;
    }
    size_t size = api->byte_size(t);
    if ((size_t)PyArray_NBYTES((PyArrayObject *)array) != size) {
      PyErr_Format(PyExc_ValueError, "fetch %d holds %zu bytes, not the %zd its shape and dtype take", i, size,
                   (Py_ssize_t)PyArray_NBYTES((PyArrayObject *)array));
      Py_DECREF(array);
      Py_CLEAR(result);
      break;
    }
    if (size) memcpy(PyArray_DATA((PyArrayObject *)array), api->data(t), size);
    PyList_SET_ITEM(result, i, array);
  }
  for (int i = 0; i < plan->n_fetches; i++)
    if (outputs[i]) api->delete_tensor(outputs[i]);
  return result;
}

/* run(plan_address, guard_address, values) -> list of arrays; None when a value needs converting
 * first (the caller converts and calls again); (code, message) when TF reports an error or the session
 * is closed. */
static PyObject *run(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
  (void)module;
  if (nargs != 3 || !PyTuple_Check(args[2])) {
    PyErr_SetString(PyExc_TypeError, "run(plan_address, guard_address, values: tuple)");
    return NULL;
  }
  tfkg_plan *plan = (tfkg_plan *)PyLong_AsVoidPtr(args[0]);
  tfkg_guard *guard = (tfkg_guard *)PyLong_AsVoidPtr(args[1]);
  if (PyErr_Occurred()) return NULL;
  PyObject *values = args[2];
  const tfkg_capi *api = plan->api;
  int n_feeds = plan->n_feeds, n_fetches = plan->n_fetches;
  if (PyTuple_GET_SIZE(values) != n_feeds) {
    PyErr_Format(PyExc_TypeError, "expected %d feed value(s), got %zd", n_feeds, PyTuple_GET_SIZE(values));
    return NULL;
  }
  uint64_t total_bytes = 0;
  if (!all_acceptable(plan, values, &total_bytes)) Py_RETURN_NONE;
  TF_Tensor *inputs[n_feeds > 0 ? n_feeds : 1], *outputs[n_fetches > 0 ? n_fetches : 1];
  for (int i = 0; i < n_feeds; i++) {
    PyArrayObject *array = (PyArrayObject *)PyTuple_GET_ITEM(values, i);
    int rank = PyArray_NDIM(array);
    int64_t shape[NPY_MAXDIMS];
    for (int d = 0; d < rank; d++) shape[d] = PyArray_DIMS(array)[d];
    size_t bytes = (size_t)PyArray_NBYTES(array);
    inputs[i] = api->allocate(plan->feed_dtypes[i], shape, rank, bytes);
    if (!inputs[i]) {
      for (int j = 0; j < i; j++) api->delete_tensor(inputs[j]);
      return PyErr_NoMemory();
    }
    if (bytes) memcpy(api->data(inputs[i]), PyArray_DATA(array), bytes);
  }
  for (int i = 0; i < n_fetches; i++) outputs[i] = NULL;
  __atomic_fetch_add(&guard->runs, 1, __ATOMIC_SEQ_CST);
  if (__atomic_load_n(&guard->closing, __ATOMIC_SEQ_CST)) {
    __atomic_fetch_sub(&guard->runs, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < n_feeds; i++) api->delete_tensor(inputs[i]);
    return Py_BuildValue("(is)", 9, "the session is closed"); /* FAILED_PRECONDITION */
  }
  TF_Session *session = guard->session;
  TF_Status *status = api->new_status();
  int cls = size_class(total_bytes);
  int64_t fastest = __atomic_load_n(&plan->fastest_ns[cls], __ATOMIC_RELAXED);
  int hold = !plan->may_wait && fastest > 0 && fastest < plan->hold_below_ns;
  int64_t started = now_ns(), took;
  if (hold) {
    api->session_run(session, NULL, plan->feeds, inputs, n_feeds, plan->fetches, outputs, n_fetches,
                     plan->targets, plan->n_targets, NULL, status);
    took = now_ns() - started;
  } else {
    Py_BEGIN_ALLOW_THREADS
    api->session_run(session, NULL, plan->feeds, inputs, n_feeds, plan->fetches, outputs, n_fetches,
                     plan->targets, plan->n_targets, NULL, status);
    took = now_ns() - started;
    Py_END_ALLOW_THREADS
  }
  __atomic_fetch_sub(&guard->runs, 1, __ATOMIC_SEQ_CST);
  record(plan, cls, hold, took);
  for (int i = 0; i < n_feeds; i++) api->delete_tensor(inputs[i]);
  int code = api->get_code(status);
  PyObject *result;
  if (code) {
    for (int i = 0; i < n_fetches; i++)
      if (outputs[i]) api->delete_tensor(outputs[i]);
    result = Py_BuildValue("(is)", code, api->message(status));
  } else {
    result = fetched(plan, outputs);
  }
  api->delete_status(status);
  return result;
}

/* accepts(plan_address, values) -> True when run() takes every value as it is (no conversion). */
static PyObject *accepts(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
  (void)module;
  if (nargs != 2 || !PyTuple_Check(args[1])) {
    PyErr_SetString(PyExc_TypeError, "accepts(plan_address, values: tuple)");
    return NULL;
  }
  const tfkg_plan *plan = (const tfkg_plan *)PyLong_AsVoidPtr(args[0]);
  if (PyErr_Occurred()) return NULL;
  uint64_t total_bytes = 0;
  return PyBool_FromLong(PyTuple_GET_SIZE(args[1]) == plan->n_feeds && all_acceptable(plan, args[1], &total_bytes));
}

/* stop_runs(guard_address): no run enters the session after this. */
static PyObject *stop_runs(PyObject *module, PyObject *address) {
  (void)module;
  tfkg_guard *guard = (tfkg_guard *)PyLong_AsVoidPtr(address);
  if (PyErr_Occurred()) return NULL;
  __atomic_store_n(&guard->closing, 1, __ATOMIC_SEQ_CST);
  Py_RETURN_NONE;
}

/* runs_inside(guard_address) -> the runs inside the session now. */
static PyObject *runs_inside(PyObject *module, PyObject *address) {
  (void)module;
  tfkg_guard *guard = (tfkg_guard *)PyLong_AsVoidPtr(address);
  if (PyErr_Occurred()) return NULL;
  return PyLong_FromLongLong(__atomic_load_n(&guard->runs, __ATOMIC_SEQ_CST));
}

static PyMethodDef methods[] = {
    {"run", (PyCFunction)(void (*)(void))run, METH_FASTCALL,
     "run(plan_address, guard_address, values) -> arrays | None | (code, message)"},
    {"accepts", (PyCFunction)(void (*)(void))accepts, METH_FASTCALL,
     "accepts(plan_address, values) -> True when every value goes as it is"},
    {"stop_runs", stop_runs, METH_O, "stop_runs(guard_address): no run enters after this"},
    {"runs_inside", runs_inside, METH_O, "runs_inside(guard_address) -> runs inside now"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fastrun_ext",
                                    "One prepared TF step per call (tfkg_graph/runtime/fastrun.c).", -1,
                                    methods};

PyMODINIT_FUNC PyInit__fastrun_ext(void) {
  import_array();
  return PyModule_Create(&module);
}
