"""A uniform random sample of the rows of a stream: the reservoir that quantile edges are fitted on."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

__all__ = ["Reservoir"]


class Reservoir:
    """Uniform sample of `size` rows without replacement: the rows with the smallest random keys.

    Each row draws an independent uniform key; keeping the ``size`` smallest keys of the
    stream gives every subset of ``size`` rows the same probability. Once full, a new row can
    only enter if its key is below the current largest kept key, so later batches cost one
    comparison per row.

    Examples
    --------
    >>> import pyarrow as pa
    >>> reservoir = Reservoir(3, seed=0)
    >>> for batch in pa.table({"row": list(range(10))}).to_batches(max_chunksize=4):
    ...     reservoir.add(batch)
    >>> reservoir.table(pa.schema([("row", pa.int64())])).num_rows
    3
    """

    def __init__(self, size: int, seed: int | None) -> None:
        self.size = size
        self.rng = np.random.default_rng(seed)
        self.keys = np.empty(0)
        self.parts: list[pa.Table] = []
        self.limit = np.inf

    def add(self, batch: pa.RecordBatch) -> None:
        """Offer every row of `batch` (all batches must share one schema)."""
        keys = self.rng.random(batch.num_rows)
        chosen = np.flatnonzero(keys < self.limit)
        if chosen.size == 0:
            return
        self.keys = np.concatenate((self.keys, keys[chosen]))
        kept = batch if chosen.size == batch.num_rows else batch.take(pa.array(chosen))
        self.parts.append(pa.Table.from_batches([kept]))
        if self.keys.size >= 2 * self.size:
            self._shrink()

    def _shrink(self) -> None:
        # One contiguous table first: a take across many small chunks is several times slower.
        table = pa.concat_tables(self.parts).combine_chunks()
        if self.keys.size > self.size:
            keep = np.argpartition(self.keys, self.size - 1)[: self.size]
            self.keys = self.keys[keep]
            table = table.take(pa.array(keep))
            self.limit = float(self.keys.max())
        self.parts = [table]

    def table(self, schema: pa.Schema) -> pa.Table:
        """The sampled rows (an empty table of `schema` when nothing was offered)."""
        if not self.parts:
            return schema.empty_table()
        self._shrink()
        return pa.concat_tables(self.parts)
