"""The package version (``keras.version()`` / ``keras.__version__``); setup.py carries the same number."""
__version__ = "0.1.0"


def version() -> str:
    return __version__
