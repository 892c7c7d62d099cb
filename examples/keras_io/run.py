"""Runs one keras-io corpus example offline: ``python examples/keras_io/run.py vision/mnist_convnet.py``.

The script runs in a fresh working directory holding the stand-in data (``_offline/standins.py``), with
``KERAS_HOME`` pointing at the stand-in Keras cache, and with a headless matplotlib shim when matplotlib is
missing. ``--keras`` runs the same file with Keras instead: every line marked ``# CORPUS-IMPORT: <original>``
is put back to its original (the data and epoch changes stay, so both sides see the same data), and Keras'
dataset download check is told to accept the stand-in files. Both sides are seeded before the script
runs (``seed_everything``). At the end one line
``CORPUS_RESULT {json}`` reports the script's final numbers (``score``, the last ``history`` entries ...)
for comparisons.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 0
IMPORT_MARK = re.compile(r"^(?P<indent>\s*)\S.*#\s*CORPUS-IMPORT:\s*(?P<original>.+?)\s*$")


def source_for(path: str, with_keras: bool) -> str:
    text = open(path, encoding="utf-8").read()
    if not with_keras:
        return text
    lines = []
    for line in text.splitlines():
        found = IMPORT_MARK.match(line)
        lines.append(found["indent"] + found["original"] if found else line)
    return "\n".join(lines) + "\n"


def summary(namespace: dict) -> dict:
    """The numbers a script leaves behind: evaluate results and the last epoch of its History."""
    result: dict = {}
    for name in ("score", "test_acc", "test_loss"):
        value = namespace.get(name)
        if isinstance(value, (int, float)) or (isinstance(value, list) and all(isinstance(v, float) for v in value)):
            result[name] = value
    history = namespace.get("history", getattr(namespace.get("model"), "history", None))
    logs = getattr(history, "history", None)
    if isinstance(logs, dict):
        result["history"] = {key: float(values[-1]) for key, values in logs.items() if values}
    return result


def seed_everything(with_keras: bool) -> None:
    """Seeds the side that runs (the published scripts mostly do not), so a run's numbers are the same every
    time and a comparison between the two sides is not a draw."""
    if with_keras:
        import keras
        keras.utils.set_random_seed(SEED)
    else:
        from tfkg_graph import utils
        utils.set_random_seed(SEED)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("example", help="path under examples/keras_io, e.g. vision/mnist_convnet.py")
    parser.add_argument("--keras", action="store_true", help="run the original Keras imports instead")
    parser.add_argument("--workdir", help="working directory (default: a new temporary one)")
    args = parser.parse_args()
    path = os.path.abspath(os.path.join(HERE, args.example) if not os.path.isabs(args.example) else args.example)
    workdir = os.path.abspath(args.workdir or tempfile.mkdtemp(prefix="keras_io-"))
    os.makedirs(workdir, exist_ok=True)
    sys.path.insert(0, HERE)
    from _offline import standins
    os.environ["KERAS_HOME"] = standins.write_all(workdir)
    if importlib.util.find_spec("matplotlib") is None:
        sys.path.insert(0, os.path.join(HERE, "_offline", "shims"))
    if args.keras:
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        from keras.src.utils import file_utils
        file_utils.validate_file = lambda *a, **k: True  # the stand-ins are not the published files
    os.chdir(workdir)
    seed_everything(args.keras)
    namespace = {"__name__": "__main__", "__file__": path}
    exec(compile(source_for(path, args.keras), path, "exec"), namespace)
    print("CORPUS_RESULT " + json.dumps(summary(namespace)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
