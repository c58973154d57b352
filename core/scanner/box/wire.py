"""Messages between the host and the sandbox worker: a JSON header plus an optional binary payload.

Frame: 8 bytes (`<II`: header length, payload length), the UTF-8 JSON header, the payload. OHLCV travels as
raw float64 in the payload (JSON numbers would cost more than the scan); everything else is JSON. A reader
refuses frames over its limits before reading them, so a misbehaving peer cannot make it allocate at will.
"""

from __future__ import annotations

import json
import math
import os
import struct
from typing import Any

import numpy as np

FRAME = struct.Struct("<II")


class WireError(RuntimeError):
    """The peer closed the stream mid-frame or sent a frame that breaks the limits."""


def encode(header: dict[str, Any], payload: bytes = b"") -> bytes:
    body = json.dumps(header, separators=(",", ":"), allow_nan=False).encode()
    return FRAME.pack(len(body), len(payload)) + body + payload


def write(fd: int, header: dict[str, Any], payload: bytes = b"") -> None:
    data = memoryview(encode(header, payload))
    while data:
        written = os.write(fd, data)
        data = data[written:]


def read_exact(fd: int, size: int) -> bytes | None:
    """`size` bytes from `fd`; None at a clean end of stream before the first byte."""
    chunks, remaining = [], size
    while remaining:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            if remaining == size:
                return None
            raise WireError(f"stream ended {remaining} bytes before the end of a frame")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read(fd: int, max_header: int, max_payload: int) -> tuple[dict[str, Any], bytes] | None:
    """The next (header, payload), or None at end of stream."""
    head = read_exact(fd, FRAME.size)
    if head is None:
        return None
    size, payload_size = FRAME.unpack(head)
    if size > max_header or payload_size > max_payload:
        raise WireError(f"frame of {size} + {payload_size} bytes is over the limit")
    body = read_exact(fd, size) or b""
    payload = read_exact(fd, payload_size) or b"" if payload_size else b""
    header = json.loads(body)
    if not isinstance(header, dict):
        raise WireError("frame header is not a JSON object")
    return header, payload


def take(buffer: bytearray, max_header: int, max_payload: int) -> tuple[dict[str, Any], bytes] | None:
    """Remove and return the first whole frame in `buffer`, or None while it holds only part of one."""
    if len(buffer) < FRAME.size:
        return None
    size, payload_size = FRAME.unpack(buffer[: FRAME.size])
    if size > max_header or payload_size > max_payload:
        raise WireError(f"frame of {size} + {payload_size} bytes is over the limit")
    end = FRAME.size + size + payload_size
    if len(buffer) < end:
        return None
    body, payload = bytes(buffer[FRAME.size : FRAME.size + size]), bytes(buffer[FRAME.size + size : end])
    del buffer[:end]
    header = json.loads(body)
    if not isinstance(header, dict):
        raise WireError("frame header is not a JSON object")
    return header, payload


def batch(
    batch_id: int, code: str, params: dict[str, Any], debug: bool, items: list[Any], check: bool = True
) -> tuple[dict[str, Any], bytes]:
    """A batch request: code and specs as JSON, each symbol's (6, n) float64 bars raw in the payload."""
    specs, blocks = [], []
    for item in items:
        bars = item.bars
        rows = 0
        if bars is not None and bars.size:
            bars = np.ascontiguousarray(bars, dtype=np.float64)
            if bars.ndim != 2 or bars.shape[0] != 6:
                raise ValueError(f"{item.symbol}: bars must have shape (6, n), not {bars.shape}")
            rows = bars.shape[1]
            blocks.append(bars.tobytes())
        specs.append(
            {
                "symbol": item.symbol,
                "rows": rows,
                "options": json_safe(item.options),
                "spot": json_safe(item.spot),
                "extras": json_safe(item.extras),
            }
        )
    header = {
        "op": "batch",
        "id": batch_id,
        "code": code,
        "params": json_safe(params),
        "debug": debug,
        "check": check,
        "symbols": specs,
    }
    return header, b"".join(blocks)


def json_safe(value: Any) -> Any:
    """NaN and infinities become None (strict JSON); NumPy scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
