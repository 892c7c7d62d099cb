"""Keras' ``BackupAndRestore``: a training run that dies resumes from its last finished epoch."""
from __future__ import annotations

import os
import re
import shutil

from .callback import Callback, Logs
from ..saving.checkpoint import latest_checkpoint

_PREFIX = "ckpt-{epoch}"


class BackupAndRestore(Callback):
    """Saves every variable (weights, optimizer slots and step counter) at each epoch end as a TF
    checkpoint ``backup_dir/ckpt-<epochs done>``; the next ``fit`` with the same callback restores
    the newest one and starts at the following epoch. The chief process writes the files (weights
    are read over the session), so ``backup_dir`` only needs to be local to the chief. The epoch
    count lives in the checkpoint's name, which the atomic ``checkpoint`` state file points at, so
    weights and epoch can never disagree. The values are loaded before the first step, once the
    training graph (with its optimizer slots) exists.
    """

    def __init__(self, backup_dir: str | os.PathLike, save_freq: str = "epoch", delete_checkpoint: bool = True):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch":
            raise ValueError(f"save_freq must be 'epoch' (a resumed run restarts at an epoch), got {save_freq!r}")
        self.backup_dir, self.delete_checkpoint = os.fspath(backup_dir), delete_checkpoint
        self._restore: str | None = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        prefix = latest_checkpoint(self.backup_dir) if os.path.isdir(self.backup_dir) else None
        if prefix is None:
            return
        found = re.fullmatch(_PREFIX.format(epoch=r"(\d+)"), os.path.basename(prefix))
        if found is None:
            raise ValueError(f"{prefix!r} is not a BackupAndRestore checkpoint (expected ckpt-<epoch>)")
        self.model._initial_epoch = int(found.group(1))
        self._restore = prefix

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        if self._restore is not None:
            prefix, self._restore = self._restore, None
            self.model.load_weights(prefix)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self.model.save_weights(os.path.join(self.backup_dir, _PREFIX.format(epoch=epoch + 1)))

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.delete_checkpoint and os.path.isdir(self.backup_dir):
            shutil.rmtree(self.backup_dir)
