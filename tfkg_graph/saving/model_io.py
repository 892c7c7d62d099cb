"""Model-level entry points: save_weights/load_weights (checkpoints) and save_model/load_model.

Variables are keyed by their graph names (``dense/kernel``, ``optimizer/...``, Keras-like paths). The
TF2 object graph adds the attribute paths Keras 3 (TF backend) tracks layer weights under, so
``tf.train.Checkpoint(keras_model).restore(prefix).expect_partial()`` loads our weights into a Keras
model built the same way (Keras 3's own ``load_weights`` reads only .keras/.h5 files).
"""
from __future__ import annotations

import json
import os
from typing import Any, Iterable

from ..graph.ops import array
from .bundle import CheckpointError
from .checkpoint import Saver, latest_checkpoint, read_variables, write_bundle
from .keras_archive import load_keras_archive, save_keras_archive
from .keras_legacy_h5 import is_legacy_h5_model, load_legacy_h5_model
from .keras_h5 import KERAS_ARCHIVE_SUFFIX, KERAS_WEIGHTS_SUFFIX, export_keras_weights, import_keras_weights, is_keras_file
from .model_classes import deserialize
from .safety import check_graph_def
from .savedmodel import SERVING, VARIABLES_PREFIX, Signature, read_saved_model, write_saved_model

MODEL_CONFIG_FILE = "tfkg_model.json"
VERSION_FILE = "tfkg_version"
FORMAT_VERSION = 1


def keras_object_paths(model: Any) -> dict[str, list[str]]:
    """Variable name -> the path Keras 3 tracks the same weight under in an equivalent model (the model's
    own walk: tfkg_graph/models/keras_structure.py)."""
    return model._keras_object_paths()


def _refuse_legacy_h5(filepath: str) -> None:
    if filepath.endswith((".h5", ".hdf5", ".keras")) and not is_keras_file(filepath):
        raise ValueError(f"{filepath!r}: only Keras 3 weight files ({KERAS_WEIGHTS_SUFFIX}, .keras) and TF "
                         "checkpoints are supported, not legacy Keras 2 HDF5")


def save_weights(model: Any, filepath: str) -> str:
    """A path ending in ``.weights.h5`` gets Keras 3's layout (weights only, for ``keras_model.load_weights``);
    any other path a TF V2 checkpoint of every variable (weights, optimizer slots and step counter)."""
    filepath = os.fspath(filepath)
    _refuse_legacy_h5(filepath)
    if filepath.endswith(KERAS_WEIGHTS_SUFFIX):
        return export_keras_weights(model, filepath)
    if is_keras_file(filepath):
        raise ValueError(f"{filepath!r}: save_weights writes {KERAS_WEIGHTS_SUFFIX} or a checkpoint; "
                         "model.save writes a SavedModel, not a .keras archive")
    runtime = model.runtime
    return write_bundle(os.fspath(filepath), runtime.variable_values(), keras_object_paths(model))


def load_weights(model: Any, filepath: str, skip_mismatch: bool = False) -> None:
    """Restores a checkpoint (prefix or directory), or imports a Keras 3 ``.keras``/``.weights.h5`` file.
    Every model weight must be there with its shape; optimizer variables are restored from a checkpoint
    when both sides have them. Nothing is assigned on error."""
    prefix = os.fspath(filepath)
    _refuse_legacy_h5(prefix)
    if is_keras_file(prefix):
        import_keras_weights(model, prefix, skip_mismatch)
        return
    if os.path.isdir(prefix):
        prefix = latest_checkpoint(prefix) or prefix
    saved = read_variables(prefix)
    runtime = model.runtime
    current = {v.name: v for v in runtime.all_variables}
    weights = {w.path for w in model.weights}
    values, problems = {}, []
    for name, var in current.items():
        if name not in saved:
            if name in weights:
                problems.append(f"{name!r} is missing")
            continue
        value = saved[name]
        if tuple(value.shape) != tuple(var.shape):
            problems.append(f"{name!r} has shape {tuple(value.shape)} in the checkpoint but {tuple(var.shape)} "
                            "in the model")
            continue
        values[name] = value
    if problems and not skip_mismatch:
        raise CheckpointError(f"checkpoint {prefix!r} does not fit model {model.name!r}: " + "; ".join(problems))
    runtime.write_variables(values)


def _compile_config(model: Any) -> dict[str, Any] | None:
    compiled = getattr(model, "_compiled", None)
    if not compiled:
        return None
    from .. import optimizers
    return {"optimizer": optimizers.serialize(compiled["optimizer"]), "loss": compiled["loss"],
            "loss_weights": compiled["loss_weights"], "metrics": compiled["metrics"],
            "weighted_metrics": compiled["weighted_metrics"], "jit_compile": model.jit_compile}


def _signatures(model: Any, runtime: Any) -> dict[str, Signature]:
    g = runtime.graph
    inputs = dict(zip(model.input_names, runtime.inputs))
    sigs = {SERVING: Signature(inputs, dict(zip(model.output_names, runtime.outputs)))}
    if runtime.spec is not None:
        feeds = dict(inputs)
        for i, t, sw in zip(runtime.loss_outputs, runtime.targets, runtime.sample_weights):
            feeds[f"{model.output_names[i]}_target"] = t
            feeds[f"{model.output_names[i]}_sample_weight"] = sw
        with g.as_default(), g.name_scope("signatures"):
            with g.control_dependencies([runtime.train_op]):
                train_loss = array.identity(runtime.train_step.total, name="train_loss")
            test_loss = array.identity(runtime.test_step.total, name="test_loss")
        sigs["train"] = Signature(feeds, {"loss": train_loss})
        sigs["evaluate"] = Signature(feeds, {"loss": test_loss})
    return sigs


def save_model(model: Any, export_dir: str, processors: Any = None) -> str:
    """SavedModel (tag ``serve``; signatures serving_default, and train/evaluate once trained) plus
    ``tfkg_model.json`` (architecture + compile config), ``processors/`` and a version file.
    A path ending in ``.keras`` gets a Keras 3 archive instead (``keras.models.load_model`` opens it)."""
    if os.fspath(export_dir).endswith(KERAS_ARCHIVE_SUFFIX):
        if processors is not None:
            raise ValueError("a .keras archive has no place for processors: save a SavedModel directory")
        return save_keras_archive(model, export_dir)
    runtime = model.runtime
    cached = getattr(runtime, "_export", None)
    if cached is None:  # graph-side only: the live session never runs these ops
        saver = Saver(runtime.all_variables, runtime.graph, keras_object_paths(model)) if runtime.all_variables else None
        cached = runtime._export = (saver, _signatures(model, runtime))
    saver, sigs = cached
    saved = runtime.variable_values()
    config = {"format_version": FORMAT_VERSION, "class_name": type(model).__name__,
              "config": model.get_config(), "compile_config": _compile_config(model),
              "target_shapes": [list(s) for s in runtime.spec.target_shapes] if runtime.spec else None}

    def extra(tmp: str) -> None:
        # the variables come from numpy through write_bundle: the session has no save/ ops
        if saved:
            write_bundle(os.path.join(tmp, "variables", "variables"), saved, keras_object_paths(model),
                         write_state=False)
        with open(os.path.join(tmp, MODEL_CONFIG_FILE), "w") as f:
            json.dump(config, f, indent=1, default=str)
        with open(os.path.join(tmp, VERSION_FILE), "w") as f:
            f.write(f"{FORMAT_VERSION}\n")
        if processors is not None:
            from ..data.inference import save_processors
            os.makedirs(os.path.join(tmp, "processors"))
            save_processors(os.path.join(tmp, "processors"), processors)
    return write_saved_model(export_dir, runtime.graph, None, saver, sigs, extra)


def load_model(export_dir: str, custom_objects: dict[str, Any] | None = None, compile: bool = True,
               safe: bool = True, allow_ops: Iterable[str] = ()) -> Any:
    """Rebuilds the model from ``tfkg_model.json`` (or a Keras 3 ``.keras`` archive, or a legacy whole-model
    ``.h5``), recompiles it and restores every variable, the optimizer's slots and step counter included,
    so ``fit`` continues where the saved run stopped.

    The stored graph is not run (the model is rebuilt), but it is what TF Serving, the C library and
    ``SavedModelPredictor`` would run from this directory, so it is checked against the op allowlist
    like theirs: a tampered ``saved_model.pb`` fails here too (``safe=False`` or ``allow_ops`` lift it)."""
    if os.fspath(export_dir).endswith(KERAS_ARCHIVE_SUFFIX):
        return load_keras_archive(export_dir, custom_objects, compile)
    if is_legacy_h5_model(export_dir):
        return load_legacy_h5_model(export_dir, custom_objects, compile)
    path = os.path.join(os.fspath(export_dir), MODEL_CONFIG_FILE)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{export_dir!r} has no {MODEL_CONFIG_FILE}; for a SavedModel from another "
                                "producer use saving.SavedModelPredictor")
    with open(path) as f:
        config = json.load(f)
    meta = read_saved_model(export_dir)  # also fails on a broken checkpoint before building anything
    if safe:
        check_graph_def(meta.graph_def, meta.saver_def, allow_ops)
    prefix = os.path.join(os.fspath(export_dir), VARIABLES_PREFIX)
    model = deserialize({"class_name": config["class_name"], "config": config["config"]}, custom_objects)
    compile_config = config.get("compile_config")
    if compile and compile_config:
        model.compile(**compile_config)
        if config.get("target_shapes"):
            model._ensure_runtime(model._train_spec([tuple(s) for s in config["target_shapes"]]))
    if meta.saver_def.restore_op_name:
        load_weights(model, prefix)
    return model


__all__ = ["save_weights", "load_weights", "save_model", "load_model", "keras_object_paths"]
