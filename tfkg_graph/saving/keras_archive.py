"""Whole-model ``.keras`` archives (Keras 3's zip of ``config.json``, ``metadata.json``, ``model.weights.h5``).

Reading rebuilds the model from the config (``keras_config``), compiles it as Keras would from
``compile_config`` and loads the weights and optimizer state through ``keras_h5``. Writing produces the
archive ``keras.models.load_model`` opens: our config in Keras' spelling, compile settings, and the
weights file with the optimizer's variables, so Keras continues training where we stopped.
"""
from __future__ import annotations

import datetime
import json
import os
import uuid
import zipfile
from typing import Any

from .keras_config import UnsupportedKerasConfig, keras_model_config, model_from_keras_config, strip_inert_options
from .keras_h5 import KerasWeightsError, export_keras_weights, import_keras_weights

CONFIG_FILE = "config.json"
METADATA_FILE = "metadata.json"
WEIGHTS_FILE = "model.weights.h5"
KERAS_VERSION = "3.0.0"  # the archive format version we write (Keras reads any 3.x)


def is_keras_archive(filepath: str) -> bool:
    return os.fspath(filepath).endswith(".keras") and zipfile.is_zipfile(filepath)


def read_archive_config(filepath: str) -> dict[str, Any]:
    """``config.json`` of a ``.keras`` file, after checking the archive has all three members."""
    filepath = os.fspath(filepath)
    if not os.path.isfile(filepath):
        raise FileNotFoundError(f"no .keras file at {filepath!r}")
    try:
        with zipfile.ZipFile(filepath) as archive:
            names = set(archive.namelist())
            missing = sorted({CONFIG_FILE, WEIGHTS_FILE} - names)
            if missing:
                raise KerasWeightsError(f"{filepath!r} is not a Keras 3 model archive: it lacks {missing}")
            return json.loads(archive.read(CONFIG_FILE))
    except json.JSONDecodeError as e:
        raise KerasWeightsError(f"{filepath!r}: {CONFIG_FILE} is not valid JSON ({e})") from None
    except zipfile.BadZipFile:
        raise KerasWeightsError(f"{filepath!r} is not a .keras archive (not a zip file)") from None


def _compile_objects(value: Any, deserialize: Any) -> Any:
    """Keras' serialized loss/metric dicts inside a compile setting -> our objects (names stay names)."""
    if isinstance(value, dict) and "class_name" in value and "config" in value:
        entry, problems = strip_inert_options(value)
        if problems:
            raise ValueError("; ".join(problems))
        return deserialize(entry)
    if isinstance(value, dict):
        return {k: _compile_objects(v, deserialize) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_compile_objects(v, deserialize) for v in value]
    return value


def compile_arguments(compile_config: dict[str, Any]) -> dict[str, Any]:
    """``compile()`` keyword arguments from Keras' ``compile_config``; an unknown loss, metric or
    optimizer (or option of one) raises UnsupportedKerasConfig naming it."""
    from .. import losses, metrics, optimizers
    try:
        return {"optimizer": _compile_objects(compile_config.get("optimizer") or "rmsprop", optimizers.get),
                "loss": _compile_objects(compile_config.get("loss"), losses.get),
                "loss_weights": compile_config.get("loss_weights"),
                "metrics": _compile_objects(compile_config.get("metrics"), metrics.get),
                "weighted_metrics": _compile_objects(compile_config.get("weighted_metrics"), metrics.get),
                "steps_per_execution": int(compile_config.get("steps_per_execution") or 1),
                "jit_compile": compile_config.get("jit_compile") is True}
    except (TypeError, ValueError) as e:
        raise UnsupportedKerasConfig(f"cannot compile this Keras model as saved: {e} (load it with "
                                     "compile=False and compile it yourself)") from None


def load_keras_archive(filepath: str, custom_objects: dict[str, Any] | None = None, compile: bool = True) -> Any:
    """Our model from a Keras 3 ``.keras`` file: architecture, weights, and (``compile=True``) the loss,
    metrics and optimizer with its schedule and state."""
    config = read_archive_config(filepath)
    compile_config = config.get("compile_config") if compile else None
    arguments = compile_arguments(compile_config) if compile_config else None  # fails before building
    model = model_from_keras_config(config, custom_objects)
    if arguments is not None:
        model.compile(**arguments)
    import_keras_weights(model, filepath)
    return model


def _jsonable_compile_value(value: Any) -> Any:
    """Loss and metric objects given to ``compile`` -> Keras' serialized dicts (names stay names)."""
    from .. import losses, metrics
    if isinstance(value, (list, tuple)):
        return [_jsonable_compile_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable_compile_value(v) for k, v in value.items()}
    for kind, module in ((losses.Loss, losses), (metrics.Metric, metrics)):
        if isinstance(value, kind):  # options left unset are left out: Keras' classes lack some of ours
            entry = module.serialize(value)
            config = {k: v for k, v in entry["config"].items() if v is not None}
            return {**entry, "config": config, "module": f"keras.{module.__name__.rpartition('.')[2]}",
                    "registered_name": None}
    if callable(value):
        return getattr(value, "__name__", str(value))
    return value


def _compile_config(model: Any) -> dict[str, Any] | None:
    compiled = getattr(model, "_compiled", None)
    if not compiled:
        return None
    from .. import optimizers
    config = {key: _jsonable_compile_value(compiled[key])
              for key in ("loss", "loss_weights", "metrics", "weighted_metrics")}
    return {"optimizer": optimizers.serialize(compiled["optimizer"]), **config,
            "run_eagerly": False, "steps_per_execution": getattr(model, "steps_per_execution", 1),
            "jit_compile": bool(getattr(model, "jit_compile", False))}


def save_keras_archive(model: Any, filepath: str) -> str:
    """Writes ``filepath`` (``.keras``) beside itself and renames it into place."""
    filepath = os.fspath(filepath)
    config = {**keras_model_config(model), "build_config": {"input_shape": None},
              "compile_config": _compile_config(model)}
    metadata = {"keras_version": KERAS_VERSION,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"), "producer": "tfkg_graph"}
    directory = os.path.dirname(os.path.abspath(filepath))
    os.makedirs(directory, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    weights_tmp = os.path.join(directory, f".{os.path.basename(filepath)}.{tag}{'.weights.h5'}")
    archive_tmp = os.path.join(directory, f".{os.path.basename(filepath)}.{tag}.tmp")
    try:
        export_keras_weights(model, weights_tmp)
        with zipfile.ZipFile(archive_tmp, "w") as archive:
            archive.writestr(METADATA_FILE, json.dumps(metadata))
            archive.writestr(CONFIG_FILE, json.dumps(config))
            archive.write(weights_tmp, WEIGHTS_FILE)
        os.replace(archive_tmp, filepath)
    finally:
        for tmp in (weights_tmp, archive_tmp):
            if os.path.exists(tmp):
                os.remove(tmp)
    return filepath


__all__ = ["is_keras_archive", "read_archive_config", "load_keras_archive", "save_keras_archive"]
