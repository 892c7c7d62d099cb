"""ModelCheckpoint: saves the model (``model.save``) or its weights (``model.save_weights``) during fit."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable

from .callback import Logs
from .monitor import MonitorCallback


def atomic_save(save: Callable[[str], Any], path: str | os.PathLike) -> list[Path]:
    """Runs ``save(staging_path)`` in a fresh directory beside ``path`` and then moves whatever it wrote
    (one file, a directory, or a checkpoint prefix's several files) into place with ``os.replace``: a
    crash mid-save leaves the previous checkpoint intact and never a half-written one."""
    target = Path(path)
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.saving-", dir=parent))
    try:
        save(str(staging / target.name))
        produced = sorted(staging.iterdir())
        if not produced:
            raise RuntimeError(f"saving {target} wrote nothing")
        for item in produced:
            final = parent / item.name
            if item.name == "checkpoint" and item.is_file():  # TF's CheckpointState names its paths
                item.write_text(item.read_text().replace(str(staging), str(parent)))
            if final.is_dir():
                retired = parent / f".{item.name}.replaced-{os.getpid()}"
                os.replace(final, retired)
                os.replace(item, final)
                shutil.rmtree(retired, ignore_errors=True)
            else:
                os.replace(item, final)
        return [parent / item.name for item in produced]
    finally:
        shutil.rmtree(staging, ignore_errors=True)


WEIGHTS_SUFFIX = ".weights.h5"


class ModelCheckpoint(MonitorCallback):
    """Keras' ModelCheckpoint. ``filepath`` may hold ``{epoch}`` (1-based) and log keys, e.g.
    ``ckpt/{epoch:02d}-{val_loss:.3f}``. TFKG extra: ``keep_last`` deletes all but the newest N saves.

    Each save writes what the name promises: ``*.weights.h5`` Keras 3 weights (``model.save_weights``),
    ``*.keras`` a Keras archive (``model.save``, which owns that format), any other path a SavedModel
    directory (``model.save``) or, with ``save_weights_only``, a TF checkpoint prefix."""

    def __init__(self, filepath: str | os.PathLike, monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False, mode: str = "auto",
                 save_freq: str | int = "epoch", initial_value_threshold: float | None = None,
                 keep_last: int | None = None):
        super().__init__(monitor, mode, initial_value_threshold)
        if save_freq != "epoch" and not (isinstance(save_freq, int) and save_freq > 0):
            raise ValueError(f"save_freq must be 'epoch' or a positive int, got {save_freq!r}")
        if keep_last is not None and keep_last < 1:
            raise ValueError(f"keep_last must be >= 1, got {keep_last}")
        self.filepath, self.verbose = os.fspath(filepath), verbose
        if save_weights_only and self.filepath.endswith(".keras"):
            raise ValueError(f"ModelCheckpoint(save_weights_only=True) cannot write weights to {self.filepath!r}: "
                             f"a .keras name promises a whole model; end it in {WEIGHTS_SUFFIX} for weights")
        if self.filepath.endswith((".h5", ".hdf5")) and not self.filepath.endswith(WEIGHTS_SUFFIX):
            raise ValueError(f"ModelCheckpoint cannot write legacy Keras 2 HDF5 ({self.filepath!r}): end the name "
                             f"in .keras for a model or {WEIGHTS_SUFFIX} for weights")
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self.save_freq, self.keep_last = save_freq, keep_last
        self.saved: list[list[Path]] = []  # what each save wrote, oldest first
        self.saved_epochs: list[int] = []
        self._batches = 0
        self._epoch = 0

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if self.save_freq == "epoch":
            return
        self._batches += 1
        if self._batches % self.save_freq == 0:
            self._save(self._epoch, batch, logs)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def _save(self, epoch: int, batch: int | None, logs: Logs | None) -> None:
        logs = logs or {}
        if self.save_best_only:
            current = self.monitor_value(logs)
            if current is None or not self.is_improvement(current, self.best):
                if self.verbose > 0 and current is not None:
                    print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {self.best}")
                return
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {self.best} to {current}")
            self.best = current
        path = self.filepath.format(epoch=epoch + 1, batch=batch, **logs)
        weights = self.save_weights_only or path.endswith(WEIGHTS_SUFFIX)
        save = self.model.save_weights if weights else self.model.save
        written = atomic_save(save, path)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: saving model to {path}")
        self.saved = [files for files in self.saved if not set(files) <= set(written)] + [written]
        self.saved_epochs.append(epoch)
        while self.keep_last is not None and len(self.saved) > self.keep_last:
            for old in self.saved.pop(0):
                if old.is_dir():
                    shutil.rmtree(old, ignore_errors=True)
                elif old.exists() and old.name != "checkpoint":
                    old.unlink()
