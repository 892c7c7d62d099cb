"""`python -m tfkg_graph.server`: start a worker or parameter-server task (see distribute/server.py)."""
import sys

from .distribute.server import main

if __name__ == "__main__":
    sys.exit(main())
