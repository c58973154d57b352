"""Sidecar logging: one line per event, readable as text or as JSON, with key=value fields.

log.info("run enqueued", extra=fields(run_id=5, created=True))
text: 2026-11-22T14:30:00Z INFO  sidecar: run enqueued run_id=5 created=true
json: {"ts": "2026-11-22T14:30:00Z", "level": "INFO", "logger": "wheelhouse.sidecar", "msg": "run enqueued",
       "run_id": 5, "created": true}
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any

_FIELDS = "wheelhouse_fields"


def fields(**values: Any) -> dict[str, Any]:
    """`extra=` for a log call: structured fields shown after the message."""
    return {_FIELDS: values}


def _timestamp(record: logging.LogRecord) -> str:
    return dt.datetime.fromtimestamp(record.created, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    text = str(value)
    return json.dumps(text) if (" " in text or not text) else text


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        extra = getattr(record, _FIELDS, {})
        name = record.name.removeprefix("wheelhouse.")
        line = f"{_timestamp(record)} {record.levelname:<5} {name}: {record.getMessage()}"
        if extra:
            line += " " + " ".join(f"{k}={_value(v)}" for k, v in extra.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc = {
            "ts": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            **getattr(record, _FIELDS, {}),
        }
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str)


def configure(log_format: str = "text", level: str = "INFO") -> None:
    """Send every log record to stderr in `log_format` ('text' or 'json'); quieten APScheduler's per-run lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)  # "max instances reached" every poll
    logging.getLogger("alembic").setLevel(logging.WARNING)


__all__ = ["JsonFormatter", "TextFormatter", "configure", "fields"]
