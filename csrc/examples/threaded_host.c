/*
 * threaded_host: one model handle serving predictions from many threads while another thread trains.
 *
 *   threaded_host MODEL_DIR IRIS_DATA [THREADS] [PREDICTIONS] [STEPS]
 *
 * MODEL_DIR is the iris model saved by `make demo` (4 float inputs -> 3 class probabilities).
 * THREADS (default 8) threads each make PREDICTIONS (default 500) predictions of a few rows on the
 * same tfkg_model handle while one more thread runs STEPS (default 50) train steps and saves once.
 * After each step the trainer records the model's output on four probe rows; every probe prediction
 * made by the other threads must equal one of those records bit for bit (a prediction sees the
 * weights before or after a step, never halfway). Then, with training over, the threads predict
 * again and must all agree bit for bit with one single-threaded prediction.
 * Prints the counts and exits 0 when every check holds, 1 otherwise.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tfkg.h"

#define FEATURES 4
#define CLASSES 3
#define MAX_ROWS 1024
#define PROBE_ROWS 4
#define MAX_THREADS 64

static const char *const NAMES[CLASSES] = {"Iris-setosa", "Iris-versicolor", "Iris-virginica"};

static float x[MAX_ROWS][FEATURES], labels[MAX_ROWS];
static int rows;
static tfkg_model *model;
static const char *in_key, *out_key, *label_key;
static int predictions = 500, steps = 50;

typedef struct {
  float (*probes)[PROBE_ROWS * CLASSES]; /* every probe output this thread saw */
  int seen, errors, bad_values;
  const float *expect; /* phase 2: the single-threaded answer for all rows */
  int mismatches;
} worker;

static float (*snapshots)[PROBE_ROWS * CLASSES];
static int snapshot_count;

static int read_iris(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return fprintf(stderr, "threaded_host: cannot open %s\n", path), 1;
  char line[256], name[64];
  while (fgets(line, sizeof line, f) && rows < MAX_ROWS) {
    float *r = x[rows];
    if (sscanf(line, "%f,%f,%f,%f,%63s", &r[0], &r[1], &r[2], &r[3], name) != 5) continue;
    for (int c = 0; c < CLASSES; c++)
      if (strcmp(name, NAMES[c]) == 0) labels[rows] = (float)c;
    rows++;
  }
  fclose(f);
  for (int j = 0; j < FEATURES; j++) { /* each column divided by its maximum, as examples/iris/train.py */
    float max = x[0][j];
    for (int i = 1; i < rows; i++) max = x[i][j] > max ? x[i][j] : max;
    for (int i = 0; i < rows; i++) x[i][j] /= max;
  }
  return rows < PROBE_ROWS ? (fprintf(stderr, "threaded_host: %s has too few rows\n", path), 1) : 0;
}

static int predict(int first, int n, float *out, tfkg_error *err) {
  tfkg_input in = {in_key, x[first], (size_t)n * sizeof x[0], NULL};
  tfkg_output o = {out_key, out, (size_t)n * CLASSES * sizeof(float), NULL};
  return tfkg_predict(model, n, &in, 1, &o, 1, err);
}

static void *serve(void *arg) {
  worker *w = arg;
  tfkg_error err;
  float out[16 * CLASSES];
  for (int i = 0; i < predictions; i++) {
    int probe = i % 2 == 0, first = probe ? 0 : (i * 7) % (rows - 16), n = probe ? PROBE_ROWS : 1 + i % 16;
    if (predict(first, n, out, &err) != TFKG_OK) {
      if (!w->errors++) fprintf(stderr, "threaded_host: predict: %s\n", err.message);
      continue;
    }
    for (int k = 0; k < n * CLASSES; k++)
      if (!isfinite(out[k]) || out[k] < 0 || out[k] > 1) w->bad_values++;
    if (probe) memcpy(w->probes[w->seen++], out, sizeof w->probes[0]);
  }
  return NULL;
}

static void *train(void *arg) {
  int *failures = arg;
  tfkg_error err;
  for (int step = 0; step < steps; step++) {
    int first = (step * 10) % (rows - 10);
    tfkg_input in[2] = {{in_key, x[first], 10 * sizeof x[0], NULL}, {label_key, &labels[first], 10 * sizeof(float), NULL}};
    float loss;
    if (tfkg_train_step(model, 10, in, 2, &loss, &err) != TFKG_OK ||
        (step == steps / 2 && tfkg_save(model, &err) != TFKG_OK) ||
        predict(0, PROBE_ROWS, snapshots[snapshot_count], &err) != TFKG_OK) {
      fprintf(stderr, "threaded_host: train step %d: %s\n", step, err.message);
      ++*failures;
      return NULL;
    }
    snapshot_count++; /* only this thread writes; the others read after join */
  }
  return NULL;
}

static void *agree(void *arg) {
  worker *w = arg;
  tfkg_error err;
  float *out = malloc((size_t)rows * CLASSES * sizeof *out);
  for (int i = 0; out && i < predictions / 10 + 1; i++) {
    if (predict(0, rows, out, &err) != TFKG_OK) w->errors++;
    else if (memcmp(out, w->expect, (size_t)rows * CLASSES * sizeof *out) != 0) w->mismatches++;
  }
  if (!out) w->errors++;
  free(out);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 3 || argc > 6) {
    fprintf(stderr, "usage: threaded_host MODEL_DIR IRIS_DATA [THREADS] [PREDICTIONS] [STEPS]\n");
    return 1;
  }
  int threads = argc > 3 ? atoi(argv[3]) : 8;
  if (argc > 4) predictions = atoi(argv[4]);
  if (argc > 5) steps = atoi(argv[5]);
  if (threads < 1 || threads > MAX_THREADS || predictions < 1 || steps < 1) {
    fprintf(stderr, "threaded_host: need 1 <= THREADS <= %d, PREDICTIONS >= 1, STEPS >= 1\n", MAX_THREADS);
    return 1;
  }
  if (read_iris(argv[2])) return 1;
  tfkg_error err;
  model = tfkg_model_load(argv[1], &err);
  if (!model) return fprintf(stderr, "threaded_host: %s\n", err.message), 1;
  const tfkg_signature *serve_sig = tfkg_find_signature(model, "serving_default", &err);
  const tfkg_signature *train_sig = serve_sig ? tfkg_find_signature(model, "train", &err) : NULL;
  if (!train_sig || serve_sig->num_inputs != 1 || serve_sig->num_outputs != 1) {
    fprintf(stderr, "threaded_host: %s is not an iris classifier with a train signature\n", argv[1]);
    tfkg_model_free(model);
    return 1;
  }
  in_key = serve_sig->inputs[0].key;
  out_key = serve_sig->outputs[0].key;
  for (size_t i = 0; i < train_sig->num_inputs; i++)
    if (strstr(train_sig->inputs[i].key, "_target")) label_key = train_sig->inputs[i].key;

  worker ws[MAX_THREADS] = {{0}};
  pthread_t ids[MAX_THREADS + 1];
  snapshots = calloc((size_t)steps + 1, sizeof *snapshots);
  int failures = 0, bad = 0, errors = 0, seen = 0, torn = 0, mismatches = 0;
  if (!snapshots || predict(0, PROBE_ROWS, snapshots[snapshot_count++], &err) != TFKG_OK) failures++;
  for (int t = 0; t < threads && !failures; t++) {
    ws[t].probes = calloc((size_t)predictions, sizeof *ws[t].probes);
    if (!ws[t].probes) failures++;
  }
  /* phase 1: predictions while training */
  int started = 0;
  for (; !failures && started < threads; started++)
    if (pthread_create(&ids[started], NULL, serve, &ws[started])) break;
  pthread_t trainer;
  int trainer_started = !failures && pthread_create(&trainer, NULL, train, &failures) == 0;
  for (int t = 0; t < started; t++) pthread_join(ids[t], NULL);
  if (trainer_started) pthread_join(trainer, NULL);
  if (started < threads || !trainer_started) failures++;
  for (int t = 0; t < started; t++) {
    bad += ws[t].bad_values;
    errors += ws[t].errors;
    for (int i = 0; i < ws[t].seen; i++, seen++) {
      int match = 0;
      for (int s = 0; s < snapshot_count && !match; s++)
        match = memcmp(ws[t].probes[i], snapshots[s], sizeof snapshots[0]) == 0;
      torn += !match;
    }
  }
  /* phase 2: training over, everyone agrees with one single-threaded answer */
  float *expect = malloc((size_t)rows * CLASSES * sizeof *expect);
  if (!expect || predict(0, rows, expect, &err) != TFKG_OK) failures++;
  for (started = 0; !failures && started < threads; started++) {
    ws[started].expect = expect;
    ws[started].errors = 0;
    if (pthread_create(&ids[started], NULL, agree, &ws[started])) break;
  }
  for (int t = 0; t < started; t++) {
    pthread_join(ids[t], NULL);
    mismatches += ws[t].mismatches;
    errors += ws[t].errors;
  }
  printf("threads %d, predictions %d, train steps %d, probe predictions %d (torn %d), bad values %d, "
         "errors %d, phase-2 mismatches %d, failures %d\n", threads, threads * predictions, snapshot_count - 1,
         seen, torn, bad, errors, mismatches, failures);
  for (int t = 0; t < threads; t++) free(ws[t].probes);
  free(expect);
  free(snapshots);
  tfkg_model_free(model);
  return failures || torn || bad || errors || mismatches || seen == 0 ? 1 : 0;
}
