"""Tolerances for comparing a model trained by us with the same model trained by Keras.

Both sides compute the same math with different kernels (fused vs separate ops, Keras' sparse embedding
update vs our dense one, another summation order), so float32 rounding differs by ~1e-7 per op and
grows over tens of SGD/Adam steps. After 24 steps of a small RNN it was seen at 7.6e-6 absolute on
weights of scale 0.5 (rel. 1.5e-5): beyond 1e-5, so that bound failed now and then. A wrong gradient
rule, a missed mask or a misplaced bias moves weights by 1e-3 or more, far outside these bounds.
"""
from __future__ import annotations

import numpy as np

TRAINED_RTOL = 1e-4  # weights, losses, metrics and predictions after training
TRAINED_ATOL = 1e-5  # for entries near 0 in outputs of scale ~1


def assert_weights_match(ours, theirs, rtol: float = TRAINED_RTOL) -> None:
    """Every weight of ``ours`` equals Keras' ``theirs`` to ``rtol`` of that weight tensor's scale: an
    entry near 0 in a tensor of scale 0.5 carries the rounding of its neighbours, not less."""
    ours_weights, theirs_weights = ours.get_weights(), theirs.get_weights()
    assert len(ours_weights) == len(theirs_weights)
    for w, a, b in zip(theirs.weights, ours_weights, theirs_weights):
        atol = max(1e-6, rtol * float(np.max(np.abs(b), initial=0.0)))
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=w.path)

