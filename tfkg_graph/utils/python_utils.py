"""Small ``keras.utils`` helpers: ``Config``, ``PyDataset``/``Sequence`` (batches by index, an epoch per
``iter``), ``pack/unpack_x_y_sample_weight``, ``get_source_inputs``, ``is_keras_tensor``."""
from __future__ import annotations

from typing import Any, Iterator

from ..layers.base import KerasTensor


class Config:
    """A dict whose keys are also attributes (Keras' ``keras.utils.Config``); ``freeze()`` stops changes."""

    def __init__(self, **kwargs: Any):
        object.__setattr__(self, "_config", dict(kwargs))
        object.__setattr__(self, "_frozen", False)

    @property
    def frozen(self) -> bool:
        return self._frozen

    def freeze(self) -> None:
        object.__setattr__(self, "_frozen", True)

    def unfreeze(self) -> None:
        object.__setattr__(self, "_frozen", False)

    def _check(self) -> None:
        if self._frozen:
            raise ValueError("Cannot add new attribute to a frozen Config. Please unfreeze the config first.")

    def __setattr__(self, name: str, value: Any) -> None:
        self._check()
        self._config[name] = value

    def __getattr__(self, name: str) -> Any:
        config = object.__getattribute__(self, "_config")
        if name not in config:
            raise AttributeError(f"Unknown attribute: '{name}'")
        return config[name]

    def __setitem__(self, key: str, value: Any) -> None:
        self._check()
        self._config[key] = value

    def __getitem__(self, key: str) -> Any:
        return self._config[key]

    def __delitem__(self, key: str) -> None:
        self._check()
        del self._config[key]

    def __contains__(self, key: str) -> bool:
        return key in self._config

    def __len__(self) -> int:
        return len(self._config)

    def __iter__(self) -> Iterator[str]:
        return iter(self._config)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._check()
        self._config.update(*args, **kwargs)

    def pop(self, *args: Any) -> Any:
        self._check()
        return self._config.pop(*args)

    def get(self, key: str, default: Any = None) -> Any:
        return self._config.get(key, default)

    def keys(self) -> Any:
        return self._config.keys()

    def values(self) -> Any:
        return self._config.values()

    def items(self) -> Any:
        return self._config.items()

    def as_dict(self) -> dict[str, Any]:
        return dict(self._config)

    def to_json(self) -> str:
        import json
        return json.dumps(self._config)

    def __repr__(self) -> str:
        return f"<Config {self._config}>"


class PyDataset:
    """Batches by index: subclass with ``__len__`` (or ``num_batches``) and ``__getitem__(i)`` returning
    ``x``, ``(x, y)`` or ``(x, y, sample_weight)``. ``fit`` iterates it once per epoch and calls
    ``on_epoch_begin``/``on_epoch_end``. ``workers``/``use_multiprocessing`` are accepted; batches are
    produced in the calling thread, in order."""

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10):
        self._workers, self._use_multiprocessing, self._max_queue_size = workers, use_multiprocessing, max_queue_size

    @property
    def workers(self) -> int:
        return self._workers

    @property
    def use_multiprocessing(self) -> bool:
        return self._use_multiprocessing

    @property
    def max_queue_size(self) -> int:
        return self._max_queue_size

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError

    @property
    def num_batches(self) -> int | None:
        if hasattr(type(self), "__len__"):
            return len(self)
        raise NotImplementedError("a PyDataset defines __len__ or the num_batches property")

    def on_epoch_begin(self) -> None:
        pass

    def on_epoch_end(self) -> None:
        pass

    def __iter__(self) -> Iterator[Any]:
        self.on_epoch_begin()
        count = self.num_batches
        index = 0
        while count is None or index < count:
            try:
                yield self[index]
            except IndexError:
                if count is None:
                    break
                raise
            index += 1
        self.on_epoch_end()


Sequence = PyDataset  # Keras 3 keeps Sequence as an alias


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``, as ``fit`` takes them from a dataset."""
    if y is None:
        return (x,) if isinstance(x, (list, tuple)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data: Any) -> tuple[Any, Any, Any]:
    """A dataset element -> ``(x, y, sample_weight)`` with the missing parts None."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return (data, None, None)
    if len(data) == 1:
        return (data[0], None, None)
    if len(data) == 2:
        return (data[0], data[1], None)
    if len(data) == 3:
        return (data[0], data[1], data[2])
    raise ValueError(f"Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
                     f"found: {data}")


def is_keras_tensor(x: Any) -> bool:
    """Whether ``x`` is a symbolic tensor of a model being wired (what ``Input`` and layers return)."""
    return isinstance(x, KerasTensor)


def get_source_inputs(tensor: Any) -> list[KerasTensor]:
    """The ``Input`` tensors a KerasTensor was computed from (in first-seen order)."""
    if not isinstance(tensor, KerasTensor):
        raise ValueError(f"get_source_inputs takes a KerasTensor, got {type(tensor).__name__}")
    found: list[KerasTensor] = []
    stack, seen = [tensor], set()
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        node = getattr(t, "node", None)
        parents = list(node.inputs) if node is not None else []
        if not parents:
            found.append(t)
        stack.extend(reversed(parents))
    return found


__all__ = ["Config", "PyDataset", "Sequence", "get_source_inputs", "is_keras_tensor", "pack_x_y_sample_weight",
           "unpack_x_y_sample_weight"]
