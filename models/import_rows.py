"""Upserting one row of an import by its lookup columns (key, or commitment and number)."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlmodel import Session, SQLModel, select

T = TypeVar("T", bound=SQLModel)


def write_row(
    session: Session, model: type[T], lookup: dict[str, Any], values: dict[str, Any]
) -> tuple[T, str]:
    """The row matching `lookup`, created or updated to hold `values`, and what happened to it:
    "created", "updated" or "unchanged" (an unchanged row is not written)."""
    row = session.exec(select(model).filter_by(**lookup)).first()
    if row is None:
        row = model(**lookup, **values)
        outcome = "created"
    else:
        changed = {k: v for k, v in values.items() if getattr(row, k) != v}
        outcome = "updated" if changed else "unchanged"
        for name, value in changed.items():
            setattr(row, name, value)
    if outcome != "unchanged":
        session.add(row)
        session.flush()
    return row, outcome
