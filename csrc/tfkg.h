/*
 * tfkg.h: run and train a model saved by tfkg_graph (`model.save(dir)`) from C, with no Python.
 *
 * A saved model is a TensorFlow SavedModel directory (tag "serve") whose signatures name the tensors
 * to feed and fetch: "serving_default" (predict), "train" (one optimizer step; outputs include
 * "loss") and "evaluate". The graph already holds the gradient and optimizer ops, so training is just
 * running the "train" signature. Everything goes through TensorFlow's C API (libtensorflow); the
 * signatures are read from the MetaGraphDef that TF_LoadSessionFromSavedModel hands back, with a
 * small built-in protobuf reader (no protobuf library needed).
 *
 *     tfkg_error err;
 *     tfkg_model *m = tfkg_model_load("saved/iris", &err);
 *     if (!m) { fprintf(stderr, "%s\n", err.message); return 1; }
 *     float x[2 * 4] = {...}, probs[2 * 3];
 *     tfkg_input in = {"measurements", x, sizeof x};      (keys: the model's input/output names)
 *     tfkg_output out = {"dense_2", probs, sizeof probs};
 *     if (tfkg_predict(m, 2, &in, 1, &out, 1, &err) != TFKG_OK) ...
 *     tfkg_model_free(m);
 *
 * Conventions:
 * - Every function that can fail takes a `tfkg_error *` (may be NULL) and returns TFKG_OK or an error
 *   code (or NULL for tfkg_model_load). Nothing aborts or exits; nothing is printed.
 * - Buffers are dense, row-major, in the tensor's dtype. The first dimension of a signature tensor is
 *   the batch (-1 in `dims`); the caller passes the row count and every buffer's byte size, which
 *   must equal rows * (product of the other dims) * dtype size, or the call fails with
 *   TFKG_ERR_ARGUMENT. Sizes the signature fixes are checked before anything runs, so a failed
 *   call changes nothing.
 * - Unknown dimensions other than the batch (a sequence model's time axis, `Input(shape=(None, F))`):
 *   the caller gives that input's whole shape in `tfkg_input.dims` for each call, so one handle serves
 *   any length. An output whose size the signature does not fix may get a buffer larger than needed:
 *   the call fills the front of it and writes the output's shape into `tfkg_output.dims` if set.
 * - Threads: one handle serves any number of threads. tfkg_run, tfkg_predict, tfkg_train_step,
 *   tfkg_save and the signature/size/name queries may be called at the same time from several
 *   threads on the same handle. Runs of every signature but "train" (predict, evaluate) execute in
 *   parallel; a "train" run (tfkg_train_step, or tfkg_run on "train") waits for the runs in progress
 *   and runs alone, so a prediction sees the variables before or after a step, never halfway. Saves
 *   run one at a time, in parallel with predictions but never with a train step. Waiting train steps
 *   go before new predictions. Each call must have its own tfkg_error (or NULL) and its own buffers.
 *   tfkg_model_load may run in several threads at once (each gets its own handle). Only
 *   tfkg_model_free must not overlap any other call on the same handle: free it after every thread
 *   using it has returned. Different handles are independent.
 */
#ifndef TFKG_H
#define TFKG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tfkg_code {
  TFKG_OK = 0,
  TFKG_ERR_ARGUMENT = 1,   /* a caller mistake: NULL, unknown name, wrong buffer size, bad rows */
  TFKG_ERR_NOT_FOUND = 2,  /* the model directory, a signature or a tensor does not exist */
  TFKG_ERR_FORMAT = 3,     /* the SavedModel lacks something this library needs (e.g. a SaverDef) */
  TFKG_ERR_TENSORFLOW = 4, /* TensorFlow reported an error; tfkg_error.tf_code holds its TF_Code */
  TFKG_ERR_IO = 5,         /* a file operation failed while saving */
  TFKG_ERR_MEMORY = 6      /* out of memory */
} tfkg_code;

typedef struct tfkg_error {
  tfkg_code code;
  int tf_code;          /* TensorFlow's TF_Code when code == TFKG_ERR_TENSORFLOW, else 0 */
  char message[1024];   /* human readable, NUL-terminated; "" when code == TFKG_OK */
} tfkg_error;

/* TensorFlow DataType values (TF_DataType) for the dtypes callers usually meet. */
enum {
  TFKG_FLOAT = 1, TFKG_DOUBLE = 2, TFKG_INT32 = 3, TFKG_UINT8 = 4, TFKG_INT8 = 6,
  TFKG_INT64 = 9, TFKG_BOOL = 10
};

/* One input or output of a signature. */
typedef struct tfkg_tensor_info {
  const char *key;          /* the signature's key, e.g. "x" or "loss" */
  const char *tensor_name;  /* the graph tensor, e.g. "x:0" */
  int dtype;                /* a TF_DataType value (TFKG_FLOAT, ...) */
  int rank;                 /* number of dims, or -1 if unknown */
  const int64_t *dims;      /* `rank` entries; -1 for an unknown size (the batch) */
} tfkg_tensor_info;

typedef struct tfkg_signature {
  const char *name;         /* "serving_default", "train", "evaluate", ... */
  size_t num_inputs;
  const tfkg_tensor_info *inputs;   /* sorted by key */
  size_t num_outputs;
  const tfkg_tensor_info *outputs;  /* sorted by key */
} tfkg_signature;

/* A caller buffer to feed, matched to a signature input by key. */
typedef struct tfkg_input {
  const char *key;
  const void *data;
  size_t byte_size;
  /* Optional (NULL: `rows`, then the signature's dims): this call's shape, one entry per dimension of
   * the signature input (its `rank`). Needed when a dimension other than the first is unknown; each
   * entry must match the signature where it is known, and the first must equal `rows`. */
  const int64_t *dims;
} tfkg_input;

/* A caller buffer to fill, matched to a signature output by key. */
typedef struct tfkg_output {
  const char *key;
  void *data;
  size_t byte_size;  /* exact when the signature fixes the size; otherwise at least the output's size */
  int64_t *dims;     /* optional: receives the output's shape (`rank` entries; none if the rank is unknown) */
} tfkg_output;

typedef struct tfkg_model tfkg_model;

/* Loads the SavedModel in `export_dir` (tag "serve") with its variables. NULL on failure. */
tfkg_model *tfkg_model_load(const char *export_dir, tfkg_error *err);

/* Closes the session and frees everything; NULL is allowed. */
void tfkg_model_free(tfkg_model *model);

/* The signatures, sorted by name. Pointers stay valid until tfkg_model_free. */
size_t tfkg_num_signatures(const tfkg_model *model);
const tfkg_signature *tfkg_signature_at(const tfkg_model *model, size_t index);
/* NULL (and TFKG_ERR_NOT_FOUND naming the available ones) if there is no such signature. */
const tfkg_signature *tfkg_find_signature(const tfkg_model *model, const char *name, tfkg_error *err);

/* Bytes a buffer for `info` needs at `rows` rows; -1 if that is not fixed (string dtype, or an
 * unknown dimension other than the first, except a sample weight's steps, which count as 1). */
int64_t tfkg_byte_size(const tfkg_tensor_info *info, int64_t rows);

/* Bytes a buffer for `info` needs at shape `dims` (`info->rank` entries); -1 if `dims` does not fit
 * the signature (a known dimension differs, an entry is negative, or the dtype has no fixed size). */
int64_t tfkg_byte_size_for(const tfkg_tensor_info *info, const int64_t *dims);

/* "float32", "int64", ... ("unknown" for others). */
const char *tfkg_dtype_name(int dtype);

/* Bytes of one element of `dtype`; 0 for dtypes without a fixed size (strings). */
size_t tfkg_dtype_size(int dtype);

/* Runs signature `name` once on `rows` rows: feeds every input from `inputs` and copies the
 * requested `outputs`. Every output of the signature is computed (so a "train" run always steps the
 * optimizer). An input whose key ends in "sample_weight" (float32, one value per row; for a sequence
 * output the row's weight covers all its steps) may be left out: it is fed with 1.0 for every row. */
tfkg_code tfkg_run(tfkg_model *model, const char *name, int64_t rows,
                   const tfkg_input *inputs, size_t num_inputs,
                   const tfkg_output *outputs, size_t num_outputs, tfkg_error *err);

/* tfkg_run on "serving_default". */
tfkg_code tfkg_predict(tfkg_model *model, int64_t rows, const tfkg_input *inputs, size_t num_inputs,
                       const tfkg_output *outputs, size_t num_outputs, tfkg_error *err);

/* One optimizer step: tfkg_run on "train" with the model inputs, the labels (keys as listed by the
 * "train" signature) and optionally sample weights. `loss` (may be NULL) receives the float32
 * "loss" output, computed before the update as in Keras' train_on_batch. */
tfkg_code tfkg_train_step(tfkg_model *model, int64_t rows, const tfkg_input *inputs, size_t num_inputs,
                          float *loss, tfkg_error *err);

/* Writes every variable back into `export_dir/variables/variables` through the model's SaverDef:
 * TensorFlow writes a temporary checkpoint beside it, then the files are renamed over the old ones,
 * the index last, so a crash never leaves a half-written checkpoint under the real name. */
tfkg_code tfkg_save(tfkg_model *model, tfkg_error *err);

/* "TFKG_OK", "TFKG_ERR_ARGUMENT", ... */
const char *tfkg_code_name(tfkg_code code);

#ifdef __cplusplus
}
#endif
#endif /* TFKG_H */
