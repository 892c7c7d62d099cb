"""CallbackList: one object that calls every callback's hook in Keras 3's order."""
from __future__ import annotations

from typing import Any, Iterable

from .callback import Callback, Logs
from .history import History
from .progbar import ProgbarLogger

HOOKS = ("on_train_begin", "on_train_end", "on_test_begin", "on_test_end", "on_predict_begin", "on_predict_end")
INDEXED_HOOKS = ("on_epoch_begin", "on_epoch_end", "on_train_batch_begin", "on_train_batch_end",
                 "on_test_batch_begin", "on_test_batch_end", "on_predict_batch_begin", "on_predict_batch_end")


class CallbackList(Callback):
    """Calls every callback's hook in order. ``add_history``/``add_progbar`` append the ones fit always
    has (History last, ProgbarLogger before it when verbose), as Keras does."""

    def __init__(self, callbacks: Iterable[Callback] | None = None, add_history: bool = False,
                 add_progbar: bool = False, model: Any = None, **params: Any):
        super().__init__()
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be Callback instances, got {cb!r}")
        if add_progbar and not any(isinstance(cb, ProgbarLogger) for cb in self.callbacks):
            self.callbacks.append(ProgbarLogger())
        if add_history and not any(isinstance(cb, History) for cb in self.callbacks):
            self.callbacks.append(History())
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def append(self, callback: Callback) -> None:
        self.callbacks.append(callback)

    def set_model(self, model: Any) -> None:
        super().set_model(model)
        for cb in self.callbacks:
            cb.set_model(model)

    def set_params(self, params: dict[str, Any]) -> None:
        super().set_params(params)
        for cb in self.callbacks:
            cb.set_params(params)

    def __iter__(self):
        return iter(self.callbacks)


def _broadcast(hook: str, indexed: bool) -> Any:
    if indexed:
        def call(self: CallbackList, index: int, logs: Logs | None = None) -> None:
            logs = logs if logs is not None else {}
            for cb in self.callbacks:
                getattr(cb, hook)(index, logs)
    else:
        def call(self: CallbackList, logs: Logs | None = None) -> None:  # type: ignore[misc]
            logs = logs if logs is not None else {}
            for cb in self.callbacks:
                getattr(cb, hook)(logs)
    call.__name__ = hook
    return call


for _hook in HOOKS:
    setattr(CallbackList, _hook, _broadcast(_hook, indexed=False))
for _hook in INDEXED_HOOKS:
    setattr(CallbackList, _hook, _broadcast(_hook, indexed=True))
