"""Hostile mail: a thousand mutated MIME messages through the mail intake.

Each message comes from the corpus (`tests/mail_corpus`), most of them re-addressed so they
reach the conversation (From the invited contact, To the invitation's reply address), then
mutated: truncated, bytes flipped, headers dropped or repeated, boundaries broken, bogus
charsets and transfer encodings, huge headers, deeply nested multiparts, attachments named
`../../etc/passwd` or holding NUL bytes, invalid base64. None may raise; each must end in a
reply or a recorded rejection, the invoice must stay sound, and no file may be written
outside the attachments directory.
"""

from __future__ import annotations

import base64
import os
import random
import re
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from bot.settings import Settings
from mail.compose import build_message
from mail.config import MailSettings, secret_bytes
from mail.intake import Intake
from mail.tokens import make_token, reply_address
from models.db import session_scope
from models.invitation import get_or_create_invitation
from models.outbox import InboundMessage, OutboundMessage
from tests.test_conversation_service import NOW, Ids, seed
from tests.test_hostile_input import check_invoice, reopen_if_sent

CORPUS = Path(__file__).with_name("mail_corpus")
SEED = 7_20261125
MESSAGES = {"sqlite": 1_000, "postgresql": 300}  # PostgreSQL also checks lengths and NULs
CHECK_EVERY = 25
SAM = "sam@acme.test"
OUTCOMES = {"processed", "duplicate", "ignored", "refused", "rejected", "failed"}


def corpus() -> list[bytes]:
    return [path.read_bytes() for path in sorted(CORPUS.glob("*.eml"))]


def set_header(raw: bytes, name: str, value: str) -> bytes:
    head, sep, body = raw.partition(b"\r\n\r\n" if b"\r\n\r\n" in raw[:8192] else b"\n\n")
    pattern = re.compile(rb"^" + name.encode() + rb":.*(?:\r?\n[ \t].*)*\r?\n?", re.I | re.M)
    head = pattern.sub(b"", head).rstrip(b"\r\n")
    return f"{name}: {value}\n".encode() + head + (sep or b"\n\n") + body


def boundary_of(raw: bytes) -> bytes | None:
    found = re.search(rb'boundary="?([^";\r\n]+)"?', raw, re.I)
    return found.group(1) if found else None


def nested(depth: int, leaf: bytes) -> bytes:
    body = leaf
    for level in range(depth):
        b = f"nest{level}".encode()
        body = (
            b"Content-Type: multipart/mixed; boundary="
            + b
            + b"\n\n--"
            + b
            + b"\n"
            + body
            + b"\n--"
            + b
            + b"--\n"
        )
    return body


def attachment(name: str, payload: bytes, *, encoding: str = "base64", charset: str = "") -> bytes:
    data = base64.encodebytes(payload) if encoding == "base64" else payload
    return (
        f'Content-Type: application/pdf; name="{name}"{charset}\n'
        f'Content-Disposition: attachment; filename="{name}"\n'
        f"Content-Transfer-Encoding: {encoding}\n\n"
    ).encode("utf-8", "surrogateescape") + data


TRAVERSAL = [
    "../../etc/passwd",
    "..\\..\\windows\\system32\\config",
    "/etc/passwd",
    "a/../../../x.pdf",
    "\x00evil.pdf",
    "evil.pdf\x00.exe",
    "....//....//etc/shadow",
    "%2e%2e%2fetc%2fpasswd",
    "=?utf-8?b?Li4vLi4vZXRjL3Bhc3N3ZA==?=",
    "CON",
    "nul.pdf",
    "." * 300,
    "x" * 5000 + ".pdf",
    "~/.ssh/authorized_keys",
    "",
    " ",
    "\u202etxt.exe.pdf",
]


def with_attachment(raw: bytes, rnd: random.Random) -> bytes:
    name = rnd.choice(TRAVERSAL)
    payload = rnd.choice([b"%PDF-1.4\n" + b"\x00" * 100, b"\x00" * 10, b"hello", b""])
    part = attachment(name, payload)
    if rnd.random() < 0.3:
        part = attachment(name, b"", encoding="base64")[:-1] + b"!!!not*base64===\n\x00\x00"
    head, _, body = raw.partition(b"\n\n")
    head = re.sub(rb"(?im)^content-type:.*(\r?\n[ \t].*)*\r?\n?", b"", head)
    head = re.sub(rb"(?im)^content-transfer-encoding:.*\r?\n?", b"", head)
    return (
        head.rstrip(b"\r\n")
        + b"\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=XX\n\n"
        b"--XX\nContent-Type: text/plain; charset=utf-8\n\n1: 50%\n"
        + body[:2000]
        + b"\n--XX\n"
        + part
        + b"\n--XX--\n"
    )


def mutate(raw: bytes, rnd: random.Random) -> tuple[str, bytes]:
    """One mutation of `raw`, named for the report."""
    kind = rnd.choice(MUTATIONS)
    if kind == "truncate":
        return kind, raw[: rnd.randrange(0, max(len(raw), 1))]
    if kind == "flip_bytes":
        data = bytearray(raw)
        for _ in range(rnd.randrange(1, 40)):
            if data:
                data[rnd.randrange(len(data))] = rnd.randrange(256)
        return kind, bytes(data)
    if kind == "drop_header":
        name = rnd.choice(["From", "Message-ID", "Content-Type", "MIME-Version", "To", "Subject"])
        return kind, re.sub(rb"(?im)^" + name.encode() + rb":.*(\r?\n[ \t].*)*\r?\n", b"", raw)
    if kind == "duplicate_headers":
        head, sep, body = raw.partition(b"\n\n")
        lines = head.split(b"\n")
        extra = [rnd.choice(lines) for _ in range(rnd.randrange(1, 6))]
        return kind, b"\n".join(lines + extra) + sep + body
    if kind == "break_boundary":
        b = boundary_of(raw)
        if b is None:
            return kind, raw.replace(b"\n\n", b"\n--\n\n", 1)
        return kind, raw.replace(b"--" + b + b"--", b"--" + b[:-1]).replace(b, b[::-1], 1)
    if kind == "bogus_charset":
        charset = rnd.choice(["x-unknown", "utf-7", "utf-32", "", '"', "utf-8\x00", "ebcdic-cp-be"])
        return kind, re.sub(rb"(?i)charset=\"?[^\";\s]*\"?", f"charset={charset}".encode(), raw)
    if kind == "bogus_encoding":
        encoding = rnd.choice(["base64", "quoted-printable", "x-uuencode", "8bit", "bogus", "7bit"])
        replaced = re.sub(
            rb"(?i)content-transfer-encoding:\s*\S+",
            f"Content-Transfer-Encoding: {encoding}".encode(),
            raw,
        )
        return kind, replaced if replaced != raw else set_header(
            raw, "Content-Transfer-Encoding", encoding
        )
    if kind == "huge_header":
        name = rnd.choice(["Subject", "References", "From", "To", "X-Junk", "In-Reply-To"])
        value = rnd.choice(["a", "<x@y> ", "=?utf-8?q?=E2=82=AC?= ", "\u00e9", "b@c.d, "])
        return kind, set_header(raw, name, value * rnd.randrange(2_000, 40_000))
    if kind == "nested_multipart":
        leaf = b"Content-Type: text/plain\n\n1: 50%\n"
        body = nested(rnd.choice([5, 50, 200]), leaf)
        head, _, _ = raw.partition(b"\n\n")
        head = re.sub(rb"(?im)^content-type:.*(\r?\n[ \t].*)*\r?\n?", b"", head)
        return kind, head.rstrip(b"\r\n") + b"\nMIME-Version: 1.0\n" + body
    if kind == "attachment":
        return kind, with_attachment(raw, rnd)
    if kind == "nul_bytes":
        data = bytearray(raw)
        for _ in range(rnd.randrange(1, 10)):
            data.insert(rnd.randrange(len(data) + 1), 0)
        return kind, bytes(data)
    if kind == "invalid_base64":
        return kind, set_header(raw, "Content-Transfer-Encoding", "base64").replace(
            b"\n\n", b"\n\n====*&^%$#@!\x00\xff", 1
        )
    if kind == "encoded_words":
        word = rnd.choice(
            ["=?bogus?q?x?=", "=?utf-8?b?####?=", "=?utf-8?q?=FF=FE?=", "=?utf-8?x?y?=", "=?"]
        )
        return kind, set_header(raw, rnd.choice(["Subject", "From"]), f"{word} <{SAM}>")
    if kind == "line_endings":
        return kind, raw.replace(b"\n", rnd.choice([b"\r", b"\r\r\n", b"\n\r"]))
    return kind, raw  # "as_is": the corpus message itself


MUTATIONS = [
    "truncate",
    "flip_bytes",
    "drop_header",
    "duplicate_headers",
    "break_boundary",
    "bogus_charset",
    "bogus_encoding",
    "huge_header",
    "nested_multipart",
    "attachment",
    "nul_bytes",
    "invalid_base64",
    "encoded_words",
    "line_endings",
    "as_is",
]


def files_under(root: Path) -> set[Path]:
    return {Path(d, f) for d, _, names in os.walk(root) for f in names}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    mail = MailSettings(
        address="billing@summit.test",
        display_name="Summit Billing",
        imap_host="127.0.0.1",
        smtp_host="127.0.0.1",
        secret=SecretStr("hostile-mail-secret"),
    )
    return Settings(
        database_url="sqlite://",
        attachments_dir=tmp_path / "deep" / "er" / "attachments",
        mail=mail,
    )


def invitation_address(engine: Engine, ids: Ids, settings: Settings) -> str:
    with session_scope(engine) as session:
        invitation, _ = get_or_create_invitation(
            session,
            commitment_id=ids.sc7,
            period_id=ids.nov,
            person_id=ids.sam,
            expires_at=NOW + timedelta(days=30),
        )
        assert invitation.id is not None
        token = make_token(secret_bytes(settings.mail), invitation.id)
    assert settings.mail.address
    return reply_address(settings.mail.address, token)


def count(engine: Engine, model: type[InboundMessage] | type[OutboundMessage]) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def test_mutated_mime_messages_never_break_the_intake(
    engine: Engine, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path / ".")
    with session_scope(engine) as session:
        ids = seed(session)
    to = invitation_address(engine, ids, settings)
    intake = Intake(engine, settings, clock=lambda: NOW)
    before = files_under(tmp_path)
    originals = corpus()
    rnd = random.Random(SEED)
    outcomes: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    messages = MESSAGES[engine.dialect.name]
    for n in range(messages):
        raw = rnd.choice(originals)
        if rnd.random() < 0.7:  # most reach the conversation: from Sam, to his reply address
            raw = set_header(set_header(raw, "From", f"Sam Sparks <{SAM}>"), "To", to)
            raw = re.sub(
                rb"(?im)^(auto-submitted|precedence|list-id|x-autoreply):.*\r?\n", b"", raw
            )
        raw = set_header(raw, "Message-ID", f"<hostile-{n}@acme.test>")
        kind, raw = mutate(raw, rnd)
        kinds[kind] += 1
        replies_before = count(engine, OutboundMessage)
        try:
            result = intake.process(raw)
        except Exception as exc:  # pragma: no cover - the assertion reports it
            raise AssertionError(f"message {n} ({kind}) raised {exc!r}: {raw[:300]!r}") from exc
        outcomes[result.outcome] += 1
        assert result.outcome in OUTCOMES, result
        with Session(engine) as session:
            record = session.exec(
                select(InboundMessage).where(col(InboundMessage.external_id) == result.external_id)
            ).first()
        assert record is not None and record.outcome, (n, kind, result)
        if result.outcome == "processed":  # answered: a reply is queued
            assert count(engine, OutboundMessage) > replies_before, (n, kind)
        if result.outcome == "failed":  # a bug of ours, answered with an apology
            raise AssertionError(f"message {n} ({kind}) failed: {result.reason}")
        reopen_if_sent(engine, ids.sc7, ids.nov)
        if n % CHECK_EVERY == 0:
            check_invoice(engine, ids.sc7, ids.nov)
    check_invoice(engine, ids.sc7, ids.nov)
    with Session(engine) as session:  # every answer queued can become an email
        for row in session.exec(select(OutboundMessage)):
            build_message(row, settings.mail, settings.attachments_dir).as_bytes()
    with Session(engine) as session:
        reasons = Counter(
            f"{r.outcome}: {(r.reason or '')[:40]}" for r in session.exec(select(InboundMessage))
        )
    attachments = settings.attachments_dir.resolve()
    written = files_under(tmp_path) - before
    outside = [p for p in written if not p.resolve().is_relative_to(attachments)]
    outside = [p for p in outside if not p.name.startswith("billbot.db")]  # SQLite
    stored = [p for p in written if p.resolve().is_relative_to(attachments)]
    print(
        f"mail on {engine.dialect.name}: {messages} mutated messages (seed {SEED}); "
        f"mutations {dict(kinds)}"
    )
    print(
        f"mail on {engine.dialect.name}: outcomes {dict(outcomes)}; "
        f"{len(stored)} attachment files stored"
    )
    print(f"mail on {engine.dialect.name}: recorded reasons {dict(reasons.most_common())}")
    assert not outside, outside
    assert outcomes["processed"] > messages // 5


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Message-ID", "<nul\x00id@acme.test>"),
        ("From", "Sam Sparks <sam@acme.\x00test>"),
        ("Subject", "INV\x00-0042"),
        ("From", "a" * 6000 + "@acme.test"),
    ],
)
def test_nul_bytes_and_overlong_senders_are_recorded_not_raised(
    engine: Engine, settings: Settings, header: str, value: str
) -> None:
    with session_scope(engine) as session:
        ids = seed(session)
    to = invitation_address(engine, ids, settings)
    raw = (CORPUS / "gmail_web_top_posted.eml").read_bytes()
    raw = set_header(set_header(raw, "From", f"Sam Sparks <{SAM}>"), "To", to)
    raw = set_header(raw, header, value)
    result = Intake(engine, settings, clock=lambda: NOW).process(raw)
    print(f"{header} {value[:30]!r}... -> {result.outcome} {result.reason or ''}")
    assert result.outcome in {"processed", "rejected"}
    assert count(engine, InboundMessage) == 1
