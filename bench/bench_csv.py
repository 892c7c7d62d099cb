"""CSV -> shuffled, preprocessed, batched numpy arrays: tfkg_graph.data vs tf.data vs pyarrow.

    python bench/bench_csv.py [--json out.json] [--mb 200] [--scale 10] [--quick]

Generates a numeric CSV (10 float columns + a string class label) under /tmp, then on the
same file in the same run measures one epoch of
  * tfkg_graph.data.CsvDataset (Standardize + SparseCategoricalY, block shuffle), with a
    background thread (workers=0) and with 2 worker processes; index + fit time reported apart,
  * tf.data.experimental.CsvDataset + shuffle(100k rows) + batch + map(standardize, label lookup),
  * pyarrow.csv.read_csv (whole file in memory) + the same preprocessing + permutation + batching,
then peak RSS growth of a full CsvDataset pass (index, fit, epoch) in a fresh process for the
file and for a file ``--scale`` times larger. The generated files (in /tmp) are removed unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time

import numpy as np

from _common import run_fresh, write_json

N_FEATURES = 10
BATCH = 256
CLASSES = [f"class_{i}" for i in range(5)]


def generate(path: str, target_mb: float, seed: int = 0) -> int:
    """Write a CSV of about target_mb megabytes; returns the number of data rows."""
    rng = np.random.default_rng(seed)
    header = ",".join(f"f{i}" for i in range(N_FEATURES)) + ",label\n"
    rows = 0
    with open(path, "w") as f:
        f.write(header)
        while f.tell() < target_mb * 1e6:
            n = 50_000
            x = rng.normal(size=(n, N_FEATURES)) * 10
            lab = rng.integers(0, len(CLASSES), n)
            body = "\n".join(",".join(f"{v:.4f}" for v in r) + "," + CLASSES[c] for r, c in zip(x, lab))
            f.write(body + "\n")
            rows += n
    return rows


def scale_file(src: str, dst: str, times: int) -> None:
    """dst = header + ``times`` copies of src's data rows (fast way to make a 10x file)."""
    with open(src, "rb") as f:
        header = f.readline()
        body_start = f.tell()
    with open(dst, "wb") as out:
        out.write(header)
        for _ in range(times):
            with open(src, "rb") as f:
                f.seek(body_start)
                shutil.copyfileobj(f, out, 16 << 20)


def _ours_dataset(path: str, cache: str, workers: int):
    from tfkg_graph.data import CsvDataset, SparseCategoricalY, Standardize

    return CsvDataset(path, features=[Standardize(offset=0, length=N_FEATURES)], label=SparseCategoricalY(column=N_FEATURES),
                      batch_size=BATCH, cache_dir=cache, workers=workers, progress=False)


def bench_ours(path: str, workers: int) -> dict:
    cache = tempfile.mkdtemp(prefix="bench_csv_cache_")
    try:
        t0 = time.perf_counter()
        ds = _ours_dataset(path, cache, workers)
        setup = time.perf_counter() - t0
        t0 = time.perf_counter()
        rows = 0
        for x, y in ds:
            rows += len(x)
        epoch = time.perf_counter() - t0
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return {"rows": rows, "seconds": epoch, "setup_seconds": setup}


def bench_tfdata(path: str, mean: np.ndarray, std: np.ndarray) -> dict:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    table = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(tf.constant(CLASSES), tf.range(len(CLASSES), dtype=tf.int64)), -1)
    m, s = tf.constant(mean, tf.float32), tf.constant(std, tf.float32)

    def prep(*cols):
        return (tf.stack(cols[:N_FEATURES], axis=-1) - m) / s, table.lookup(cols[N_FEATURES])

    t0 = time.perf_counter()
    ds = tf.data.experimental.CsvDataset(path, [tf.float32] * N_FEATURES + [tf.string], header=True)
    # idiomatic fast ordering: shuffle rows, batch, then preprocess whole batches
    ds = ds.shuffle(100_000, seed=0).batch(BATCH).map(prep, num_parallel_calls=tf.data.AUTOTUNE).prefetch(4)
    rows = 0
    for x, y in ds:
        rows += len(x.numpy())
        y.numpy()
    return {"rows": rows, "seconds": time.perf_counter() - t0, "setup_seconds": 0.0}


def bench_pyarrow(path: str) -> dict:
    import pyarrow.csv as pacsv

    t0 = time.perf_counter()
    table = pacsv.read_csv(path)
    x = np.stack([table.column(i).to_numpy() for i in range(N_FEATURES)], axis=1)
    labels = table.column(N_FEATURES).to_numpy(zero_copy_only=False)
    classes, y = np.unique(labels, return_inverse=True)
    x = ((x - x.mean(0)) / x.std(0)).astype(np.float32)
    order = np.random.default_rng(0).permutation(len(x))
    rows = 0
    for s in range(0, len(x), BATCH):
        idx = order[s: s + BATCH]
        xb, _ = x[idx], y[idx]
        rows += len(xb)
    return {"rows": rows, "seconds": time.perf_counter() - t0, "setup_seconds": 0.0}


def _rss_child(path: str, workers: int) -> None:
    """Run in a fresh process: print peak RSS growth (MB) of index + fit + one epoch."""

    def status(key: str) -> float:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1]) / 1024
        return float("nan")

    import tfkg_graph.data  # noqa: F401  (import cost is not the pipeline's memory)

    base = status("VmRSS:")
    cache = tempfile.mkdtemp(prefix="bench_csv_rss_")
    try:
        t0 = time.perf_counter()
        ds = _ours_dataset(path, cache, workers)
        rows = sum(len(x) for x, _ in ds)
        index_mb = ds.index.offsets.nbytes / 1e6
        print(json.dumps({"rows": rows, "peak_growth_mb": status("VmHWM:") - base, "index_mb": index_mb,
                          "seconds": time.perf_counter() - t0}))
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def rss(path: str, workers: int = 0) -> dict:
    return run_fresh([os.path.abspath(__file__), "--rss-child", path, "--workers", str(workers)])


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", help="write results here")
    ap.add_argument("--mb", type=float, default=200.0, help="size of the generated file (MB)")
    ap.add_argument("--scale", type=int, default=10, help="the RSS check also runs on a file this many times larger")
    ap.add_argument("--quick", action="store_true", help="20 MB file, 3x scale (smoke run)")
    ap.add_argument("--keep", action="store_true", help="keep the generated files in /tmp")
    ap.add_argument("--rss-child", help=argparse.SUPPRESS)
    ap.add_argument("--workers", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.rss_child:
        _rss_child(args.rss_child, args.workers)
        return {}
    if args.quick:
        args.mb, args.scale = 20.0, 3
    work = tempfile.mkdtemp(prefix="bench_csv_", dir="/tmp")
    small, large = os.path.join(work, "small.csv"), os.path.join(work, "large.csv")
    results: dict = {"file_mb": None, "rows": None, "runs": {}, "rss": {}}
    try:
        results["rows"] = generate(small, args.mb)
        size = os.path.getsize(small)
        results["file_mb"] = size / 1e6
        ours = bench_ours(small, 0)
        runs = {"tfkg_graph CsvDataset (thread)": ours,
                "tfkg_graph CsvDataset (2 procs)": bench_ours(small, 2)}
        # tf.data gets the same standardisation constants (from the data) so the work is identical
        sample = np.loadtxt(small, delimiter=",", skiprows=1, usecols=range(N_FEATURES), max_rows=200_000)
        try:
            runs["tf.data CsvDataset+shuffle+batch"] = bench_tfdata(small, sample.mean(0), sample.std(0))
        except ImportError as e:
            runs["tf.data CsvDataset+shuffle+batch"] = {"error": f"tensorflow missing: {e}"}
        try:
            runs["pyarrow read_csv (in memory)"] = bench_pyarrow(small)
        except ImportError as e:
            runs["pyarrow read_csv (in memory)"] = {"error": f"pyarrow missing: {e}"}
        for r in runs.values():
            if "seconds" in r:
                r["rows_per_s"] = r["rows"] / r["seconds"]
                r["mb_per_s"] = size / 1e6 / r["seconds"]
                r["first_epoch_rows_per_s"] = r["rows"] / (r["seconds"] + r["setup_seconds"])
        results["runs"] = runs
        scale_file(small, large, args.scale)
        results["rss"] = {"small": rss(small), "large": rss(large), "scale": args.scale,
                          "large_file_mb": os.path.getsize(large) / 1e6}
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    print(f"\nCSV pipeline: {results['file_mb']:.0f} MB, {results['rows']:,} rows, batch {BATCH}"
          " (setup = row index + preprocessor fit, once per file)")
    print(f"{'pipeline':36} {'rows/s':>10} {'MB/s':>7} {'epoch s':>8} {'setup s':>8} {'1st epoch rows/s':>17}")
    tf_rate = results["runs"].get("tf.data CsvDataset+shuffle+batch", {}).get("rows_per_s")
    for name, r in results["runs"].items():
        if "error" in r:
            print(f"{name:36} {r['error']}")
            continue
        print(f"{name:36} {r['rows_per_s']:10,.0f} {r['mb_per_s']:7.1f} {r['seconds']:8.2f} {r['setup_seconds']:8.2f}"
              f" {r['first_epoch_rows_per_s']:17,.0f}" + (f"   {r['rows_per_s'] / tf_rate:.2f}x tf.data" if tf_rate else ""))
    s, l = results["rss"]["small"], results["rss"]["large"]
    print(f"peak RSS growth (index+fit+epoch): {results['file_mb']:.0f} MB file {s['peak_growth_mb']:.0f} MB, "
          f"{results['rss']['large_file_mb']:.0f} MB file {l['peak_growth_mb']:.0f} MB "
          f"(index {l['index_mb']:.0f} MB mmapped); growth {l['peak_growth_mb'] - s['peak_growth_mb']:.0f} MB")
    if args.json:
        write_json(args.json, results)
    return results


if __name__ == "__main__":
    main()
