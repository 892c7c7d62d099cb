"""CSV / in-memory data pipeline, preprocessors and the inference helper.

Datasets follow the fit/evaluate/predict protocol: iterable (one epoch per ``iter``),
yielding ``(x, y)`` batches, ``len()`` = batches per epoch when known.

Usage (TFKG's iris flow)::

    from tfkg_graph.data import CsvDataset, Divisor, SparseCategoricalY, InferenceHelper
    from tfkg_graph.data import save_processors

    ds = CsvDataset("examples/iris/iris.data", header=False,
                    features=[Divisor(offset=0, length=4, name="measurements")],
                    label=SparseCategoricalY(column=4),
                    batch_size=16, val_fraction=0.2, seed=42)
    model.fit(x=ds.train, validation_data=ds.val, class_weight=ds.class_weights())
    model.save("saved/iris", processors=ds)      # stores them via save_processors(...)

    helper = InferenceHelper.from_directory(loaded_model, "saved/iris")
    probs = helper.predict_lines(["5.1,3.5,1.4,0.2", "6.3,3.3,6.0,2.5"])
    helper.decode(probs)                          # array(['Iris-setosa', 'Iris-virginica'])
"""

from ._util import CsvParseError, UnknownCategoryError
from .datasets import ArrayDataset, CsvDataset, MemoryDataset, default_cache_dir
from .images import ImageDecodeError, ImageDecoder, ImageFolderDataset
from .inference import InferenceHelper, ProcessorSet, load_processors, save_processors
from .processors import (
    BinaryY,
    CategoryLookup,
    Divisor,
    LabelProcessor,
    MinMax,
    OneHot,
    Processor,
    RegressionY,
    SparseCategoricalY,
    Standardize,
    Tokenizer,
    class_weights,
)

__all__ = [
    "ArrayDataset", "BinaryY", "CategoryLookup", "CsvDataset", "CsvParseError", "Divisor", "ImageDecodeError",
    "ImageDecoder", "ImageFolderDataset", "InferenceHelper",
    "LabelProcessor", "MemoryDataset", "MinMax", "OneHot", "Processor", "ProcessorSet", "RegressionY",
    "SparseCategoricalY", "Standardize", "Tokenizer", "UnknownCategoryError", "class_weights",
    "default_cache_dir", "load_processors", "save_processors",
]
