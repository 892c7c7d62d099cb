"""Connectionist temporal classification (TF's ctc_ops): the CTCLoss kernel (which also returns the
loss's gradient with respect to the logits) and the greedy / beam-search decoders."""
from __future__ import annotations

from typing import Any

from ..graph import Tensor
from ..shapes import rule
from ._base import make
from .constants import convert


def ctc_loss(logits: Any, labels_indices: Any, labels_values: Any, sequence_length: Any,
             name: str | None = None) -> list[Tensor]:
    """(loss per batch entry, d loss / d logits) for time-major logits ``(T, B, C)`` whose last class is
    the blank, and sparse labels (int64 ``(N, 2)`` indices, int32 values)."""
    logits = convert(logits)
    g = logits.graph
    return make("CTCLoss", [logits, convert(labels_indices, graph=g), convert(labels_values, graph=g),
                            convert(sequence_length, graph=g)], name=name).outputs


def ctc_greedy_decoder(logits: Any, sequence_length: Any, merge_repeated: bool, blank_index: int,
                       name: str | None = None) -> list[Tensor]:
    """(indices, values, dense shape, log probability) of the best path per batch entry."""
    logits = convert(logits)
    return make("CTCGreedyDecoder", [logits, convert(sequence_length, graph=logits.graph)],
                {"merge_repeated": merge_repeated, "blank_index": blank_index}, name=name).outputs


def ctc_beam_search_decoder(logits: Any, sequence_length: Any, beam_width: int, top_paths: int,
                            merge_repeated: bool = True, name: str | None = None) -> list[Tensor]:
    """``top_paths`` sparse decodings (indices..., values..., shapes...) and their log probabilities."""
    logits = convert(logits)
    return make("CTCBeamSearchDecoder", [logits, convert(sequence_length, graph=logits.graph)],
                {"beam_width": beam_width, "top_paths": top_paths, "merge_repeated": merge_repeated},
                name=name).outputs


@rule("CTCLoss")
def _ctc_loss(op: Any) -> list:
    s = op.inputs[0].shape
    return [None if s is None else (s[1],), s]


@rule("CTCGreedyDecoder")
def _greedy(op: Any) -> list:
    s = op.inputs[0].shape
    return [(None, 2), (None,), (2,), None if s is None else (s[1], 1)]
