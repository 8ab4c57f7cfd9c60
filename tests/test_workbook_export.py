"""`billbot export --period KEY --format xlsx`: a summary sheet and a G703 sheet per invoice,
money as numbers that add up (in LibreOffice) to the G702 figures of the PDFs, totals any
reader sees; and, there and in `billbot export INVOICE --format csv`, a line approved as
noted with the contact's amount beside the administrator's and the reason."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import col, select
from typer.testing import CliRunner

from bot.cli import app
from models.db import session_scope
from models.demo import demo_text
from models.importer import import_text
from models.pdf import invoice_document
from models.report import G702_LABELS, LINE_COLUMNS, find_invoice, invoice_report
from models.tables import InvoiceLine, SovLine
from models.workbook_export import APPROVED, G703_COLUMNS, MONEY_FORMAT, NOT_APPROVED
from tests.servers import skip_or_fail

runner = CliRunner()
TOTALS = list(G702_LABELS)


def november(engine: Engine) -> None:
    """The demo project with both commitments billed in November, and a change order each."""
    data = json.loads(demo_text())
    data["change_orders"] = [
        {
            "key": "co7",
            "commitment": "sc7",
            "number": "CO-001",
            "title": "Two more panels",
            "approved_on": "2026-11-03",
            "lines": [{"line": "2", "quantity_change": "2"}],
        },
        {
            "key": "co11",
            "commitment": "sc11",
            "number": "CO-002",
            "title": "Less ductwork, a louver",
            "approved_on": "2026-11-30",
            "lines": [
                {"line": "2", "change": "-1500.00"},
                {"new": {"number": "7", "description": "Louver", "scheduled_value": "2345.67"}},
            ],
        },
    ]
    data["invoices"] += [
        {
            "commitment": "sc7",
            "period": "nov",
            "number": "INV-0042",
            "status": "under_review",
            "lines": [{"line": "1", "new_quantity": "212.5"}, {"line": "2", "total_percent": "40"}],
        },
        {
            "commitment": "sc11",
            "period": "nov",
            "number": "NW-1002",
            "status": "draft",
            "lines": [
                {"line": "2", "total_percent": "55.5"},
                {"line": "3", "new_value": "60000", "retainage_released": "100"},
                {"line": "7", "new_value": "1172.83"},
            ],
        },
    ]
    import_text(engine, text=json.dumps(data))


def reports(engine: Engine) -> dict[str, dict[str, Any]]:
    with session_scope(engine) as session:
        return {
            ref: invoice_report(session, find_invoice(session, ref))
            for ref in ("SC-007/INV-0042", "SC-011/NW-1002")
        }


def export(database_url: str, path: Path, *extra: str) -> Any:
    return runner.invoke(
        app,
        [
            "--database-url",
            database_url,
            "export",
            "--period",
            "nov",
            "--output",
            str(path),
            *extra,
        ],
    )


def test_the_period_workbook_has_a_summary_row_per_commitment_and_a_g703_sheet_per_invoice(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    november(engine)
    path = tmp_path / "nov.xlsx"
    result = export(database_url, path, "--format", "xlsx")
    assert result.exit_code == 0, result.output
    book = load_workbook(path)
    assert book.sheetnames == ["summary", "SC-007 INV-0042", "SC-011 NW-1002"]
    found = reports(engine)

    summary = book["summary"]
    header = [cell.value for cell in summary[4]]
    assert header[:6] == ["Commitment", "Title", "Vendor", "Invoice contacts", "Invoice", "Status"]
    assert header[6:] == list(G702_LABELS.values())
    sc7 = [cell.value for cell in summary[5]]
    assert sc7[:6] == [
        "SC-007",
        "Electrical",
        "Acme Electric",
        "Sam Sparks <sam@acme.test>",
        "INV-0042",
        "under_review",
    ]
    report = found["SC-007/INV-0042"]
    assert [Decimal(str(v)) for v in sc7[6:]] == [Decimal(report["totals"][n]) for n in TOTALS]
    assert summary.cell(row=5, column=7).number_format == MONEY_FORMAT
    assert summary["A7"].value == APPROVED  # neither is approved: nothing certified
    assert [summary.cell(row=7, column=7 + i).value for i in range(9)] == [Decimal(0)] * 9
    assert summary["A8"].value == NOT_APPROVED
    sc11 = found["SC-011/NW-1002"]
    assert [Decimal(str(summary.cell(row=8, column=7 + i).value)) for i in range(9)] == [
        Decimal(report["totals"][n]) + Decimal(sc11["totals"][n]) for n in TOTALS
    ]

    sheet = book["SC-011 NW-1002"]
    lines = found["SC-011/NW-1002"]["lines"]
    rows = [
        [cell.value for cell in row] for row in sheet.iter_rows(min_row=5, max_row=4 + len(lines))
    ]
    assert [row[0] for row in rows] == [line["line"] for line in lines]
    assert [Decimal(str(row[2])) for row in rows] == [
        Decimal(line["scheduled_value"]) for line in lines
    ]
    assert rows[1][10] == "CO-002 -1500.00" and rows[6][10] == "CO-002 2345.67"


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        skip_or_fail("no soffice (Debian: libreoffice-calc-nogui)")
    return found


def as_csv(workbook: Path, out: Path) -> dict[str, list[list[str]]]:
    """Every sheet of the workbook as LibreOffice computes it, by sheet name."""
    options = "44,34,76,1,,0,false,true,false,false,false,-1"  # all sheets, values not as shown
    done = subprocess.run(
        [
            soffice(),
            f"-env:UserInstallation=file://{out / 'profile'}",
            "--headless",
            "--convert-to",
            f"csv:Text - txt - csv (StarCalc):{options}",
            "--outdir",
            str(out),
            str(workbook),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    sheets = {}
    for path in out.glob(f"{workbook.stem}-*.csv"):
        with path.open(encoding="utf-8") as handle:
            sheets[path.stem.removeprefix(f"{workbook.stem}-")] = list(csv.reader(handle))
    return sheets


def test_the_period_workbook_opens_in_libreoffice_with_sums_equal_to_the_g702_figures(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    november(engine)
    path = tmp_path / "nov.xlsx"
    assert export(database_url, path).exit_code == 0  # xlsx from the name
    sheets = as_csv(path, tmp_path)
    assert set(sheets) == {"summary", "SC-007 INV-0042", "SC-011 NW-1002"}
    found = reports(engine)
    summary = sheets["summary"]
    (total,) = [row for row in summary if row[0] == NOT_APPROVED]  # a draft, one under review
    for offset, name in enumerate(TOTALS):
        expected = sum(Decimal(report["totals"][name]) for report in found.values())
        assert Decimal(total[6 + offset]) == expected, name
    for ref, report in found.items():
        with session_scope(engine) as session:
            pdf = invoice_document(session, find_invoice(session, ref))
        assert pdf["totals"] == report["totals"]  # what the PDF prints
        rows = sheets[ref.replace("/", " ")]
        (grand,) = [row for row in rows if row[1] == "Grand total"]
        totals = report["totals"]
        assert Decimal(grand[2]) == Decimal(totals["contract_sum_to_date"])  # C = line 3
        assert Decimal(grand[6]) == Decimal(totals["total_completed_and_stored_to_date"])
        assert Decimal(grand[9]) == Decimal(totals["retainage"])  # I = line 5
        lines = {row[1]: Decimal(row[2]) for row in rows if row[1] in G702_LABELS.values()}
        assert lines == {label: Decimal(totals[n]) for n, label in G702_LABELS.items()}
    assert found["SC-011/NW-1002"]["totals"]["net_change_by_change_orders"] == "845.67"


def test_export_refuses_an_unknown_period_and_mixed_arguments(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    november(engine)
    path = tmp_path / "x.xlsx"
    result = runner.invoke(
        app,
        [
            "--database-url",
            database_url,
            "export",
            "--period",
            "jan",
            "--format",
            "xlsx",
            "--output",
            str(path),
        ],
    )
    assert (
        result.exit_code == 1
        and 'no billing period "jan" (periods: oct, nov, dec)' in result.stderr
    )
    assert not path.exists()
    mixed = runner.invoke(
        app, ["--database-url", database_url, "export", "INV-0042", "--period", "nov"]
    )
    assert mixed.exit_code == 2 and "--period goes with --format xlsx" in mixed.stderr
    bare = runner.invoke(app, ["--database-url", database_url, "export", "--format", "xlsx"])
    assert bare.exit_code == 2 and "give --period KEY" in bare.stderr


def cli(database_url: str, *args: str) -> Any:
    result = runner.invoke(app, ["--database-url", database_url, *args])
    assert result.exit_code == 0, result.output
    return result


def sheet_rows(path: Path, name: str) -> list[list[Any]]:
    """A sheet's cells as a reader that does not calculate sees them (stored values only)."""
    book = load_workbook(path, data_only=True)
    return [list(row) for row in book[name].iter_rows(values_only=True)]


G703_HEADINGS = [heading for heading, _ in G703_COLUMNS]
DIFFERENCE_HEADINGS = [
    "Billed this period (contact)",
    "Approved this period (administrator)",
    "Reasons for difference",
]


def test_an_approval_as_noted_shows_the_contacts_amount_beside_the_administrators_and_why(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    november(engine)  # INV-0042 bills 4 of 10 panels on line 2: $16,800.00
    cli(
        database_url, "review", "SC-007/INV-0042", "--approve-as-noted", "--adjust", "2=$12600",
        "--note", "3 panels set, not 4",
    )  # fmt: skip
    report = reports(engine)["SC-007/INV-0042"]
    assert report["status"] == "approved_as_noted"
    path = tmp_path / "nov.xlsx"
    assert export(database_url, path, "--format", "xlsx").exit_code == 0
    rows = sheet_rows(path, "SC-007 INV-0042")
    header = rows[3]
    assert header[:11] == [
        "Item",
        "Description",
        "C Scheduled value",
        "D From previous application",
        "E This period",
        "F Materials presently stored",
        "G Completed and stored to date",
        "G/C %",
        "H Balance to finish",
        "I Retainage",
        "Change orders",
    ]  # where they always were
    assert header == G703_HEADINGS and header[11:] == DIFFERENCE_HEADINGS
    conduit, panels = rows[4], rows[5]
    assert conduit[11:] == [None, None, None]  # approved as billed: nothing to explain
    assert Decimal(str(panels[4])) == Decimal("12600")  # E is what was approved
    assert [Decimal(str(v)) for v in panels[11:13]] == [Decimal("16800"), Decimal("12600")]
    assert panels[13] == "3 panels set, not 4"
    grand = rows[6]
    assert grand[1] == "Grand total" and grand[11:] == [None, None, None]
    totals = report["totals"]
    assert Decimal(str(grand[2])) == Decimal(totals["contract_sum_to_date"])
    assert Decimal(str(grand[6])) == Decimal(totals["total_completed_and_stored_to_date"])
    assert Decimal(str(grand[9])) == Decimal(totals["retainage"])
    assert Decimal(str(grand[4])) == sum(Decimal(line["new_value"]) for line in report["lines"])

    shown = cli(database_url, "export", "SC-007/INV-0042", "--format", "csv").stdout
    table = list(csv.reader(io.StringIO(shown)))
    assert table[0] == [
        *LINE_COLUMNS,
        "billed_value",
        "approved_value",
        "reason_for_difference",
    ]
    assert table[0][:13] == [
        "line",
        "description",
        "scheduled_value",
        "previous_value",
        "new_quantity",
        "new_value",
        "materials_stored",
        "completed_to_date",
        "total_percent",
        "balance_to_finish",
        "retainage_held",
        "retainage_released",
        "retainage_total",
    ]  # where they always were
    lines = [dict(zip(table[0], row, strict=True)) for row in table[1:4]]
    assert [line["line"] for line in lines] == ["1", "2", ""]
    assert (lines[0]["billed_value"], lines[0]["reason_for_difference"]) == ("", "")
    assert lines[1]["new_value"] == "12600.00" and lines[1]["new_quantity"] == "3"
    assert (
        lines[1]["billed_value"],
        lines[1]["approved_value"],
        lines[1]["reason_for_difference"],
    ) == ("16800.00", "12600.00", "3 panels set, not 4")
    assert lines[2]["description"] == "Totals" and lines[2]["billed_value"] == ""
    assert Decimal(lines[2]["completed_to_date"]) == Decimal(
        totals["total_completed_and_stored_to_date"]
    )
    assert dict(table[table.index(["g702", "amount"]) + 1 :]) == totals


def test_a_returned_line_the_contact_has_changed_is_no_difference_to_explain(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    november(engine)
    cli(database_url, "review", "SC-007/INV-0042", "--reject", "1=only 150 LF pulled")
    with session_scope(engine) as session:  # the contact answers 150 LF, not yet sent
        row, sov = session.exec(
            select(InvoiceLine, SovLine)
            .join(SovLine, col(SovLine.id) == InvoiceLine.sov_line_id)
            .where(SovLine.number == "1", col(InvoiceLine.reviewed_value).is_not(None))
        ).one()
        assert sov.unit_price is not None
        row.new_quantity, row.new_value = Decimal("150"), Decimal("150") * sov.unit_price
        session.add(row)
    report = reports(engine)["SC-007/INV-0042"]
    assert report["lines"][0]["review"] == {"status": "rejected", "reason": "only 150 LF pulled"}
    shown = cli(database_url, "export", "SC-007/INV-0042", "--format", "csv").stdout
    table = list(csv.reader(io.StringIO(shown)))
    conduit = dict(zip(table[0], table[1], strict=True))
    assert conduit["new_value"] == "1875.00" and conduit["billed_value"] == ""
    path = tmp_path / "nov.xlsx"
    assert export(database_url, path, "--format", "xlsx").exit_code == 0
    assert sheet_rows(path, "SC-007 INV-0042")[4][11:] == [None, None, None]


def test_every_total_is_a_stored_value_a_reader_that_does_not_calculate_sees(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    november(engine)
    path = tmp_path / "nov.xlsx"
    assert export(database_url, path, "--format", "xlsx").exit_code == 0
    formulas = [
        f"{sheet.title}!{cell.coordinate}"
        for sheet in load_workbook(path).worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.startswith("="))
    ]
    assert formulas == []
    found = reports(engine)
    summary = sheet_rows(path, "summary")
    (total,) = [row for row in summary if row[0] == NOT_APPROVED]  # a draft, one under review
    for offset, name in enumerate(TOTALS):
        expected = sum(Decimal(report["totals"][name]) for report in found.values())
        assert Decimal(str(total[6 + offset])) == expected, name
    for ref, report in found.items():
        rows = sheet_rows(path, ref.replace("/", " "))
        (grand,) = [row for row in rows if row[1] == "Grand total"]
        lines = rows[4 : 4 + len(report["lines"])]
        for column in (2, 3, 4, 5, 6, 8, 9):  # C D E F G H I
            assert Decimal(str(grand[column])) == sum(Decimal(str(line[column])) for line in lines)
        totals = report["totals"]
        assert Decimal(str(grand[2])) == Decimal(totals["contract_sum_to_date"])
        assert Decimal(str(grand[6])) == Decimal(totals["total_completed_and_stored_to_date"])
        assert Decimal(str(grand[9])) == Decimal(totals["retainage"])
        completed, scheduled = Decimal(str(grand[6])), Decimal(str(grand[2]))
        assert abs(Decimal(str(grand[7])) - completed / scheduled) < Decimal("0.00005")


def test_a_period_alone_is_exported_as_its_workbook(
    database_url: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`billbot export --period nov`: the workbook, to nov.xlsx (it was refused without
    `--format xlsx`)."""
    november(engine)
    monkeypatch.chdir(tmp_path)
    result = cli(database_url, "export", "--period", "nov")
    assert "Wrote nov.xlsx" in result.stderr
    assert "summary" in load_workbook(tmp_path / "nov.xlsx").sheetnames
