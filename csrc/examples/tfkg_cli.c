/*
 * tfkg_cli: list and run the signatures of a tfkg_graph SavedModel on raw binary files.
 *
 *   tfkg_cli list MODEL_DIR
 *   tfkg_cli run MODEL_DIR SIGNATURE ROWS [--steps N] [--save]
 *            [--in KEY=FILE]... [--shape KEY=D0xD1x...]... [--out KEY=FILE]... [--out-bytes KEY=N]...
 *
 * Files hold dense row-major values in the tensor's dtype (numpy's `arr.tofile`). `run` runs the
 * signature N times (default 1); step i feeds rows [i*ROWS, (i+1)*ROWS) of every input file, so each
 * file holds N*ROWS rows, and appends each step's outputs to the output files. `--save` writes the
 * variables back into MODEL_DIR afterwards. `--out-bytes` overrides the size of an output buffer
 * (to exercise the library's size check). `--shape` gives an input's shape for each step, needed when
 * a dimension other than the batch is unknown (a sequence model's length); an output whose size the
 * signature does not fix gets a 64 MiB buffer (or `--out-bytes`), and each step appends the bytes the
 * output had. On error: the message on stderr, exit status = tfkg_code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tfkg.h"

#define MAX_TENSORS 64
#define MAX_RANK 16
#define UNKNOWN_OUTPUT_BYTES (64u << 20)

typedef struct {
  const char *key, *path;
  char *data;
  size_t size;
  long long bytes_override;
  int rank;                /* > 0 when --shape gave this input's shape */
  int64_t dims[MAX_RANK];  /* --shape for inputs; the fetched shape for outputs */
} binding;

static int usage(void) {
  fprintf(stderr, "usage: tfkg_cli list MODEL_DIR\n"
                  "       tfkg_cli run MODEL_DIR SIGNATURE ROWS [--steps N] [--save] [--in KEY=FILE]...\n"
                  "                [--shape KEY=D0xD1x...]... [--out KEY=FILE]... [--out-bytes KEY=N]...\n");
  return TFKG_ERR_ARGUMENT;
}

static void print_info(const char *what, const tfkg_tensor_info *t) {
  printf("  %s %s %s %s [", what, t->key, t->tensor_name, tfkg_dtype_name(t->dtype));
  for (int d = 0; d < t->rank; d++) printf("%s%lld", d ? ", " : "", (long long)t->dims[d]);
  printf("%s\n", t->rank < 0 ? "?]" : "]");
}

static int list(tfkg_model *m) {
  for (size_t i = 0; i < tfkg_num_signatures(m); i++) {
    const tfkg_signature *s = tfkg_signature_at(m, i);
    printf("signature %s\n", s->name);
    for (size_t j = 0; j < s->num_inputs; j++) print_info("input", &s->inputs[j]);
    for (size_t j = 0; j < s->num_outputs; j++) print_info("output", &s->outputs[j]);
  }
  return TFKG_OK;
}

/* "KEY=VALUE" -> key and value (the string is split in place). */
static int split(char *arg, const char **key, const char **value) {
  char *eq = strchr(arg, '=');
  if (!eq || eq == arg) return 0;
  *eq = '\0';
  *key = arg;
  *value = eq + 1;
  return 1;
}

/* "2x11x3" -> b->dims and b->rank; 0 if malformed. */
static int parse_shape(const char *text, binding *b) {
  b->rank = 0;
  for (const char *p = text; *p && b->rank < MAX_RANK;) {
    char *end;
    long long dim = strtoll(p, &end, 10);
    if (end == p || dim < 0) return 0;
    b->dims[b->rank++] = dim;
    if (*end == '\0') return 1;
    if (*end != 'x') return 0;
    p = end + 1;
  }
  return 0;
}

static char *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *data = NULL;
  long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
  if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (data = malloc((size_t)n + 1)) &&
      fread(data, 1, (size_t)n, f) != (size_t)n) {
    free(data);
    data = NULL;
  }
  fclose(f);
  *size = n > 0 ? (size_t)n : 0;
  return data;
}

static int run(tfkg_model *m, const char *name, long long rows, long steps, int save, binding *ins, size_t n_in,
               binding *outs, size_t n_out) {
  tfkg_error err;
  const tfkg_signature *s = tfkg_find_signature(m, name, &err);
  if (!s) {
    fprintf(stderr, "tfkg_cli: %s\n", err.message);
    return err.code;
  }
  tfkg_input inputs[MAX_TENSORS];
  tfkg_output outputs[MAX_TENSORS];
  FILE *files[MAX_TENSORS] = {0};
  int code = TFKG_OK;
  int64_t out_item[MAX_TENSORS]; /* the dtype size of an output the signature does not size; else 0 */
  for (size_t i = 0; i < n_out && code == TFKG_OK; i++) {
    long long size = outs[i].bytes_override;
    out_item[i] = 0;
    for (size_t j = 0; j < s->num_outputs; j++) {
      if (strcmp(s->outputs[j].key, outs[i].key) != 0) continue;
      long long fixed = tfkg_byte_size(&s->outputs[j], rows);
      if (fixed < 0 && s->outputs[j].rank >= 0 && s->outputs[j].rank <= MAX_RANK) {
        out_item[i] = (int64_t)tfkg_dtype_size(s->outputs[j].dtype);
        outs[i].rank = s->outputs[j].rank;
        if (size < 0) size = UNKNOWN_OUTPUT_BYTES;
      }
      if (size < 0) size = fixed;
    }
    if (size < 0) size = 0; /* an unknown key or size: the library reports it */
    outputs[i] = (tfkg_output){outs[i].key, outs[i].data = malloc((size_t)size + 1), (size_t)size,
                               out_item[i] ? outs[i].dims : NULL};
    if (!(files[i] = fopen(outs[i].path, "wb"))) {
      fprintf(stderr, "tfkg_cli: cannot write %s\n", outs[i].path);
      code = TFKG_ERR_IO;
    }
  }
  for (long step = 0; step < steps && code == TFKG_OK; step++) {
    for (size_t i = 0; i < n_in; i++) {
      size_t part = ins[i].size / (size_t)steps;
      inputs[i] = (tfkg_input){ins[i].key, ins[i].data + part * (size_t)step, part, ins[i].rank ? ins[i].dims : NULL};
    }
    code = tfkg_run(m, name, rows, inputs, n_in, outputs, n_out, &err);
    if (code != TFKG_OK) fprintf(stderr, "tfkg_cli: %s\n", err.message);
    for (size_t i = 0; i < n_out && code == TFKG_OK; i++) {
      size_t bytes = outputs[i].byte_size;
      if (out_item[i]) { /* the output's own size, from the shape the library reported */
        bytes = (size_t)out_item[i];
        for (int d = 0; d < outs[i].rank; d++) bytes *= (size_t)outs[i].dims[d];
      }
      fwrite(outputs[i].data, 1, bytes, files[i]);
    }
  }
  if (code == TFKG_OK && save && (code = tfkg_save(m, &err)) != TFKG_OK)
    fprintf(stderr, "tfkg_cli: %s\n", err.message);
  for (size_t i = 0; i < n_out; i++) {
    if (files[i]) fclose(files[i]);
    free(outs[i].data);
  }
  return code;
}

int main(int argc, char **argv) {
  if (argc < 3) return usage();
  int is_list = strcmp(argv[1], "list") == 0;
  if (!is_list && (strcmp(argv[1], "run") != 0 || argc < 5)) return usage();
  binding ins[MAX_TENSORS], outs[MAX_TENSORS];
  size_t n_in = 0, n_out = 0;
  long steps = 1;
  int save = 0, code = TFKG_OK;
  for (int i = 5; !is_list && i < argc && code == TFKG_OK; i++) {
    const char *key, *value;
    int has_value = i + 1 < argc;
    if (strcmp(argv[i], "--save") == 0) {
      save = 1;
    } else if (strcmp(argv[i], "--steps") == 0 && has_value) {
      steps = atol(argv[++i]);
    } else if (strcmp(argv[i], "--in") == 0 && has_value && n_in < MAX_TENSORS && split(argv[++i], &key, &value)) {
      binding *b = &ins[n_in++];
      *b = (binding){key, value, NULL, 0, -1, 0, {0}};
      if (!(b->data = read_file(value, &b->size))) {
        fprintf(stderr, "tfkg_cli: cannot read %s\n", value);
        code = TFKG_ERR_IO;
      }
    } else if (strcmp(argv[i], "--shape") == 0 && has_value && split(argv[++i], &key, &value)) {
      binding *b = NULL;
      for (size_t j = 0; j < n_in; j++)
        if (strcmp(ins[j].key, key) == 0) b = &ins[j];
      if (!b || !parse_shape(value, b)) code = usage();
    } else if (strcmp(argv[i], "--out") == 0 && has_value && n_out < MAX_TENSORS && split(argv[++i], &key, &value)) {
      outs[n_out++] = (binding){key, value, NULL, 0, -1, 0, {0}};
    } else if (strcmp(argv[i], "--out-bytes") == 0 && has_value && split(argv[++i], &key, &value)) {
      for (size_t j = 0; j < n_out; j++)
        if (strcmp(outs[j].key, key) == 0) outs[j].bytes_override = atoll(value);
    } else {
      code = usage();
    }
  }
  if (steps < 1) code = usage();
  tfkg_error err;
  tfkg_model *m = code == TFKG_OK ? tfkg_model_load(argv[2], &err) : NULL;
  if (code == TFKG_OK && !m) {
    fprintf(stderr, "tfkg_cli: %s\n", err.message);
    code = err.code;
  }
  if (m) code = is_list ? list(m) : run(m, argv[3], atoll(argv[4]), steps, save, ins, n_in, outs, n_out);
  tfkg_model_free(m);
  for (size_t i = 0; i < n_in; i++) free(ins[i].data);
  return code;
}
