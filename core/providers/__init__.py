"""Market-data providers behind one interface (see base.py); `get_provider(name)` picks one."""
