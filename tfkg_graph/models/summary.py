"""``model.summary()``: Keras 3's table of layers, output shapes, parameter counts and connections."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..layers.base import InputLayer, flatten
from ..saving.model_classes import is_sequential


def _shape(outputs: Any) -> str:
    shapes = [t.shape for t in flatten(outputs)]
    text = [("(" + ", ".join("None" if d is None else str(d) for d in s) + (",)" if len(s) == 1 else ")"))
            for s in shapes]
    return text[0] if len(text) == 1 else "[" + ", ".join(text) + "]"


def _bytes(count: int) -> str:
    size = count * 4.0
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024
    return ""


def summary_text(model: Any, line_length: int = 80) -> str:
    sequential = is_sequential(model)
    rows = []
    for node in getattr(model, "_node_order", []):
        layer = node.layer
        if sequential and isinstance(layer, InputLayer):
            continue
        connected = ", ".join(f"{t.node.layer.name}[{t.node.node_index}][{t.index}]" for t in node.inputs)
        rows.append((f"{layer.name} ({type(layer).__name__})", _shape(node.outputs),
                     f"{layer.count_params():,}", connected or "-"))
    headers = ("Layer (type)", "Output Shape", "Param #", "Connected to")
    columns = 3 if sequential else 4
    widths = [max([len(headers[i])] + [len(r[i]) for r in rows]) + 2 for i in range(columns)]
    def line(cells, left, mid, right, fill=" "):
        parts = []
        for i, (cell, w) in enumerate(zip(cells, widths)):
            parts.append(fill + (cell.rjust(w - 2) if i == 2 else cell.ljust(w - 2)) + fill)
        return left + mid.join(parts) + right
    out = [f'Model: "{model.name}"',
           line([""] * columns, "┏", "┳", "┓", "━").replace(" ", "━"),
           line(headers[:columns], "┃", "┃", "┃"),
           line([""] * columns, "┡", "╇", "┩", "━").replace(" ", "━")]
    for i, row in enumerate(rows):
        out.append(line(row[:columns], "│", "│", "│"))
        if not sequential and i < len(rows) - 1:
            out.append(line([""] * columns, "├", "┼", "┤", "─").replace(" ", "─"))
    out.append(line([""] * columns, "└", "┴", "┘", "─").replace(" ", "─"))
    trainable = int(sum(np.prod(w.shape) for w in model.trainable_weights))
    total = model.count_params()
    out += [f" Total params: {total:,} ({_bytes(total)})",
            f" Trainable params: {trainable:,} ({_bytes(trainable)})",
            f" Non-trainable params: {total - trainable:,} ({_bytes(total - trainable)})"]
    del line_length
    return "\n".join(out)
