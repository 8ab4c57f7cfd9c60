"""The bundled demo data (`models/demo/demo.json`): Harbor Tower with a unit-based and an
amount-based subcontract, October billed and approved, November and December open."""

from __future__ import annotations

import json
from importlib import resources

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.importer import ImportSummary, import_text
from models.tables import Project


def demo_text() -> str:
    return resources.files("models").joinpath("demo", "demo.json").read_text(encoding="utf-8")


def load_demo(engine: Engine) -> ImportSummary:
    """Import the demo data into the (migrated) database; idempotent."""
    return import_text(engine, text=demo_text())


def other_projects(engine: Engine) -> list[str]:
    """The keys of the (migrated) database's projects that are not the demo's: a database
    holding them is someone's real data, which the demo's people and project must not join."""
    demo = {project["key"] for project in json.loads(demo_text())["projects"]}
    with Session(engine) as session:
        keys = session.exec(select(Project.key).order_by(col(Project.key)))
        return [key for key in keys if key not in demo]
