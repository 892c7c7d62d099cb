"""The front end of processed tables: splits as iterables, batching, prefetch through worker
processes (fork) or a thread, and fitting processors on the train split."""
from __future__ import annotations

import math
import multiprocessing
import warnings
from collections import deque
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from ._util import Progress
from .inference import ProcessorSet
from .processors import Processor, class_weights
from .pipeline import SPLITS, Chunk, Pipeline, Table


# Worker processes receive the pipeline through fork (not pickled), so row filters may be lambdas.
_WORKER_PIPELINE: Pipeline | None = None


def _worker_init(pipeline: Pipeline) -> None:
    global _WORKER_PIPELINE
    _WORKER_PIPELINE = pipeline


def _worker_call(method: str, *args: Any) -> Any:
    assert _WORKER_PIPELINE is not None
    return getattr(_WORKER_PIPELINE, method)(*args)


def _format_x(xs: list[np.ndarray], names: list[str] | None) -> Any:
    if names is not None:
        return dict(zip(names, xs))
    return xs[0] if len(xs) == 1 else list(xs)


class _Split:
    """One split of a processed table; iterable per the dataset protocol."""

    def __init__(self, owner: "ProcessedTable", split: int) -> None:
        self.owner, self.split = owner, split
        self.name = SPLITS[split]
        self._epoch = 0
        self._rows_seen: int | None = None  # exact row count after one complete epoch
        self.skipped_rows: int | None = None  # bad rows skipped in the last complete epoch

    @property
    def num_rows(self) -> int | None:
        """Rows per epoch: exact unless a row filter or skipped bad rows make it unknown before one epoch."""
        if self._rows_seen is not None:
            return self._rows_seen
        if self.owner.pipeline.row_filter is None and not self.owner.pipeline.ignore_errors:
            return self.owner.pipeline.split_size(self.split)
        return None

    def __len__(self) -> int:
        n = self.num_rows
        if n is None:
            raise TypeError(f"{self.name} split: number of batches unknown until one epoch has run "
                            "(row_filter / ignore_parse_errors may drop rows)")
        return math.ceil(n / self.owner.batch_size)

    def __iter__(self) -> Iterator[tuple]:
        epoch, self._epoch = self._epoch, self._epoch + 1
        o = self.owner
        shuffle = self.split == 0 and o.shuffle
        order = np.arange(o.pipeline.n_blocks)
        rng = np.random.default_rng([o.seed, 1, epoch])
        if shuffle:
            order = rng.permutation(order)
        window = o.shuffle_blocks if shuffle else 1
        bs = o.batch_size
        pending: list[Chunk] = []
        blocks_in_window = total = bad = 0
        for chunk in o.run(order, "load_block", self.split):
            bad += chunk.n_bad
            if chunk.n == 0:
                continue
            pending.append(chunk)
            blocks_in_window += 1
            if blocks_in_window >= window:
                merged = Chunk.concat(pending)
                if shuffle:
                    merged = merged.take(rng.permutation(merged.n))
                full = merged.n // bs * bs
                for s in range(0, full, bs):
                    total += bs
                    yield o.batch(merged.take(slice(s, s + bs)))
                pending = [merged.take(slice(full, merged.n))] if full < merged.n else []
                blocks_in_window = 0
        if pending:
            merged = Chunk.concat(pending)
            if shuffle:
                merged = merged.take(rng.permutation(merged.n))
            for s in range(0, merged.n, bs):
                total += min(bs, merged.n - s)
                yield o.batch(merged.take(slice(s, s + bs)))
        self._rows_seen, self.skipped_rows = total, bad
        if bad and not o.warned[self.split]:
            o.warned[self.split] = True
            warnings.warn(f"{o.source}: skipped {bad} malformed rows in the {self.name} split", stacklevel=2)


class ProcessedTable:
    """Common front end of CsvDataset and MemoryDataset: processors, splits, batching, workers."""

    source = "<memory>"

    def _setup(self, table: Table, features: Sequence[Processor], label: Processor | None, *,
               batch_size: int, val_fraction: float, test_fraction: float, seed: int, rows_per_block: int,
               row_filter: Callable[[list], bool] | None, ignore_parse_errors: bool, shuffle: bool,
               shuffle_blocks: int, prefetch: int, workers: int, as_dict: bool) -> None:
        if not features:
            raise ValueError("at least one feature processor is required")
        if not (0 <= val_fraction and 0 <= test_fraction and val_fraction + test_fraction <= 1):
            raise ValueError("val_fraction and test_fraction must be >= 0 and sum to at most 1")
        if batch_size < 1 or shuffle_blocks < 1 or prefetch < 1 or workers < 0:
            raise ValueError("batch_size, shuffle_blocks and prefetch must be >= 1, workers >= 0")
        features = list(features)
        for p in features + ([label] if label is not None else []):
            p.resolve(table.column_names, table.n_columns)
        names = [p.name or f"input_{i}" for i, p in enumerate(features)]
        if as_dict and len(set(names)) != len(names):
            raise ValueError(f"feature names must be unique for as_dict=True: {names}")
        self.names = names if as_dict else None
        cum = (1.0 - val_fraction - test_fraction, 1.0 - test_fraction)
        self.pipeline = Pipeline(table, features, label, rows_per_block, cum, seed, row_filter, ignore_parse_errors)
        self.batch_size, self.seed, self.shuffle = batch_size, seed, shuffle
        self.shuffle_blocks, self.prefetch, self.workers = shuffle_blocks, prefetch, workers
        self.warned = [False, False, False]
        self._splits = [_Split(self, i) for i in range(3)]

    # -- protocol: iterating the dataset itself iterates the train split ----------------------
    def __iter__(self) -> Iterator[tuple]:
        return iter(self.train)

    def __len__(self) -> int:
        return len(self.train)

    @property
    def train(self) -> _Split:
        return self._splits[0]

    @property
    def val(self) -> _Split:
        return self._splits[1]

    @property
    def test(self) -> _Split:
        return self._splits[2]

    @property
    def features(self) -> list[Processor]:
        return self.pipeline.features

    @property
    def label(self) -> Processor | None:
        return self.pipeline.label

    @property
    def processors(self) -> ProcessorSet:
        """Everything needed to turn raw rows into model inputs at inference (see save_processors)."""
        t = self.pipeline.table
        return ProcessorSet(self.features, self.label, column_names=t.column_names, n_columns=t.n_columns,
                            delimiter=getattr(self, "delimiter", ","), quotechar=getattr(self, "quotechar", '"'))

    def class_weights(self, user: dict[Any, float] | None = None) -> dict[int, float]:
        """Dict for ``fit(class_weight=...)``: TFKG's majority/count over the fitted sample, or ``user`` mapped to indices."""
        label = self.label
        counts = label.class_counts() if hasattr(label, "class_counts") else None
        if counts is None:
            raise ValueError("class weights need a categorical label processor (SparseCategoricalY, BinaryY, "
                             "Tokenizer(mode='category'))")
        return class_weights(counts, user, getattr(label, "classes", None))

    def batch(self, chunk: Chunk) -> tuple:
        return _format_x(chunk.xs, self.names), chunk.y

    def run(self, order: np.ndarray, method: str, *args: Any) -> Iterator[Any]:
        """``pipeline.<method>(block, *args)`` for blocks in ``order``, computed ahead by background
        workers (``prefetch`` blocks deep): one thread, or ``workers`` forked processes."""
        ex: Executor
        if self.workers > 0:
            ex = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("fork"),
                                     initializer=_worker_init, initargs=(self.pipeline,))
            submit = lambda b: ex.submit(_worker_call, method, b, *args)  # noqa: E731
        else:
            ex = ThreadPoolExecutor(1)
            fn = getattr(self.pipeline, method)
            submit = lambda b: ex.submit(fn, b, *args)  # noqa: E731
        depth = max(self.prefetch, self.workers)
        pending: deque = deque()
        it = iter(order.tolist())
        try:
            for b in it:
                pending.append(submit(b))
                if len(pending) >= depth:
                    break
            while pending:
                result = pending.popleft().result()
                nxt = next(it, None)
                if nxt is not None:
                    pending.append(submit(nxt))
                yield result
        finally:
            ex.shutdown(wait=True, cancel_futures=True)

    def fit(self, max_rows: int, progress: bool | None) -> None:
        """Fit unfitted processors on up to ``max_rows`` train rows from blocks in seeded random order."""
        pipe = self.pipeline
        todo = [p for p in pipe.processors if not p.fitted]
        if not todo:
            return
        for p in todo:
            p.reset()
        order = np.random.default_rng([pipe.seed, 11]).permutation(pipe.n_blocks)
        bar = Progress(min(max_rows, pipe.split_size(0)), "fitting preprocessors", progress)
        seen = 0
        results = self.run(order, "fit_values")
        try:
            for values, n in results:
                take = min(n, max_rows - seen)
                for p, v in zip(todo, values):
                    p.partial_fit(v[:take])
                seen += take
                bar.update(take)
                if seen >= max_rows:
                    break
        finally:
            results.close()  # stops the workers early once the sample is complete
        bar.close()
        for p in todo:
            p.finish_fit()
