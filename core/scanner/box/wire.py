"""Messages between the host and the sandbox worker: a JSON header plus an optional binary payload.

Frame: 8 bytes (`<II`: header length, payload length), the UTF-8 JSON header, the payload. OHLCV travels as
raw float64 in the payload (JSON numbers would cost more than the scan); everything else is JSON. A reader
refuses frames over its limits before reading them, so a misbehaving peer cannot make it allocate at will.
"""

from __future__ import annotations

import json
import os
import struct
from typing import Any

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
