"""Legacy whole-model HDF5 files (tf.keras / Keras 2 ``model.save("x.h5")``, and Keras 3's legacy writer).

The file holds the model config and compile settings as JSON attributes and each layer's weights under
``model_weights/<layer name>`` in the order its ``weight_names`` attribute lists. Keras 2 configs spell a
few things differently (inbound nodes as ``[[name, node, tensor, kwargs], ...]``, ``batch_input_shape``
on InputLayer, ``optimizer_config``); they are rewritten to the Keras 3 form ``keras_config`` reads.
The optimizer's slots are not restored (Keras 2 files key them by TF variable names): a compiled model
starts training with a fresh optimizer, and a warning says so.
"""
from __future__ import annotations

import json
import os
import warnings
from typing import Any

import numpy as np

from .keras_h5 import KerasWeightsError, _h5py
from .keras_config import model_from_keras_config


def is_legacy_h5_model(filepath: str) -> bool:
    """An HDF5 file with a ``model_config`` attribute (a whole model, not just weights)."""
    filepath = os.fspath(filepath)
    if not filepath.endswith((".h5", ".hdf5")) or not os.path.isfile(filepath):
        return False
    try:
        with _h5py().File(filepath, "r") as f:
            return "model_config" in f.attrs
    except OSError:
        return False


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _keras3_node(node: Any) -> Any:
    """Keras 2's ``[[layer, node, tensor, kwargs], ...]`` -> ``{"args", "kwargs"}`` (several tensors are
    one list argument, as Keras passes them to merge layers)."""
    if isinstance(node, dict):
        return node
    refs = [{"class_name": "__keras_tensor__", "config": {"keras_history": list(item[:3])}} for item in node]
    kwargs = node[0][3] if node and len(node[0]) > 3 else {}
    return {"args": [refs[0] if len(refs) == 1 else refs], "kwargs": kwargs}


def keras3_model_config(config: dict[str, Any]) -> dict[str, Any]:
    """A Keras 2 model config in Keras 3's spelling (a Keras 3 one comes back unchanged)."""
    if isinstance(config, list):
        return [keras3_model_config(v) for v in config]
    if not isinstance(config, dict):
        return config
    out = {k: keras3_model_config(v) for k, v in config.items() if k != "inbound_nodes"}
    if "inbound_nodes" in config:
        out["inbound_nodes"] = [_keras3_node(node) for node in config["inbound_nodes"]]
    if config.get("class_name") == "InputLayer" and "batch_input_shape" in config.get("config", {}):
        inner = dict(out["config"])
        inner["batch_shape"] = inner.pop("batch_input_shape")
        out["config"] = inner
    return out


def _compile_config(f: Any) -> dict[str, Any] | None:
    raw = f.attrs.get("training_config")
    if raw is None:
        return None
    training = json.loads(_text(raw))
    return {"optimizer": training.get("optimizer_config"), "loss": training.get("loss"),
            "loss_weights": training.get("loss_weights"), "metrics": training.get("metrics"),
            "weighted_metrics": training.get("weighted_metrics")}


def _load_weights(model: Any, f: Any, filepath: str) -> None:
    group = f["model_weights"] if "model_weights" in f else f
    weights, values, problems = [], [], []
    for layer in model.layers:
        own = layer.weights
        if not own:
            continue
        names = [_text(n) for n in group[layer.name].attrs.get("weight_names", [])] if layer.name in group else []
        if len(names) != len(own):
            problems.append(f"layer {layer.name!r} has {len(own)} weight(s), the file {len(names)}")
            continue
        arrays = [np.asarray(group[layer.name][name][()]) for name in names]
        bad = [f"{w.name} {w.shape} vs {a.shape}" for w, a in zip(own, arrays) if tuple(a.shape) != w.shape]
        if bad:
            problems.append(f"layer {layer.name!r}: " + ", ".join(bad))
            continue
        weights += own
        values += [a.astype(w.dtype) for w, a in zip(own, arrays)]
    if problems:
        raise KerasWeightsError(f"{filepath!r}: the weights do not fit the model its config describes: "
                                + "; ".join(problems))
    if weights:
        model.runtime.write_weights(weights, values)


def load_legacy_h5_model(filepath: str, custom_objects: dict[str, Any] | None = None, compile: bool = True) -> Any:
    """Our model from a whole-model ``.h5``: architecture and weights; compiled from its training config
    (fresh optimizer state) when ``compile`` and the file has one."""
    from .keras_archive import compile_arguments
    filepath = os.fspath(filepath)
    with _h5py().File(filepath, "r") as f:
        config = keras3_model_config(json.loads(_text(f.attrs["model_config"])))
        compile_config = _compile_config(f) if compile else None
        arguments = compile_arguments(compile_config) if compile_config else None
        model = model_from_keras_config(config, custom_objects)
        _load_weights(model, f, filepath)
        has_optimizer_state = "optimizer_weights" in f
    if arguments is not None:
        model.compile(**arguments)
        if has_optimizer_state:
            warnings.warn(f"{filepath!r}: the optimizer's saved state is not restored from legacy .h5 files; "
                          "training continues with a fresh optimizer (save .keras to keep it)", stacklevel=3)
    return model


__all__ = ["is_legacy_h5_model", "keras3_model_config", "load_legacy_h5_model"]
