"""Streamlit helpers the pages share: widgets, charts, the sidebar and database error handling.

This package may import streamlit (core never does); logic lives in core and is only called from here.
"""
