"""Repository entry for ``tfkg-inspect``; the tool itself is ``tfkg_graph.inspect`` (installed with the package)."""
import sys

from tfkg_graph.inspect.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
