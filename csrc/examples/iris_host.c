/*
 * iris_host: predict with and keep training the iris model saved by `make demo`, from C.
 *
 *   iris_host MODEL_DIR IRIS_DATA [STEPS] [BATCH]
 *
 * Reads every row of IRIS_DATA (four measurements and a class name), prepares them as
 * examples/iris/train.py does (each measurement divided by its column's maximum; classes numbered
 * in the order of CLASSES below, the same list as train.py's), prints a few predictions and the
 * accuracy on all rows, runs STEPS (default 100) training steps of BATCH (default 10) rows taken in
 * a fixed shuffled order, saves the variables back into MODEL_DIR and prints the accuracy again.
 * TensorFlow logs to stderr while loading; TF_CPP_MIN_LOG_LEVEL=2 in the environment quiets it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tfkg.h"

#define FEATURES 4
#define MAX_ROWS 1024

static const char *const CLASSES[] = {"Iris-setosa", "Iris-versicolor", "Iris-virginica"};
#define NUM_CLASSES (int)(sizeof CLASSES / sizeof *CLASSES)

typedef struct {
  float x[MAX_ROWS][FEATURES];
  int label[MAX_ROWS];
  int rows;
} dataset;

/* Parses "5.1,3.5,1.4,0.2,Iris-setosa" lines; blank lines are skipped. 0 on success. */
static int read_iris(const char *path, dataset *d) {
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "iris_host: cannot open %s\n", path);
    return 1;
  }
  char line[256];
  int lineno = 0, bad = 0;
  d->rows = 0;
  while (!bad && fgets(line, sizeof line, f)) {
    lineno++;
    line[strcspn(line, "\r\n")] = '\0';
    if (!line[0]) continue;
    char name[64];
    float *x = d->x[d->rows];
    bad = d->rows == MAX_ROWS ||
          sscanf(line, "%f,%f,%f,%f,%63s", &x[0], &x[1], &x[2], &x[3], name) != FEATURES + 1;
    int label = -1;
    for (int c = 0; !bad && c < NUM_CLASSES; c++)
      if (strcmp(name, CLASSES[c]) == 0) label = c;
    bad = bad || label < 0;
    if (bad) fprintf(stderr, "iris_host: %s:%d: expected 4 numbers and a class name, got '%s'\n", path, lineno, line);
    else d->label[d->rows++] = label;
  }
  fclose(f);
  if (!bad && d->rows == 0) {
    fprintf(stderr, "iris_host: %s has no rows\n", path);
    bad = 1;
  }
  return bad;
}

/* Each measurement divided by its column's maximum, as train.py does. */
static void scale_columns(dataset *d) {
  for (int j = 0; j < FEATURES; j++) {
    float max = d->x[0][j];
    for (int i = 1; i < d->rows; i++)
      if (d->x[i][j] > max) max = d->x[i][j];
    for (int i = 0; i < d->rows; i++) d->x[i][j] /= max;
  }
}

static int argmax(const float *p) {
  int best = 0;
  for (int c = 1; c < NUM_CLASSES; c++)
    if (p[c] > p[best]) best = c;
  return best;
}

static int fail(const char *what, const tfkg_error *err) {
  fprintf(stderr, "iris_host: %s: %s (%s)\n", what, err->message, tfkg_code_name(err->code));
  return err->code;
}

/* Class probabilities for all rows; returns the accuracy, or -1 on error. */
static double accuracy(tfkg_model *m, const char *in_key, const char *out_key, const dataset *d,
                       float (*probs)[NUM_CLASSES], tfkg_error *err) {
  tfkg_input in = {in_key, d->x, (size_t)d->rows * sizeof d->x[0], NULL};
  tfkg_output out = {out_key, probs, (size_t)d->rows * sizeof probs[0], NULL};
  if (tfkg_predict(m, d->rows, &in, 1, &out, 1, err) != TFKG_OK) return -1;
  int right = 0;
  for (int i = 0; i < d->rows; i++) right += argmax(probs[i]) == d->label[i];
  return (double)right / d->rows;
}

/* The train signature's label input: the key ending in "_target". */
static const tfkg_tensor_info *label_input(const tfkg_signature *train) {
  for (size_t i = 0; i < train->num_inputs; i++) {
    const char *key = train->inputs[i].key;
    size_t n = strlen(key);
    if (n >= 7 && strcmp(key + n - 7, "_target") == 0) return &train->inputs[i];
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 3 || argc > 5) {
    fprintf(stderr, "usage: iris_host MODEL_DIR IRIS_DATA [STEPS] [BATCH]\n");
    return 1;
  }
  int steps = argc > 3 ? atoi(argv[3]) : 100, batch = argc > 4 ? atoi(argv[4]) : 10;
  static dataset data;
  static float probs[MAX_ROWS][NUM_CLASSES];
  if (read_iris(argv[2], &data)) return 1;
  if (steps < 0 || batch < 1 || batch > data.rows) {
    fprintf(stderr, "iris_host: need STEPS >= 0 and 1 <= BATCH <= %d\n", data.rows);
    return 1;
  }
  scale_columns(&data);

  tfkg_error err;
  tfkg_model *m = tfkg_model_load(argv[1], &err);
  if (!m) return fail("loading the model", &err);
  int code = 0;
  const tfkg_signature *serve = tfkg_find_signature(m, "serving_default", &err);
  const tfkg_signature *train = serve ? tfkg_find_signature(m, "train", &err) : NULL;
  const tfkg_tensor_info *labels = train ? label_input(train) : NULL;
  if (!train) {
    code = fail("the model", &err);
  } else if (serve->num_inputs != 1 || serve->num_outputs != 1 ||
             tfkg_byte_size(&serve->inputs[0], 1) != FEATURES * sizeof(float) ||
             tfkg_byte_size(&serve->outputs[0], 1) != NUM_CLASSES * sizeof(float) || !labels ||
             labels->dtype != TFKG_FLOAT || tfkg_byte_size(labels, 1) != sizeof(float)) {
    fprintf(stderr, "iris_host: %s is not an iris classifier (4 float32 inputs -> 3 class probabilities, "
                    "float32 class labels)\n", argv[1]);
    code = 1;
  }
  if (code) {
    tfkg_model_free(m);
    return code;
  }
  const char *in_key = serve->inputs[0].key, *out_key = serve->outputs[0].key;

  double before = accuracy(m, in_key, out_key, &data, probs, &err);
  if (before < 0) code = fail("predicting", &err);
  for (int i = 0; !code && i < 3 && i < data.rows; i++) {
    int row = i * (data.rows / 3); /* one row from each third: the file is sorted by class */
    printf("row %3d: p = [%.3f %.3f %.3f] -> %-15s (actual %s)\n", row, probs[row][0], probs[row][1],
           probs[row][2], CLASSES[argmax(probs[row])], CLASSES[data.label[row]]);
  }
  if (!code) printf("accuracy before training: %.4f (%d rows)\n", before, data.rows);

  /* A fixed shuffle (a 64-bit LCG), so runs are repeatable. */
  static int order[MAX_ROWS];
  uint64_t state = 42;
  for (int i = 0; i < data.rows; i++) order[i] = i;
  for (int i = data.rows - 1; i > 0; i--) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    int j = (int)((state >> 33) % (uint64_t)(i + 1)), t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  static float bx[MAX_ROWS][FEATURES], by[MAX_ROWS];
  float first_loss = 0, loss = 0;
  for (int s = 0; !code && s < steps; s++) {
    for (int i = 0; i < batch; i++) {
      int row = order[(s * batch + i) % data.rows];
      memcpy(bx[i], data.x[row], sizeof bx[i]);
      by[i] = (float)data.label[row];
    }
    /* no sample weights given: every row weighs 1 */
    tfkg_input in[] = {{in_key, bx, (size_t)batch * sizeof bx[0], NULL}, {labels->key, by, (size_t)batch * sizeof by[0], NULL}};
    if (tfkg_train_step(m, batch, in, 2, &loss, &err) != TFKG_OK) code = fail("training", &err);
    if (s == 0) first_loss = loss;
  }
  if (!code && steps) printf("trained %d steps of %d rows: loss %.4f -> %.4f\n", steps, batch, first_loss, loss);
  if (!code && tfkg_save(m, &err) != TFKG_OK) code = fail("saving", &err);
  if (!code) printf("saved the variables to %s/variables\n", argv[1]);
  double after = code ? 0 : accuracy(m, in_key, out_key, &data, probs, &err);
  if (!code && after < 0) code = fail("predicting", &err);
  if (!code) printf("accuracy after training: %.4f (%d rows)\n", after, data.rows);
  tfkg_model_free(m);
  return code;
}
