"""Wheelhouse core: everything the dashboard, the sidecar and the command line share (no streamlit here)."""
