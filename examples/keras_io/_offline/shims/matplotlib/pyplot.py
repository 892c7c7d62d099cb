"""``matplotlib.pyplot`` calls the corpus makes, accepted and ignored (see the package docstring)."""
from __future__ import annotations

from typing import Any


class _Ignored:
    """Any attribute, call or index of a figure/axes object: returns another ignored object."""

    def __getattr__(self, name: str) -> "_Ignored":
        return _Ignored()

    def __call__(self, *args: Any, **kwargs: Any) -> "_Ignored":
        return _Ignored()

    def __getitem__(self, key: Any) -> "_Ignored":
        return _Ignored()

    def __iter__(self):
        return iter((_Ignored(), _Ignored()))  # fig, ax = plt.subplots()


def __getattr__(name: str) -> _Ignored:
    return _Ignored()
