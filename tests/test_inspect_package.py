"""The inspector ships inside tfkg_graph: `pip install .` installs only tfkg_graph (with the
tfkg-inspect command pointing into it), and every entry (module, repository script) runs the same tool."""
from __future__ import annotations

import configparser
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tfkg_graph.graph import Graph, placeholder, nn

REPO = Path(__file__).resolve().parents[1]


def test_wheel_installs_only_tfkg_graph_and_the_console_script_targets_it(tmp_path):
    source = tmp_path / "src"  # a copy, so the build leaves no build/ or egg-info in the checkout
    for name in ("tfkg_graph", "tools"):  # tools/ present, and still not installed
        shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("setup.py", "README.md"):
        shutil.copy(REPO / name, source)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(tmp_path / "dist"), str(source)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/", 1)[0] for n in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"tfkg_graph"}
    assert "tfkg_graph/inspect/cli.py" in names and "tfkg_graph/examples_graphdefs.py" not in names
    assert "tfkg_graph/runtime/fastrun.c" in names  # compiled on first use (runtime/fastrun.py)
    entry = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    parser = configparser.ConfigParser()
    parser.read_string(zipfile.ZipFile(wheel).read(entry).decode())
    assert parser["console_scripts"]["tfkg-inspect"] == "tfkg_graph.inspect.cli:main"


def test_module_and_repository_script_run_the_same_tool(tmp_path):
    g = Graph()
    with g.as_default():
        nn.relu(placeholder("float32", (None, 3), name="x"), name="y")
    path = tmp_path / "g.pb"
    path.write_bytes(g.to_bytes())
    outputs = []
    env = {**os.environ, "PYTHONPATH": str(REPO)}  # this checkout's tfkg_graph, not another installed one
    for cmd in ([sys.executable, "-m", "tfkg_graph.inspect"], [sys.executable, "tools/inspect_graph.py"]):
        done = subprocess.run(cmd + ["--json", str(path)], capture_output=True, text=True, timeout=120, cwd=REPO,
                              env=env)
        assert done.returncode == 0, done.stderr
        outputs.append(json.loads(done.stdout))
    assert outputs[0] == outputs[1]
    assert outputs[0]["nodes"] == 2 and [i["name"] for i in outputs[0]["inputs"]] == ["x"]
