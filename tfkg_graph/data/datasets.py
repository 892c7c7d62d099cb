"""Datasets following the fit/evaluate/predict protocol.

Protocol: a dataset is iterable; each ``iter(ds)`` is one epoch yielding ``(x, y)`` batches
(x: array, list of arrays in model-input order, or dict name→array; y may be None), the last
partial batch kept; ``len(ds)`` is the number of batches per epoch when known (TypeError
otherwise). Training splits reshuffle on every new iteration, deterministically from the
seed and an epoch counter.

Shuffling large CSV files (``CsvDataset``): rows are grouped into blocks of consecutive
rows (~``block_bytes`` each). An epoch visits the blocks in a seeded random order, reading
each block with one sequential read, and shuffles rows inside a window of
``shuffle_blocks`` blocks in memory. So disk access is a few large reads per window, never
one seek per row, and memory stays bounded by the window. Rows of one block end up spread
over at most ``shuffle_blocks * block`` rows of the epoch: increase ``shuffle_blocks`` (or
lower ``block_bytes``) for a more thorough mix of sorted files.

Splits: inside every block, an exact share of rows (cumulative rounding of the fractions)
goes to train/val/test, chosen by a seeded permutation of that block, so the splits are
disjoint, their union is every row, and the same seed gives the same split. Because the
splits are interleaved inside blocks, a pass over val or test still reads the whole file
sequentially (each block is parsed, only the split's share is preprocessed).
Row filters and ``ignore_parse_errors`` apply after the split, so they never move rows
between splits.
"""
from .arrays import ArrayDataset
from .tables import CsvDataset, MemoryDataset, default_cache_dir

__all__ = ["ArrayDataset", "CsvDataset", "MemoryDataset", "default_cache_dir"]
