"""PostgreSQL's binary COPY format, built and read with NumPy: the fastest way to move a million rows either way.

Text COPY needs every number formatted as text in Python (about 7 us a row here); the binary format takes
the IEEE doubles and integers as they already sit in NumPy arrays, so a batch is assembled with a handful of
vectorised copies per column. Layout (PostgreSQL docs, "COPY ... BINARY File Formats"): an 11-byte signature,
two int32 header fields, then per row an int16 field count and per field an int32 byte length (-1 for NULL)
followed by the value in network byte order; an int16 -1 ends the stream.

`encode` builds a stream to COPY FROM (chain sync's upsert); `decode_fixed` reads one that COPY TO wrote, when
every field is a fixed-width value that is never NULL (the scanner's bar cache): then every row has the same
layout and NumPy reads the whole stream as one structured array, with no Python object per value.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"
PG_EPOCH_DAYS = np.datetime64("2000-01-01", "D")
PG_EPOCH_US = np.datetime64("2000-01-01T00:00:00", "us")


@dataclass
class Field:
    """One column ready for the wire: per-row byte lengths (-1 = NULL) and the bytes of the non-NULL rows."""

    lengths: np.ndarray  # int64, one per row
    payload: np.ndarray  # uint8, the values of non-NULL rows back to back


def float8(values: np.ndarray) -> Field:
    """double precision; NaN and infinities become NULL."""
    values = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(values)
    return Field(np.where(ok, 8, -1), values[ok].astype(">f8").view(np.uint8))


def int8(values: np.ndarray) -> Field:
    """bigint from a float array (NaN becomes NULL)."""
    values = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(values)
    return Field(np.where(ok, 8, -1), values[ok].astype(np.int64).astype(">i8").view(np.uint8))


def int4(values: np.ndarray) -> Field:
    """integer from a float or int array (NaN becomes NULL)."""
    values = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(values)
    return Field(np.where(ok, 4, -1), values[ok].astype(np.int32).astype(">i4").view(np.uint8))


def date(values: np.ndarray) -> Field:
    """date from datetime64 (NaT becomes NULL): days since 2000-01-01 as int32."""
    days = np.asarray(values, dtype="datetime64[D]")
    ok = ~np.isnat(days)
    return Field(np.where(ok, 4, -1), (days[ok] - PG_EPOCH_DAYS).astype(">i4").view(np.uint8))


def timestamp(values: np.ndarray) -> Field:
    """timestamptz from naive-UTC datetime64 (NaT becomes NULL): microseconds since 2000-01-01 UTC."""
    stamps = np.asarray(values, dtype="datetime64[us]")
    ok = ~np.isnat(stamps)
    return Field(np.where(ok, 8, -1), (stamps[ok] - PG_EPOCH_US).astype(">i8").view(np.uint8))


def text(values: np.ndarray) -> Field:
    """text / varchar from an object array of str (None becomes NULL), UTF-8 encoded."""
    values = np.asarray(values, dtype=object)
    ok = ~pd.isna(values)  # None, NaN and pd.NA are all missing (pandas 3 turns None into NaN in str columns)
    strings = values[ok].tolist()
    lengths = np.full(values.size, -1, dtype=np.int64)
    if not strings:
        return Field(lengths, np.zeros(0, dtype=np.uint8))
    try:  # ASCII (tickers, OCC codes, flags) encodes in C
        fixed = np.array(strings, dtype="S")
    except UnicodeEncodeError:
        fixed = np.array([s.encode() for s in strings], dtype="S")
    width = max(fixed.dtype.itemsize, 1)
    matrix = fixed.view(np.uint8).reshape(-1, width)
    sizes = np.char.str_len(fixed)
    lengths[ok] = sizes
    return Field(lengths, matrix[np.arange(width) < sizes[:, None]])


def _scatter(buffer: np.ndarray, starts: np.ndarray, sizes: np.ndarray, payload: np.ndarray) -> None:
    """Copy `payload` into `buffer` as consecutive runs of `sizes` bytes starting at `starts`."""
    if payload.size == 0:
        return
    if np.all(sizes == sizes[0]):
        buffer[starts[:, None] + np.arange(sizes[0])] = payload.reshape(-1, sizes[0])
        return
    run_starts = np.cumsum(sizes) - sizes
    offsets = np.arange(payload.size) - np.repeat(run_starts, sizes)
    buffer[np.repeat(starts, sizes) + offsets] = payload


def encode(fields: list[Field]) -> io.BytesIO:
    """A complete binary COPY stream of the rows that `fields` (one per column, in order) describe."""
    n = fields[0].lengths.size
    sizes = np.stack([4 + np.maximum(f.lengths, 0) for f in fields], axis=1)  # (rows, columns)
    row_sizes = 2 + sizes.sum(axis=1)
    row_starts = len(SIGNATURE) + np.cumsum(row_sizes) - row_sizes
    total = len(SIGNATURE) + int(row_sizes.sum()) + len(TRAILER)
    buffer = np.zeros(total, dtype=np.uint8)
    buffer[: len(SIGNATURE)] = np.frombuffer(SIGNATURE, dtype=np.uint8)
    buffer[-2:] = 0xFF
    count = np.frombuffer(np.array([len(fields)], dtype=">i2").tobytes(), dtype=np.uint8)
    buffer[row_starts[:, None] + np.arange(2)] = np.broadcast_to(count, (n, 2))
    field_starts = row_starts + 2
    for column, field in enumerate(fields):
        buffer[field_starts[:, None] + np.arange(4)] = field.lengths.astype(">i4").view(np.uint8).reshape(n, 4)
        present = field.lengths >= 0
        _scatter(buffer, field_starts[present] + 4, field.lengths[present], field.payload)
        field_starts = field_starts + sizes[:, column]
    return io.BytesIO(buffer.tobytes())


def decode_fixed(stream: bytes, types: Sequence[str]) -> list[np.ndarray]:
    """The columns of a binary COPY stream whose rows are `types` (NumPy codes such as ">i4", ">f8"), native-endian.

    Every field must be non-NULL and of its type's width (select `coalesce(x, 'NaN')` for a nullable double);
    anything else is a ValueError, never a misread column.
    """
    header = len(SIGNATURE) - 4  # the signature and the flags field; then the header extension's length
    if stream[:11] != SIGNATURE[:11] or stream[-2:] != TRAILER:
        raise ValueError("not a binary COPY stream")
    body_start = header + 4 + int.from_bytes(stream[header : header + 4], "big")
    layout = [("count", ">i2")]
    for i, code in enumerate(types):
        layout += [(f"length{i}", ">i4"), (f"value{i}", code)]
    row = np.dtype(layout)
    body = len(stream) - 2 - body_start
    if body % row.itemsize:
        raise ValueError(f"a binary COPY stream of {body} bytes is not rows of {row.itemsize} bytes")
    rows = np.frombuffer(stream, dtype=row, count=body // row.itemsize, offset=body_start)
    if (rows["count"] != len(types)).any():
        raise ValueError(f"a row does not have {len(types)} fields")
    for i, code in enumerate(types):
        if (rows[f"length{i}"] != np.dtype(code).itemsize).any():
            raise ValueError(f"field {i} is NULL or not {np.dtype(code).itemsize} bytes wide in some row")
    return [rows[f"value{i}"].astype(np.dtype(code).newbyteorder("=")) for i, code in enumerate(types)]
