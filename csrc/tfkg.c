/* tfkg.c: see tfkg.h. Built on TensorFlow's C API only (tensorflow/c/c_api.h). */
#define _GNU_SOURCE /* pthread_rwlockattr_setkind_np: writers first, so predictions cannot starve training */
#include "tfkg.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tensorflow/c/c_api.h"

#define SERVE_TAG "serve"
#define SAMPLE_WEIGHT_SUFFIX "sample_weight"
#define TRAIN_SIGNATURE "train" /* the one signature whose runs change variables */

/* ---------------------------------------------------------------------------------------------- */
/* errors */

static tfkg_code fail(tfkg_error *err, tfkg_code code, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    err->code = code;
    err->tf_code = 0;
  }
  return code;
}

static void ok(tfkg_error *err) {
  if (err) {
    err->code = TFKG_OK;
    err->tf_code = 0;
    err->message[0] = '\0';
  }
}

/* Turns a non-OK TF_Status into TFKG_ERR_TENSORFLOW with `context` in front of TF's message. */
static tfkg_code fail_tf(tfkg_error *err, const TF_Status *status, const char *context) {
  tfkg_code code = fail(err, TFKG_ERR_TENSORFLOW, "%s: %s", context, TF_Message(status));
  if (err) err->tf_code = (int)TF_GetCode(status);
  return code;
}

const char *tfkg_code_name(tfkg_code code) {
  static const char *const names[] = {"TFKG_OK", "TFKG_ERR_ARGUMENT", "TFKG_ERR_NOT_FOUND",
                                      "TFKG_ERR_FORMAT", "TFKG_ERR_TENSORFLOW", "TFKG_ERR_IO",
                                      "TFKG_ERR_MEMORY"};
  return (unsigned)code < sizeof names / sizeof *names ? names[code] : "TFKG_ERR_UNKNOWN";
}

const char *tfkg_dtype_name(int dtype) {
  switch (dtype) {
    case TF_FLOAT: return "float32";
    case TF_DOUBLE: return "float64";
    case TF_INT32: return "int32";
    case TF_UINT8: return "uint8";
    case TF_INT16: return "int16";
    case TF_INT8: return "int8";
    case TF_STRING: return "string";
    case TF_INT64: return "int64";
    case TF_BOOL: return "bool";
    case TF_HALF: return "float16";
    case TF_BFLOAT16: return "bfloat16";
    case TF_UINT16: return "uint16";
    case TF_UINT32: return "uint32";
    case TF_UINT64: return "uint64";
    default: return "unknown";
  }
}

/* ---------------------------------------------------------------------------------------------- */
/* A protobuf wire-format reader: just enough to walk a MetaGraphDef (no protobuf library). */

typedef struct {
  const uint8_t *p, *end;
} pb_reader;

typedef struct {
  uint32_t number;
  pb_reader bytes; /* the payload of a length-delimited field */
} pb_field;

static int pb_varint(pb_reader *r, uint64_t *value) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64 && r->p < r->end; shift += 7) {
    uint8_t b = *r->p++;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *value = v;
      return 1;
    }
  }
  return 0;
}

/* Advances to the next length-delimited field (skipping others). 1 = got one, 0 = end, -1 = corrupt. */
static int pb_next(pb_reader *r, pb_field *f) {
  while (r->p < r->end) {
    uint64_t key, n;
    if (!pb_varint(r, &key)) return -1;
    switch (key & 7) {
      case 0: if (!pb_varint(r, &n)) return -1; break;
      case 1: if (r->end - r->p < 8) return -1; r->p += 8; break;
      case 5: if (r->end - r->p < 4) return -1; r->p += 4; break;
      case 2:
        if (!pb_varint(r, &n) || n > (uint64_t)(r->end - r->p)) return -1;
        f->number = (uint32_t)(key >> 3);
        f->bytes.p = r->p;
        f->bytes.end = r->p + n;
        r->p += n;
        return 1;
      default: return -1; /* groups are not used by TF's protos */
    }
  }
  return 0;
}

static char *pb_strdup(pb_reader s) {
  size_t n = (size_t)(s.end - s.p);
  char *out = malloc(n + 1);
  if (out) {
    memcpy(out, s.p, n);
    out[n] = '\0';
  }
  return out;
}

/* ---------------------------------------------------------------------------------------------- */
/* the model */

typedef struct {
  tfkg_signature pub; /* first, so a tfkg_signature* is a signature* */
  tfkg_tensor_info *inputs, *outputs;
  TF_Output *input_ports, *output_ports;
} signature;

struct tfkg_model {
  char *dir;
  TF_Graph *graph;
  TF_Session *session;
  signature *signatures;
  size_t num_signatures;
  char *saver_filename, *saver_save; /* SaverDef tensor names; NULL if the model has no SaverDef */
  /* Runs of "train" hold `variables` for writing, every other run and saves for reading: predictions
   * overlap each other but never a train step. `saving` lets one save at a time use the temp files. */
  pthread_rwlock_t variables;
  pthread_mutex_t saving;
  unsigned saves;  /* under `saving`: makes each save's temp name unique */
  int locks_ready;
};

static void free_infos(tfkg_tensor_info *infos, size_t n) {
  for (size_t i = 0; infos && i < n; i++) {
    free((char *)infos[i].key);
    free((char *)infos[i].tensor_name);
    free((int64_t *)infos[i].dims);
  }
  free(infos);
}

void tfkg_model_free(tfkg_model *m) {
  if (!m) return;
  if (m->session) {
    TF_Status *status = TF_NewStatus();
    TF_CloseSession(m->session, status);
    TF_DeleteSession(m->session, status);
    TF_DeleteStatus(status);
  }
  if (m->graph) TF_DeleteGraph(m->graph);
  for (size_t i = 0; i < m->num_signatures; i++) {
    signature *s = &m->signatures[i];
    free((char *)s->pub.name);
    free_infos(s->inputs, s->pub.num_inputs);
    free_infos(s->outputs, s->pub.num_outputs);
    free(s->input_ports);
    free(s->output_ports);
  }
  free(m->signatures);
  free(m->saver_filename);
  free(m->saver_save);
  free(m->dir);
  if (m->locks_ready) {
    pthread_rwlock_destroy(&m->variables);
    pthread_mutex_destroy(&m->saving);
  }
  free(m);
}

static int init_locks(tfkg_model *m) {
  pthread_rwlockattr_t attr;
  if (pthread_rwlockattr_init(&attr)) return 0;
#ifdef __GLIBC__
  pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
  int ok = pthread_rwlock_init(&m->variables, &attr) == 0;
  pthread_rwlockattr_destroy(&attr);
  if (ok && pthread_mutex_init(&m->saving, NULL) != 0) {
    pthread_rwlock_destroy(&m->variables);
    ok = 0;
  }
  m->locks_ready = ok;
  return ok;
}

/* "dense/BiasAdd:0" -> the graph's TF_Output. */
static int find_port(TF_Graph *graph, const char *tensor_name, TF_Output *port) {
  const char *colon = strrchr(tensor_name, ':');
  size_t len = colon ? (size_t)(colon - tensor_name) : strlen(tensor_name);
  char *op_name = malloc(len + 1);
  if (!op_name) return 0;
  memcpy(op_name, tensor_name, len);
  op_name[len] = '\0';
  port->oper = TF_GraphOperationByName(graph, op_name);
  port->index = colon ? atoi(colon + 1) : 0;
  free(op_name);
  return port->oper && port->index >= 0 && port->index < TF_OperationNumOutputs(port->oper);
}

static int by_key(const void *a, const void *b) {
  return strcmp(((const tfkg_tensor_info *)a)->key, ((const tfkg_tensor_info *)b)->key);
}

static int by_name(const void *a, const void *b) {
  return strcmp(((const signature *)a)->pub.name, ((const signature *)b)->pub.name);
}

/* Reads a map<string, TensorInfo> field (`number` in a SignatureDef) into infos sorted by key, with
 * dtype and shape taken from the graph (which is what the session will check feeds against). */
static tfkg_code read_tensor_map(tfkg_model *m, const char *sig_name, pb_reader sigdef, uint32_t number,
                                 tfkg_tensor_info **infos_out, TF_Output **ports_out, size_t *count,
                                 tfkg_error *err) {
  size_t n = 0;
  pb_field f, g;
  pb_reader r = sigdef;
  int more;
  while ((more = pb_next(&r, &f)) > 0) n += f.number == number;
  if (more < 0) return fail(err, TFKG_ERR_FORMAT, "signature '%s' is not a valid SignatureDef", sig_name);
  tfkg_tensor_info *infos = calloc(n ? n : 1, sizeof *infos);
  TF_Output *ports = calloc(n ? n : 1, sizeof *ports);
  *infos_out = infos;
  *ports_out = ports;
  *count = n;
  if (!infos || !ports) return fail(err, TFKG_ERR_MEMORY, "out of memory reading signature '%s'", sig_name);
  size_t i = 0;
  for (r = sigdef; pb_next(&r, &f) > 0;) {
    if (f.number != number) continue;
    pb_reader entry = f.bytes, tensor_info = {NULL, NULL};
    while (pb_next(&entry, &g) > 0) {
      if (g.number == 1) infos[i].key = pb_strdup(g.bytes);
      if (g.number == 2) tensor_info = g.bytes;
    }
    while (tensor_info.p && pb_next(&tensor_info, &g) > 0)
      if (g.number == 1) infos[i].tensor_name = pb_strdup(g.bytes);
    if (!infos[i].key) infos[i].key = strdup("");
    if (!infos[i].tensor_name) infos[i].tensor_name = strdup("");
    i++;
  }
  for (i = 0; i < n; i++)
    if (!infos[i].key || !infos[i].tensor_name)
      return fail(err, TFKG_ERR_MEMORY, "out of memory reading signature '%s'", sig_name);
  qsort(infos, n, sizeof *infos, by_key);
  TF_Status *status = TF_NewStatus();
  tfkg_code code = TFKG_OK;
  for (i = 0; i < n && code == TFKG_OK; i++) {
    tfkg_tensor_info *info = &infos[i];
    if (!find_port(m->graph, info->tensor_name, &ports[i])) {
      code = fail(err, TFKG_ERR_FORMAT, "signature '%s': '%s' names tensor '%s', which is not in the graph",
                  sig_name, info->key, info->tensor_name);
      break;
    }
    info->dtype = (int)TF_OperationOutputType(ports[i]);
    info->rank = TF_GraphGetTensorNumDims(m->graph, ports[i], status);
    if (TF_GetCode(status) == TF_OK && info->rank > 0) {
      int64_t *dims = malloc((size_t)info->rank * sizeof *dims);
      if (!dims) {
        code = fail(err, TFKG_ERR_MEMORY, "out of memory reading signature '%s'", sig_name);
        break;
      }
      info->dims = dims;
      TF_GraphGetTensorShape(m->graph, ports[i], dims, info->rank, status);
    }
    if (TF_GetCode(status) != TF_OK) code = fail_tf(err, status, info->tensor_name);
  }
  TF_DeleteStatus(status);
  return code;
}

/* Reads the signatures (MetaGraphDef field 5) and SaverDef (field 3) out of a MetaGraphDef. */
static tfkg_code read_meta_graph(tfkg_model *m, const TF_Buffer *meta, tfkg_error *err) {
  pb_reader top = {meta->data, (const uint8_t *)meta->data + meta->length}, r = top;
  pb_field f, g;
  size_t n = 0;
  int more;
  while ((more = pb_next(&r, &f)) > 0) n += f.number == 5;
  if (more < 0) return fail(err, TFKG_ERR_FORMAT, "%s: saved_model.pb holds a corrupt MetaGraphDef", m->dir);
  m->signatures = calloc(n ? n : 1, sizeof *m->signatures);
  if (!m->signatures) return fail(err, TFKG_ERR_MEMORY, "out of memory loading %s", m->dir);
  for (r = top; pb_next(&r, &f) > 0;) {
    if (f.number == 3) { /* SaverDef: filename_tensor_name = 1, save_tensor_name = 2 */
      for (pb_reader saver = f.bytes; pb_next(&saver, &g) > 0;) {
        if (g.number == 1 && !m->saver_filename) m->saver_filename = pb_strdup(g.bytes);
        if (g.number == 2 && !m->saver_save) m->saver_save = pb_strdup(g.bytes);
      }
      continue;
    }
    if (f.number != 5) continue;
    signature *s = &m->signatures[m->num_signatures++];
    pb_reader def = {NULL, NULL};
    for (pb_reader entry = f.bytes; pb_next(&entry, &g) > 0;) {
      if (g.number == 1) s->pub.name = pb_strdup(g.bytes);
      if (g.number == 2) def = g.bytes;
    }
    if (!s->pub.name) return fail(err, TFKG_ERR_MEMORY, "out of memory loading %s", m->dir);
    if (!def.p) def = (pb_reader){f.bytes.end, f.bytes.end}; /* an empty SignatureDef */
    /* SignatureDef: inputs = 1, outputs = 2 */
    tfkg_code code = read_tensor_map(m, s->pub.name, def, 1, &s->inputs, &s->input_ports, &s->pub.num_inputs, err);
    if (code == TFKG_OK)
      code = read_tensor_map(m, s->pub.name, def, 2, &s->outputs, &s->output_ports, &s->pub.num_outputs, err);
    s->pub.inputs = s->inputs;
    s->pub.outputs = s->outputs;
    if (code != TFKG_OK) return code;
  }
  qsort(m->signatures, m->num_signatures, sizeof *m->signatures, by_name);
  return TFKG_OK;
}

tfkg_model *tfkg_model_load(const char *export_dir, tfkg_error *err) {
  struct stat st;
  if (!export_dir) {
    fail(err, TFKG_ERR_ARGUMENT, "tfkg_model_load: export_dir is NULL");
    return NULL;
  }
  if (stat(export_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    fail(err, TFKG_ERR_NOT_FOUND, "model directory '%s' does not exist or is not a directory", export_dir);
    return NULL;
  }
  tfkg_model *m = calloc(1, sizeof *m);
  if (!m || !(m->dir = strdup(export_dir)) || !init_locks(m)) {
    if (m) free(m->dir);
    free(m);
    fail(err, TFKG_ERR_MEMORY, "out of memory loading %s", export_dir);
    return NULL;
  }
  const char *tags[] = {SERVE_TAG};
  TF_Status *status = TF_NewStatus();
  TF_SessionOptions *options = TF_NewSessionOptions();
  /* ConfigProto{inter_op_parallelism_threads: -1}: each run executes its ops in the calling thread
   * (large kernels still use TF's intra-op pool), so a request pays no hand-off to TF's inter-op pool
   * and N calling threads run N requests at once. bench/bench_threads.py measures it. */
  static const unsigned char inline_ops[] = {0x28, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  TF_SetConfig(options, inline_ops, sizeof inline_ops, status);
  TF_Buffer *meta = TF_NewBuffer();
  m->graph = TF_NewGraph();
  m->session = TF_LoadSessionFromSavedModel(options, NULL, export_dir, tags, 1, m->graph, meta, status);
  tfkg_code code = TFKG_OK;
  if (TF_GetCode(status) != TF_OK) {
    char context[512];
    snprintf(context, sizeof context, "cannot load SavedModel '%s' (tag '%s')", export_dir, SERVE_TAG);
    code = fail_tf(err, status, context);
    m->session = NULL;
  } else {
    code = read_meta_graph(m, meta, err);
  }
  TF_DeleteBuffer(meta);
  TF_DeleteSessionOptions(options);
  TF_DeleteStatus(status);
  if (code != TFKG_OK) {
    tfkg_model_free(m);
    return NULL;
  }
  ok(err);
  return m;
}

/* ---------------------------------------------------------------------------------------------- */
/* signatures */

size_t tfkg_num_signatures(const tfkg_model *m) { return m ? m->num_signatures : 0; }

const tfkg_signature *tfkg_signature_at(const tfkg_model *m, size_t index) {
  return m && index < m->num_signatures ? &m->signatures[index].pub : NULL;
}

const tfkg_signature *tfkg_find_signature(const tfkg_model *m, const char *name, tfkg_error *err) {
  if (!m || !name) {
    fail(err, TFKG_ERR_ARGUMENT, "tfkg_find_signature: model and name must not be NULL");
    return NULL;
  }
  for (size_t i = 0; i < m->num_signatures; i++)
    if (strcmp(m->signatures[i].pub.name, name) == 0) {
      ok(err);
      return &m->signatures[i].pub;
    }
  char available[512] = "";
  for (size_t i = 0, used = 0; i < m->num_signatures && used < sizeof available; i++)
    used += (size_t)snprintf(available + used, sizeof available - used, "%s'%s'", i ? ", " : "",
                             m->signatures[i].pub.name);
  fail(err, TFKG_ERR_NOT_FOUND, "model '%s' has no signature '%s' (it has: %s)", m->dir, name,
       m->num_signatures ? available : "none");
  return NULL;
}

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* A float32 input named "..sample_weight": one value per row, also for a sequence output whose weight
 * has unknown step dimensions (they are 1: the row's weight covers all its steps). */
static int is_sample_weight(const tfkg_tensor_info *info) {
  return info->dtype == TF_FLOAT && info->rank >= 1 && ends_with(info->key, SAMPLE_WEIGHT_SUFFIX);
}

/* Dimension d of `info` for `rows` rows; -1 if unknown. */
static int64_t dim_for(const tfkg_tensor_info *info, int d, int64_t rows) {
  if (info->dims[d] >= 0) return info->dims[d];
  if (d == 0) return rows;
  return is_sample_weight(info) ? 1 : -1;
}

int64_t tfkg_byte_size(const tfkg_tensor_info *info, int64_t rows) {
  size_t item = TF_DataTypeSize((TF_DataType)info->dtype);
  if (!item || info->rank < 0 || rows < 0) return -1;
  int64_t n = (int64_t)item;
  for (int d = 0; d < info->rank; d++) {
    int64_t dim = dim_for(info, d, rows);
    if (dim < 0 || (dim && n > INT64_MAX / dim)) return -1;
    n *= dim;
  }
  return n;
}

size_t tfkg_dtype_size(int dtype) { return TF_DataTypeSize((TF_DataType)dtype); }

int64_t tfkg_byte_size_for(const tfkg_tensor_info *info, const int64_t *dims) {
  size_t item = TF_DataTypeSize((TF_DataType)info->dtype);
  if (!item || info->rank < 0 || !dims) return -1;
  int64_t n = (int64_t)item;
  for (int d = 0; d < info->rank; d++) {
    if (dims[d] < 0 || (info->dims[d] >= 0 && dims[d] != info->dims[d])) return -1;
    if (dims[d] && n > INT64_MAX / dims[d]) return -1;
    n *= dims[d];
  }
  return n;
}

/* ---------------------------------------------------------------------------------------------- */
/* running */

/* "[2, 11, 3]" into `text`, for messages. */
static const char *shape_text(char *text, size_t size, const int64_t *dims, int rank) {
  size_t used = (size_t)snprintf(text, size, "[");
  for (int d = 0; d < rank && used < size; d++)
    used += (size_t)snprintf(text + used, size - used, "%s%lld", d ? ", " : "", (long long)dims[d]);
  if (used < size) snprintf(text + used, size - used, "]");
  return text;
}

/* The shape to feed for `info`: the caller's `dims` when given (checked against the signature and
 * `rows`), else `rows` then the signature's dims. -1 bytes (and an error) when it cannot be sized. */
static int64_t feed_shape(const tfkg_signature *s, const tfkg_tensor_info *info, int64_t rows,
                          const tfkg_input *given, int64_t *dims, tfkg_error *err) {
  char want[160], got[160];
  if (given && given->dims) {
    int64_t need = tfkg_byte_size_for(info, given->dims);
    if (need < 0 || (info->rank > 0 && given->dims[0] != rows)) {
      fail(err, TFKG_ERR_ARGUMENT, "signature '%s': input '%s' has shape %s; the call gives %s for %lld rows",
           s->name, info->key, shape_text(want, sizeof want, info->dims, info->rank),
           shape_text(got, sizeof got, given->dims, info->rank), (long long)rows);
      return -1;
    }
    memcpy(dims, given->dims, (size_t)info->rank * sizeof *dims);
    return need;
  }
  int64_t need = tfkg_byte_size(info, rows);
  if (need < 0) {
    fail(err, TFKG_ERR_ARGUMENT, "signature '%s': input '%s' (%s, shape %s) cannot be sized for %lld rows: "
         "give its shape for this call in tfkg_input.dims", s->name, info->key, tfkg_dtype_name(info->dtype),
         shape_text(want, sizeof want, info->dims, info->rank), (long long)rows);
    return -1;
  }
  for (int d = 0; d < info->rank; d++) dims[d] = dim_for(info, d, rows);
  return need;
}

/* The tensor to feed for signature input `info`: the caller's buffer, or ones for an omitted sample
 * weight. *feed stays NULL (and an error is set) on failure. */
static tfkg_code make_feed(const tfkg_signature *s, const tfkg_tensor_info *info, int64_t rows,
                           const tfkg_input *given, TF_Tensor **feed, tfkg_error *err) {
  int64_t dims[16];
  if (info->rank > (int)(sizeof dims / sizeof *dims))
    return fail(err, TFKG_ERR_ARGUMENT, "input '%s' has rank %d; at most 16 is supported", info->key, info->rank);
  int omitted_weight = !given && is_sample_weight(info);
  if (!given && !omitted_weight)
    return fail(err, TFKG_ERR_ARGUMENT, "signature '%s': input '%s' (%s) was not given", s->name,
                info->key, tfkg_dtype_name(info->dtype));
  int64_t need = feed_shape(s, info, rows, given, dims, err);
  if (need < 0) return err ? err->code : TFKG_ERR_ARGUMENT;
  if (given && (int64_t)given->byte_size != need)
    return fail(err, TFKG_ERR_ARGUMENT, "signature '%s': input '%s' needs %lld bytes for %lld rows of %s, "
                "got %zu", s->name, info->key, (long long)need, (long long)rows,
                tfkg_dtype_name(info->dtype), given->byte_size);
  if (given && need > 0 && !given->data)
    return fail(err, TFKG_ERR_ARGUMENT, "signature '%s': input '%s' has a NULL data pointer", s->name, info->key);
  *feed = TF_AllocateTensor((TF_DataType)info->dtype, dims, info->rank, (size_t)need);
  if (!*feed) return fail(err, TFKG_ERR_MEMORY, "out of memory for input '%s'", info->key);
  if (given) {
    if (need) memcpy(TF_TensorData(*feed), given->data, (size_t)need);
  } else {
    float *w = TF_TensorData(*feed);
    for (int64_t i = 0; i < need / (int64_t)sizeof *w; i++) w[i] = 1.0f;
  }
  return TFKG_OK;
}

static long find_key(const tfkg_tensor_info *infos, size_t n, const char *key) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(infos[i].key, key) == 0) return (long)i;
  return -1;
}

/* Checks the caller's keys: each names a signature tensor, none twice. */
static tfkg_code check_keys(const tfkg_signature *s, const char *what, const tfkg_tensor_info *infos,
                            size_t n, const char *const *keys, size_t num_keys, tfkg_error *err) {
  for (size_t i = 0; i < num_keys; i++) {
    if (!keys[i]) return fail(err, TFKG_ERR_ARGUMENT, "signature '%s': %s %zu has a NULL key", s->name, what, i);
    if (find_key(infos, n, keys[i]) < 0) {
      char known[512] = "";
      for (size_t j = 0, used = 0; j < n && used < sizeof known; j++)
        used += (size_t)snprintf(known + used, sizeof known - used, "%s'%s'", j ? ", " : "", infos[j].key);
      return fail(err, TFKG_ERR_NOT_FOUND, "signature '%s' has no %s '%s' (it has: %s)", s->name, what,
                  keys[i], n ? known : "none");
    }
    for (size_t j = 0; j < i; j++)
      if (strcmp(keys[i], keys[j]) == 0)
        return fail(err, TFKG_ERR_ARGUMENT, "signature '%s': %s '%s' is given twice", s->name, what, keys[i]);
  }
  return TFKG_OK;
}

tfkg_code tfkg_run(tfkg_model *m, const char *name, int64_t rows, const tfkg_input *inputs, size_t num_inputs,
                   const tfkg_output *outputs, size_t num_outputs, tfkg_error *err) {
  if (!m || !name || (num_inputs && !inputs) || (num_outputs && !outputs))
    return fail(err, TFKG_ERR_ARGUMENT, "tfkg_run: model, name, inputs and outputs must not be NULL");
  if (rows < 1) return fail(err, TFKG_ERR_ARGUMENT, "tfkg_run: rows must be at least 1, got %lld", (long long)rows);
  const signature *s = (const signature *)tfkg_find_signature(m, name, err);
  if (!s) return err ? err->code : TFKG_ERR_NOT_FOUND;
  size_t n_in = s->pub.num_inputs, n_out = s->pub.num_outputs;
  const char **keys = malloc((num_inputs + num_outputs + 1) * sizeof *keys);
  TF_Tensor **feeds = calloc(n_in + 1, sizeof *feeds);
  TF_Tensor **fetched = calloc(n_out + 1, sizeof *fetched);
  tfkg_code code = TFKG_OK;
  if (!keys || !feeds || !fetched) {
    code = fail(err, TFKG_ERR_MEMORY, "out of memory running '%s'", name);
    goto done;
  }
  for (size_t i = 0; i < num_inputs; i++) keys[i] = inputs[i].key;
  for (size_t i = 0; i < num_outputs; i++) keys[num_inputs + i] = outputs[i].key;
  code = check_keys(&s->pub, "input", s->inputs, n_in, keys, num_inputs, err);
  if (code == TFKG_OK) code = check_keys(&s->pub, "output", s->outputs, n_out, keys + num_inputs, num_outputs, err);
  for (size_t i = 0; i < num_outputs && code == TFKG_OK; i++) { /* sizes known up front: check before running */
    const tfkg_tensor_info *info = &s->outputs[find_key(s->outputs, n_out, outputs[i].key)];
    int64_t need = tfkg_byte_size(info, rows);
    if (need >= 0 && (int64_t)outputs[i].byte_size != need)
      code = fail(err, TFKG_ERR_ARGUMENT, "signature '%s': output '%s' needs %lld bytes for %lld rows of %s, "
                  "buffer has %zu", name, info->key, (long long)need, (long long)rows,
                  tfkg_dtype_name(info->dtype), outputs[i].byte_size);
    else if (outputs[i].byte_size && !outputs[i].data)
      code = fail(err, TFKG_ERR_ARGUMENT, "signature '%s': output '%s' has a NULL data pointer", name, info->key);
  }
  for (size_t i = 0; i < n_in && code == TFKG_OK; i++) {
    const tfkg_input *given = NULL;
    for (size_t j = 0; j < num_inputs; j++)
      if (strcmp(inputs[j].key, s->inputs[i].key) == 0) given = &inputs[j];
    code = make_feed(&s->pub, &s->inputs[i], rows, given, &feeds[i], err);
  }
  if (code != TFKG_OK) goto done;

  TF_Status *status = TF_NewStatus();
  int exclusive = strcmp(name, TRAIN_SIGNATURE) == 0;
  if (exclusive) pthread_rwlock_wrlock(&m->variables);
  else pthread_rwlock_rdlock(&m->variables);
  TF_SessionRun(m->session, NULL, s->input_ports, feeds, (int)n_in, s->output_ports, fetched, (int)n_out,
                NULL, 0, NULL, status);
  pthread_rwlock_unlock(&m->variables);
  if (TF_GetCode(status) != TF_OK) {
    char context[256];
    snprintf(context, sizeof context, "running signature '%s'", name);
    code = fail_tf(err, status, context);
  }
  TF_DeleteStatus(status);
  for (size_t i = 0; i < num_outputs && code == TFKG_OK; i++) {
    long k = find_key(s->outputs, n_out, outputs[i].key);
    size_t have = TF_TensorByteSize(fetched[k]);
    if (TF_TensorType(fetched[k]) == TF_STRING)
      code = fail(err, TFKG_ERR_ARGUMENT, "signature '%s': output '%s' is a string tensor; not supported",
                  name, outputs[i].key);
    else {
      int fixed = tfkg_byte_size(&s->outputs[k], rows) >= 0;
      int rank = s->outputs[k].rank < TF_NumDims(fetched[k]) ? s->outputs[k].rank : TF_NumDims(fetched[k]);
      for (int d = 0; outputs[i].dims && d < rank; d++) outputs[i].dims[d] = TF_Dim(fetched[k], d);
      if (fixed ? have != outputs[i].byte_size : have > outputs[i].byte_size)
        code = fail(err, TFKG_ERR_ARGUMENT, "signature '%s': output '%s' has %zu bytes, buffer has %zu",
                    name, outputs[i].key, have, outputs[i].byte_size);
      else if (have)
        memcpy(outputs[i].data, TF_TensorData(fetched[k]), have);
    }
  }
done:
  for (size_t i = 0; feeds && i < n_in; i++)
    if (feeds[i]) TF_DeleteTensor(feeds[i]);
  for (size_t i = 0; fetched && i < n_out; i++)
    if (fetched[i]) TF_DeleteTensor(fetched[i]);
  free(feeds);
  free(fetched);
  free(keys);
  if (code == TFKG_OK) ok(err);
  return code;
}

tfkg_code tfkg_predict(tfkg_model *m, int64_t rows, const tfkg_input *inputs, size_t num_inputs,
                       const tfkg_output *outputs, size_t num_outputs, tfkg_error *err) {
  return tfkg_run(m, "serving_default", rows, inputs, num_inputs, outputs, num_outputs, err);
}

tfkg_code tfkg_train_step(tfkg_model *m, int64_t rows, const tfkg_input *inputs, size_t num_inputs,
                          float *loss, tfkg_error *err) {
  tfkg_output out = {"loss", loss, sizeof *loss, NULL};
  return tfkg_run(m, "train", rows, inputs, num_inputs, &out, loss ? 1 : 0, err);
}

/* ---------------------------------------------------------------------------------------------- */
/* saving */

static TF_Tensor *string_scalar(const char *text) {
  TF_Tensor *t = TF_AllocateTensor(TF_STRING, NULL, 0, sizeof(TF_TString));
  if (t) {
    TF_TString *s = TF_TensorData(t);
    TF_StringInit(s);
    TF_StringCopy(s, text, strlen(text));
  }
  return t;
}

static void delete_string_scalar(TF_Tensor *t) {
  TF_StringDealloc(TF_TensorData(t));
  TF_DeleteTensor(t);
}

/* The names in `dir` starting with `prefix`, listed before anything is renamed. NULL-terminated;
 * NULL if the directory cannot be read or memory runs out. */
static char **list_files(const char *dir, const char *prefix) {
  DIR *d = opendir(dir);
  if (!d) return NULL;
  size_t n = 0, cap = 8, k = strlen(prefix);
  char **names = malloc(cap * sizeof *names);
  for (struct dirent *e; names && (e = readdir(d));) {
    if (strncmp(e->d_name, prefix, k) != 0) continue;
    if (n + 1 == cap) {
      char **grown = realloc(names, (cap *= 2) * sizeof *names);
      if (!grown) {
        while (n) free(names[--n]);
        free(names);
        names = NULL;
        break;
      }
      names = grown;
    }
    if (!(names[n] = strdup(e->d_name))) {
      while (n) free(names[--n]);
      free(names);
      names = NULL;
      break;
    }
    n++;
  }
  if (names) names[n] = NULL;
  closedir(d);
  return names;
}

static void free_list(char **names) {
  for (char **p = names; p && *p; p++) free(*p);
  free(names);
}

static int join(char *out, size_t size, const char *dir, const char *name) {
  return snprintf(out, size, "%s/%s", dir, name) < (int)size;
}

/* Moves the bundle at <dir>/<tmp_name> to <dir>/variables: the old index goes first, so no reader
 * pairs it with new data; then the data files; the new index lands last. */
static tfkg_code install_checkpoint(const char *dir, const char *tmp_name, tfkg_error *err) {
  char from[4096], to[4096], final_name[1024];
  size_t k = strlen(tmp_name);
  char **names = list_files(dir, tmp_name);
  if (!names) return fail(err, TFKG_ERR_IO, "cannot list %s: %s", dir, strerror(errno));
  tfkg_code code = TFKG_OK;
  if (!join(to, sizeof to, dir, "variables.index"))
    code = fail(err, TFKG_ERR_IO, "path too long: %s", dir);
  else if (unlink(to) != 0 && errno != ENOENT)
    code = fail(err, TFKG_ERR_IO, "cannot remove %s: %s", to, strerror(errno));
  for (int pass = 0; pass < 2 && code == TFKG_OK; pass++)
    for (char **p = names; *p && code == TFKG_OK; p++) {
      const char *suffix = *p + k;
      int is_index = strcmp(suffix, ".index") == 0;
      if (pass == 0 ? strncmp(suffix, ".data-", 6) != 0 : !is_index) continue;
      snprintf(final_name, sizeof final_name, "variables%s", suffix);
      if (!join(from, sizeof from, dir, *p) || !join(to, sizeof to, dir, final_name))
        code = fail(err, TFKG_ERR_IO, "path too long: %s", dir);
      else if (rename(from, to) != 0)
        code = fail(err, TFKG_ERR_IO, "cannot rename %s to %s: %s", from, to, strerror(errno));
    }
  free_list(names);
  return code;
}

/* Removes what a failed save left behind. */
static void remove_files(const char *dir, const char *prefix) {
  char path[4096];
  char **names = list_files(dir, prefix);
  for (char **p = names; p && *p; p++)
    if (join(path, sizeof path, dir, *p)) unlink(path);
  free_list(names);
}

tfkg_code tfkg_save(tfkg_model *m, tfkg_error *err) {
  if (!m) return fail(err, TFKG_ERR_ARGUMENT, "tfkg_save: model is NULL");
  if (!m->saver_filename || !m->saver_save)
    return fail(err, TFKG_ERR_FORMAT, "model '%s' has no SaverDef: its variables cannot be saved", m->dir);
  TF_Output filename, save;
  if (!find_port(m->graph, m->saver_filename, &filename) || !find_port(m->graph, m->saver_save, &save))
    return fail(err, TFKG_ERR_FORMAT, "model '%s': SaverDef tensors '%s' / '%s' are not in the graph", m->dir,
                m->saver_filename, m->saver_save);
  pthread_mutex_lock(&m->saving);
  char dir[4096], tmp_name[128], tmp_prefix[4096];
  snprintf(tmp_name, sizeof tmp_name, ".tmp-variables-%ld-%lx-%u", (long)getpid(), (unsigned long)(uintptr_t)m,
           m->saves++);
  tfkg_code code = TFKG_OK;
  TF_Tensor *feed = NULL, *fetched = NULL;
  if (snprintf(dir, sizeof dir, "%s/variables", m->dir) >= (int)sizeof dir ||
      !join(tmp_prefix, sizeof tmp_prefix, dir, tmp_name))
    code = fail(err, TFKG_ERR_ARGUMENT, "tfkg_save: model path '%s' is too long", m->dir);
  else if (!(feed = string_scalar(tmp_prefix)))
    code = fail(err, TFKG_ERR_MEMORY, "out of memory saving '%s'", m->dir);
  if (code == TFKG_OK) {
    TF_Status *status = TF_NewStatus();
    pthread_rwlock_rdlock(&m->variables); /* no train step halfway through what is written */
    TF_SessionRun(m->session, NULL, &filename, &feed, 1, &save, &fetched, 1, NULL, 0, NULL, status);
    pthread_rwlock_unlock(&m->variables);
    if (TF_GetCode(status) != TF_OK) code = fail_tf(err, status, "saving variables");
    TF_DeleteStatus(status);
    delete_string_scalar(feed);
    if (fetched) TF_DeleteTensor(fetched);
    if (code == TFKG_OK) code = install_checkpoint(dir, tmp_name, err);
    remove_files(dir, tmp_name);
  }
  pthread_mutex_unlock(&m->saving);
  if (code == TFKG_OK) ok(err);
  return code;
}
