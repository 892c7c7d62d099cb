"""CSVLogger (TFKG's RecordStats), TerminateOnNaN and LambdaCallback."""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .._io import atomic_write
from .callback import Callback, Logs


class CSVLogger(Callback):
    """One row per epoch (``epoch`` then the log keys, sorted, as Keras writes them). The file is rewritten
    whole through a temporary file (``_io.atomic_write``) each epoch, so it is never half-written."""

    def __init__(self, filename: str | os.PathLike, separator: str = ",", append: bool = False):
        super().__init__()
        self.filename, self.separator, self.append = Path(filename), separator, append
        self.keys: list[str] | None = None
        self._text = ""

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.keys = None
        self._text = self.filename.read_text() if self.append and self.filename.exists() else ""
        if self._text:
            header = next(csv.reader(io.StringIO(self._text), delimiter=self.separator))
            self.keys = header[1:]

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = {k: v for k, v in (logs or {}).items() if np.ndim(v) == 0}
        out = io.StringIO()
        writer = csv.writer(out, delimiter=self.separator, lineterminator="\n")
        if self.keys is None:
            self.keys = sorted(logs)
            writer.writerow(["epoch"] + self.keys)
        writer.writerow([epoch] + [_cell(logs.get(k, "NA")) for k in self.keys])
        self._text += out.getvalue()
        atomic_write(self.filename, self._text)


def _cell(value: Any) -> Any:
    return value if isinstance(value, str) else repr(float(value)) if np.issubdtype(
        np.asarray(value).dtype, np.floating) else value


class TerminateOnNaN(Callback):
    """Stops training when a batch's loss is NaN or infinite."""

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(float(loss)):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class LambdaCallback(Callback):
    """Hooks from plain functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``."""

    def __init__(self, **hooks: Callable[..., Any]):
        super().__init__()
        for name, fn in hooks.items():
            if not (name.startswith("on_") and hasattr(Callback, name)):
                raise ValueError(f"LambdaCallback: unknown hook {name!r}")
            setattr(self, name, fn)
