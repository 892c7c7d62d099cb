"""Callbacks that watch one logged value: EarlyStopping and ReduceLROnPlateau (Keras semantics)."""
from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np

from .callback import Callback, Logs

# names whose values are better when higher; everything else (loss, errors, fpr_at_tpr) is minimised
_HIGHER_IS_BETTER = ("acc", "auc", "precision", "recall", "sensitivity", "specificity", "tpr_at_fpr",
                     "true_positives", "true_negatives")


def higher_is_better(monitor: str) -> bool:
    name = monitor.removeprefix("val_")
    return any(token in name for token in _HIGHER_IS_BETTER) and not name.endswith("_fpr")


class MonitorCallback(Callback):
    """``mode``: ``"min"``, ``"max"`` or ``"auto"`` (from the metric name: accuracies, AUC, precision...
    go up, losses and errors go down). An improvement beats the best by more than ``min_delta``."""

    def __init__(self, monitor: str = "val_loss", mode: str = "auto", baseline: float | None = None,
                 min_delta: float = 0.0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        self.monitor, self.mode, self.baseline, self.min_delta = monitor, mode, baseline, abs(min_delta)
        self.best: float | None = baseline

    @property
    def maximize(self) -> bool:
        return self.mode == "max" or (self.mode == "auto" and higher_is_better(self.monitor))

    def is_improvement(self, value: float, reference: float | None) -> bool:
        if reference is None:
            return True
        return value - self.min_delta > reference if self.maximize else value + self.min_delta < reference

    def monitor_value(self, logs: Logs | None) -> float | None:
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(f"{type(self).__name__} monitors {self.monitor!r}, which is not in the logs; "
                          f"available: {', '.join(logs or {})}", stacklevel=3)
            return None
        return float(value)


class EarlyStopping(MonitorCallback):
    """Stops training (``model.stop_training``) when ``monitor`` has not improved for ``patience`` epochs,
    counting from ``start_from_epoch``; ``restore_best_weights`` puts the best epoch's weights back.
    TFKG's ``threshold``: also stop as soon as the value reaches it (>= when maximising, <= otherwise)."""

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0, verbose: int = 0,
                 mode: str = "auto", baseline: float | None = None, restore_best_weights: bool = False,
                 start_from_epoch: int = 0, threshold: float | None = None):
        super().__init__(monitor, mode, baseline, min_delta)
        self.patience, self.verbose, self.restore_best_weights = patience, verbose, restore_best_weights
        self.start_from_epoch, self.threshold = start_from_epoch, threshold
        self.wait = self.stopped_epoch = self.best_epoch = 0
        self.best_weights: Any = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.wait = self.stopped_epoch = self.best_epoch = 0
        self.best, self.best_weights = None, None

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        current = self.monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = self.model.get_weights(), epoch
        self.wait += 1
        reached = self.threshold is not None and (current >= self.threshold if self.maximize
                                                  else current <= self.threshold)
        if self.is_improvement(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self.is_improvement(current, self.baseline):
                self.wait = 0
            if not reached:
                return
        elif not reached and not (self.wait >= self.patience and epoch > 0):
            return
        self.stopped_epoch = epoch
        self.model.stop_training = True

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


def get_learning_rate(model: Any) -> float:
    return float(np.asarray(model.optimizer.learning_rate))


def set_learning_rate(model: Any, value: float) -> None:
    """The optimizer writes the value into its graph variable (design.md: Models <-> optimizers)."""
    model.optimizer.learning_rate = float(value)


class ReduceLROnPlateau(MonitorCallback):
    """Multiplies the learning rate by ``factor`` after ``patience`` epochs without improvement, then
    waits ``cooldown`` epochs; never below ``min_lr``. Adds ``learning_rate`` to the epoch logs."""

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10, verbose: int = 0,
                 mode: str = "auto", min_delta: float = 1e-4, cooldown: int = 0, min_lr: float = 0.0):
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0, got {factor}")
        super().__init__(monitor, mode, None, min_delta)
        self.factor, self.patience, self.verbose = factor, patience, verbose
        self.cooldown, self.min_lr = cooldown, min_lr
        self.wait = self.cooldown_counter = 0

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.wait = self.cooldown_counter = 0
        self.best = None

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = logs if logs is not None else {}
        logs["learning_rate"] = get_learning_rate(self.model)
        current = self.monitor_value(logs)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self.is_improvement(current, self.best):
            self.best, self.wait = current, 0
        elif self.cooldown_counter == 0:
            self.wait += 1
            if self.wait >= self.patience:
                old = get_learning_rate(self.model)
                if old > np.float32(self.min_lr):
                    new = max(old * self.factor, self.min_lr)
                    set_learning_rate(self.model, new)
                    if self.verbose > 0:
                        print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new}.")
                    self.cooldown_counter, self.wait = self.cooldown, 0


class LearningRateScheduler(Callback):
    """Sets the learning rate at each epoch start to ``schedule(epoch, lr)`` (or ``schedule(epoch)``)."""

    def __init__(self, schedule: Callable[..., float], verbose: int = 0):
        super().__init__()
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        try:
            lr = self.schedule(epoch, get_learning_rate(self.model))
        except TypeError:  # a one-argument schedule
            lr = self.schedule(epoch)
        lr = float(np.asarray(lr))
        if not np.isfinite(lr):
            raise ValueError(f"the schedule returned a non-finite learning rate {lr} at epoch {epoch}")
        set_learning_rate(self.model, lr)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if logs is not None:
            logs["learning_rate"] = get_learning_rate(self.model)
