"""Compiler and linker flags for C programs using TensorFlow's C API (and csrc/tfkg.h).

``cc host.c csrc/tfkg.c -Icsrc $(python -m tfkg_graph.capi_flags)`` builds against the installed
``tensorflow`` wheel: its bundled headers (``tensorflow/include``) and ``libtensorflow_cc.so.2`` +
``libtensorflow_framework.so.2``, with an rpath so the program runs without LD_LIBRARY_PATH.
``$TFKG_LIBTENSORFLOW`` (a standalone libtensorflow directory with ``include/`` and ``lib/``) takes
precedence, as it does for the Python runtime. TensorFlow is located, never imported.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import shlex
import sys
from pathlib import Path

ENV_LIBRARY = "TFKG_LIBTENSORFLOW"  # the variable tfkg_graph.runtime.library reads (not imported: it pulls numpy)


class LibraryNotFound(Exception):
    """No TensorFlow C library (or its headers) could be located."""


def _standalone(path: Path) -> tuple[Path, Path, list[str]]:
    """A libtensorflow C release (include/tensorflow/c/c_api.h, lib/libtensorflow.so.2) or a wheel's
    directory, named by its root, its lib/ directory or the library file."""
    if not path.exists():
        raise LibraryNotFound(f"${ENV_LIBRARY}={path}: no such file or directory")
    path = path.resolve()
    lib_dir = path.parent if path.is_file() else path / "lib" if (path / "lib").is_dir() else path
    root = lib_dir.parent if lib_dir.name == "lib" else lib_dir
    main_lib = next((name for name in ("libtensorflow.so.2", "libtensorflow_cc.so.2") if (lib_dir / name).exists()),
                    None)
    if main_lib is None:
        raise LibraryNotFound(f"${ENV_LIBRARY}={path}: no libtensorflow.so.2 or libtensorflow_cc.so.2 in {lib_dir}")
    framework = "libtensorflow_framework.so.2"
    return root / "include", lib_dir, [main_lib] + ([framework] if (lib_dir / framework).exists() else [])


def _wheel() -> tuple[Path, Path, list[str]]:
    spec = importlib.util.find_spec("tensorflow")
    if spec is None or not spec.submodule_search_locations:
        raise LibraryNotFound(f"no tensorflow wheel is installed; install tensorflow-cpu or set ${ENV_LIBRARY}")
    root = Path(list(spec.submodule_search_locations)[0])
    libs = ["libtensorflow_cc.so.2", "libtensorflow_framework.so.2"]
    missing = [name for name in libs if not (root / name).exists()]
    if missing:
        raise LibraryNotFound(f"{root} lacks {', '.join(missing)}: the tensorflow wheel looks incomplete")
    return root / "include", root, libs


def locate() -> tuple[Path, Path, list[str]]:
    """(include dir, library dir, library file names)."""
    override = os.environ.get(ENV_LIBRARY)
    if override:
        return _standalone(Path(override))
    return _wheel()


def cflags() -> list[str]:
    include, _, _ = locate()
    if not (include / "tensorflow" / "c" / "c_api.h").exists():
        raise LibraryNotFound(f"{include}/tensorflow/c/c_api.h is missing")
    return [f"-I{include}", "-pthread"]  # csrc/tfkg.c locks with pthreads


def libs() -> list[str]:
    _, lib_dir, names = locate()
    return [f"-L{lib_dir}", *(f"-l:{name}" for name in names), f"-Wl,-rpath,{lib_dir}", "-pthread"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tfkg_graph.capi_flags", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cflags", action="store_true", help="compiler flags only")
    parser.add_argument("--libs", action="store_true", help="linker flags only")
    args = parser.parse_args(argv)
    both = args.cflags == args.libs
    try:
        flags = (cflags() if args.cflags or both else []) + (libs() if args.libs or both else [])
    except LibraryNotFound as e:
        print(f"tfkg_graph.capi_flags: {e}", file=sys.stderr)
        return 1
    print(shlex.join(flags))
    return 0


if __name__ == "__main__":
    sys.exit(main())
