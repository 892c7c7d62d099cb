"""The package's shape (docs/design.md): no import cycles between files, the import contracts and the
lint pass, and no file over the size limit except tables. Oracles: grimp's import graph (what
import-linter reads), ruff and lint-imports run as programs."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import numpy as np

REPO = Path(__file__).resolve().parents[1]
SIZE_LIMIT = 450
TABLES = {"tfkg_graph/graph/shapes.py"}  # one rule per op type


def import_cycles(graph: grimp.ImportGraph) -> list[set[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cycles = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(component)
    return cycles


def test_cycle_finder_sees_a_cycle_through_a_function_level_import(tmp_path, monkeypatch):
    pkg = tmp_path / "cyc"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\n")
    (pkg / "b.py").write_text("def f():\n    from . import a\n")
    (pkg / "c.py").write_text("from . import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles(grimp.build_graph("cyc", cache_dir=None)) == [{"cyc.a", "cyc.b"}]


def test_no_import_cycles_between_files():
    cycles = import_cycles(grimp.build_graph("tfkg_graph", cache_dir=None, exclude_type_checking_imports=True))
    assert not cycles, f"import cycles: {[sorted(c) for c in cycles]}"


def test_import_contracts_have_no_ignored_imports():
    """Every edge obeys the layers: no contract carries an ``ignore_imports`` allowance."""
    text = (REPO / ".importlinter").read_text()
    assert "ignore_imports" not in text


def test_import_contracts_and_lint_pass():
    contracts = subprocess.run([str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
                               capture_output=True, text=True, cwd=REPO, timeout=300)
    assert contracts.returncode == 0, contracts.stdout[-3000:] + contracts.stderr
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "tfkg_graph", "tools"], capture_output=True,
                          text=True, cwd=REPO, timeout=300)
    assert lint.returncode == 0, lint.stdout[-3000:] + lint.stderr


def test_no_file_over_the_size_limit_except_tables():
    sizes = {str(p.relative_to(REPO)): len(p.read_text().splitlines()) for p in (REPO / "tfkg_graph").rglob("*.py")}
    over = {p for p, n in sizes.items() if n > SIZE_LIMIT} - TABLES
    assert not over, f"files over {SIZE_LIMIT} lines: {sorted(over)}"


def test_saving_rebuilds_models_in_a_process_that_imported_only_saving(tmp_path):
    """saving never imports models (it sits below them): its class registry finds the model classes by
    module name on first use, so ``saving.load_model`` works before anything imported ``models``."""
    from conftest import run_python
    import tfkg_graph as keras
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.save(str(tmp_path / "saved"))
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.save(tmp_path / "expected.npy", model.predict(x, verbose=0))
    proc = run_python(f"""
        import sys, numpy as np
        from tfkg_graph.saving import load_model
        assert "tfkg_graph.models" not in sys.modules
        model = load_model({str(tmp_path / "saved")!r})
        assert type(model).__name__ == "Sequential", type(model)
        np.testing.assert_allclose(model.predict(np.arange(6, dtype="float32").reshape(2, 3), verbose=0),
                                   np.load({str(tmp_path / "expected.npy")!r}), rtol=1e-6)
        print("OK")
    """)
    assert proc.returncode == 0 and "OK" in proc.stdout, proc.stderr[-3000:]
