"""CallbackList: one object that calls every callback's hook in Keras 3's order, with Keras' logs."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from .callback import Callback, Logs
from .history import History
from .progbar import ProgbarLogger

HOOKS = ("on_train_begin", "on_train_end", "on_test_begin", "on_test_end", "on_predict_begin", "on_predict_end")
INDEXED_HOOKS = ("on_epoch_begin", "on_epoch_end", "on_train_batch_begin", "on_train_batch_end",
                 "on_test_batch_begin", "on_test_batch_end", "on_predict_batch_begin", "on_predict_batch_end",
                 "on_batch_begin", "on_batch_end")
# the base Callback's training batch hooks call these older names, so overriding either counts
_ALIASES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


def pythonify_logs(logs: Logs | None) -> Logs:
    """Keras' logs as callbacks see them: keys sorted, nested dicts flattened, scalars as Python floats."""
    result: Logs = {}
    if not logs:
        return result
    for key in sorted(logs):
        value = logs[key]
        if type(value) is float:  # the common case, per training step
            pass
        elif isinstance(value, dict):
            result.update(pythonify_logs(value))
            continue
        elif isinstance(value, (int, np.generic)) or (isinstance(value, np.ndarray) and value.size == 1):
            value = float(np.reshape(value, -1)[0])  # as Keras' float(value), also for a one-element batch
        result[key] = value
    return result


class CallbackList(Callback):
    """Calls every callback's hook in order. ``add_history``/``add_progbar`` append the ones fit always
    has (History, then ProgbarLogger when verbose), as Keras does."""

    def __init__(self, callbacks: Iterable[Callback] | None = None, add_history: bool = False,
                 add_progbar: bool = False, model: Any = None, **params: Any):
        super().__init__()
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:  # a Callback, or an object with its methods (Keras calls them untyped)
            if not isinstance(cb, Callback) and not callable(getattr(cb, "set_model", None)):
                raise TypeError(f"callbacks must be Callback instances, got {cb!r}")
        self.history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
        if add_history and self.history is None:
            self.history = History()
            self.callbacks.append(self.history)
        if add_progbar and not any(isinstance(cb, ProgbarLogger) for cb in self.callbacks):
            self.callbacks.append(ProgbarLogger())
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def append(self, callback: Callback) -> None:
        self.callbacks.append(callback)

    def set_model(self, model: Any) -> None:
        super().set_model(model)
        if self.history is not None:
            model.history = self.history
        for cb in self.callbacks:
            cb.set_model(model)

    def set_params(self, params: dict[str, Any]) -> None:
        super().set_params(params)
        for cb in self.callbacks:
            cb.set_params(params)

    def wants_hook(self, hook: str) -> bool:
        """Whether some callback does something in ``hook``: the loops skip batch hooks (and building
        their logs) that every callback leaves as the base class' no-op. A callback may answer for
        itself with its own ``wants_hook(hook)`` (ProgbarLogger: batch hooks only at verbose=1)."""
        names = (hook, _ALIASES[hook]) if hook in _ALIASES else (hook,)
        return any(_overrides(cb, name) for cb in self.callbacks for name in names)

    def __iter__(self):
        return iter(self.callbacks)


def _overrides(callback: Callback, hook: str) -> bool:
    """The callback's ``hook`` is not the base Callback's (a subclass method or an instance attribute)."""
    if callable(getattr(type(callback), "wants_hook", None)):
        return callback.wants_hook(hook)
    method = getattr(callback, hook, None)
    return method is not None and getattr(method, "__func__", method) is not getattr(Callback, hook)


def _broadcast(hook: str, indexed: bool) -> Any:
    if indexed:
        def call(self: CallbackList, index: int, logs: Logs | None = None) -> None:
            logs = pythonify_logs(logs)
            for cb in self.callbacks:
                getattr(cb, hook)(index, logs)
    else:
        def call(self: CallbackList, logs: Logs | None = None) -> None:  # type: ignore[misc]
            logs = pythonify_logs(logs)
            for cb in self.callbacks:
                getattr(cb, hook)(logs)
    call.__name__ = hook
    return call


for _hook in HOOKS:
    setattr(CallbackList, _hook, _broadcast(_hook, indexed=False))
for _hook in INDEXED_HOOKS:
    setattr(CallbackList, _hook, _broadcast(_hook, indexed=True))
