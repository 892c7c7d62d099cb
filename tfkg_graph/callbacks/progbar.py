"""Progress on the terminal (ProgbarLogger, Keras' bar with rate and ETA) and to stdlib logging (Logger)."""
from __future__ import annotations

import logging
import sys
import time
from typing import TextIO

import numpy as np

from .callback import Callback, Logs


def format_logs(logs: Logs | None) -> str:
    """`` - loss: 0.1234 - accuracy: 0.5000`` for the scalar entries, like Keras."""
    parts = []
    for key, value in (logs or {}).items():
        if np.ndim(value) != 0:
            continue
        value = float(value)
        parts.append(f"{key}: {value:.4f}" if value == 0 or abs(value) > 1e-3 else f"{key}: {value:.4e}")
    return "".join(f" - {p}" for p in parts)


def format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    if seconds >= 60:
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds}s"


def format_rate(seconds_per_step: float) -> str:
    if seconds_per_step >= 1:
        return f"{seconds_per_step:.0f}s/step"
    if seconds_per_step >= 1e-3:
        return f"{seconds_per_step * 1e3:.0f}ms/step"
    return f"{seconds_per_step * 1e6:.0f}us/step"


class Progbar:
    """One epoch's bar: ``12/50 ━━━━━━━━━━━━━━━━━━━━ 3s 20ms/step - loss: 0.1234`` (ETA while running,
    elapsed time when done). verbose=1 redraws in place; verbose=2 prints only the final line."""

    def __init__(self, target: int | None, width: int = 20, verbose: int = 1, stream: TextIO | None = None):
        self.target, self.width, self.verbose = target, width, verbose
        self.stream = stream or sys.stdout
        self.start = time.perf_counter()
        self._last_width = 0

    def update(self, current: int, logs: Logs | None = None, finalize: bool = False) -> None:
        elapsed = time.perf_counter() - self.start
        per_step = elapsed / max(current, 1)
        if self.target is None:
            head = f"{current}/Unknown"
        else:
            filled = int(self.width * min(current, self.target) / max(self.target, 1))
            digits = len(str(self.target))
            head = f"{current:{digits}d}/{self.target} " + "━" * filled + "─" * (self.width - filled)
        when = elapsed if finalize or self.target is None else per_step * (self.target - current)
        line = f"{head} {format_duration(when)} {format_rate(per_step)}{format_logs(logs)}"
        if self.verbose == 1:
            pad = " " * max(self._last_width - len(line), 0)
            self.stream.write("\r" + line + pad + ("\n" if finalize else ""))
            self._last_width = len(line)
        elif finalize:
            self.stream.write(line + "\n")
        self.stream.flush()


class ProgbarLogger(Callback):
    """Keras' per-epoch progress bar (``verbose`` comes from fit's params)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__()
        self.stream = stream
        self.progbar: Progbar | None = None
        self.seen = 0
        self.in_fit = False  # validation inside fit does not get its own bar

    @property
    def verbose(self) -> int:
        return int(self.params.get("verbose", 1))

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.in_fit = True

    def on_train_end(self, logs: Logs | None = None) -> None:
        self.in_fit = False

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        if self.verbose and self.params.get("epochs", 1) > 1:
            (self.stream or sys.stdout).write(f"Epoch {epoch + 1}/{self.params.get('epochs', 1)}\n")
        self._start(self.params.get("steps"))

    def _start(self, steps: int | None) -> None:
        self.seen = 0
        self.progbar = Progbar(steps, verbose=self.verbose, stream=self.stream) if self.verbose else None

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self.seen = batch + 1
        if self.progbar is not None and self.verbose == 1:
            self.progbar.update(self.seen, logs)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.progbar is not None:
            self.progbar.update(self.seen, logs, finalize=True)

    def on_test_begin(self, logs: Logs | None = None) -> None:
        if self.in_fit:
            return
        self._start(self.params.get("validation_steps") or self.params.get("steps"))

    def on_test_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if self.in_fit:
            return
        self.seen = batch + 1
        if self.progbar is not None and self.verbose == 1:
            self.progbar.update(self.seen, logs)

    def on_test_end(self, logs: Logs | None = None) -> None:
        if self.in_fit:
            return
        if self.progbar is not None:
            self.progbar.update(self.seen, logs, finalize=True)


class Logger(Callback):
    """Training progress through stdlib ``logging`` (TFKG's Logger): one record per epoch with its time and
    logs, and every ``every_n_batches`` a record with the rate and ETA. ``filename`` adds a FileHandler."""

    def __init__(self, filename: str | None = None, logger: str | logging.Logger = "tfkg_graph.training",
                 level: int = logging.INFO, every_n_batches: int = 0):
        super().__init__()
        self.logger = logger if isinstance(logger, logging.Logger) else logging.getLogger(logger)
        self.level, self.every_n_batches, self.filename = level, every_n_batches, filename
        self._handler: logging.Handler | None = None
        self._epoch_start = self._train_start = 0.0
        self._epoch = 0

    def on_train_begin(self, logs: Logs | None = None) -> None:
        if self.filename and self._handler is None:
            self._handler = logging.FileHandler(self.filename, encoding="utf-8")
            self._handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
            self.logger.addHandler(self._handler)
            if self.logger.level == logging.NOTSET or self.logger.level > self.level:
                self.logger.setLevel(self.level)
        self._train_start = time.perf_counter()
        self.logger.log(self.level, "training for %s epochs, %s steps each",
                        self.params.get("epochs", "?"), self.params.get("steps", "?"))

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._epoch, self._epoch_start = epoch, time.perf_counter()

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if not self.every_n_batches or (batch + 1) % self.every_n_batches:
            return
        elapsed = time.perf_counter() - self._epoch_start
        rate = (batch + 1) / elapsed if elapsed > 0 else float("inf")
        steps = self.params.get("steps")
        eta = f" - ETA {format_duration((steps - batch - 1) / rate)}" if steps and rate != float("inf") else ""
        self.logger.log(self.level, "epoch %d/%s batch %d/%s - %.1f batches/s%s%s", self._epoch + 1,
                        self.params.get("epochs", "?"), batch + 1, steps or "?", rate, eta, format_logs(logs))

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self.logger.log(self.level, "epoch %d/%s - %.2fs%s", epoch + 1, self.params.get("epochs", "?"),
                        time.perf_counter() - self._epoch_start, format_logs(logs))

    def on_train_end(self, logs: Logs | None = None) -> None:
        self.logger.log(self.level, "training done in %.2fs", time.perf_counter() - self._train_start)
        if self._handler is not None:
            self.logger.removeHandler(self._handler)
            self._handler.close()
            self._handler = None
