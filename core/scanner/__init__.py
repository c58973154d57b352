"""User scanners (DESIGN section 7): validation, the sandbox, market data for scans, runs, templates, schedules.

`box/` runs inside the sandbox; everything else runs in the host (dashboard, sidecar, command line) and never
executes user code itself. docs/scanners.md describes the contract, docs/sandbox.md the sandbox.
"""
