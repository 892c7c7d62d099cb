"""TensorBoard callback: Keras' run layout (``log_dir/train``, ``log_dir/validation``) and tags
(``epoch_loss``, ``epoch_learning_rate``, ``batch_loss``), plus the model's GraphDef for the Graphs tab."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..tensorboard import SummaryWriter
from .callback import Callback, Logs


def model_graph_def(model: Any) -> Any:
    """The model's GraphDef (or its bytes): ``model.graph_def``, ``model.graph`` or ``model.runtime.graph``."""
    for holder, attr in ((model, "graph_def"), (model, "graph"), (getattr(model, "runtime", None), "graph")):
        value = getattr(holder, attr, None)
        if value is not None:
            return value.as_graph_def() if hasattr(value, "as_graph_def") else value
    return None


class TensorBoard(Callback):
    """Writes event files TensorBoard reads. ``update_freq``: ``"epoch"``, or an int N to also write
    ``batch_*`` scalars every N training batches (step = global batch index)."""

    def __init__(self, log_dir: str | os.PathLike = "logs", write_graph: bool = True,
                 update_freq: str | int = "epoch"):
        super().__init__()
        if update_freq != "epoch" and not (isinstance(update_freq, int) and update_freq > 0):
            raise ValueError(f"update_freq must be 'epoch' or a positive int, got {update_freq!r}")
        self.log_dir, self.write_graph, self.update_freq = Path(log_dir), write_graph, update_freq
        self.writers: dict[str, SummaryWriter] = {}
        self._global_batch = 0
        self._graph_written = not write_graph

    def writer(self, run: str) -> SummaryWriter:
        if run not in self.writers:
            self.writers[run] = SummaryWriter(self.log_dir / run)
        return self.writers[run]

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._global_batch = 0
        self._graph_written = not self.write_graph

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._global_batch += 1
        if self.update_freq == "epoch" or self._global_batch % self.update_freq:
            return
        for key, value in (logs or {}).items():
            if np.ndim(value) == 0:
                self.writer("train").scalar(f"batch_{key}", value, self._global_batch)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if not self._graph_written and self.model is not None:  # models build their graph on the first batch
            graph_def = model_graph_def(self.model)
            if graph_def is not None:
                self.writer("train").graph(graph_def, step=epoch)
            self._graph_written = True
        logs = dict(logs or {})
        if "learning_rate" not in logs and getattr(self.model, "optimizer", None) is not None:
            try:
                logs["learning_rate"] = float(np.asarray(self.model.optimizer.learning_rate))
            except (TypeError, ValueError):
                pass  # a schedule object without a current value
        for key, value in logs.items():
            if np.ndim(value) != 0:
                continue
            run, name = ("validation", key[4:]) if key.startswith("val_") else ("train", key)
            self.writer(run).scalar(f"epoch_{name}", value, epoch)
        for writer in self.writers.values():
            writer.flush()

    def on_test_end(self, logs: Logs | None = None) -> None:
        for writer in self.writers.values():
            writer.flush()

    def on_train_end(self, logs: Logs | None = None) -> None:
        for writer in self.writers.values():
            writer.close()
        self.writers.clear()
