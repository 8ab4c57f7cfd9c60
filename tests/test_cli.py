"""The `billbot` command line, in-process (CliRunner) and as a real subprocess."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.import_helpers import DESIGN_EXAMPLE_TEXT, write_json

runner = CliRunner()


def cli(database_url: str, *args: str) -> Any:
    return runner.invoke(app, ["--database-url", database_url, *args])


@pytest.fixture
def example(database_url: str, tmp_path: Path) -> str:
    """The DESIGN example imported into the test database; returns the database URL."""
    result = cli(database_url, "import", str(write_json(tmp_path / "ex.json", DESIGN_EXAMPLE_TEXT)))
    assert result.exit_code == 0, result.output
    return database_url


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("import", "invoices", "export", "demo", "db"):
        assert command in result.stdout


def test_importing_the_cli_does_not_load_the_database_stack() -> None:
    code = "import sys, bot.cli; print(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'pydantic_settings') if m in sys.modules))"  # noqa: E501
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_db_upgrade(database_url: str) -> None:
    result = cli(database_url, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "up to date" in result.stdout


def test_import_prints_what_changed(database_url: str, tmp_path: Path) -> None:
    path = write_json(tmp_path / "ex.json", DESIGN_EXAMPLE_TEXT)
    first = cli(database_url, "import", str(path))
    assert first.exit_code == 0, first.output
    assert "Imported" in first.stdout
    assert "2 created" in first.stdout
    again = cli(database_url, "import", str(path))
    assert again.exit_code == 0
    assert "nothing changed" in again.stdout


def test_invoices_table(example: str) -> None:
    result = cli(example, "invoices")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "SC-007/INV-0041 · Harbor Tower · period oct · approved" in out
    conduit = next(line for line in out.splitlines() if line.startswith("1 "))
    assert conduit.split() == [
        "1",
        "Conduit",
        "15,000.00",
        "0.00",
        "$12.50",
        "300",
        "3,750.00",
        "3,750.00",
        "25.00",
        "11,250.00",
        "375.00",
    ]
    g702 = [line for line in out.splitlines() if line.startswith("  ") and line[2].isdigit()]
    assert len(g702) == 9
    # Money is right-aligned: every G702 amount ends in the same column.
    assert len({len(line) for line in g702}) == 1
    assert g702[7].split()[-1] == "3,375.00"


def test_invoices_filters(example: str) -> None:
    assert json.loads(cli(example, "invoices", "--json", "--period", "nov").stdout) == []
    approved = cli(example, "invoices", "--json", "--status", "approved", "--commitment", "sc7")
    assert [i["number"] for i in json.loads(approved.stdout)] == ["INV-0041"]
    bad_status = cli(example, "invoices", "--status", "paid")
    assert bad_status.exit_code == 2
    assert "'paid' is not one of" in bad_status.output
    unknown = cli(example, "invoices", "--period", "jan")
    assert unknown.exit_code == 1
    assert 'No billing period with key "jan"' in unknown.stderr


def test_export_json_and_csv(example: str, tmp_path: Path) -> None:
    as_json = cli(example, "export", "SC-007/INV-0041", "--format", "json")
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout)["lines"][0]["new_value"] == "3750.00"

    as_csv = cli(example, "export", "sc7:INV-0041", "--format", "csv")
    assert as_csv.exit_code == 0, as_csv.output
    rows = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert rows[0][0] == "line" and rows[1][:2] == ["1", "Conduit"]

    target = tmp_path / "inv.csv"
    written = cli(example, "export", "INV-0041", "--output", str(target))  # format from suffix
    assert written.exit_code == 0, written.output
    assert target.read_text().startswith("line,description,")


def test_unknown_invoice_is_a_clear_error(example: str) -> None:
    result = cli(example, "export", "INV-9999")
    assert result.exit_code == 1
    assert result.stderr.startswith('billbot: No invoice "INV-9999".')
    assert "Traceback" not in result.output


def test_missing_import_file_is_a_usage_error(database_url: str, tmp_path: Path) -> None:
    result = cli(database_url, "import", str(tmp_path / "nope.json"))
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_bad_database_urls_are_reported_without_a_traceback(tmp_path: Path) -> None:
    bad = runner.invoke(app, ["--database-url", "nosuchdb://x", "invoices"])
    assert bad.exit_code == 2
    assert "cannot use database URL" in bad.stderr
    down = runner.invoke(
        app, ["--database-url", "postgresql+psycopg://nobody@127.0.0.1:1/x", "invoices"]
    )
    assert down.exit_code == 1
    assert down.stderr.startswith("billbot: database error")
    assert "Traceback" not in down.output


def test_demo_runs_the_conversation_on_the_given_database_without_resetting_it(
    database_url: str,
) -> None:
    script = "INV-0042\n1: 50%\n2: 3 units\nnone\nsend\n"
    result = runner.invoke(app, ["--database-url", database_url, "demo"], input=script)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    listed = cli(database_url, "invoices", "--json")
    statuses = {item["number"]: item["status"] for item in json.loads(listed.stdout)}
    assert statuses["INV-0042"] == "under_review"
    assert statuses["INV-0041"] == "approved"


def run_billbot(args: list[str], *, database_url: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "BILLBOT_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "bot.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd, timeout=60)


def test_real_process_imports_and_lists_invoices(database_url: str, tmp_path: Path) -> None:
    path = write_json(tmp_path / "ex.json", DESIGN_EXAMPLE_TEXT)
    imported = run_billbot(["import", str(path)], database_url=database_url, cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    listed = run_billbot(["invoices", "--json"], database_url=database_url, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    (invoice,) = json.loads(listed.stdout)
    assert invoice["lines"][0]["retainage_held"] == "375.00"
    bad = write_json(tmp_path / "bad.json", DESIGN_EXAMPLE_TEXT.replace('"12.50"', '"12,5x"'))
    refused = run_billbot(["import", str(bad)], database_url=database_url, cwd=tmp_path)
    assert refused.returncode == 1
    assert 'lines[0].unit_price: "12,5x" is not an amount' in refused.stderr
    assert "Traceback" not in refused.stderr


def test_installed_script_prints_help(tmp_path: Path) -> None:
    # Its speed is measured by bench/bench_cli.py; a test asserts no wall-clock time.
    script = Path(sys.executable).with_name("billbot")
    assert script.exists(), "billbot is not installed (make install-test)"
    result = subprocess.run([script, "--help"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0
    assert "invoices" in result.stdout
