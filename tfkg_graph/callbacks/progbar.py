"""Progress on the terminal (ProgbarLogger, Keras' bar with rate and ETA) and to stdlib logging (Logger)."""
from __future__ import annotations

import logging
import math
import time
from typing import Any, TextIO

import numpy as np

from . import console
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


def format_rate(seconds_per_step: float, unit: str = "step") -> str:
    """`` 12ms/step``: Keras' time per unit (the leading space is part of it, as in Keras)."""
    if seconds_per_step >= 1 or seconds_per_step == 0:
        return f" {seconds_per_step:.0f}s/{unit}"
    if seconds_per_step >= 1e-3:
        return f" {seconds_per_step * 1e3:.0f}ms/{unit}"
    return f" {seconds_per_step * 1e6:.0f}us/{unit}"


def _eta(seconds: float) -> str:
    if seconds > 3600:
        return "%d:%02d:%02d" % (seconds // 3600, (seconds % 3600) // 60, seconds % 60)
    if seconds > 60:
        return "%d:%02d" % (seconds // 60, seconds % 60)
    return "%ds" % seconds


BOLD, GREEN, GRAY, RESET = "\x1b[1m", "\x1b[32m", "\x1b[37m", "\x1b[0m"


class Progbar:
    """Keras' progress bar (``keras.utils.Progbar``), printed byte for byte as Keras prints it:
    verbose=1 redraws ``\\r 3/10 ━━━━━━━━━━━━━━━━━━━━ 1s 20ms/step - loss: 0.1234`` in place (bold count, green
    and gray bar, at most every ``interval`` seconds); verbose=2 prints one line when done:
    ``10/10 - 1s - 20ms/step - loss: 0.1234``.

    ``update(current, values)``: ``values`` is a list of ``(name, value)`` (averaged over steps unless the name is
    in ``stateful_metrics``) or a dict of logs, shown as they are (fit's logs are already running averages).
    A bar is one thread's display (as Keras'): give each thread its own."""

    def __init__(self, target: int | None, width: int = 20, verbose: int = 1, interval: float = 0.05,
                 stateful_metrics: Any = None, unit_name: str = "step", stream: TextIO | None = None):
        self.target, self.width, self.verbose, self.interval = target, width, verbose, interval
        self.stateful_metrics = set(stateful_metrics or ())
        self.unit_name = unit_name
        self.stream = stream
        self._values: dict[str, list[float]] = {}
        self._values_order: list[str] = []
        self._seen_so_far = 0
        self._start = time.time()
        self._last_update = 0.0
        self._time_after_first_step: float | None = None
        self._prev_total_width = 0

    def _accumulate(self, current: int, values: Any, finalize: bool) -> None:
        stateful = isinstance(values, dict)
        for key, value in (values.items() if stateful else values or []):
            if np.ndim(value) != 0:
                continue
            if key not in self._values_order:
                self._values_order.append(key)
            value = float(value)
            if stateful or key in self.stateful_metrics or finalize:
                self._values[key] = [value, 1]
            else:
                weight = max(current - self._seen_so_far, 1)
                total, count = self._values.get(key, [0.0, 0])
                self._values[key] = [total + value * weight, count + weight]
        self._seen_so_far = current

    def _metrics(self, positive_only: bool) -> str:
        text = ""
        for key in self._values_order:
            total, count = self._values[key]
            average = total / max(1, count)
            small = average <= 1e-3 if positive_only else abs(average) <= 1e-3
            text += f" - {key}: {average:.4e}" if small else f" - {key}: {average:.4f}"
        return text

    def _step_time(self, current: int, now: float) -> float:
        if not current:
            return 0.0
        if current == 1:
            self._time_after_first_step = now
        if self._time_after_first_step is not None and current > 1:
            return (now - self._time_after_first_step) / (current - 1)
        return (now - self._start) / current

    def update(self, current: int, values: Any = None, finalize: bool | None = None) -> None:
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        self._accumulate(current, values, finalize)
        now = time.time()
        per_step = self._step_time(current, now)
        if self.verbose == 1:
            if now - self._last_update < self.interval and not finalize:
                return
            message = "\b" * self._prev_total_width + "\r"
            if self.target is not None and self.target > 0:
                digits = int(math.log10(self.target)) + 1
                bar = f"{BOLD}{current:{digits}d}/{self.target}{RESET} "
                special = 8
                filled = int(self.width * current / self.target)
                if filled > 0:
                    bar += f"{GREEN}{'━' * filled}{RESET}"
                    special += 9
                bar += f"{GRAY}{'━' * (self.width - filled)}{RESET}"
                special += 9
            else:
                bar, special = "%7d/Unknown" % current, 0
            if self.target is not None and self.target > 0 and not finalize:
                info = f" {BOLD}{_eta(per_step * (self.target - current))}{RESET}"
            else:
                info = f" {BOLD}{now - self._start:.0f}s{RESET}"
            special += 8
            info += format_rate(per_step, self.unit_name) + self._metrics(positive_only=False)
            total_width = len(bar) + len(info) - special
            message += bar + info + " " * max(self._prev_total_width - total_width, 0) + ("\n" if finalize else "")
            console.write(message, self.stream)
            self._prev_total_width = total_width
        elif self.verbose == 2 and finalize and self.target is not None and self.target > 0:
            digits = int(math.log10(self.target)) + 1
            line = f"{current:{digits}d}/{self.target} - {now - self._start:.0f}s -"
            console.write(line + format_rate(per_step, self.unit_name) + self._metrics(positive_only=True) + "\n",
                          self.stream)
        self._last_update = now

    def add(self, n: int, values: Any = None) -> None:
        self.update(self._seen_so_far + n, values)


class ProgbarLogger(Callback):
    """Keras' progress bar for fit (one per epoch), evaluate and predict; ``verbose``, ``epochs`` and
    ``steps`` come from the loop's params. Validation inside fit is silent, as in Keras."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__()
        self.stream = stream
        self.progbar: Progbar | None = None
        self.seen = 0
        self.target: int | None = None
        self.in_fit = False

    @property
    def verbose(self) -> int:
        verbose = self.params.get("verbose", 1)
        return 1 if verbose == "auto" else int(verbose)

    def set_params(self, params: dict[str, Any]) -> None:
        super().set_params(params)
        self.target = params.get("steps")

    def wants_hook(self, hook: str) -> bool:
        """Batch-end hooks draw only at verbose=1 (CallbackList.wants_hook); a bar of unknown length counts
        its batches at any verbosity."""
        if hook.endswith("_batch_end") and hook != "on_batch_end":
            return self.verbose == 1 or self.target is None
        return hasattr(type(self), hook) and getattr(type(self), hook) is not getattr(Callback, hook, None)

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.in_fit = True

    def on_train_end(self, logs: Logs | None = None) -> None:
        self.in_fit = False

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._start()
        if self.verbose and self.params.get("epochs", 1) > 1:
            console.write(f"Epoch {epoch + 1}/{self.params.get('epochs', 1)}\n", self.stream)

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._update(batch, logs)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self._finalize(logs)

    def on_test_begin(self, logs: Logs | None = None) -> None:
        if not self.in_fit:
            self._start()

    def on_test_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if not self.in_fit:
            self._update(batch, logs)

    def on_test_end(self, logs: Logs | None = None) -> None:
        if not self.in_fit:
            self._finalize(logs)

    def on_predict_begin(self, logs: Logs | None = None) -> None:
        self._start()

    def on_predict_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._update(batch, None)  # not the predictions

    def on_predict_end(self, logs: Logs | None = None) -> None:
        self._finalize(logs)

    def _start(self) -> None:
        self.seen = 0
        self.progbar = Progbar(self.target, verbose=self.verbose, stream=self.stream)

    def _update(self, batch: int, logs: Logs | None) -> None:
        self.seen = batch + 1
        bar = self.progbar
        if self.verbose == 1 and time.time() - bar._last_update >= bar.interval:  # the bar's own throttle
            bar.update(self.seen, logs or {}, finalize=False)

    def _finalize(self, logs: Logs | None) -> None:
        if self.target is None:  # an unsized dataset: its length is known now
            self.target = self.progbar.target = self.seen
        self.progbar.update(self.target, logs or {}, finalize=True)


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
