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
