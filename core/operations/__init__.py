"""The operator's view: the sidebar's status, the History page (runs, errors, heartbeats, coverage) and the
Overview page (the database and its tables). Pages call `service`; the other modules are its read models."""
