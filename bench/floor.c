/*
 * floor: the bare TF_SessionRun cost of bench_core's graph, from C with nothing around it.
 *
 *   floor GRAPHDEF_FILE CALLS ROUNDS
 *
 * Imports the GraphDef (placeholders x [None,4] float and y [None] int32, fetches loss / probs,
 * targets init and optimizer/train), creates a session with bench_core's config (intra 1, inter -1:
 * ops in the calling thread), and times CALLS train steps (batch 32) and CALLS single-row forwards,
 * best of ROUNDS. Each call allocates its input tensors and deletes its outputs, as any caller must.
 * Prints {"train_step_us": ..., "predict_row_us": ...}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tensorflow/c/c_api.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void check(TF_Status *s, const char *what) {
  if (TF_GetCode(s) != TF_OK) {
    fprintf(stderr, "floor: %s: %s\n", what, TF_Message(s));
    exit(1);
  }
}

static TF_Output port(TF_Graph *g, const char *name) {
  TF_Operation *op = TF_GraphOperationByName(g, name);
  if (!op) {
    fprintf(stderr, "floor: no operation %s\n", name);
    exit(1);
  }
  return (TF_Output){op, 0};
}

static TF_Tensor *tensor(TF_DataType type, const int64_t *dims, int rank, const void *data, size_t bytes) {
  TF_Tensor *t = TF_AllocateTensor(type, dims, rank, bytes);
  memcpy(TF_TensorData(t), data, bytes);
  return t;
}

int main(int argc, char **argv) {
  if (argc != 4) return fprintf(stderr, "usage: floor GRAPHDEF_FILE CALLS ROUNDS\n"), 1;
  int calls = atoi(argv[2]), rounds = atoi(argv[3]);
  FILE *f = fopen(argv[1], "rb");
  if (!f) return fprintf(stderr, "floor: cannot open %s\n", argv[1]), 1;
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *bytes = malloc((size_t)size);
  if (fread(bytes, 1, (size_t)size, f) != (size_t)size) return fprintf(stderr, "floor: short read\n"), 1;
  fclose(f);

  TF_Status *s = TF_NewStatus();
  TF_Graph *g = TF_NewGraph();
  TF_Buffer *def = TF_NewBufferFromString(bytes, (size_t)size);
  TF_ImportGraphDefOptions *io = TF_NewImportGraphDefOptions();
  TF_GraphImportGraphDef(g, def, io, s);
  check(s, "import");
  TF_SessionOptions *so = TF_NewSessionOptions();
  /* ConfigProto{intra_op_parallelism_threads: 1, inter_op_parallelism_threads: -1} */
  static const unsigned char config[] = {0x10, 0x01, 0x28, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  TF_SetConfig(so, config, sizeof config, s);
  check(s, "config");
  TF_Session *sess = TF_NewSession(g, so, s);
  check(s, "session");
  TF_Operation *init = TF_GraphOperationByName(g, "init"), *train = TF_GraphOperationByName(g, "optimizer/train");
  TF_SessionRun(sess, NULL, NULL, NULL, 0, NULL, NULL, 0, &init, 1, NULL, s);
  check(s, "init");

  float x[32 * 4];
  int32_t y[32];
  for (int i = 0; i < 32; i++) {
    for (int j = 0; j < 4; j++) x[i * 4 + j] = (float)((i * 7 + j * 3) % 11) / 11.0f - 0.5f;
    y[i] = i % 3;
  }
  TF_Output feeds[2] = {port(g, "x"), port(g, "y")}, loss = port(g, "loss"), probs = port(g, "probs");
  int64_t batch_dims[2] = {32, 4}, label_dims[1] = {32}, row_dims[2] = {1, 4};
  double best_train = 1e9, best_row = 1e9;
  for (int r = 0; r < rounds + 1; r++) { /* round 0 warms up */
    double start = now();
    for (int i = 0; i < calls; i++) {
      TF_Tensor *in[2] = {tensor(TF_FLOAT, batch_dims, 2, x, sizeof x), tensor(TF_INT32, label_dims, 1, y, sizeof y)};
      TF_Tensor *out = NULL;
      TF_SessionRun(sess, NULL, feeds, in, 2, &loss, &out, 1, &train, 1, NULL, s);
      check(s, "train step");
      TF_DeleteTensor(in[0]);
      TF_DeleteTensor(in[1]);
      TF_DeleteTensor(out);
    }
    double train_us = (now() - start) / calls * 1e6;
    start = now();
    for (int i = 0; i < calls; i++) {
      TF_Tensor *in = tensor(TF_FLOAT, row_dims, 2, x, 4 * sizeof(float)), *out = NULL;
      TF_SessionRun(sess, NULL, feeds, &in, 1, &probs, &out, 1, NULL, 0, NULL, s);
      check(s, "forward");
      TF_DeleteTensor(in);
      TF_DeleteTensor(out);
    }
    double row_us = (now() - start) / calls * 1e6;
    if (r > 0) {
      best_train = train_us < best_train ? train_us : best_train;
      best_row = row_us < best_row ? row_us : best_row;
    }
  }
  printf("{\"train_step_us\": %.3f, \"predict_row_us\": %.3f}\n", best_train, best_row);
  TF_CloseSession(sess, s);
  TF_DeleteSession(sess, s);
  TF_DeleteSessionOptions(so);
  TF_DeleteImportGraphDefOptions(io);
  TF_DeleteBuffer(def);
  TF_DeleteGraph(g);
  TF_DeleteStatus(s);
  free(bytes);
  return 0;
}
