"""What the training loop uses to report: the progress bar, batch-weighted loss tracking and callback
dispatch (batch-level hooks only when some callback overrides them)."""
from __future__ import annotations

import time
from typing import Any, Sequence

import numpy as np

from ..callbacks.progbar import Progbar


class _Progress:
    """Keras' epoch header and bar, redrawn at most every 50 ms so steps stay cheap."""

    def __init__(self, steps: int | None, verbose: int):
        self.steps, self.verbose = steps, verbose
        self.bar: Progbar | None = None
        self.next_draw = 0.0

    def start_epoch(self, epoch: int, epochs: int) -> None:
        if self.verbose:
            if epochs > 1:  # Keras prints no header for a single epoch
                print(f"Epoch {epoch + 1}/{epochs}")
            self.bar = Progbar(self.steps, verbose=self.verbose)
            self.next_draw = time.perf_counter() + 0.05

    def due(self) -> bool:
        return self.verbose == 1 and time.perf_counter() >= self.next_draw

    def update(self, step: int, logs: dict[str, Any]) -> None:
        self.bar.update(step, logs, finalize=False)
        self.next_draw = time.perf_counter() + 0.05

    def end_epoch(self, step: int, logs: dict[str, Any]) -> None:
        if self.bar is not None:
            self.bar.target = self.bar.target or step
            self.bar.update(step, logs, finalize=True)


def _verbosity(verbose: Any) -> int:
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 'auto', 0, 1 or 2, got {verbose!r}")
    return int(verbose)


class _StepTracker:
    """Batch-size-weighted loss averages (Keras' loss tracker) and metric accumulation from fetches."""

    __slots__ = ("total", "count", "outputs", "n_outputs")

    def __init__(self, n_outputs: int = 0) -> None:
        self.total, self.count, self.n_outputs = 0.0, 0, n_outputs
        self.outputs = np.zeros(n_outputs)

    def update(self, outs: list[np.ndarray], n: int, metric_slices: list) -> float:
        loss = float(outs[0])
        self.total += loss * n
        self.count += n
        if self.n_outputs:
            self.outputs += np.array([float(v) for v in outs[1:1 + self.n_outputs]]) * n
        for metric, keys, start, end in metric_slices:
            metric.update_from_fetches(dict(zip(keys, outs[start:end])))
        return loss

    def loss(self) -> float:
        return self.total / self.count if self.count else 0.0

    def per_output(self) -> list[float]:
        return list(self.outputs / self.count) if self.n_outputs and self.count else []


class _Hooks:
    """Calls Keras callback hooks; batch-level hooks only when some callback overrides them."""

    def __init__(self, callbacks: Sequence[Any] | None, model: Any, add_history: bool):
        self.callbacks = list(callbacks or [])
        self.history = None
        if add_history:
            from ..callbacks import History
            self.history = History()
            self.callbacks.append(self.history)
        for cb in self.callbacks:
            cb.set_model(model)
        self.batch_begin = self._wants("on_train_batch_begin")
        self.batch_end = self._wants("on_train_batch_end")
        self.test_batch = self._wants("on_test_batch_begin") or self._wants("on_test_batch_end")
        self.predict_batch = self._wants("on_predict_batch_begin") or self._wants("on_predict_batch_end")

    def _wants(self, hook: str) -> bool:
        alias = _ALIASES.get(hook)
        return any(_overrides(cb, hook) or (alias and _overrides(cb, alias)) for cb in self.callbacks)

    def set_params(self, params: dict[str, Any]) -> None:
        for cb in self.callbacks:
            if hasattr(cb, "set_params"):
                cb.set_params(params)
            else:
                cb.params = params

    def call(self, hook: str, *args: Any) -> None:
        alias = _ALIASES.get(hook)
        for cb in self.callbacks:
            if alias and _overrides(cb, alias) and not _overrides(cb, hook):
                hook_of_cb = alias  # a Keras callback written against on_batch_begin/on_batch_end
            else:
                hook_of_cb = hook
            method = getattr(cb, hook_of_cb, None)
            if method is not None:
                method(*args)


_ALIASES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


def _overrides(callback: Any, hook: str) -> bool:
    """Whether the callback's class defines ``hook`` itself (not the no-op of the Callback base)."""
    method = getattr(type(callback), hook, None)
    return method is not None and method.__qualname__.split(".")[0] != "Callback"
