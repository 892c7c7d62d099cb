"""csrc/ (the C library, tfkg_cli and iris_host) against Python, on a model saved by ``model.save``.

The C programs are built once per module with the system ``cc`` through csrc/Makefile (which takes its
flags from ``python -m tfkg_graph.capi_flags``) and always run in subprocesses, so a crash shows up as
a signal in the exit status, never in the test process. The valgrind test runs iris_host for two
steps under memcheck (a few minutes at most; skipped, with the reason shown, if valgrind is absent).
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tfkg_graph import capi_flags
from tfkg_graph.saving import load_model, read_saved_model, read_variables
from tfkg_graph.runtime import dtypes

ROOT = Path(__file__).resolve().parents[1]
CSRC = ROOT / "csrc"
IRIS_DATA = ROOT / "examples" / "iris" / "iris.data"
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}

pytestmark = pytest.mark.skipif(not (shutil.which("cc") and shutil.which("make")), reason="needs cc and make")


def _iris_example():
    spec = importlib.util.spec_from_file_location("iris_train", ROOT / "examples" / "iris" / "train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bin_dir(tmp_path_factory) -> Path:
    build = tmp_path_factory.mktemp("csrc-build")
    r = subprocess.run(["make", "-C", str(CSRC), f"PYTHON={sys.executable}", f"BUILD={build}"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "warning" not in r.stderr.lower(), r.stderr
    return build


@pytest.fixture(scope="module")
def iris():
    """The example's model and data prepared as train.py does, trained a little (so the optimizer
    state is not zero), saved with model.save; plus the rows in a fixed shuffled order."""
    example = _iris_example()
    example.set_random_seed(7)
    x, y = example.load_iris(str(IRIS_DATA))
    x = x / x.max(axis=0)
    order = np.random.default_rng(0).permutation(len(x))
    model = example.build_model()
    example.compile_model(model)
    model.fit(x[order[:30]], y[order[:30]], batch_size=10, epochs=1, verbose=0)
    return model, x[order], y[order], x, y


@pytest.fixture(scope="module")
def saved_model(iris, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("saved") / "iris"
    iris[0].save(str(path))
    return path


@pytest.fixture
def model_dir(saved_model, tmp_path) -> Path:
    """A private copy: C saves into it."""
    return Path(shutil.copytree(saved_model, tmp_path / "iris"))


def run(program: Path, *args: object, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(program), *map(str, args)], capture_output=True, text=True, env=ENV, timeout=timeout)


def tfkg_cli(bin_dir: Path, *args: object) -> subprocess.CompletedProcess:
    return run(bin_dir / "tfkg_cli", *args)


def write(tmp_path: Path, name: str, array: np.ndarray) -> Path:
    path = tmp_path / f"{name}.bin"
    np.ascontiguousarray(array).tofile(path)
    return path


# -- build flags ---------------------------------------------------------------------------------------
def test_capi_flags_point_at_the_wheel_headers_and_libraries(capsys):
    include, lib_dir, names = capi_flags.locate()
    assert (include / "tensorflow" / "c" / "c_api.h").is_file()
    assert all((lib_dir / name).is_file() for name in names) and "libtensorflow_cc.so.2" in names
    assert capi_flags.main(["--cflags"]) == 0
    assert capsys.readouterr().out.split() == [f"-I{include}", "-pthread"]
    assert capi_flags.main(["--libs"]) == 0
    assert f"-Wl,-rpath,{lib_dir}" in capsys.readouterr().out.split()


def test_capi_flags_reports_a_bad_override(tmp_path):
    r = subprocess.run([sys.executable, "-m", "tfkg_graph.capi_flags"], capture_output=True, text=True,
                       env={**ENV, "TFKG_LIBTENSORFLOW": str(tmp_path)})
    assert r.returncode == 1 and r.stdout == ""
    assert f"TFKG_LIBTENSORFLOW={tmp_path}: no libtensorflow.so.2" in r.stderr


# -- signatures, predict, train, save ------------------------------------------------------------------
def test_list_shows_the_saved_signatures(bin_dir, saved_model):
    r = tfkg_cli(bin_dir, "list", saved_model)
    assert r.returncode == 0, r.stderr
    expected = []
    for name, sig in sorted(read_saved_model(str(saved_model)).signature_def.items()):
        expected.append(f"signature {name}")
        for what, infos in (("input", sig.inputs), ("output", sig.outputs)):
            for key, info in sorted(infos.items()):
                dims = ", ".join(str(d.size) for d in info.tensor_shape.dim)
                expected.append(f"  {what} {key} {info.name} {dtypes.name(info.dtype)} [{dims}]")
    assert r.stdout.splitlines() == expected
    assert {"serving_default", "train", "evaluate"} <= {line.split()[1] for line in expected if line[0] == "s"}


def test_predict_equals_python_exactly(bin_dir, saved_model, iris, tmp_path):
    model, x, _, _, _ = iris
    rows, steps = 7, 3  # three calls, to check nothing carries over between them
    out = tmp_path / "probs.bin"
    r = tfkg_cli(bin_dir, "run", saved_model, "serving_default", rows, "--steps", steps,
                 "--in", f"measurements={write(tmp_path, 'x', x[:rows * steps])}", "--out", f"{model.output_names[0]}={out}")
    assert r.returncode == 0, r.stderr
    c_probs = np.fromfile(out, np.float32).reshape(rows * steps, 3)
    # the same batch shapes as C's calls: kernels may block a 7-row matmul differently from a 21-row one
    np.testing.assert_array_equal(c_probs, model.predict(x[:rows * steps], batch_size=rows, verbose=0))


@pytest.mark.parametrize("weighted", [True, False], ids=["sample_weight", "default_weight"])
def test_train_steps_and_save_match_python(bin_dir, saved_model, model_dir, iris, tmp_path, weighted):
    _, x, y, _, _ = iris
    rows, steps = 6, 5
    n = rows * steps
    weights = np.random.default_rng(1).uniform(0.5, 2.0, n).astype(np.float32)
    python = load_model(str(saved_model))
    target = f"{python.output_names[0]}_target"
    feeds = ["--in", f"measurements={write(tmp_path, 'x', x[:n])}",
             "--in", f"{target}={write(tmp_path, 'y', y[:n].astype(np.float32))}"]
    if weighted:
        feeds += ["--in", f"{python.output_names[0]}_sample_weight={write(tmp_path, 'w', weights)}"]
    loss_file = tmp_path / "loss.bin"
    r = tfkg_cli(bin_dir, "run", model_dir, "train", rows, "--steps", steps, "--save", *feeds, "--out", f"loss={loss_file}")
    assert r.returncode == 0, r.stderr

    losses = []
    for i in range(steps):
        batch = slice(i * rows, (i + 1) * rows)
        logs = python.train_on_batch(x[batch], y[batch], sample_weight=weights[batch] if weighted else None)
        losses.append(np.ravel(logs)[0])  # [loss, accuracy]
    np.testing.assert_allclose(np.fromfile(loss_file, np.float32), losses, rtol=0, atol=1e-6)
    c_values = read_variables(str(model_dir / "variables" / "variables"))
    py_values = python.runtime.variable_values()
    assert sorted(c_values) == sorted(py_values)
    assert int(c_values["optimizer/iterations"]) == int(py_values["optimizer/iterations"]) > steps
    for name, value in py_values.items():
        np.testing.assert_allclose(c_values[name], value, rtol=0, atol=1e-6, err_msg=name)
    assert sorted(os.listdir(model_dir / "variables")) == ["variables.data-00000-of-00001", "variables.index"]

    # the saved checkpoint is what a fresh C process and Python both load
    out = tmp_path / "probs.bin"
    r = tfkg_cli(bin_dir, "run", model_dir, "serving_default", 10, "--in", f"measurements={write(tmp_path, 'x10', x[:10])}",
                 "--out", f"{python.output_names[0]}={out}")
    assert r.returncode == 0, r.stderr
    expected = python.predict(x[:10], verbose=0)
    np.testing.assert_array_equal(np.fromfile(out, np.float32).reshape(10, 3), expected)
    np.testing.assert_array_equal(load_model(str(model_dir)).predict(x[:10], verbose=0), expected)


@pytest.mark.parametrize("weighted", [True, False], ids=["row_weights", "default_weight"])
def test_sequence_model_trains_from_c_like_python(bin_dir, tmp_path, weighted):
    """A tagger (a label per step): its sample weight input is (rows, steps)-shaped in the graph; from C
    it takes one weight per row (covering the row's steps) or none, as train_on_batch does."""
    from tfkg_graph import layers, models
    rng = np.random.default_rng(3)
    tokens = rng.integers(1, 9, (12, 5)).astype(np.int32)
    labels = (tokens % 3).astype(np.float32)
    inputs = layers.Input((5,), dtype="int32", name="tokens")
    hidden = layers.LSTM(4, return_sequences=True)(layers.Embedding(9, 3)(inputs))
    model = models.Model(inputs, layers.Dense(3, activation="softmax", name="tags")(hidden))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(tokens, labels, batch_size=6, epochs=1, verbose=0)
    path = tmp_path / "tagger"
    model.save(str(path))
    python = load_model(str(path))
    weights = rng.uniform(0.5, 2.0, 12).astype(np.float32)
    feeds = ["--in", f"tokens={write(tmp_path, 'x', tokens)}", "--in", f"tags_target={write(tmp_path, 'y', labels)}"]
    if weighted:
        feeds += ["--in", f"tags_sample_weight={write(tmp_path, 'w', weights)}"]
    loss_file = tmp_path / "loss.bin"
    r = tfkg_cli(bin_dir, "run", path, "train", 6, "--steps", 2, "--save", *feeds, "--out", f"loss={loss_file}")
    assert r.returncode == 0, r.stderr
    losses = [python.train_on_batch(tokens[b], labels[b], sample_weight=weights[b] if weighted else None)
              for b in (slice(0, 6), slice(6, 12))]
    np.testing.assert_allclose(np.fromfile(loss_file, np.float32), losses, rtol=0, atol=1e-6)
    c_values = read_variables(str(path / "variables" / "variables"))
    for name, value in python.runtime.variable_values().items():
        np.testing.assert_allclose(c_values[name], value, rtol=0, atol=1e-6, err_msg=name)


def test_a_model_without_variables_runs_from_c(bin_dir, tmp_path):
    """No SaverDef, empty variables/: the C reader loads it and predicts."""
    from tfkg_graph import layers, models
    inputs = layers.Input((3,), name="pixels")
    path = tmp_path / "scaler"
    models.Model(inputs, layers.Rescaling(0.5, offset=-1.0, name="scaled")(inputs)).save(str(path))
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    out = tmp_path / "out.bin"
    r = tfkg_cli(bin_dir, "run", path, "serving_default", 2, "--in", f"pixels={write(tmp_path, 'x', x)}",
                 "--out", f"scaled={out}")
    assert r.returncode == 0, r.stderr
    np.testing.assert_array_equal(np.fromfile(out, np.float32).reshape(2, 3), x * 0.5 - 1.0)


def _accuracy(model, x, y) -> float:
    return float(np.mean(np.argmax(model.predict(x, verbose=0), axis=1) == y))


def test_iris_host_trains_and_saves(bin_dir, model_dir, iris):
    model, _, _, x_file_order, y_file_order = iris
    r = run(bin_dir / "iris_host", model_dir, IRIS_DATA, 40, 10)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    before = re.search(r"accuracy before training: ([\d.]+) \(150 rows\)", r.stdout)
    after = re.search(r"accuracy after training: ([\d.]+) \(150 rows\)", r.stdout)
    losses = re.search(r"trained 40 steps of 10 rows: loss ([\d.]+) -> ([\d.]+)", r.stdout)
    assert before and after and losses, r.stdout
    assert float(before.group(1)) == pytest.approx(_accuracy(model, x_file_order, y_file_order), abs=5e-5)
    assert float(after.group(1)) == pytest.approx(_accuracy(load_model(str(model_dir)), x_file_order, y_file_order),
                                                  abs=5e-5)
    assert float(losses.group(2)) < float(losses.group(1))
    probs = model.predict(x_file_order[[0, 50, 100]], verbose=0)
    for line, p in zip(lines[:3], probs):
        assert line.split("[")[1].split("]")[0] == " ".join(f"{v:.3f}" for v in p), line


# -- errors: codes and messages, never a crash ---------------------------------------------------------
TFKG_ERR_ARGUMENT, TFKG_ERR_NOT_FOUND, TFKG_ERR_TENSORFLOW = 1, 2, 4


def _corrupt_data(model_dir: Path) -> None:
    data = model_dir / "variables" / "variables.data-00000-of-00001"
    data.write_bytes(bytes(b ^ 0x5A for b in data.read_bytes()))


def _truncate_index(model_dir: Path) -> None:
    index = model_dir / "variables" / "variables.index"
    index.write_bytes(index.read_bytes()[:40])


ERRORS = {
    # name: (damage to the model dir, cli arguments after the model dir, exit code, message pattern)
    "missing_dir": (None, ["list"], TFKG_ERR_NOT_FOUND, r"model directory '.*/nowhere' does not exist"),
    "not_a_saved_model": ("empty", ["list"], TFKG_ERR_TENSORFLOW, r"cannot load SavedModel '.*' \(tag 'serve'\): "),
    "wrong_signature": (None, ["run", "predict", 2], TFKG_ERR_NOT_FOUND,
                        r"has no signature 'predict' \(it has: 'evaluate', 'serving_default', 'train'\)"),
    "wrong_input_size": (None, ["run", "serving_default", 3, "--in", "measurements={x2}"], TFKG_ERR_ARGUMENT,
                         r"input 'measurements' needs 48 bytes for 3 rows of float32, got 32"),
    "wrong_output_size": (None, ["run", "serving_default", 2, "--in", "measurements={x2}", "--out", "{output}={out}",
                                 "--out-bytes", "{output}=20"], TFKG_ERR_ARGUMENT,
                          r"output '\w+' needs 24 bytes for 2 rows of float32, buffer has 20"),
    "unknown_input": (None, ["run", "serving_default", 2, "--in", "measurements={x2}", "--in", "nope={x2}"],
                      TFKG_ERR_NOT_FOUND, r"signature 'serving_default' has no input 'nope' \(it has: 'measurements'\)"),
    "missing_labels": (None, ["run", "train", 2, "--in", "measurements={x2}"], TFKG_ERR_ARGUMENT,
                       r"signature 'train': input '\w+_target' \(float32\) was not given"),
    "zero_rows": (None, ["run", "serving_default", 0, "--in", "measurements={x2}"], TFKG_ERR_ARGUMENT,
                  r"rows must be at least 1, got 0"),
    "corrupt_checkpoint": (_corrupt_data, ["list"], TFKG_ERR_TENSORFLOW,
                           r"cannot load SavedModel .*: .*variables/variables.*Checksum does not match"),
    "truncated_index": (_truncate_index, ["list"], TFKG_ERR_TENSORFLOW,
                        r"cannot load SavedModel .*: file is too short to be an sstable"),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_errors_are_reported_not_crashes(bin_dir, model_dir, iris, tmp_path, case):
    damage, args, code, pattern = ERRORS[case]
    target = model_dir
    if case == "missing_dir":
        target = tmp_path / "nowhere"
    elif damage == "empty":
        target = tmp_path / "empty"
        target.mkdir()
    elif damage is not None:
        damage(model_dir)
    names = {"x2": write(tmp_path, "x2", iris[1][:2]), "out": tmp_path / "out.bin",
             "output": iris[0].output_names[0]}
    args = [a.format(**names) if isinstance(a, str) else a for a in args]
    r = tfkg_cli(bin_dir, args[0], target, *args[1:])
    assert r.returncode == code, (r.returncode, r.stderr)
    assert re.search(pattern, r.stderr), r.stderr
    if damage is None and target == model_dir:  # nothing was written
        assert sorted(os.listdir(model_dir / "variables")) == ["variables.data-00000-of-00001", "variables.index"]


# -- memory --------------------------------------------------------------------------------------------
def _definite_leaks(report: str) -> list[str]:
    """The "definitely lost" records of a memcheck report (blank-line separated blocks)."""
    blocks = re.split(r"\n==\d+== \n", report)
    return [b for b in blocks if "definitely lost in loss record" in b]


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed (apt-get install valgrind)")
def test_iris_host_has_no_definite_leaks_in_csrc(bin_dir, model_dir):
    r = subprocess.run(["valgrind", "--leak-check=full", "--show-possibly-lost=no", "--undef-value-errors=no",
                        f"--suppressions={CSRC / 'valgrind.supp'}", str(bin_dir / "iris_host"), str(model_dir),
                        str(IRIS_DATA), "2", "5"], capture_output=True, text=True, env=ENV, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "accuracy after training" in r.stdout
    summary = re.search(r"definitely lost: ([\d,]+) bytes in ([\d,]+) blocks", r.stderr)
    assert summary, r.stderr[-3000:]
    ours = [b for b in _definite_leaks(r.stderr) if re.search(r"\((tfkg|iris_host)\.c:\d+\)", b)]
    assert not ours, "\n\n".join(ours)


# -- one handle, many threads ----------------------------------------------------------------------------
THREADED_LINE = re.compile(r"threads (\d+), predictions (\d+), train steps (\d+), probe predictions (\d+) \(torn (\d+)\), "
                           r"bad values (\d+), errors (\d+), phase-2 mismatches (\d+), failures (\d+)")


def test_threaded_host_serves_one_handle_from_eight_threads_while_training(bin_dir, model_dir, saved_model, iris):
    """8 threads x 500 predictions on one handle while a 9th trains 50 steps and saves once: no torn
    prediction (each equals the output before or after some step), all agree afterwards, and the saved
    weights equal 26 single-threaded Python steps on the same batches."""
    r = run(bin_dir / "threaded_host", model_dir, IRIS_DATA, 8, 500, 50)
    found = THREADED_LINE.search(r.stdout)
    assert r.returncode == 0 and found, r.stdout + r.stderr
    threads, predictions, steps, probes, torn, bad, errors, mismatches, failures = map(int, found.groups())
    assert (threads, predictions, steps, probes) == (8, 4000, 50, 2000)
    assert torn == bad == errors == mismatches == failures == 0
    _, _, _, x_file_order, y_file_order = iris
    python = load_model(str(saved_model))
    rows = len(x_file_order)
    for step in range(26):  # the C trainer saves after its 26th step
        first = (step * 10) % (rows - 10)
        python.train_on_batch(x_file_order[first:first + 10], y_file_order[first:first + 10])
    for got, want in zip(load_model(str(model_dir)).get_weights(), python.get_weights()):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)


def test_threaded_host_is_clean_under_thread_sanitizer(model_dir, tmp_path):
    """tfkg.c and the example built with -fsanitize=thread (TF's own uninstrumented internals suppressed)."""
    build = subprocess.run(["make", "-C", str(CSRC), "tsan", f"PYTHON={sys.executable}", f"BUILD={tmp_path}"],
                           capture_output=True, text=True, timeout=600)
    if build.returncode != 0 and "tsan" in build.stderr.lower():
        pytest.skip(f"this compiler cannot build with ThreadSanitizer: {build.stderr[-300:]}")
    assert build.returncode == 0, build.stdout + build.stderr
    env = {**ENV, "TSAN_OPTIONS": f"suppressions={CSRC / 'tsan.supp'} exitcode=66"}
    r = subprocess.run([str(tmp_path / "threaded_host_tsan"), str(model_dir), str(IRIS_DATA), "4", "100", "20"],
                       capture_output=True, text=True, env=env, timeout=600)
    assert "WARNING: ThreadSanitizer" not in r.stderr, r.stderr[-4000:]
    assert r.returncode == 0 and THREADED_LINE.search(r.stdout), r.stdout + r.stderr[-2000:]
