"""Saving and loading: TF V2 checkpoints, SavedModels, Keras weight import, frozen graphs."""
from .bundle import CheckpointError, list_variables, read_index
from .checkpoint import Saver, checkpoint_key, latest_checkpoint, read_variables, write_bundle
from .keras_archive import load_keras_archive, save_keras_archive
from .keras_config import UnsupportedKerasConfig
from .keras_h5 import KerasWeightsError, export_keras_weights, import_keras_weights
from .object_registration import (CustomObjectScope, custom_object_scope, deserialize_keras_object,
                                  get_custom_objects, get_registered_name, get_registered_object, register_keras_serializable, serialize_keras_object)
from .model_io import keras_object_paths, load_model, load_weights, save_model, save_weights
from .safety import SAFE_OPS, UnsafeGraphError, check_graph_def
from .savedmodel import (SavedModelError, SavedModelPredictor, Signature, freeze, load_session, read_saved_model,
                         write_saved_model)

__all__ = ["CheckpointError", "list_variables", "read_index", "Saver", "checkpoint_key", "latest_checkpoint",
           "read_variables", "write_bundle", "KerasWeightsError", "export_keras_weights", "import_keras_weights",
           "load_keras_archive", "save_keras_archive", "UnsupportedKerasConfig",
           "keras_object_paths", "load_model", "load_weights", "save_model", "save_weights", "SAFE_OPS",
           "UnsafeGraphError", "check_graph_def", "SavedModelError", "SavedModelPredictor", "Signature", "freeze",
           "load_session", "read_saved_model", "write_saved_model",
           "CustomObjectScope", "custom_object_scope", "deserialize_keras_object", "get_custom_objects",
           "get_registered_name", "get_registered_object",
           "register_keras_serializable", "serialize_keras_object"]
