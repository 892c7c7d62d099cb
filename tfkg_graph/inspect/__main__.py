"""``python -m tfkg_graph.inspect``: the same as the ``tfkg-inspect`` command."""
import sys

from .cli import main

sys.exit(main())
