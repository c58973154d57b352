"""Syncing market data: the job queue, the worker, and the sidecar process (`python -m core.sync`)."""
