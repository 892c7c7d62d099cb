"""``keras.utils``: label and sequence helpers, datasets for ``fit`` (timeseries windows, folders of images or
texts, splits), ``plot_model`` and ``Progbar``."""
from ..callbacks.progbar import Progbar
from ..layers.base import clear_session, set_random_seed
from .dataset_utils import IndexedDataset, split_dataset, timeseries_dataset_from_array
from .directory_datasets import image_dataset_from_directory, text_dataset_from_directory
from .numerical import normalize, pad_sequences, to_categorical
from .plot import model_to_dot, plot_model

__all__ = ["IndexedDataset", "Progbar", "clear_session", "image_dataset_from_directory", "model_to_dot",
           "normalize", "pad_sequences", "plot_model", "set_random_seed", "split_dataset",
           "text_dataset_from_directory", "timeseries_dataset_from_array", "to_categorical"]
