"""What the loops count per step: batch-size-weighted loss averages and metric updates from a step's
fetches (callbacks and the progress bar are ``callbacks.CallbackList`` and ``ProgbarLogger``)."""
from __future__ import annotations

from typing import Any

import numpy as np


def _verbosity(verbose: Any) -> int:
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 'auto', 0, 1 or 2, got {verbose!r}")
    return int(verbose)


class _StepTracker:
    """Batch-size-weighted loss averages (Keras' loss tracker) and metric accumulation from fetches."""

    __slots__ = ("total", "count", "outputs", "n_outputs")

    def __init__(self, n_outputs: int = 0) -> None:
        self.total, self.count, self.n_outputs = 0.0, 0, n_outputs
        self.outputs = np.zeros(n_outputs)

    def update(self, outs: list[np.ndarray], n: int, metric_slices: list) -> float:
        loss = float(outs[0])
        self.total += loss * n
        self.count += n
        if self.n_outputs:
            self.outputs += np.array([float(v) for v in outs[1:1 + self.n_outputs]]) * n
        for metric, keys, start, end in metric_slices:
            metric.update_from_fetches(dict(zip(keys, outs[start:end])))
        return loss

    def loss(self) -> float:
        return self.total / self.count if self.count else 0.0

    def per_output(self) -> list[float]:
        return list(self.outputs / self.count) if self.n_outputs and self.count else []


class _Executions:
    """Keras' ``steps_per_execution`` as callbacks see it: batch hooks fire once per group of ``k`` steps,
    ``*_batch_begin`` with the group's first step and ``*_batch_end`` with its last, which Keras reports
    as first + k - 1 even for a short last group. Each step is still one TF run here (a run already
    costs less than what Keras saves by grouping)."""

    __slots__ = ("k",)

    def __init__(self, k: int) -> None:
        self.k = k

    def begins(self, step: int) -> bool:
        return step % self.k == 0

    def ends(self, step: int) -> bool:
        return (step + 1) % self.k == 0

    def last_outputs(self, chunks: list[list[np.ndarray]]) -> list[np.ndarray]:
        """The predictions of the last group of steps, joined as Keras' predict function returns them."""
        group = chunks[(len(chunks) - 1) // self.k * self.k:]
        return [np.concatenate([c[i] for c in group]) for i in range(len(group[0]))]

    def short_group_end(self, last_step: int) -> int | None:
        """The end step Keras reports for a last group cut short, or None when the last group was full."""
        return None if self.ends(last_step) else last_step - last_step % self.k + self.k - 1
