"""Setting billbot up as a new general contractor (round 5): a commitment nobody can review,
`billbot run --once` that failed, mistyped settings, the database of another folder, a review
nobody hears of, an export over the import workbook, database URLs and files billbot does not
read, and a workbook's extra sheets, zero lines and text dates."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import col, select
from typer.testing import CliRunner

import bot.settings
from bot.cli import app
from bot.invite import invite
from bot.settings import Settings, SlackSettings
from mail.config import MailSettings
from mail.sender import DeliveryReport
from mail.worker import PassReport
from models.db import session_scope
from models.import_check import ImportFileError
from models.importer import import_file, import_text, import_workbook
from models.invitation import get_or_create_invitation
from models.outbox import OutboundMessage
from models.tables import BillingPeriod, Commitment, Person
from tests.import_helpers import design_example, dump, with_november, write_json
from tests.test_email_e2e import shifted_example
from tests.test_importer import report_of
from tests.workbook_helpers import edit, fill

runner = CliRunner()

MAIL_ENV = {
    "BILLBOT_MAIL__ADDRESS": "billing@summit.test",
    "BILLBOT_MAIL__IMAP_HOST": "127.0.0.1",
    "BILLBOT_MAIL__IMAP_PORT": "1",  # nothing listens there
    "BILLBOT_MAIL__IMAP_SECURITY": "none",
    "BILLBOT_MAIL__SMTP_HOST": "127.0.0.1",
    "BILLBOT_MAIL__SMTP_PORT": "1",
    "BILLBOT_MAIL__SMTP_SECURITY": "none",
    "BILLBOT_MAIL__SECRET": "s3cret-s3cret-s3cret",
}


def cli(database_url: str, *args: str, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(app, ["--database-url", database_url, *args], env=env)


def said(result: Any) -> str:
    return " ".join(result.output.split())


@pytest.fixture(autouse=True)
def files_in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each test warns afresh of a mistyped setting, and writes no file in the shared `var/`."""
    monkeypatch.setattr(bot.settings, "_told", set(), raising=False)
    monkeypatch.setenv("BILLBOT_ATTACHMENTS_DIR", str(tmp_path / "files"))


# --- 1. a commitment with contacts needs an administrator ------------------------------------


def without_administrator() -> dict[str, Any]:
    data = design_example()
    del data["commitments"][0]["administrator"]
    return data


def test_a_new_commitment_with_contacts_and_no_administrator_is_refused(engine: Engine) -> None:
    before = dump(engine)
    with pytest.raises(ImportFileError) as caught:
        import_text(engine, text=json.dumps(without_administrator()))
    assert [str(problem) for problem in caught.value.problems] == [
        'commitments[0] (key "sc7").administrator: SC-007 has invoice contacts (sam) and no '
        "administrator: nobody could review the invoices they send, or hear that they sent "
        "one. Give the key of the person who reviews them (the general contractor's invoice "
        "administrator)."
    ]
    assert dump(engine) == before


def test_the_blank_administrator_cell_is_named(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(ImportFileError) as caught:
        import_workbook(engine, path=fill(tmp_path / "p.xlsx", without_administrator()))
    (problem,) = caught.value.problems
    assert problem.location == "commitments!K2"


def forget_the_administrator(engine: Engine) -> None:
    """A commitment imported without an administrator before billbot refused one."""
    with session_scope(engine) as session:
        commitment = session.exec(select(Commitment).where(Commitment.key == "sc7")).one()
        commitment.administrator_id = None
        session.add(commitment)


def test_reviewing_without_an_administrator_says_how_to_give_it_one(
    engine: Engine, database_url: str
) -> None:
    import_text(engine, text=json.dumps(with_november()))
    forget_the_administrator(engine)

    result = cli(database_url, "review", "SC-007/INV-0042", "--approve")
    assert result.exit_code == 1
    assert (
        "SC-007 has no invoice administrator, so nobody can review its invoices: give it one "
        "(its administrator in the commitments sheet or the JSON file, a person's key) and "
        "import the file again"
    ) in said(result)
    assert "say who reviews with --by" not in said(result)  # nobody would do

    by_sam = cli(database_url, "review", "SC-007/INV-0042", "--approve", "--by", "sam")
    assert by_sam.exit_code == 1
    assert "Sam Sparks cannot review it: SC-007 has no invoice administrator" in said(by_sam)

    data = with_november()  # the import that gives it one: then Jane reviews
    import_text(engine, text=json.dumps(data))
    approved = cli(database_url, "review", "SC-007/INV-0042", "--approve")
    assert approved.exit_code == 0, approved.output
    assert report_of(engine, "INV-0042")["status"] == "approved"


def test_the_by_hint_names_who_may_review(engine: Engine, database_url: str) -> None:
    data = with_november()
    other = {**data["commitments"][0], "key": "sc8", "number": "SC-008", "lines": []}
    data["commitments"].append(other)
    import_text(engine, text=json.dumps(data))
    forget_the_administrator(engine)

    result = cli(database_url, "review", "SC-007/INV-0042", "--approve")
    assert result.exit_code == 1
    assert (
        "SC-007 has no invoice administrator: say who reviews with --by (an administrator of "
        "its project: jane)"
    ) in said(result)
    assert (
        cli(database_url, "review", "SC-007/INV-0042", "--approve", "--by", "jane").exit_code == 0
    )


def test_invite_warns_of_a_commitment_nobody_can_review(engine: Engine, tmp_path: Path) -> None:
    data = shifted_example({"sam": "sam@acme.test", "jane": "jane@summit.test"})
    import_file(engine, path=write_json(tmp_path / "ex.json", data))
    forget_the_administrator(engine)
    settings = Settings(database_url="sqlite://", mail=MailSettings(**mail_settings()))
    summary = invite(engine, settings, period_key="nov", now=datetime.now(UTC))
    assert summary.warnings == [
        "SC-007 has no invoice administrator: nobody can review the invoices its contacts "
        "send, or hears that they sent one; give it one (its administrator in the import "
        "file) and import the file again"
    ]


def mail_settings() -> dict[str, Any]:
    return {name.removeprefix("BILLBOT_MAIL__").lower(): value for name, value in MAIL_ENV.items()}


# --- 2. `billbot run --once` that failed exits 1, and says so in words ------------------------


def test_run_once_exits_1_when_the_mailbox_cannot_be_reached(database_url: str) -> None:
    result = cli(database_url, "run", "--once", env=MAIL_ENV)
    assert result.exit_code == 1, result.output
    assert "mail: received 0, sent 0; errors: IMAP connect failed" in said(result)
    assert "PassReport" not in result.output and "None" not in result.output


def test_run_once_exits_1_when_slack_is_not_started(database_url: str) -> None:
    env = {"BILLBOT_SLACK__BOT_TOKEN": "xoxb-1"}  # HTTP mode, without its signing secret
    result = cli(database_url, "run", "--once", env=env)
    assert result.exit_code == 1
    assert "Slack is not started: HTTP mode needs BILLBOT_SLACK__SIGNING_SECRET" in said(result)


def test_an_app_token_alone_says_the_bot_token_is_missing(database_url: str) -> None:
    env = {"BILLBOT_SLACK__APP_TOKEN": "xapp-1-A0-1-abc"}
    result = cli(database_url, "run", "--once", env=env)
    assert result.exit_code == 1
    assert (
        "Slack is not started: BILLBOT_SLACK__BOT_TOKEN (the bot token, xoxb-…) is not set"
        in said(result)
    )
    assert "nothing to run" not in result.output
    refused = cli(database_url, "invite", "--period", "nov", env=env)
    assert "BILLBOT_SLACK__BOT_TOKEN (the bot token, xoxb-…) is not set" in said(refused)


def test_a_pass_is_summed_up_in_words() -> None:
    from bot.runtime import pass_summary

    fine = PassReport(delivery=DeliveryReport(sent=3, retried=1))
    assert pass_summary(fine) == ("received 0, sent 3, 1 to retry later", False)
    failed = PassReport(errors=["IMAP connect failed: refused"])
    assert pass_summary(failed) == (
        "received 0, sent 0; errors: IMAP connect failed: refused",
        True,
    )
    refused = PassReport(delivery=DeliveryReport(postponed=2))
    assert pass_summary(refused)[1] is True
    assert pass_summary(None) == (None, False)
    assert pass_summary(4) == ("sent 4", False)


@pytest.mark.parametrize(
    ("bot", "app_token", "expected"),
    [
        ("xapp-1-A0-1-abc", None, "this is an app-level token (xapp-…), which goes in "),
        ("xoxp-1-2-3", None, "this is a user token (xoxp-…); the bot token starts with xoxb-"),
        ("xoxb-1-2", "xoxb-1-2", "this is a bot token (xoxb-…), which goes in BILLBOT_SLACK__BOT"),
    ],
)
def test_swapped_slack_tokens_are_refused(bot: str, app_token: str | None, expected: str) -> None:
    with pytest.raises(ValidationError) as caught:
        SlackSettings(bot_token=bot, app_token=app_token)
    assert expected in str(caught.value)
    SlackSettings(bot_token="xoxe.xoxb-1-2", app_token="xapp-1-A0-1-abc")  # a rotating token


def test_an_invalid_setting_is_named_by_its_variable_without_its_value(database_url: str) -> None:
    env = {"BILLBOT_SLACK__BOT_TOKEN": "xapp-1-secret-value", "BILLBOT_REMINDER_DAYS": "3,x"}
    result = runner.invoke(app, ["invite", "--period", "nov"], env=env)
    assert result.exit_code == 2
    assert "billbot: invalid setting BILLBOT_SLACK__BOT_TOKEN: this is an app-level" in said(result)
    assert "billbot: invalid setting BILLBOT_REMINDER_DAYS: '3,x': give days" in said(result)
    assert "secret-value" not in result.output and "pydantic" not in result.output


# --- 3. a mistyped setting is said, with the closest name -------------------------------------


def test_a_mistyped_setting_is_said_with_the_closest_name() -> None:
    from bot.settings import unknown_settings

    environ = {
        "BILLBOT_SLACK_BOT_TOKEN": "xoxb-1",
        "BILLBOT_DATABSE_URL": "sqlite://",
        "BILLBOT_MAIL__IMAP_HOST": "imap.test",  # known
        "BILLBOT_MAIL__OAUTH2__CLIENT_ID": "x",  # known (nested twice)
        "BILLBOT_REQUIRE_SERVERS": "1",  # the test suite's own
        "BILLBOT_TEST_POSTGRES_URL": "postgresql://x",
        "BILLBOT_CRASH_SEED": "7",
        "HOME": "/root",
    }
    dotenv = {"MAIL__ADDRESS": "billing@summit.test", "BILLBOT_SLAK__APP_TOKEN": "x", "PG": "1"}
    assert unknown_settings(environ, dotenv) == [
        "BILLBOT_DATABSE_URL is not a billbot setting, and is ignored (did you mean "
        "BILLBOT_DATABASE_URL?)",
        "BILLBOT_SLACK_BOT_TOKEN is not a billbot setting, and is ignored (did you mean "
        "BILLBOT_SLACK__BOT_TOKEN?)",
        "MAIL__ADDRESS (in .env) is not read: billbot's settings start with BILLBOT_ (did you "
        "mean BILLBOT_MAIL__ADDRESS?)",
        "BILLBOT_SLAK__APP_TOKEN (in .env) is not a billbot setting, and is ignored (did you "
        "mean BILLBOT_SLACK__APP_TOKEN?)",
    ]


def test_the_cli_warns_of_a_mistyped_setting_once(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("BILLBOT_MAIL__ADRESS=billing@summit.test\n")
    env = {"BILLBOT_SLACK_BOT_TOKEN": "xoxb-1"}
    result = runner.invoke(app, ["invite", "--period", "nov"], env=env)
    lines = [line for line in result.output.splitlines() if "warning" in line]
    assert lines == [
        "billbot: warning: BILLBOT_SLACK_BOT_TOKEN is not a billbot setting, and is ignored "
        "(did you mean BILLBOT_SLACK__BOT_TOKEN?)",
        "billbot: warning: BILLBOT_MAIL__ADRESS (in .env) is not a billbot setting, and is "
        "ignored (did you mean BILLBOT_MAIL__ADDRESS?)",
    ]


def test_every_setting_the_tests_use_is_known() -> None:
    from bot.settings import known_names, unknown_settings

    names = set(known_names())
    for name in ("BILLBOT_MAIL__OAUTH2__SERVICE_ACCOUNT_FILE", "BILLBOT_SLACK__API_URL"):
        assert name in names
    assert unknown_settings(dict.fromkeys(names, "x"), {}) == []


# --- 4. the database in use is named --------------------------------------------------------


def test_an_unknown_period_lists_the_periods_and_names_the_database(
    engine: Engine, database_url: str
) -> None:
    import_text(engine, text=json.dumps(design_example()))
    result = cli(database_url, "invite", "--period", "dec", env=MAIL_ENV)
    assert result.exit_code == 1
    assert "no billing period with key 'dec' (its periods: oct, nov) (in database" in said(result)
    listed = cli(database_url, "invoices", "--period", "dec")
    assert 'No billing period with key "dec" (its periods: oct, nov) (in database' in said(listed)


def test_a_new_database_file_is_said_with_its_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["--database-url", "sqlite:///var/x.db", "invoices"])
    assert result.exit_code == 0
    path = tmp_path / "var" / "x.db"
    assert (
        f"billbot: created a new database: {path} (var/x.db is under the current folder; to "
        f"use this database from any folder, set BILLBOT_DATABASE_URL=sqlite:///{path})"
    ) in result.stderr
    url = ["--database-url", "sqlite:///var/x.db"]
    again = runner.invoke(app, [*url, "invoices", "--period", "x"])
    assert "created a new database" not in again.output
    assert (
        f'No billing period with key "x" (no billing periods are imported) (in database {path})'
    ) in said(again)
    periods = runner.invoke(app, [*url, "export", "--period", "x"])
    assert f'no billing period "x" (periods: none) (in database {path})' in said(periods)


# --- 5. a review the contact would not hear of ----------------------------------------------


def invited(engine: Engine, **channels: str) -> None:
    """Sam was invited to bill November (by email: email_message_id; on Slack: slack_ts)."""
    with session_scope(engine) as session:
        commitment = session.exec(select(Commitment).where(Commitment.key == "sc7")).one()
        period = session.exec(select(BillingPeriod).where(BillingPeriod.key == "nov")).one()
        sam = session.exec(select(Person).where(Person.key == "sam")).one()
        assert commitment.id and period.id and sam.id
        invitation, _ = get_or_create_invitation(
            session,
            commitment_id=commitment.id,
            period_id=period.id,
            person_id=sam.id,
            expires_at=datetime.now(UTC) + timedelta(days=30),
        )
        for name, value in channels.items():
            setattr(invitation, name, value)
        session.add(invitation)


def test_a_review_is_refused_when_the_contact_invited_by_email_could_not_be_told(
    engine: Engine, database_url: str
) -> None:
    import_text(engine, text=json.dumps(with_november()))
    invited(engine, email_message_id="<invite-1@summit.test>")
    before = dump(engine)
    result = cli(database_url, "review", "SC-007/INV-0042", "--approve")
    assert result.exit_code == 1
    assert (
        "Sam Sparks bills SC-007 by email, and no mailbox is configured here (BILLBOT_MAIL__*), "
        "so they could not be told of this review. Nothing was changed"
    ) in said(result)
    assert dump(engine) == before


def test_a_contact_invited_on_slack_hears_of_it_with_the_next_run_that_has_slack(
    engine: Engine, database_url: str
) -> None:
    import_text(engine, text=json.dumps(with_november()))
    invited(engine, slack_channel="D0SAM", slack_ts="1700000000.000100")
    result = cli(database_url, "review", "SC-007/INV-0042", "--reject", "2=only 1 panel")
    assert result.exit_code == 0, result.output
    assert "Sam Sparks has been told" in said(result)
    assert "the message waits for a `billbot run` with BILLBOT_SLACK__BOT_TOKEN set" in said(result)
    with session_scope(engine) as session:
        rows = session.exec(select(OutboundMessage).where(OutboundMessage.channel == "slack"))
        (row,) = rows.all()
        assert json.loads(row.payload)["thread_ts"] == "1700000000.000100"
        assert "only 1 panel" in row.body_text


def test_a_contact_never_invited_is_said_not_told(engine: Engine, database_url: str) -> None:
    import_text(engine, text=json.dumps(with_november()))
    result = cli(database_url, "review", "SC-007/INV-0042", "--approve")
    assert result.exit_code == 0, result.output
    assert "billbot: Sam Sparks was not told: no mail or Slack channel is configured" in said(
        result
    )


# --- 6. export does not overwrite a file unasked ----------------------------------------------


def test_export_does_not_overwrite_a_file_without_force(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    import_text(engine, text=json.dumps(with_november()))
    for args, name in (
        (("INV-0041", "--format", "csv"), "inv.csv"),
        (("INV-0041", "--format", "pdf"), "inv.pdf"),
        (("--period", "nov"), "project.xlsx"),
    ):
        target = tmp_path / name
        target.write_bytes(b"the user's own file")
        result = cli(database_url, "export", *args, "--output", str(target))
        assert result.exit_code == 2, result.output
        assert f"{target} exists; use --force to overwrite it" in said(result)
        assert target.read_bytes() == b"the user's own file"
        forced = cli(database_url, "export", *args, "--output", str(target), "--force")
        assert forced.exit_code == 0, forced.output
        assert target.read_bytes() != b"the user's own file"


def test_an_invoice_with_format_xlsx_says_what_xlsx_is_for(
    engine: Engine, database_url: str
) -> None:
    import_text(engine, text=json.dumps(design_example()))
    result = cli(database_url, "export", "INV-0041", "--format", "xlsx")
    assert result.exit_code == 2
    assert (
        "--format xlsx exports a whole period: use --period KEY without an invoice, or "
        "--format pdf|csv|json for one invoice"
    ) in said(result)


# --- 7. database URLs and files billbot does not read -----------------------------------------


@pytest.mark.parametrize(
    "url",
    ["mysql://u:pw@db.test/billing", "postgresql+asyncpg://u:pw@db.test/billing", "foo://x"],
)
def test_an_unsupported_database_url_is_one_line(url: str) -> None:
    result = runner.invoke(app, ["--database-url", url, "invoices"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert "billbot runs on SQLite (sqlite:///PATH" in result.output
    assert "postgresql://USER:PASSWORD@HOST/DATABASE" in result.output
    assert ":pw@" not in result.output


def test_a_postgres_url_is_read_as_postgresql() -> None:
    from bot.cli import database_url

    assert database_url("postgres://u:pw@db.test/billing").drivername == "postgresql"
    result = runner.invoke(app, ["--database-url", "sqlite://billbot.db", "invoices"])
    assert result.exit_code == 2
    assert "sqlite:///billbot.db, a path under the current folder" in said(result)


def ods(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    return path


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("project.ods", None, 'is an OpenDocument spreadsheet (.ods): open it in LibreOffice Calc '
         'and save it as .xlsx'),
        ("project.pdf", b"%PDF-1.7\n", "is a .pdf file: billbot imports a workbook (.xlsx"),
        ("backup.db", b"SQLite format 3\x00" + bytes(80), "is a SQLite database (use it with "
         "--database-url sqlite:///PATH)"),
        ("project.yaml", b"companies:\n  - key: gc\n", "is a .yaml file: billbot imports"),
    ],
)  # fmt: skip
def test_a_file_billbot_does_not_read_says_what_it_reads(
    engine: Engine, tmp_path: Path, name: str, content: bytes | None, expected: str
) -> None:
    path = tmp_path / name
    if content is None:
        ods(path)
    else:
        path.write_bytes(content)
    with pytest.raises(ImportFileError) as caught:
        import_file(engine, path=path)
    (problem,) = caught.value.problems
    assert expected in str(problem)
    assert "invalid JSON" not in str(problem)


# --- 8. the workbook ------------------------------------------------------------------------


def refusal(engine: Engine, path: Path) -> list[str]:
    before = dump(engine)
    with pytest.raises(ImportFileError) as caught:
        import_workbook(engine, path=path)
    assert dump(engine) == before
    return [str(problem) for problem in caught.value.problems]


def test_a_visible_sheet_billbot_does_not_read_holding_values_is_refused(
    engine: Engine, tmp_path: Path
) -> None:
    path = fill(tmp_path / "p.xlsx", design_example())
    book = load_workbook(path)
    book.create_sheet("Westside Lofts")["A1"] = "Conduit"
    book.create_sheet("Sheet2")  # empty: nothing to lose
    notes = book.create_sheet("notes")
    notes["A1"], notes.sheet_state = "call Jane", "hidden"  # hidden on purpose
    book.save(path)
    assert refusal(engine, path) == [
        "Westside Lofts: is a sheet billbot does not read, and it holds values: they would not "
        "be imported. Put its rows on the sheets they belong to (companies, people, projects, "
        "commitments, sov_lines, billing_periods, invoices, invoice_lines, change_orders, "
        "change_order_lines), or delete the sheet (or hide it, to keep it as notes)"
    ]
    del book["Westside Lofts"]
    book.save(path)
    assert import_workbook(engine, path=path).changed


def test_a_workbook_with_none_of_the_sheets_is_one_problem(engine: Engine, tmp_path: Path) -> None:
    path = fill(tmp_path / "p.xlsx", design_example())
    book = load_workbook(path)
    for name in list(book.sheetnames)[1:]:
        del book[name]
    book["instructions"].title = "Westside Lofts"
    book.save(path)
    (problem,) = refusal(engine, path)
    assert problem.startswith(
        "(file): none of the workbook's sheets (Westside Lofts) is one billbot imports"
    )


def test_a_line_worth_nothing_is_imported_with_a_warning(engine: Engine) -> None:
    data = design_example()
    data["commitments"][0]["lines"][1]["quantity"] = "0"
    summary = import_text(engine, text=json.dumps(data))
    assert summary.warnings == [
        'commitments[0] (key "sc7").lines[1].quantity: SC-007 line 2 (Panels) has a quantity '
        "of 0: nothing can be billed on it until a change order adds to it. Imported as the "
        "file says; if it is a typo, fix it and import again"
    ]
    assert import_text(engine, text=json.dumps(data)).warnings == []  # said once, when written


def test_text_dates_are_read_in_the_order_the_sheet_settles(engine: Engine, tmp_path: Path) -> None:
    """`10/25/2026` in the sheet says its dates are written month first: `11/01/2026` is
    November 1. A sheet that does not say, or says both, still asks."""
    path = fill(tmp_path / "p.xlsx", design_example())
    edit(path, "billing_periods", {"C2": "10/01/2026", "C3": "11/01/2026"})  # start
    problems = refusal(engine, path)
    assert [problem.split(":")[0] for problem in problems] == [
        "billing_periods!C2",
        "billing_periods!C3",
    ]
    assert 'is "11/01/2026": January 11 or November 1?' in problems[1]

    edit(path, "billing_periods", {"E2": "25/10/2026", "E3": "11/25/2026"})  # both ways
    assert len(refusal(engine, path)) == 2

    edit(path, "billing_periods", {"E2": "10/25/2026"})  # billing_date, month first
    import_workbook(engine, path=path)
    with session_scope(engine) as session:
        periods = session.exec(select(BillingPeriod).order_by(col(BillingPeriod.start))).all()
        assert [(p.key, p.start.isoformat(), p.billing_date.isoformat()) for p in periods] == [
            ("oct", "2026-10-01", "2026-10-25"),
            ("nov", "2026-11-01", "2026-11-25"),
        ]
