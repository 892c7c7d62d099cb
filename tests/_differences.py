"""docs/differences.md as the name tests read it: every `keras.<module>.<name>` entry of its "Not
implemented" section(s), e.g. ``layers.TFSMLayer``, ``ops.numpy.view``, ``utils.legacy``."""
from __future__ import annotations

import os
import re

DIFFERENCES = os.path.join(os.path.dirname(__file__), "..", "docs", "differences.md")


def not_implemented() -> set[str]:
    with open(DIFFERENCES, encoding="utf-8") as f:
        text = f.read()
    names: set[str] = set()
    for section in re.split(r"^#+ ", text, flags=re.M):
        if section.lower().startswith("not implemented"):
            names.update(re.findall(r"`keras\.([a-z_.]+\.[A-Za-z_0-9]+)`", section))
    return names
