"""Per-step overhead of replicated and multi-worker training against the local step.

Model: Dense(64, relu) -> Dense(64, relu) -> Dense(10, softmax) on 32 features, Adam, sparse
categorical crossentropy, global batch 256. Each setup trains the same model through its prepared
train callable (one session run per step, what fit() calls); the number is the median per-step wall
time over several rounds. Setups:

- local: no strategy (one device, ops in the caller's thread as fit() configures small models);
- mirrored x1 / x4: MirroredStrategy on 1 and 4 virtual CPU devices (split, per-replica
  forward/backward, gather, weighted gradient sum);
- ps 2 workers: ParameterServerStrategy over local_cluster(2 workers, 1 ps) on 127.0.0.1
  (gRPC hops: client -> master on worker 0 -> worker 1 and ps).

On a 2-core machine shared with other processes this measures overhead, not scaling: 4 replicas
cannot run faster than 1 on 2 cores.

    python bench/bench_distribute.py [--json out.json] [--quick]
"""
from __future__ import annotations

import argparse
import os
import statistics

import numpy as np

from _common import format_row, print_header, round_times, write_json
from tfkg_graph import distribute, layers, models

BATCH, FEATURES, CLASSES = 256, 32, 10


def _model(strategy=None):
    def build():
        model = models.Sequential([layers.Input((FEATURES,)), layers.Dense(64, activation="relu", name="h1"),
                                   layers.Dense(64, activation="relu", name="h2"),
                                   layers.Dense(CLASSES, activation="softmax", name="out")])
        model.compile("adam", "sparse_categorical_crossentropy")
        return model
    if strategy is None:
        return build()
    with strategy.scope():
        return build()


def _step_ms(model, steps: int, rounds: int) -> float:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(BATCH, FEATURES)).astype(np.float32)
    y = rng.integers(0, CLASSES, BATCH)
    model.train_on_batch(x, y)  # builds graph and session
    fn = model.runtime.train_fn
    feeds = [x, y.astype(np.float32).reshape(BATCH), np.ones(BATCH, np.float32)]
    for _ in range(5):
        fn(*feeds)
    return statistics.median(round_times(lambda: fn(*feeds), rounds, calls=steps)) * 1e3


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer steps and rounds")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    steps, rounds = (20, 3) if args.quick else (100, 5)
    results: dict = {"batch": BATCH, "cpu_count": os.cpu_count()}
    results["local_ms"] = _step_ms(_model(), steps, rounds)
    for n in (1, 4):
        strategy = distribute.MirroredStrategy([f"/device:CPU:{i}" for i in range(n)])
        results[f"mirrored_x{n}_ms"] = _step_ms(_model(strategy), steps, rounds)
    with distribute.local_cluster(workers=2, ps=1) as cluster:
        model = _model(distribute.ParameterServerStrategy(cluster.spec))
        results["ps_2_workers_ms"] = _step_ms(model, steps, rounds)
        model.runtime.close()
    rows = [("local (1 device)", "local_ms"), ("MirroredStrategy, 1 virtual CPU", "mirrored_x1_ms"),
            ("MirroredStrategy, 4 virtual CPUs", "mirrored_x4_ms"),
            ("ParameterServerStrategy, 2 workers + 1 ps (loopback)", "ps_2_workers_ms")]
    widths = (54, 8, 8)
    print_header((f"MLP 32-64-64-10, Adam, global batch {BATCH}", "ms/step", "vs local"), widths)
    for label, key in rows:
        print(format_row((label, f"{results[key]:.3f}", f"{results[key] / results['local_ms']:.2f}x"), widths))
        if key != "local_ms":
            results[key.replace("_ms", "_overhead_ms")] = results[key] - results["local_ms"]
    if args.json:
        write_json(args.json, results)
    return results


if __name__ == "__main__":
    main()
