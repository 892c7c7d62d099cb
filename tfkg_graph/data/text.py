"""Text processing: the Tokenizer (Keras' text-to-sequence rules) and its bounded vocabulary."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ._util import UnknownCategoryError
from .processor_base import Processor, _register


KERAS_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


class _Vocabulary:
    """Frequency counter with bounded memory: past ``max_tracked`` entries it keeps the most
    frequent half (ties by first appearance), so huge vocabularies cannot exhaust memory.
    Exact whenever the vocabulary stays under the bound."""

    def __init__(self, max_tracked: int) -> None:
        self.max_tracked = max_tracked
        self.counts: dict[str, int] = {}

    def add(self, tokens: Sequence[str]) -> None:
        counts = self.counts
        for t in tokens:
            counts[t] = counts.get(t, 0) + 1
        if len(counts) > self.max_tracked:
            keep = sorted(counts.items(), key=lambda kv: kv[1], reverse=True)[: self.max_tracked // 2]
            order = {k: i for i, k in enumerate(counts)}
            self.counts = dict(sorted(keep, key=lambda kv: order[kv[0]]))

    def by_frequency(self) -> list[str]:
        # Stable sort: ties keep first-appearance order, exactly like Keras' Tokenizer.
        return [k for k, _ in sorted(self.counts.items(), key=lambda kv: kv[1], reverse=True)]


@_register
class Tokenizer(Processor):
    """Keras-compatible text tokenizer (legacy ``Tokenizer`` + ``pad_sequences``).

    ``mode="sequence"``: filter characters become ``split``, text is lowercased and split,
    words indexed by frequency from 1 (OOV token, if any, gets 1), ``num_words`` keeps
    indices < num_words, output is (rows, max_len) int32 padded/truncated "pre" or "post".
    ``mode="category"``: each whole value is one token mapped to a 0-based index by
    frequency (for labels); unknown values map to the OOV token or raise.
    """

    kind = "string"

    def __init__(
        self,
        offset: int | None = None,
        length: int = 1,
        columns: Sequence[str | int] | None = None,
        name: str | None = None,
        *,
        num_words: int | None = None,
        max_len: int | None = None,
        padding: str = "pre",
        truncating: str = "pre",
        oov_token: str | None = None,
        filters: str = KERAS_FILTERS,
        lower: bool = True,
        split: str = " ",
        mode: str = "sequence",
        max_tracked_words: int = 2_000_000,
    ) -> None:
        super().__init__(offset, length, columns, name)
        if padding not in ("pre", "post") or truncating not in ("pre", "post"):
            raise ValueError("padding and truncating must be 'pre' or 'post'")
        if mode not in ("sequence", "category"):
            raise ValueError("mode must be 'sequence' or 'category'")
        self.num_words, self.max_len, self.padding, self.truncating = num_words, max_len, padding, truncating
        self.oov_token, self.filters, self.lower, self.split = oov_token, filters, lower, split
        self.mode, self.max_tracked_words = mode, max_tracked_words
        self._table = str.maketrans({c: split for c in filters})

    def params(self) -> dict[str, Any]:
        return {
            "num_words": self.num_words, "max_len": self.max_len, "padding": self.padding,
            "truncating": self.truncating, "oov_token": self.oov_token, "filters": self.filters,
            "lower": self.lower, "split": self.split, "mode": self.mode,
            "max_tracked_words": self.max_tracked_words,
        }

    def _texts(self, values: np.ndarray) -> list[str]:
        v = np.asarray(values, dtype=object).reshape(len(values), -1)
        if v.shape[1] == 1:
            return [str(t) for t in v[:, 0]]
        return [self.split.join(str(t) for t in row) for row in v]

    def words(self, text: str) -> list[str]:
        """Keras ``text_to_word_sequence``."""
        if self.mode == "category":
            return [text.lower() if self.lower else text]
        if self.lower:
            text = text.lower()
        return [w for w in text.translate(self._table).split(self.split) if w]

    def reset(self) -> None:
        super().reset()
        self._vocab = _Vocabulary(self.max_tracked_words)
        self._longest = 0

    def partial_fit(self, values: np.ndarray) -> None:
        for text in self._texts(values):
            ws = self.words(text)
            self._longest = max(self._longest, len(ws))
            self._vocab.add(ws)

    def finish_fit(self) -> None:
        words = self._vocab.by_frequency()
        if self.oov_token is not None:
            words = [self.oov_token] + words
        if self.num_words:
            words = words[: max(self.num_words - 1, 0)]  # indices >= num_words are never emitted
        self.word_index = {w: i for i, w in enumerate(words, start=1)}
        self.seq_len = self.max_len if self.max_len is not None else max(self._longest, 1)
        self.counts = {w: self._vocab.counts.get(w, 0) for w in words}
        del self._vocab
        super().finish_fit()

    def texts_to_sequences(self, texts: Sequence[str]) -> list[list[int]]:
        self._check_fitted()
        wi = self.word_index
        oov = wi.get(self.oov_token) if self.oov_token is not None else None
        out = []
        for text in texts:
            seq = []
            for w in self.words(text):
                i = wi.get(w)
                if i is not None:
                    seq.append(i)
                elif oov is not None:
                    seq.append(oov)
            out.append(seq)
        return out

    def transform(self, values: np.ndarray) -> np.ndarray:
        self._check_fitted()
        texts = self._texts(values)
        if self.mode == "category":
            return self._category(texts)
        n = self.seq_len
        out = np.zeros((len(texts), n), dtype=np.int32)
        for r, seq in enumerate(self.texts_to_sequences(texts)):
            if not seq:
                continue
            seq = seq[-n:] if self.truncating == "pre" else seq[:n]
            if self.padding == "pre":
                out[r, n - len(seq):] = seq
            else:
                out[r, : len(seq)] = seq
        return out

    def _category(self, texts: list[str]) -> np.ndarray:
        wi = self.word_index
        oov = wi.get(self.oov_token) if self.oov_token is not None else None
        out = np.empty(len(texts), dtype=np.int32)
        for r, t in enumerate(texts):
            i = wi.get(self.words(t)[0], oov)
            if i is None:
                raise UnknownCategoryError(f"Tokenizer(category): unknown value {t!r} (not seen when fitting, no oov_token)")
            out[r] = i - 1
        return out

    @property
    def classes(self) -> list[str]:
        """Category mode: the label of each 0-based class index."""
        return list(self.word_index)

    def class_counts(self) -> list[int]:
        """Category mode, used as a label processor: rows per class in the fitted sample."""
        return [self.counts[w] for w in self.word_index]

    def inverse_transform(self, predictions: np.ndarray) -> np.ndarray:
        """Category mode: class scores (or indices) → category strings."""
        p = np.asarray(predictions)
        idx = p.argmax(axis=-1) if p.ndim > 1 else p.astype(np.int64)
        return np.asarray(self.classes, dtype=object)[idx]

    def state(self) -> dict[str, Any]:
        return {"words": list(self.word_index), "seq_len": self.seq_len, "counts": list(self.counts.values())}

    def set_state(self, state: dict[str, Any]) -> None:
        self.word_index = {w: i for i, w in enumerate(state["words"], start=1)}
        self.counts = dict(zip(state["words"], state["counts"]))
        self.seq_len = state["seq_len"]
        super().set_state(state)
