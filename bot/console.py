"""The console channel: the conversation engine in a terminal (`billbot demo`).

Each input line is one turn (typed at a `> ` prompt on a terminal, or piped in);
`attach PATH` attaches a local file, `quit` leaves. Replies are printed as plain
text with aligned tables.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, col, select

from conversations.plaintext import as_text
from conversations.service import ConversationService, MemoryOutbox, TurnResult
from conversations.types import Turn
from models.attachments import DEFAULT_LIMITS, AttachmentError, store_attachment
from models.people import person_by_key
from models.tables import BillingPeriod, CommitmentContact, Person, Project

PROMPT = "> "
DEFAULT_DEMO_DATABASE = Path("var") / "demo.db"
DEMO_PERSON = "sam"
QUIT = frozenset({"quit", "exit", ":q", "bye"})
ECHO_LIMIT = 120


def run_console(
    engine: Engine,
    *,
    person_key: str | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    attachments_dir: Path = Path("var") / "attachments",
    now: datetime | Callable[[], datetime] | None = None,
    commitment_id: int | None = None,
    period_id: int | None = None,
) -> int:
    """Talk to billbot as `person_key` (default: the first invoice contact); returns exit code."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = _isatty(stdin)
    person = _person(engine, person_key)
    if person is None or person.id is None:
        who = f"person {person_key!r}" if person_key else "invoice contact"
        stdout.write(f"No {who} found in this database.\n")
        return 1
    service = ConversationService(engine, outbox=MemoryOutbox(), clock=_clock(now))
    stdout.write(
        f"billbot console: you are {person.name} <{person.email}>. Type `help` for the "
        "answer forms, `attach PATH` to attach a file, `quit` to leave.\n\n"
    )
    key: tuple[int | None, int | None] = (commitment_id, period_id)
    try:
        result = _turn(service, person.id, Turn(action="start", channel="console"), key, stdout)
        key = _next_key(result, key)
        for line in _lines(stdin, stdout, interactive):
            text = line.strip()
            if not text:
                continue
            if text.casefold() in QUIT:
                break
            if not interactive:
                shown = text if len(text) <= ECHO_LIMIT else text[:ECHO_LIMIT] + "…"
                stdout.write(f"{PROMPT}{shown}\n\n")
            if text.casefold().startswith("attach "):
                turn = _attach(text[len("attach ") :].strip(), attachments_dir, stdout)
                if turn is None:
                    continue
            else:
                turn = Turn(text=line, channel="console")
            result = _turn(service, person.id, turn, key, stdout)
            key = _next_key(result, key)
    except KeyboardInterrupt:
        stdout.write("\nBye. Everything you entered is kept.\n")
        return 130
    stdout.flush()
    return 0


def _turn(
    service: ConversationService,
    person_id: int,
    turn: Turn,
    key: tuple[int | None, int | None],
    stdout: TextIO,
) -> TurnResult | None:
    try:
        result = service.handle(
            person_id=person_id, turn=turn, commitment_id=key[0], period_id=key[1]
        )
    except Exception as exc:  # the console must survive anything; the engine should not raise
        stdout.write(
            f"Sorry, something went wrong on my side ({type(exc).__name__}); "
            "nothing from that message was saved. Please try again.\n\n"
        )
        return None
    for reply in result.replies:
        stdout.write(as_text(reply) + "\n\n")
    stdout.flush()
    return result


def _next_key(
    result: TurnResult | None, key: tuple[int | None, int | None]
) -> tuple[int | None, int | None]:
    """Stay on the invoice the conversation settled on (until `switch`)."""
    if result is not None and result.commitment_id is not None and not result.refused:
        return result.commitment_id, result.period_id
    return key


def _attach(path_text: str, attachments_dir: Path, stdout: TextIO) -> Turn | None:
    path = Path(path_text.strip("'\"")).expanduser()
    try:
        size = path.stat().st_size
        if size > DEFAULT_LIMITS.max_bytes:
            raise AttachmentError(
                f"{path.name} is too large: the limit is "
                f"{DEFAULT_LIMITS.max_bytes // (1024 * 1024)} MB per file."
            )
        ref = store_attachment(
            attachments_dir, filename=path.name, data=path.read_bytes(), source="console"
        )
    except AttachmentError as exc:
        stdout.write(exc.message + "\n\n")
        return None
    except OSError as exc:
        stdout.write(f"I can't read {path_text}: {exc.strerror or exc}.\n\n")
        return None
    return Turn(attachments=(ref,), channel="console")


def _lines(stdin: TextIO, stdout: TextIO, interactive: bool) -> Iterator[str]:
    while True:
        if interactive:
            stdout.write(PROMPT)
            stdout.flush()
        try:
            line = stdin.readline()
        except UnicodeDecodeError:
            stdout.write("I can't read the rest of the input: it is not UTF-8 text.\n")
            return
        if not line:
            if interactive:
                stdout.write("\n")
            return
        yield line.rstrip("\r\n")


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _clock(now: datetime | Callable[[], datetime] | None) -> Callable[[], datetime]:
    if now is None:
        return lambda: datetime.now(UTC)
    if isinstance(now, datetime):
        fixed = now if now.tzinfo else now.replace(tzinfo=UTC)
        return lambda: fixed
    return now


def _person(engine: Engine, key: str | None) -> Person | None:
    with Session(engine) as session:
        if key:
            return person_by_key(session, key)
        statement = (
            select(Person)
            .join(CommitmentContact, col(CommitmentContact.person_id) == Person.id)
            .order_by(col(Person.id))
        )
        return session.exec(statement).first()


# The demo -----------------------------------------------------------------------------------


def run_demo(
    database_url: str | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    reset: bool = True,
    now: datetime | None = None,
    attachments_dir: Path | None = None,
) -> int:
    """The console on the bundled demo project, as its subcontractor contact (Sam).

    The demo database (default `var/demo.db`) is recreated when `reset` (SQLite files
    only) so the demo can be run again from the start. When today falls in no open
    demo period, the demo runs on the billing date of its first open period, so it
    works in any year.
    """
    from models.db import make_engine, upgrade
    from models.demo import load_demo, other_projects

    url = database_url or f"sqlite:///{DEFAULT_DEMO_DATABASE}"
    if reset:
        _remove_sqlite_file(url)
    engine = make_engine(url)
    try:
        upgrade(engine)
        if others := other_projects(engine):
            print(
                f"billbot demo: this database holds your projects ({', '.join(others)}); the "
                "demo would add its own people and project to them. Run `billbot demo` "
                "without --database-url: it has a database of its own.",
                file=sys.stderr,
            )
            return 2
        load_demo(engine)
        clock_now = now or _demo_now(engine, DEMO_PERSON, datetime.now(UTC))
        folder = attachments_dir or _beside_database(url) / "demo-attachments"
        return run_console(
            engine,
            person_key=DEMO_PERSON,
            stdin=stdin,
            stdout=stdout,
            attachments_dir=folder,
            now=clock_now,
        )
    finally:
        engine.dispose()


def _demo_now(engine: Engine, person_key: str, real_now: datetime) -> datetime:
    """Now, if a demo period is open today; else noon on the first open period's billing date."""
    service = ConversationService(engine, outbox=MemoryOutbox(), clock=lambda: real_now)
    with Session(engine) as session:
        person = person_by_key(session, person_key)
        if person is None or person.id is None:
            return real_now
        if service.candidates(person_id=person.id):
            return real_now
        statement = (
            select(BillingPeriod, Project)
            .join(Project, col(Project.id) == BillingPeriod.project_id)
            .order_by(col(BillingPeriod.start))
        )
        for period, project in session.exec(statement):
            local = datetime.combine(period.billing_date, time(12), ZoneInfo(project.timezone))
            moment = local.astimezone(UTC)
            probe = ConversationService(engine, outbox=MemoryOutbox(), clock=_clock(moment))
            if probe.candidates(person_id=person.id):
                return moment
    return real_now


def _remove_sqlite_file(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return
    if parsed.database == ":memory:":
        return
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(parsed.database + suffix).unlink(missing_ok=True)


def _beside_database(url: str) -> Path:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return Path(str(parsed.database)).parent
    return Path("var")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.console", description=run_demo.__doc__)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--keep", action="store_true", help="keep the demo database's state")
    parser.add_argument("--now", default=None, help="the time to run at (ISO 8601)")
    args = parser.parse_args(argv)
    for stream in (sys.stdin, sys.stdout):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")  # a stray byte must not end the demo
    now = datetime.fromisoformat(args.now) if args.now else None
    return run_demo(args.database_url, reset=not args.keep, now=now)


if __name__ == "__main__":
    sys.exit(main())
