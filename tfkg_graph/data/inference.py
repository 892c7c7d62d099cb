"""Saving the processors a model was trained with, and predicting from raw rows.

``model.save(directory, processors=ds)`` is meant to call ``save_processors(directory, ds)``;
``load_processors(directory)`` restores them, and ``InferenceHelper`` turns raw rows into
model inputs so a loaded model predicts from CSV lines or raw values in one call.
"""

from __future__ import annotations

import csv
import io
import json
import os
from typing import Any, Protocol, Sequence

import numpy as np

from ._util import atomic_write_json
from .processors import Processor

PROCESSORS_FILE = "processors.json"
FORMAT_VERSION = 1


class ProcessorSet:
    """Fitted feature processors (one per model input, in order), optional label processor and
    the raw row layout (column names/count, delimiter) needed to parse rows at inference."""

    def __init__(self, features: Sequence[Processor], label: Processor | None = None, *,
                 column_names: Sequence[str] | None = None, n_columns: int | None = None,
                 delimiter: str = ",", quotechar: str = '"') -> None:
        self.features = list(features)
        self.label = label
        self.column_names = list(column_names) if column_names is not None else None
        self.n_columns = n_columns
        self.delimiter, self.quotechar = delimiter, quotechar

    @property
    def all(self) -> list[Processor]:
        return self.features + ([self.label] if self.label is not None else [])

    def get_config(self) -> dict[str, Any]:
        unfitted = [type(p).__name__ for p in self.all if not p.fitted]
        if unfitted:
            raise ValueError(f"cannot save unfitted processors: {unfitted}")
        return {
            "format_version": FORMAT_VERSION,
            "features": [p.get_config() for p in self.features],
            "label": self.label.get_config() if self.label is not None else None,
            "column_names": self.column_names,
            "n_columns": self.n_columns,
            "delimiter": self.delimiter,
            "quotechar": self.quotechar,
        }

    @classmethod
    def from_config(cls, cfg: dict[str, Any]) -> "ProcessorSet":
        if cfg.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"unsupported processors format version {cfg.get('format_version')!r}")
        label = Processor.from_config(cfg["label"]) if cfg["label"] is not None else None
        return cls([Processor.from_config(c) for c in cfg["features"]], label,
                   column_names=cfg["column_names"], n_columns=cfg["n_columns"],
                   delimiter=cfg["delimiter"], quotechar=cfg["quotechar"])

    @classmethod
    def from_file(cls, path: str) -> "ProcessorSet":
        with open(path, encoding="utf-8") as f:
            try:
                cfg = json.load(f)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}: not valid JSON ({e})") from None
        return cls.from_config(cfg)


def _as_processor_set(processors: Any) -> ProcessorSet:
    if isinstance(processors, ProcessorSet):
        return processors
    ps = getattr(processors, "processors", None)  # CsvDataset / MemoryDataset
    if isinstance(ps, ProcessorSet):
        return ps
    raise TypeError(f"expected a ProcessorSet or a dataset with .processors, got {type(processors).__name__}")


def save_processors(directory: str, processors: Any) -> str:
    """Write ``directory/processors.json`` atomically; ``processors`` is a ProcessorSet or a dataset."""
    path = os.path.join(directory, PROCESSORS_FILE)
    atomic_write_json(path, _as_processor_set(processors).get_config())
    return path


def load_processors(directory: str) -> ProcessorSet:
    """Read the processors saved with ``save_processors``: ``directory`` is that directory or a saved
    model directory (``model.save`` keeps them in its ``processors/`` subdirectory)."""
    for path in (os.path.join(directory, PROCESSORS_FILE), os.path.join(directory, "processors", PROCESSORS_FILE)):
        if os.path.exists(path):
            return ProcessorSet.from_file(path)
    raise FileNotFoundError(f"no {PROCESSORS_FILE} in {directory} (was the model saved with processors?)")


class Predictor(Protocol):
    def predict(self, x: Any) -> Any: ...


class InferenceHelper:
    """Raw rows → model inputs → predictions, with the processors the model was trained with.

    Rows are either whole CSV lines (all columns; the label column may be present, then it
    is ignored, or absent) or one value per feature processor (a scalar, or a sequence of
    ``length`` values for multi-column processors). A row of the wrong shape, a non-numeric
    value in a numeric column, or an unknown category without OOV fallback raises
    ``ValueError`` naming the row.
    """

    def __init__(self, model: Predictor | None, processors: ProcessorSet) -> None:
        self.model = model
        self.processors = processors

    @classmethod
    def from_directory(cls, model: Predictor | None, directory: str) -> "InferenceHelper":
        return cls(model, load_processors(directory))

    def _label_index(self) -> int | None:
        label = self.processors.label
        if label is None or label.indices is None or len(label.indices) != 1:
            return None
        return label.indices[0]

    def lines_to_inputs(self, lines: Sequence[str] | str) -> list[np.ndarray]:
        """Parse CSV lines and apply the feature processors; one array per model input."""
        ps = self.processors
        if isinstance(lines, str):
            lines = [lines]
        n_cols = ps.n_columns
        label_idx = self._label_index()
        rows = []
        for i, line in enumerate(lines):
            parsed = list(csv.reader(io.StringIO(line.lstrip("\ufeff"), newline=""), delimiter=ps.delimiter,
                                     quotechar=ps.quotechar))
            parsed = [r for r in parsed if r]
            if len(parsed) != 1:
                raise ValueError(f"line {i}: expected one CSV row, got {len(parsed)}")
            row = parsed[0]
            if n_cols is not None and len(row) != n_cols:
                if label_idx is not None and len(row) == n_cols - 1:
                    row = row[:label_idx] + [""] + row[label_idx:]
                else:
                    raise ValueError(f"line {i}: expected {n_cols} fields"
                                     f"{f' (or {n_cols - 1} without the label)' if label_idx is not None else ''},"
                                     f" got {len(row)}")
            rows.append(row)
        return [self._apply(p, [[r[j] for r in rows] for j in (p.indices or [])], len(rows)) for p in ps.features]

    def values_to_inputs(self, rows: Sequence[Sequence[Any]]) -> list[np.ndarray]:
        """Rows of one value per feature processor → one array per model input."""
        ps = self.processors
        k = len(ps.features)
        per_proc: list[list[list[Any]]] = [[] for _ in range(k)]
        for i, row in enumerate(rows):
            if isinstance(row, (str, bytes)) or len(row) != k:
                raise ValueError(f"row {i}: expected {k} values (one per feature processor)")
            for j, (p, v) in enumerate(zip(ps.features, row)):
                vals = list(v) if isinstance(v, (list, tuple, np.ndarray)) else [v]
                if len(vals) != p.length and not (p.columns is not None and len(vals) == len(p.columns)):
                    raise ValueError(f"row {i}: processor {j} ({type(p).__name__}) takes {p.length} values, got {len(vals)}")
                per_proc[j].append(vals)
        return [self._apply(p, [list(c) for c in zip(*vals)], len(rows)) for p, vals in zip(ps.features, per_proc)]

    @staticmethod
    def _apply(p: Processor, cols: list[list[Any]], n_rows: int) -> np.ndarray:
        if p.kind == "numeric":
            out = np.empty((n_rows, len(cols)), dtype=np.float64)
            for j, c in enumerate(cols):
                for r, v in enumerate(c):
                    try:
                        out[r, j] = float(v)
                    except (TypeError, ValueError):
                        raise ValueError(f"row {r}: {type(p).__name__} expects a number, got {v!r}") from None
        else:
            out = np.empty((n_rows, len(cols)), dtype=object)
            for j, c in enumerate(cols):
                out[:, j] = [str(v) for v in c]
        try:
            return p.transform(out)
        except ValueError:
            for r in range(n_rows):  # name the offending row
                try:
                    p.transform(out[r: r + 1])
                except ValueError as e:
                    raise type(e)(f"row {r}: {e}") from None
            raise

    def _predict(self, inputs: list[np.ndarray]) -> Any:
        if self.model is None:
            raise ValueError("InferenceHelper has no model")
        return self.model.predict(inputs[0] if len(inputs) == 1 else inputs)

    def predict_lines(self, lines: Sequence[str] | str) -> Any:
        """Model predictions for raw CSV lines."""
        return self._predict(self.lines_to_inputs(lines))

    def predict_values(self, rows: Sequence[Sequence[Any]]) -> Any:
        """Model predictions for rows of one raw value per feature processor."""
        return self._predict(self.values_to_inputs(rows))

    def decode(self, predictions: Any) -> np.ndarray:
        """Predictions → label values (class names for categorical/binary labels)."""
        if self.processors.label is None:
            raise ValueError("no label processor saved: cannot decode predictions")
        label = self.processors.label
        inverse = getattr(label, "inverse_transform", None)
        if inverse is None:
            raise ValueError(f"{type(label).__name__} cannot decode predictions")
        return inverse(np.asarray(predictions))
