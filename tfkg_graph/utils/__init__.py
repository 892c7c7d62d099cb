"""``keras.utils``: label and sequence helpers, datasets for ``fit`` (timeseries windows, folders of images or
texts, splits), ``plot_model`` and ``Progbar``."""
from ..callbacks.progbar import Progbar
from ..layers.base import clear_session, set_random_seed
from .dataset_utils import IndexedDataset, split_dataset, timeseries_dataset_from_array
from .directory_datasets import image_dataset_from_directory, text_dataset_from_directory
from .. import _registry
from ..layers.base import standardize_dtype
from .file_download import get_file
from .python_utils import (Config, PyDataset, Sequence, get_source_inputs, is_keras_tensor, pack_x_y_sample_weight,
                           unpack_x_y_sample_weight)
from .numerical import normalize, pad_sequences, to_categorical
from .plot import model_to_dot, plot_model
from .image_utils import array_to_img, img_to_array, load_img, save_img
from ..callbacks.console import disable_interactive_logging, enable_interactive_logging, is_interactive_logging_enabled

__all__ = ["IndexedDataset", "Progbar", "clear_session", "image_dataset_from_directory", "model_to_dot",
           "normalize", "pad_sequences", "plot_model", "set_random_seed", "split_dataset",
           "text_dataset_from_directory", "timeseries_dataset_from_array", "to_categorical",
           "Config", "CustomObjectScope", "PyDataset", "Sequence", "custom_object_scope", "deserialize_keras_object",
           "get_custom_objects", "get_file", "get_registered_name", "get_registered_object", "get_source_inputs",
           "is_keras_tensor", "pack_x_y_sample_weight", "register_keras_serializable", "serialize_keras_object",
           "standardize_dtype", "unpack_x_y_sample_weight", "array_to_img", "img_to_array", "load_img", "save_img",
           "disable_interactive_logging", "enable_interactive_logging", "is_interactive_logging_enabled"]

CustomObjectScope = custom_object_scope = _registry.CustomObjectScope
get_custom_objects, get_registered_name = _registry.get_custom_objects, _registry.get_registered_name
get_registered_object, register_keras_serializable = _registry.get_registered_object, _registry.register_keras_serializable


def serialize_keras_object(obj: object) -> object:
    """``keras.saving.serialize_keras_object`` (Keras' dict format)."""
    from ..saving.object_registration import serialize_keras_object as serialize
    return serialize(obj)


def deserialize_keras_object(config: object, custom_objects: dict | None = None, safe_mode: bool = True,
                             **kwargs: object) -> object:
    """``keras.saving.deserialize_keras_object``: Keras' dict -> our object."""
    from ..saving.object_registration import deserialize_keras_object as deserialize
    return deserialize(config, custom_objects, safe_mode, **kwargs)
