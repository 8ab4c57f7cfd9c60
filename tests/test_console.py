"""The console channel: the demo scripted through a real subprocess, and hostile input."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.console import run_console, run_demo
from models.db import make_engine
from models.tables import Attachment, Invoice, InvoiceStatus

ROOT = Path(__file__).resolve().parents[1]
NOW = "2026-11-20T15:00:00+00:00"


def run_demo_process(
    tmp_path: Path, lines: list[str], *extra: str
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    return subprocess.run(
        [sys.executable, "-m", "bot.console", "--database-url", url, "--now", NOW, *extra],
        input="".join(line + "\n" for line in lines),
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )


def invoice_status(tmp_path: Path, number: str) -> InvoiceStatus | None:
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    try:
        with Session(engine) as session:
            invoice = session.exec(select(Invoice).where(Invoice.number == number)).first()
            return InvoiceStatus(invoice.status) if invoice else None
    finally:
        engine.dispose()


def test_the_scripted_demo_ends_with_the_invoice_under_review(tmp_path: Path) -> None:
    done = run_demo_process(tmp_path, ["INV-0042", "1: 50%", "2: 3 units", "none", "send"])
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    out = done.stdout
    assert "you are Sam Sparks" in out and "I suggest INV-0042" in out
    assert "Sent INV-0042 for review on Nov 20, 2026" in out
    assert "8. Current payment due" in out and "$14,715.00" in out
    assert invoice_status(tmp_path, "INV-0042") == InvoiceStatus.under_review


def test_a_loosely_worded_send_sends_from_the_demo(tmp_path: Path) -> None:
    """As a contact on a phone writes it: two sentences, the command in the second."""
    done = run_demo_process(tmp_path, ["INV-0042", "1: 50%", "2: 3 units", "none", "Perfect. Send"])
    assert done.returncode == 0, done.stderr
    assert "Sent INV-0042 for review on Nov 20, 2026" in done.stdout
    assert "couldn't read" not in done.stdout
    assert invoice_status(tmp_path, "INV-0042") == InvoiceStatus.under_review


HOSTILE = [
    ("x" * 100_000, "too long"),
    ("😀🔥💸", "couldn't find a number"),
    ("1e9", "scientific notation"),
    ("NaN", "not a number"),
    ("%%%", "couldn't find a number"),
    ("inf", "not a number"),
    ("\x00\x07\x1b[31m", ""),
    ("' OR 1=1; DROP TABLE invoice; --", ""),
]


def test_hostile_lines_get_a_reprompt_never_a_traceback(tmp_path: Path) -> None:
    lines = ["INV-0042", *(text for text, _ in HOSTILE), "٤٥٪", "-0", "send"]
    done = run_demo_process(tmp_path, lines)
    assert done.returncode == 0
    assert "Traceback" not in done.stdout + done.stderr
    assert "went wrong" not in done.stdout
    turns = done.stdout.split("\n> ")[1:]
    assert len(turns) == len(lines)
    for (text, reason), turn in zip(HOSTILE, turns[1:], strict=False):
        assert "nothing was changed" in turn.lower() or "found no answer" in turn, text[:20]
        assert reason.lower() in turn.lower(), (text[:20], turn[:300])
    arabic, minus_zero, send = turns[-3:]
    assert "line 1 (Conduit): 240 LF this period" in arabic  # ٤٥٪ is 45% to date
    assert "line 2 (Panels): nothing this period" in minus_zero
    assert "Sent INV-0042" in send
    assert invoice_status(tmp_path, "INV-0042") == InvoiceStatus.under_review


def test_the_demo_starts_over_unless_kept(tmp_path: Path) -> None:
    first = run_demo_process(tmp_path, ["INV-0042", "1: 50%"])
    assert first.returncode == 0
    kept = run_demo_process(tmp_path, ["status"], "--keep")
    assert "Lines answered: 1 of 2" in kept.stdout
    again = run_demo_process(tmp_path, ["status"])
    assert "Lines answered: 0 of 2" in again.stdout and "Hi Sam" in again.stdout


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_run_demo_in_process_with_a_prompt_on_a_terminal(tmp_path: Path) -> None:
    out = io.StringIO()
    code = run_demo(
        f"sqlite:///{tmp_path / 'demo.db'}",
        stdin=Terminal("INV-0042\nquit\n1: 50%\n"),
        stdout=out,
        now=datetime(2026, 11, 20, 15, tzinfo=UTC),
    )
    text = out.getvalue()
    assert code == 0
    assert text.count("> ") == 2  # a prompt before each line read, none echoed
    assert "Got it: invoice number INV-0042" in text and "Conduit): 300 LF" not in text


def test_attach_stores_the_file_and_the_review_lists_it(tmp_path: Path) -> None:
    (tmp_path / "waiver.pdf").write_bytes(b"%PDF-1.4 lien waiver")
    (tmp_path / "setup.exe").write_bytes(b"MZ\x90\x00")
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    script = (
        f"INV-0042\nattach {tmp_path / 'waiver.pdf'}\nattach {tmp_path / 'setup.exe'}\n"
        f"attach {tmp_path / 'missing.pdf'}\n1: 50%\n2: 3\nsend\n"
    )
    out = io.StringIO()
    run_demo(
        url,
        stdin=io.StringIO(script),
        stdout=out,
        now=datetime(2026, 11, 20, 15, tzinfo=UTC),
        attachments_dir=tmp_path / "files",
    )
    text = out.getvalue()
    assert "attached waiver.pdf (20 bytes)" in text
    assert "setup.exe looks like a program" in text
    assert "I can't read" in text and "missing.pdf" in text
    assert "Attachments: waiver.pdf (20 bytes)" in text
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            (row,) = session.exec(select(Attachment)).all()
        stored = tmp_path / "files" / row.sha256[:2] / row.sha256
        assert stored.read_bytes() == b"%PDF-1.4 lien waiver"
        assert row.source == "console"
    finally:
        engine.dispose()


def test_an_unknown_person_is_a_clear_message(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        from models.db import upgrade

        upgrade(engine)
        out = io.StringIO()
        assert run_console(engine, person_key="nobody", stdin=io.StringIO(""), stdout=out) == 1
        assert "No person 'nobody' found" in out.getvalue()
    finally:
        engine.dispose()


@pytest.mark.parametrize("line", ["", "   ", "\t"])
def test_blank_lines_are_ignored(tmp_path: Path, line: str) -> None:
    out = io.StringIO()
    run_demo(
        f"sqlite:///{tmp_path / 'demo.db'}",
        stdin=io.StringIO(f"{line}\n"),
        stdout=out,
        now=datetime(2026, 11, 20, 15, tzinfo=UTC),
    )
    assert "\n> " not in out.getvalue()


def test_the_demo_does_not_join_a_database_holding_real_projects(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`billbot --database-url <your database> demo` added Harbor Tower, Jane, Sam and Maria
    (with `@….test` emails) beside the general contractor's own projects."""
    from models.db import upgrade
    from models.importer import import_text
    from models.tables import Person
    from tests.reminder_data import three_contacts_text

    url = f"sqlite:///{tmp_path / 'real.db'}"
    engine = make_engine(url)
    upgrade(engine)
    import_text(engine, text=three_contacts_text().replace('"tower"', '"westside"'))
    with Session(engine) as session:
        before = len(session.exec(select(Person)).all())

    code = run_demo(url, stdin=io.StringIO("INV-0042\n"), stdout=io.StringIO(), reset=False)

    assert code == 2
    assert "this database holds your projects" in capsys.readouterr().err
    with Session(engine) as session:
        assert len(session.exec(select(Person)).all()) == before
    engine.dispose()
