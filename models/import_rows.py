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
    found = session.exec(select(model).filter_by(**lookup)).first()
    row, outcome = stage_row(session, found, model, lookup, values)
    if outcome != "unchanged":
        session.flush()
    return row, outcome


def stage_row(
    session: Session,
    found: T | None,
    model: type[T],
    lookup: dict[str, Any],
    values: dict[str, Any],
) -> tuple[T, str]:
    """`write_row` for a row already looked up (`found`, or None), left for the next flush:
    many rows are written with one flush (a 5,000-line SOV in one batch)."""
    if found is None:
        row, outcome = model(**lookup, **values), "created"
    else:
        changed = {k: v for k, v in values.items() if getattr(found, k) != v}
        row, outcome = found, "updated" if changed else "unchanged"
        for name, value in changed.items():
            setattr(row, name, value)
    if outcome != "unchanged":
        session.add(row)
    return row, outcome
