"""Where progress bars write: stdout while interactive logging is on (the default), else the
``tfkg_graph`` logger at INFO (Keras' ``enable/disable_interactive_logging``; Keras logs to absl,
we to Python's ``logging``), for servers and batch jobs whose stdout is a log file."""
from __future__ import annotations

import logging
import sys
from typing import TextIO

_interactive = True  # one flag for the process; a bool assignment needs no lock


def enable_interactive_logging() -> None:
    global _interactive
    _interactive = True


def disable_interactive_logging() -> None:
    global _interactive
    _interactive = False


def is_interactive_logging_enabled() -> bool:
    return _interactive


def write(message: str, stream: TextIO | None = None) -> None:
    """``message`` to ``stream`` when one was given, else to stdout or (not interactive) the logger,
    without the backspaces and carriage returns that redraw a bar in a terminal."""
    if stream is not None or _interactive:
        stream = stream or sys.stdout
        stream.write(message)
        stream.flush()
    else:
        logging.getLogger("tfkg_graph").info(message.lstrip("\b\r").rstrip("\n"))


__all__ = ["disable_interactive_logging", "enable_interactive_logging", "is_interactive_logging_enabled", "write"]
