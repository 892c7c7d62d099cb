/*
 * One prepared step in one foreign call: allocate the feeds from caller memory, TF_SessionRun, copy
 * each fetch into caller memory when it fits exactly, and free every TF_Tensor made here.
 *
 * Built by tfkg_graph/runtime/fastrun.py with the system C compiler. It links against nothing: the
 * TF C API functions come in through `tfkg_capi` (pointers into whichever libtensorflow the process
 * loaded), so no TF headers are needed and a second copy of TF can never be loaded.
 *
 * Reentrant: every piece of per-call state lives in the `tfkg_call` the caller passes, and one
 * `tfkg_call` is used by one call at a time.
 */
#define _POSIX_C_SOURCE 199309L /* clock_gettime under -std=c99 */
#include <stddef.h>
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

typedef struct {
  TF_Tensor *(*allocate)(int, const int64_t *, int, size_t);
  void *(*data)(const TF_Tensor *);
  size_t (*byte_size)(const TF_Tensor *);
  void (*delete_tensor)(TF_Tensor *);
  void (*session_run)(TF_Session *, const TF_Buffer *, const TF_Output *, TF_Tensor *const *, int,
                      const TF_Output *, TF_Tensor **, int, TF_Operation *const *, int, TF_Buffer *,
                      TF_Status *);
  int (*get_code)(const TF_Status *);
} tfkg_capi;

typedef struct {
  const tfkg_capi *api;
  const TF_Output *feeds;
  const int *feed_dtypes;
  const int *feed_ranks;
  int n_feeds;
  const TF_Output *fetches;
  int n_fetches;
  TF_Operation *const *targets;
  int n_targets;
} tfkg_plan;

typedef struct {
  const void **feed_data;   /* in: each feed's bytes (C order) */
  const int64_t *feed_dims; /* in: every feed's dims, one after another */
  const size_t *feed_bytes; /* in */
  void **fetch_data;        /* in: where a fetch may be copied (NULL: hand the tensor back) */
  size_t *fetch_bytes;      /* in: the size that fits fetch_data[i]; out: the fetch's size */
  TF_Tensor **fetch_tensors; /* out: fetches not copied, for the caller to read and delete */
  TF_Tensor **inputs;       /* scratch, n_feeds */
  TF_Status *status;
  int64_t run_ns;           /* out: how long TF_SessionRun took (the caller decides on the GIL by it) */
} tfkg_call;

enum { TFKG_ALLOCATION_FAILED = -1 };

int tfkg_run(const tfkg_plan *plan, TF_Session *session, tfkg_call *call) {
  const tfkg_capi *api = plan->api;
  const int64_t *dims = call->feed_dims;
  int made = 0;
  for (; made < plan->n_feeds; made++) {
    size_t bytes = call->feed_bytes[made];
    TF_Tensor *t = api->allocate(plan->feed_dtypes[made], dims, plan->feed_ranks[made], bytes);
    if (!t) break;
    if (bytes) memcpy(api->data(t), call->feed_data[made], bytes);
    call->inputs[made] = t;
    dims += plan->feed_ranks[made];
  }
  if (made < plan->n_feeds) {
    for (int i = 0; i < made; i++) api->delete_tensor(call->inputs[i]);
    return TFKG_ALLOCATION_FAILED;
  }
  for (int i = 0; i < plan->n_fetches; i++) call->fetch_tensors[i] = NULL;
  struct timespec started, ended;
  clock_gettime(CLOCK_MONOTONIC, &started);
  api->session_run(session, NULL, plan->feeds, call->inputs, plan->n_feeds, plan->fetches,
                   call->fetch_tensors, plan->n_fetches, plan->targets, plan->n_targets, NULL,
                   call->status);
  clock_gettime(CLOCK_MONOTONIC, &ended);
  call->run_ns = (int64_t)(ended.tv_sec - started.tv_sec) * 1000000000 + (ended.tv_nsec - started.tv_nsec);
  for (int i = 0; i < plan->n_feeds; i++) api->delete_tensor(call->inputs[i]);
  int code = api->get_code(call->status);
  for (int i = 0; i < plan->n_fetches; i++) {
    TF_Tensor *t = call->fetch_tensors[i];
    if (!t) continue;
    if (code) {
      api->delete_tensor(t);
      call->fetch_tensors[i] = NULL;
      continue;
    }
    size_t size = api->byte_size(t);
    if (call->fetch_data[i] && size == call->fetch_bytes[i]) {
      if (size) memcpy(call->fetch_data[i], api->data(t), size);
      api->delete_tensor(t);
      call->fetch_tensors[i] = NULL;
    }
    call->fetch_bytes[i] = size;
  }
  return code;
}
