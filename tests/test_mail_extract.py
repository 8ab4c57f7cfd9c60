"""Reply extraction and auto-reply detection over a corpus of real-looking client mail.

Each `tests/mail_corpus/X.eml` has beside it either `X.expected.txt` (the exact text
`extract_reply` must return; the file's final newline is not part of it) or
`X.expected.json` (`{"classify": "<reason>"}` for mail that must not be answered).
"""

from __future__ import annotations

import email
import email.policy
import json
from email.message import EmailMessage, Message
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mail.autoreply import classify
from mail.extract import InlineAnswer, extract_reply, extract_reply_bytes

CORPUS = Path(__file__).parent / "mail_corpus"
EMLS = sorted(CORPUS.glob("*.eml"))


def _load(path: Path) -> Message:
    return email.message_from_bytes(path.read_bytes())


def _expected_text(path: Path) -> str | None:
    expected = path.with_suffix(".expected.txt")
    return expected.read_text(encoding="utf-8").removesuffix("\n") if expected.exists() else None


def _expected_classify(path: Path) -> str | None:
    expected = path.with_suffix(".expected.json")
    return json.loads(expected.read_text())["classify"] if expected.exists() else None


def test_corpus_is_complete() -> None:
    assert len(EMLS) >= 34
    for path in EMLS:
        assert (_expected_text(path) is None) != (_expected_classify(path) is None), path.name


@pytest.mark.parametrize("path", EMLS, ids=[p.stem for p in EMLS])
def test_corpus_message_is_classified(path: Path) -> None:
    assert classify(_load(path)) == _expected_classify(path)


@pytest.mark.parametrize(
    "path",
    [p for p in EMLS if _expected_text(p) is not None],
    ids=[p.stem for p in EMLS if _expected_text(p) is not None],
)
def test_corpus_reply_text_is_extracted(path: Path) -> None:
    assert extract_reply_bytes(path.read_bytes()).text == _expected_text(path)


def test_modern_policy_messages_are_accepted_too() -> None:
    raw = (CORPUS / "outlook_desktop_cp1252_qp.eml").read_bytes()
    modern = email.message_from_bytes(raw, policy=email.policy.default)

    assert extract_reply(modern).text == extract_reply_bytes(raw).text


@pytest.mark.parametrize(
    ("name", "html_only"),
    [
        ("gmail_html_only", True),
        ("thunderbird_html_moz_cite", True),
        ("outlook_web_html_only", True),
        ("gmail_web_top_posted", False),
        ("outlook_web", False),
    ],
)
def test_html_only_is_reported(name: str, html_only: bool) -> None:
    assert extract_reply(_load(CORPUS / f"{name}.eml")).html_only is html_only


def test_charset_used_is_reported() -> None:
    assert extract_reply(_load(CORPUS / "japanese_iso2022jp.eml")).charset == "iso2022_jp"
    # An iso-8859-1 label is read as windows-1252, as browsers do.
    latin1_label = CORPUS / "roundcube_latin1_label_cp1252_bytes.eml"
    assert extract_reply(_load(latin1_label)).charset == "cp1252"


def test_interleaved_answers_keep_the_quoted_line_they_answer() -> None:
    reply = extract_reply(_load(CORPUS / "gmail_interleaved_bare_answers.eml"))

    assert reply.inline[:3] == (
        InlineAnswer("1     Mobilization               $5,000.00  0%", "50%"),
        InlineAnswer("2     Metal stud framing        $40,000.00  0 of 120 units", "30 units"),
        InlineAnswer("3     Gypsum board              $60,000.00  0%", "skip"),
    )


def test_removed_signature_is_kept_aside() -> None:
    reply = extract_reply(_load(CORPUS / "thunderbird_bottom_posted.eml"))

    assert reply.signature == "--\nSam Lee\nAcme Drywall Inc."
    assert reply.quoted


def _plain(body: str, *, charset: str = "utf-8") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "sam@acme.test"
    message["Subject"] = "Re: invite"
    message.set_content(body, charset=charset)
    return message


@pytest.mark.parametrize(
    "body",
    [
        "1: 50%\n2 - 30 units\n3 skip",
        "all 100%",
        "INV-0042\n- 1: 50%\n- 2: -5%",
        "Best 3 lines:\n1: 50%",
        "Thanks for the invite\n1: 50%",
        "send\n\nThanks\n1: 50%",
        "From: the site office\n1: 50%",
    ],
)
def test_billing_answers_are_never_taken_for_signatures(body: str) -> None:
    assert extract_reply(_plain(body)).text == body


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("send\n\nSent from my iPhone", "send"),
        ("send\n\nThanks,\nSam Lee\nAcme Drywall\nM: 555 0101", "send"),
        ("send\n-- \nSam", "send"),
        ("On Monday we start.\n1: 50%", "On Monday we start.\n1: 50%"),
        ("1: 50%\n\nOn Mon, 25 Mar 2024 at 09:14, Billbot\nwrote:\n\nold text", "1: 50%"),
        ("1: 50%\n\nLe lun. 25 mars 2024 à 09:14, Billbot a écrit :\nold", "1: 50%"),
        ("1: 50%\n\nEl lun, 25 mar 2024 a las 9:14, Billbot escribió:\nold", "1: 50%"),
        # a contact card without a closing word or `--`, as Outlook adds one
        ("1: 50%\n2: 1\n\nMaria Lopez\nAcme Electric\n(555) 123-4567\n123 Main St, Suite 4",
         "1: 50%\n2: 1"),
        ("1: 50%\nMaria Lopez | Project Manager\nAcme Electric Inc.\n"
         "O: 555.123.4567 | M: 555.987.6543\nwww.acme-electric.test", "1: 50%"),
        ("send\nSam Lee\nHouston, TX 77002\nsam@acme.test", "send"),
        ("1: 50%\nSam\n+52 55 1234 5678", "1: 50%"),
        # what answers or asks stops the card
        ("1: 50%\nPanels complete\nMaria\n555-123-4567", "1: 50%\nPanels complete"),
        ("Panels 2\nMaria\n555-123-4567", "Panels 2"),
        ("1: 50%\nplease send it\nMaria\n555-123-4567", "1: 50%\nplease send it"),
        ("1: 50%, call me at 555-123-4567", "1: 50%, call me at 555-123-4567"),
        ("INV-4471\nMaria Lopez\nAcme Electric", "INV-4471\nMaria Lopez\nAcme Electric"),
    ],
)  # fmt: skip
def test_plain_reply_is_stripped(body: str, expected: str) -> None:
    assert extract_reply(_plain(body)).text == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # Answers written right above the attribution, with no blank line between: the
        # attribution is only its own lines, never the answers above it.
        (
            "INV-22\n1: 40%\nOn Mon, Nov 30, 2026 at 9:00 AM Billbot <b@gc.test> wrote:\n> hi",
            "INV-22\n1: 40%",
        ),
        ("Invoice 77\n1 | 50%\n2 | 4 units\nOn x wrote:\n> hi", "Invoice 77\n1 | 50%\n2 | 4 units"),
        ("Please send it\nBillbot <billing@gc.test> wrote:\n> hi", "Please send it"),
        ("Please send it\nBillbot Billing <\nbilling@gc.test> wrote:\n> hi", "Please send it"),
        (
            "Looks right, send\n2026年11月30日(月) 9:00 Billbot <billing@gc.test>:\n> hi",
            "Looks right, send",
        ),
        # Attributions wrapped over two or three lines are still whole.
        (
            "send\nEl lun, 30 nov 2026 a las 9:00, Billbot (<billing@gc.test>)\nescribió:\n> hola",
            "send",
        ),
        (
            "send\nOn Mon, Nov 30, 2026 at 9:00 AM Billbot Billing <\n"
            "billing@gc.test> wrote:\n> hi",
            "send",
        ),
        ("Billbot Billing <\nbilling@gc.test> wrote:\n> hi", ""),
    ],
)
def test_text_right_above_an_attribution_is_kept(body: str, expected: str) -> None:
    assert extract_reply(_plain(body)).text == expected


def test_outlook_history_below_a_rule_needs_one_header_field() -> None:
    body = (
        "1: 60%\n2: 3 units\n\nGet Outlook for Android<https://aka.ms/ghei36>\n"
        "________________________________\nFrom: Billbot <billing@gc.test>\n"
        "Sent: Monday, November 30, 2026 9:00:00 AM\n\nHello Sam"
    )
    assert extract_reply(_plain(body)).text == "1: 60%\n2: 3 units"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Auto-Submitted": "no"}, None),
        ({"Auto-Submitted": "auto-generated"}, "auto-submitted"),
        ({"X-Auto-Response-Suppress": "All"}, None),
        ({"X-Autoreply": "yes"}, "out-of-office"),
        ({"Subject": "Out of Office: Re: invite"}, "out-of-office"),
        ({"Subject": "=?utf-8?q?Automatische_Antwort:_Rechnung?="}, "out-of-office"),
        ({"Precedence": "junk"}, "precedence"),
        ({"List-Unsubscribe": "<mailto:leave@lists.test>"}, "list"),
        ({"Return-Path": "<>"}, "bounce"),
        ({"Return-Path": "<sam@acme.test>"}, None),
        ({"From": "Mail Delivery Subsystem <mailer-daemon@googlemail.com>"}, "bounce"),
        ({"From": "Billbot <billing@example.test>"}, "own-address"),
    ],
)
def test_mail_that_must_not_be_answered_is_recognised(
    headers: dict[str, str], expected: str | None
) -> None:
    message = _plain("1: 50%")
    for name, value in headers.items():
        del message[name]
        message[name] = value

    assert classify(message, own_addresses={"Billing@example.test"}) == expected


def test_read_receipt_is_not_answered() -> None:
    raw = (
        b"From: sam@acme.test\nMIME-Version: 1.0\nContent-Type: multipart/report; "
        b'report-type=disposition-notification; boundary="b"\n\n--b\nContent-Type: text/plain'
        b"\n\nRead.\n--b--\n"
    )

    assert classify(email.message_from_bytes(raw)) == "auto-submitted"


@pytest.mark.parametrize("charset", ["no-such-charset", "base64", "utf-16", ""])
def test_wrong_charset_falls_back_without_raising(charset: str) -> None:
    raw = f'Content-Type: text/plain; charset="{charset}"\n\n1: 50% \xe9t\xc3\xa9\n'.encode(
        "latin-1"
    )

    assert extract_reply_bytes(raw).text.startswith("1: 50%")


def test_garbage_gives_text_without_control_characters() -> None:
    assert extract_reply_bytes(b"").text == ""
    assert "\x00" not in extract_reply_bytes(b"\x00\xff\x1b" * 50).text


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4000))
def test_extract_never_raises_on_arbitrary_bytes(raw: bytes) -> None:
    reply = extract_reply_bytes(raw)
    assert isinstance(reply.text, str)
    classify(email.message_from_bytes(raw))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(EMLS),
    st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255), st.integers(0, 40)), max_size=8),
)
def test_extract_never_raises_on_mutated_corpus_mail(
    path: Path, mutations: list[tuple[float, int, int]]
) -> None:
    raw = bytearray(path.read_bytes())
    for where, byte, cut in mutations:
        at = int(where * len(raw))
        raw[at : at + cut] = bytes([byte])
    reply = extract_reply_bytes(bytes(raw))
    assert isinstance(reply.text, str)
    classify(email.message_from_bytes(bytes(raw)))
