"""Arrow arrays as the pandas engine sees them: kinds, numeric buffers and exact value counts.

Shared by the streaming engine's statistics pass and its counting pass, so both read an
Arrow column the way the in-memory path reads the same column converted to pandas.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from .._core import kernels
from .._core.bins import _edges_for, count_numeric

if TYPE_CHECKING:
    import pandas as pd
else:
    from .._lazy import pandas as pd

__all__ = [
    "NumericCounter",
    "ValueCounter",
    "arrow_kind",
    "count_numeric_array",
    "is_text",
    "keeps_integers",
    "numeric_buffer",
    "to_frame",
    "value_counts",
]


def is_text(arrow_type: pa.DataType) -> bool:
    """Whether a column of this type is read as Python strings."""
    return bool(pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type))


def arrow_kind(arrow_type: pa.DataType) -> str:
    """How an Arrow column can be tracked without pandas: "text", "bool", "number" or "other"."""
    if pa.types.is_dictionary(arrow_type):
        return "text" if is_text(arrow_type.value_type) else "other"
    if is_text(arrow_type):
        return "text"
    if pa.types.is_boolean(arrow_type):
        return "bool"
    if pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type):
        return "number"
    return "other"


def keeps_integers(schema: pa.Schema, name: str) -> bool:
    """Whether pandas keeps the column's integers with nulls among them: a nullable integer
    dtype (Int64...) in the pandas metadata. A numpy integer column becomes float64."""
    try:
        columns = (schema.pandas_metadata or {}).get("columns", [])
    except (ValueError, TypeError):
        return False
    return any(c.get("name") == name and str(c.get("numpy_type", "")).startswith(("Int", "UInt")) for c in columns)


# Fixed-width numbers whose Arrow buffer is the numpy array itself. pyarrow's own
# `to_numpy` imports pandas (half a second), even for a zero-copy view.
_NUMPY_TYPES = {
    pa.int8(): np.int8, pa.int16(): np.int16, pa.int32(): np.int32, pa.int64(): np.int64,
    pa.uint8(): np.uint8, pa.uint16(): np.uint16, pa.uint32(): np.uint32, pa.uint64(): np.uint64,
    pa.float32(): np.float32, pa.float64(): np.float64,
}  # fmt: skip


def buffer_values(array: pa.Array) -> NDArray[Any] | None:
    """A read-only numpy view of a fixed-width numeric array's values (the slots of nulls
    included, whatever they hold), or None for any other type."""
    dtype = _NUMPY_TYPES.get(array.type)
    if dtype is None:
        return None
    data = array.buffers()[1]
    start, n = array.offset, len(array)
    if data is None:  # no values at all (an empty array)
        return np.zeros(0, dtype=dtype)
    return np.frombuffer(data, dtype=dtype, count=start + n)[start:]


def valid_mask(array: pa.Array) -> NDArray[np.bool_]:
    """True where the array holds a value, False at its nulls."""
    bitmap = array.buffers()[0]
    start, n = array.offset, len(array)
    if bitmap is None:
        return np.ones(n, dtype=bool)
    bits = np.unpackbits(np.frombuffer(bitmap, dtype=np.uint8), count=start + n, bitorder="little")[start:]
    return bits.view(bool)


def _to_numpy(array: pa.Array) -> NDArray[Any]:
    """`array.to_numpy(zero_copy_only=False)`, the same values and dtype, read from the
    buffers for fixed-width numbers: nulls become NaN, in float64 for integers."""
    values = buffer_values(array)
    if values is None:
        return array.to_numpy(zero_copy_only=False)
    if not array.null_count:
        return values
    filled = values.astype(np.float64 if values.dtype.kind in "iu" else values.dtype)
    filled[~valid_mask(array)] = np.nan
    return filled


def numeric_buffer(array: pa.Array) -> NDArray[Any]:
    """The values as the in-memory path counts them: float64 (NaN for nulls) or int64."""
    x = _to_numpy(array)
    if x.dtype.kind == "f" or (x.dtype.kind == "u" and x.dtype.itemsize == 8):
        return x.astype(np.float64, copy=False)
    return x.astype(np.int64, copy=False)


def count_numeric_array(array: pa.Array, edges: tuple[Any, ...]) -> tuple[NDArray[np.int64], int]:
    """:func:`~kl_drift._core.bins.count_numeric` of :func:`numeric_buffer`, nulls as missing.

    A float64 column with nulls is counted in its own buffer, without the copy that writes
    NaN into the null slots: the values under the null slots (whatever they are) are counted
    again and taken off, and the nulls added to the missing count. Counting is additive over
    values, so the integers are those of the copy's.
    """
    nulls = array.null_count
    data = array.buffers()[1] if nulls and array.type == pa.float64() and len(array.buffers()) == 2 else None
    if data is None or array.buffers()[0] is None:
        return count_numeric(numeric_buffer(array), edges)
    start, n = array.offset, len(array)
    values = np.frombuffer(data, dtype=np.float64, count=start + n)[start:]
    valid = np.unpackbits(np.frombuffer(array.buffers()[0], dtype=np.uint8), count=start + n, bitorder="little")[start:]
    counts, n_inf = count_numeric(values, edges)
    under_nulls, inf_under_nulls = count_numeric(values[valid == 0], edges)
    counts -= under_nulls
    counts[-1] += nulls
    return counts, n_inf - inf_under_nulls


# The Arrow types whose buffer the compiled kernels count as it is (others are converted first).
_KERNEL_TYPES = {pa.float64(): np.float64, pa.int64(): np.int64}


class NumericCounter:
    """Running :func:`count_numeric_array` counts of one column's batches in fixed edges.

    With the compiled kernels in use, a float64 or int64 batch goes straight from its Arrow
    buffer to the kernel that :func:`~kl_drift._core.kernels.count_bins` would call, with
    the edges laid out once per column instead of once per batch, and the counts added in
    place: the same kernel on the same values and edges, so the same integers, without
    several µs of Python per batch and column around it. A float64 batch with nulls is
    counted as :func:`count_numeric_array` counts it (the values under the null slots taken
    off again); int64 with nulls (floats in pandas), other types, and the numpy path go
    through :func:`count_numeric_array` itself.
    """

    def __init__(self, edges: tuple[Any, ...]) -> None:
        self.edges = edges
        # Value bins, missing, ±inf: the layout of the kernels' output.
        self.out = np.zeros(len(edges) + 3, dtype=np.int64)
        self._kernels: Any = None
        self._count: dict[Any, Callable[[NDArray[Any], NDArray[np.int64]], None]] = {}

    def add(self, array: pa.Array) -> None:
        """Count one batch's column."""
        dtype = _KERNEL_TYPES.get(array.type)
        nulls = array.null_count
        count = self._kernel(dtype) if dtype is not None and self.edges and not (nulls and dtype is np.int64) else None
        if count is None:
            counts, n_inf = count_numeric_array(array, self.edges)
            self.out[:-1] += counts
            self.out[-1] += n_inf
            return
        start, n = array.offset, len(array)
        if not n:
            return
        validity, data = array.buffers()
        values = np.frombuffer(data, dtype=dtype, count=start + n)[start:]
        count(values, self.out)
        if nulls:
            valid = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), count=start + n, bitorder="little")[start:]
            under = np.zeros_like(self.out)
            count(values[valid == 0], under)
            self.out -= under
            self.out[-2] += nulls

    def _kernel(self, dtype: Any) -> Callable[[NDArray[Any], NDArray[np.int64]], None] | None:
        """``count(values, out)`` with the kernel and edges `kernels.count_bins` would use
        for `dtype` now, or None on the numpy path."""
        active = kernels._active  # the kernels `kernels.count_bins` would call now (None: numpy)
        if active is None:
            return None
        if active is not self._kernels:
            self._kernels, self._count = active, {}
        count = self._count.get(dtype)
        if count is None:
            count = self._count[dtype] = kernels.bin_counter(_edges_for(np.empty(0, dtype=dtype), self.edges))
        return count

    def result(self) -> tuple[NDArray[np.int64], int]:
        """The counts (value bins, then missing) and the ±inf count, as :func:`count_numeric_array`."""
        return self.out[:-1].copy(), int(self.out[-1])


def to_frame(batch: pa.RecordBatch) -> pd.DataFrame:
    """A batch as pandas: the schema's pandas metadata (kept on every batch) restores the
    dtypes pandas.read_parquet gives (category, nullable integers, pandas strings)."""
    return batch.to_pandas(split_blocks=True)


def value_counts(array: pa.Array) -> tuple[list[Any], list[int]]:
    """Distinct values of an Arrow array (nulls and NaN included) with their counts."""
    import pyarrow.compute as pc  # here: importing it costs 25-40 ms, and dictionaries do not need it

    distinct = pc.value_counts(array)
    return distinct.field("values").to_pylist(), distinct.field("counts").to_pylist()


class ValueCounter:
    """Exact counts per distinct value of an Arrow column, added up over batches.

    Batches of a dictionary column usually share one dictionary (a Parquet row group has
    one): their code counts are summed as a vector and turned into values only when the
    dictionary changes, so a batch costs no Python work per distinct value.
    """

    def __init__(self) -> None:
        self.values: dict[Any, int] = {}
        self.n_missing = 0
        self._dictionary: pa.Array | None = None
        self._per_code = np.zeros(0, dtype=np.int64)

    def add(self, array: pa.Array) -> None:
        """Count the values of one batch's column."""
        if not pa.types.is_dictionary(array.type):
            self._merge(*value_counts(array), 0)
            return
        dictionary = array.dictionary
        if self._dictionary is None or not (dictionary is self._dictionary or dictionary.equals(self._dictionary)):
            self.flush()
            self._dictionary = dictionary
            self._per_code = np.zeros(len(dictionary) + 1, dtype=np.int64)
        size = len(dictionary)
        indices = array.indices
        if kernels.in_use():
            # One compiled pass over the codes' own buffer, nulls from the bitmap: a third of
            # np.bincount's time per batch (it casts the codes to int64 and finds their range first).
            codes = buffer_values(indices)
            validity = indices.buffers()[0] if indices.null_count else None
            valid = np.frombuffer(validity, dtype=np.uint8) if validity is not None else None
            if codes is not None and kernels.count_codes(codes, valid, indices.offset, self._per_code):
                return
        if array.null_count == 0 and indices.type != pa.uint64():
            # The codes' own buffer, without a copy: half the time of the cast and fill below.
            self._per_code[:size] += np.bincount(_to_numpy(array.indices), minlength=size)
            return
        # Nulls go to an extra last code (cast first: the codes' own type may be full).
        codes = buffer_values(indices).astype(np.int64)  # type: ignore[union-attr]  (indices are integers)
        codes[~valid_mask(indices)] = size
        self._per_code += np.bincount(codes, minlength=size + 1)

    def flush(self) -> None:
        """Fold the pending dictionary code counts into `values`."""
        if self._dictionary is None:
            return
        used = np.flatnonzero(self._per_code[:-1])
        # The whole dictionary as Python values: a row group's dictionary holds the values of
        # its rows, so nearly all are used; Array.take would import pyarrow.compute (25-40 ms).
        every = self._dictionary.to_pylist()
        values = every if len(used) == len(every) else [every[i] for i in used.tolist()]
        self._merge(values, self._per_code[used].tolist(), int(self._per_code[-1]))
        self._dictionary = None

    def _merge(self, values: list[Any], counts: list[int], n_missing: int) -> None:
        self.n_missing += n_missing
        for value, count in zip(values, counts):
            if value is None or value != value:  # null, or a float NaN: missing, as in pandas
                self.n_missing += count
            else:
                self.values[value] = self.values.get(value, 0) + count
