/*
 * serve_threads: prediction throughput of one tfkg_model handle shared by THREADS threads.
 *
 *   serve_threads MODEL_DIR THREADS ROWS SECONDS
 *
 * Each thread predicts ROWS rows per request (zeros; the model's one float input and one output)
 * until SECONDS have passed; prints {"requests": N, "seconds": S} as one JSON line.
 * Built by bench/bench_threads.py against csrc/tfkg.c.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tfkg.h"

static tfkg_model *model;
static const tfkg_signature *sig;
static int rows;
static double seconds;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void *serve(void *arg) {
  long *count = arg;
  int64_t in_bytes = tfkg_byte_size(&sig->inputs[0], rows), out_bytes = tfkg_byte_size(&sig->outputs[0], rows);
  void *x = calloc(1, (size_t)in_bytes), *y = malloc((size_t)out_bytes);
  tfkg_input in = {sig->inputs[0].key, x, (size_t)in_bytes};
  tfkg_output out = {sig->outputs[0].key, y, (size_t)out_bytes};
  tfkg_error err;
  double end = now() + seconds;
  while (x && y && now() < end) {
    if (tfkg_predict(model, rows, &in, 1, &out, 1, &err) != TFKG_OK) {
      fprintf(stderr, "serve_threads: %s\n", err.message);
      *count = -1;
      break;
    }
    ++*count;
  }
  free(x);
  free(y);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 5) return fprintf(stderr, "usage: serve_threads MODEL_DIR THREADS ROWS SECONDS\n"), 1;
  int threads = atoi(argv[2]);
  rows = atoi(argv[3]);
  seconds = atof(argv[4]);
  if (threads < 1 || threads > 256 || rows < 1 || seconds <= 0) return fprintf(stderr, "serve_threads: bad arguments\n"), 1;
  tfkg_error err;
  model = tfkg_model_load(argv[1], &err);
  if (!model) return fprintf(stderr, "serve_threads: %s\n", err.message), 1;
  sig = tfkg_find_signature(model, "serving_default", &err);
  if (!sig || sig->num_inputs != 1 || sig->num_outputs != 1) return fprintf(stderr, "serve_threads: need one input and one output\n"), 1;
  long warm = 0;
  double saved = seconds;
  seconds = 0.2; /* first runs: TF's lazy initialisation */
  serve(&warm);
  seconds = saved;
  pthread_t ids[256];
  long counts[256] = {0};
  double start = now();
  for (int t = 0; t < threads; t++) pthread_create(&ids[t], NULL, serve, &counts[t]);
  long total = 0;
  int failed = warm < 0;
  for (int t = 0; t < threads; t++) {
    pthread_join(ids[t], NULL);
    failed |= counts[t] < 0;
    total += counts[t];
  }
  double elapsed = now() - start;
  tfkg_model_free(model);
  if (failed) return 1;
  printf("{\"requests\": %ld, \"seconds\": %.6f}\n", total, elapsed);
  return 0;
}
