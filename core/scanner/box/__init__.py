"""The code that runs inside the scanner sandbox: validation, the FluxScan namespace, the lockdown of pandas/NumPy
evaluators and I/O, limits and the worker.

Nothing here imports `core` (or anything outside the standard library, NumPy, pandas and TA-Lib): the host
copies this package, read-only, into the sandbox as the package `box`, so it must stand alone there. The host
imports `box.validate` too, to reject code before it is ever sent (docs/sandbox.md).
"""
