"""Feature and label preprocessors, fitted once and saved as JSON.

Each processor reads a range of raw table columns (``offset`` + ``length``, or ``columns``
by name/index) and produces one model input (features) or the target (label processors).
Fitting is incremental (``partial_fit`` on chunks, then ``finish_fit``) so a bounded
sample of a huge file can be streamed through without holding it in memory.
"""
from __future__ import annotations

from .categorical import BinaryY, CategoryLookup, LabelProcessor, OneHot, RegressionY, SparseCategoricalY, class_weights
from .numeric import Divisor, MinMax, Standardize
from .processor_base import Processor
from .text import KERAS_FILTERS, Tokenizer

__all__ = ["BinaryY", "CategoryLookup", "Divisor", "KERAS_FILTERS", "LabelProcessor", "MinMax", "OneHot", "Processor",
           "RegressionY", "SparseCategoricalY", "Standardize", "Tokenizer", "class_weights"]
