"""The bundled demo data (`models/demo/demo.json`): Harbor Tower with a unit-based and an
amount-based subcontract, October billed and approved, November and December open."""

from __future__ import annotations

from importlib import resources

from sqlalchemy.engine import Engine

from models.importer import ImportSummary, import_text


def demo_text() -> str:
    return resources.files("models").joinpath("demo", "demo.json").read_text(encoding="utf-8")


def load_demo(engine: Engine) -> ImportSummary:
    """Import the demo data into the (migrated) database; idempotent."""
    return import_text(engine, text=demo_text())
