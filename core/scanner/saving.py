"""Storing a scanner by name (`python -m core scanner save`): create or update, keep a draft, never lose code.

A scanner with validation problems is still stored -- the operator's work is not thrown away -- but as a
draft (`scanners.draft`), which `enqueue_scan` refuses until a clean save; the problems come back with their
line and column. Bad parameters or a bad name store nothing: they are the request's fault, and the stored
scanner, if any, stays as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db.models import Scanner
from core.scanner.box.validate import Issue, validate
from core.scanner.params import ParamError, typed_params

MAX_NAME = 100  # scanners.name


@dataclass(frozen=True)
class SavedScanner:
    id: int
    name: str
    created: bool
    issues: list[Issue]

    @property
    def draft(self) -> bool:
        return bool(self.issues)


def save_by_name(session: Session, name: str, code: str, schema: dict[str, Any] | None = None) -> SavedScanner:
    """Create or update the scanner called `name`; `schema` None keeps an existing scanner's parameters.

    Raises ParamError for parameters that do not type-check and ValueError for an unusable name.
    """
    name = name.strip()
    if not name:
        raise ValueError("a scanner needs a name")
    if len(name) > MAX_NAME:
        raise ValueError(f"a scanner's name has at most {MAX_NAME} characters")
    if schema is not None:
        typed_params(schema)  # defaults of the right type, within their bounds: else ParamError, nothing stored
    issues = validate(code)
    row = session.scalar(select(Scanner).where(func.lower(Scanner.name) == name.lower()))  # names ignore case
    created = row is None
    if row is None:
        row = Scanner(name=name, code=code, parameters=schema or {})
        session.add(row)
    row.code, row.draft = code, bool(issues)
    if schema is not None:
        row.parameters = schema
    session.flush()
    return SavedScanner(row.id, row.name, created, issues)


__all__ = ["MAX_NAME", "ParamError", "SavedScanner", "save_by_name"]
