"""Answers typed into the quoted invite's template, on the real servers.

The invite says "reply to this email and fill in the template below"; a contact who clicks
Reply and types after `1:` and `2:` inside the quoted invite must be understood, whatever the
client: Gmail and Apple Mail (`>` quotes and a blockquote), Outlook (the original unmarked
below a header block, and in HTML a `divRplyFwdMsg` history), multipart or HTML only, with or
without a line on top.
"""

from __future__ import annotations

import email.policy
import email.utils
import html
import re
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from imap_tools import MailMessage

from tests.servers.mailserver import MailServer
from tests.test_email_e2e import Site, make_site

pytestmark = pytest.mark.servers

FILLED = {"1": "50%", "2": "2 units"}
WROTE = "On Wed, Nov 25, 2026 at 9:14 AM Summit Billing <billing@summit.test> wrote:"


def fill_text(text: str, answers: dict[str, str]) -> str:
    """The invite's text with the template's `N:` lines filled in, as the contact types."""
    text = text.replace("\r\n", "\n")
    for line, answer in answers.items():
        text = re.sub(rf"(?m)^{line}: *$", f"{line}: {answer}", text)
    return text


def fill_html(body: str, answers: dict[str, str]) -> str:
    body = body.replace("\r\n", "\n")
    for line, answer in answers.items():
        body = re.sub(rf"(?m)^{line}: *(?=$|</pre>)", f"{line}: {html.escape(answer)}", body)
    return body


def quoted(text: str) -> str:
    text = text.replace("\r\n", "\n")
    return "\n".join(f"> {line}".rstrip() for line in text.splitlines())


def outlook_header(site: Site, invite: MailMessage) -> str:
    return (
        f"From: Summit Billing <{site.billing}>\nSent: Wednesday, November 25, 2026 9:14 AM\n"
        f"To: Sam Sparks <{site.sam}>\nSubject: {invite.subject}"
    )


def gmail(site: Site, invite: MailMessage, top: str, answers: dict[str, str]) -> Parts:
    text = f"{top}\n\n{WROTE}\n{quoted(fill_text(invite.text, answers))}\n"
    body = (
        f'<div dir="ltr">{html.escape(top)}</div><br><div class="gmail_quote">'
        f'<div dir="ltr" class="gmail_attr">{html.escape(WROTE)}<br></div>'
        '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex">'
        f"{fill_html(invite.html, answers)}</blockquote></div>"
    )
    return text, body


def apple(site: Site, invite: MailMessage, top: str, answers: dict[str, str]) -> Parts:
    attribution = "On Nov 25, 2026, at 9:14 AM, Summit Billing <billing@summit.test> wrote:"
    text = f"{top}\n\n> {attribution}\n> \n{quoted(fill_text(invite.text, answers))}\n"
    body = (
        f'<html><body><div>{html.escape(top)}</div><div><br><blockquote type="cite">'
        f"<div>{html.escape(attribution)}</div><br>{fill_html(invite.html, answers)}"
        "</blockquote></div></body></html>"
    )
    return text, body


def outlook(site: Site, invite: MailMessage, top: str, answers: dict[str, str]) -> Parts:
    header = outlook_header(site, invite)
    text = f"{top}\n\n________________________________\n{header}\n\n"
    text += fill_text(invite.text, answers)
    body = (
        f"<html><body><div>{html.escape(top)}</div><hr>"
        f'<div id="divRplyFwdMsg" dir="ltr">{html.escape(header).replace(chr(10), "<br>")}'
        f"</div><div>{fill_html(invite.html, answers)}</div></body></html>"
    )
    return text, body


Parts = tuple[str, str]
Client = Callable[[Site, MailMessage, str, dict[str, str]], Parts]


def reply(site: Site, invite: MailMessage, parts: Parts, *, html_only: bool) -> EmailMessage:
    """The reply as the client sends it: threaded, To the Reply-To, multipart or HTML only."""
    head = invite.obj
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = f"Sam Sparks <{site.sam}>"
    message["To"] = email.utils.parseaddr(str(head["Reply-To"]))[1]
    message["Subject"] = f"Re: {invite.subject}"
    message["Message-ID"] = email.utils.make_msgid(domain="acme.test")
    message["In-Reply-To"] = str(head["Message-ID"])
    message["References"] = str(head["Message-ID"])
    text, body = parts
    if html_only:
        message.set_content(body, subtype="html")
    else:
        message.set_content(text)
        message.add_alternative(body, subtype="html")
    return message


@pytest.fixture
def site(mail_servers: MailServer, tmp_path: Path) -> Site:
    return make_site(mail_servers, tmp_path)


def invited(site: Site) -> MailMessage:
    site.cli("invite", "--period", "nov")
    site.cli("run", "--once")
    [invite] = site.inbox(site.sam)
    return invite


def answered(site: Site, count: int) -> MailMessage:
    site.cli("run", "--once")
    return site.inbox(site.sam, count)[-1]


CASES = [
    ("gmail", gmail, False),
    ("gmail-html", gmail, True),
    ("apple", apple, False),
    ("apple-html", apple, True),
    ("outlook", outlook, False),
    ("outlook-html", outlook, True),
]


@pytest.mark.parametrize("top", ["Filled in below.", ""])
@pytest.mark.parametrize(("name", "client", "html_only"), CASES, ids=[c[0] for c in CASES])
def test_answers_typed_into_the_quoted_template_are_read(
    site: Site, name: str, client: Client, html_only: bool, top: str
) -> None:
    invite = invited(site)
    site.server.send(reply(site, invite, client(site, invite, top, FILLED), html_only=html_only))

    answer = answered(site, 2)
    assert "I read your answers from the template" in answer.text, answer.text
    assert "couldn't read" not in answer.text and "Filled in below" not in answer.text
    assert "line 1 (Conduit): 300 LF this period ($3,750.00)" in answer.text, answer.text
    assert "line 2 (Panels): 2 EA this period ($8,400.00)" in answer.text, answer.text
    # The suggested number stood in the template as we wrote it: asked, not assumed.
    assert "INV-0042" in answer.text and "invoice number" in answer.text.lower()

    site.server.send(reply(site, answer, (f"ok\n\n{quoted(answer.text)}", ""), html_only=False))
    asked = answered(site, 3)
    assert "Any backup to attach" in asked.text, asked.text
    site.server.send(reply(site, asked, (f"none\n\n{quoted(asked.text)}", ""), html_only=False))
    review = answered(site, 4)
    assert "$10,935.00" in review.text, review.text
    assert site.invoices()[-1]["status"] == "draft"


def test_an_edit_to_the_sov_table_in_the_quote_is_not_an_answer(site: Site) -> None:
    invite = invited(site)
    edited = invite.text.replace("Conduit", "Conduit 50%", 1)
    text = f"{WROTE}\n{quoted(edited)}\n"
    site.server.send(reply(site, invite, (text, ""), html_only=False))

    answer = answered(site, 2)
    assert "I read your answers" not in answer.text
    assert "50%" not in answer.text.split("Line 1")[0]  # nothing taken from the table
    assert "What is your invoice number?" in answer.text, answer.text
    assert site.invoices()[-1]["number"] == "INV-0041"  # no November invoice yet


def test_answers_on_top_win_over_a_filled_template_and_the_reply_says_so(site: Site) -> None:
    invite = invited(site)
    text, body = gmail(site, invite, "INV-0042\n1: 25%\n2: skip", FILLED)
    site.server.send(reply(site, invite, (text, body), html_only=False))

    answer = answered(site, 2)
    assert "You also filled in the template in the quoted email below (1: 50%; 2: 2 units)" in (
        " ".join(answer.text.split())
    ), answer.text
    assert "line 1 (Conduit): nothing this period" in answer.text, answer.text
    assert "line 2 (Panels): nothing this period" in answer.text


def test_a_pleasantry_and_an_attachment_acknowledge_the_file_and_ask_what_is_missing(
    site: Site,
) -> None:
    invite = invited(site)
    top = f"Please find our pay app attached.\n\n{WROTE}\n{quoted(invite.text)}\n"
    message = reply(site, invite, (top, ""), html_only=False)
    message.add_attachment(
        b"%PDF-1.4\n%%EOF\n", maintype="application", subtype="pdf", filename="payapp.pdf"
    )
    site.server.send(message)

    answer = answered(site, 2)
    assert "couldn't read" not in answer.text and "found no answer" not in answer.text
    assert "payapp.pdf" in answer.text, answer.text
    assert "What is your invoice number?" in answer.text


def test_unit_prices_keep_their_own_precision_everywhere_they_are_shown(
    mail_servers: MailServer, tmp_path: Path
) -> None:
    def four_decimals(data: dict[str, Any]) -> None:
        data["commitments"][0]["lines"][1]["unit_price"] = "212.3375"

    site = make_site(mail_servers, tmp_path, edit=four_decimals)
    invite = invited(site)
    assert "$212.3375" in invite.text and "$212.3375" in invite.html
    assert "$212.34" not in invite.text

    site.server.send(reply(site, invite, ("INV-0042\n1: skip\n2: 5 EA", ""), html_only=False))
    review = answered(site, 2)
    assert "5 EA @ $212.3375" in review.text, review.text  # the review's lines table
    assert "$1,061.69" in review.text  # 5 x 212.3375 = 1,061.6875: rounded to cents once
    site.server.send(reply(site, review, ("edit 2", ""), html_only=False))
    prompt = answered(site, 3)
    assert "8 EA × $212.3375 = $1,698.70" in prompt.text, prompt.text  # the line prompt
    [november] = [i for i in site.invoices() if i["number"] == "INV-0042"]
    assert november["lines"][1]["unit_price"] == "212.3375"
    assert "$212.3375" in site.cli("invoices").stdout
    pdf = tmp_path / "inv.pdf"
    site.cli("export", "SC-007/INV-0042", "--format", "pdf", "--output", str(pdf))
    from pypdf import PdfReader

    assert "$212.3375" in "".join(page.extract_text() for page in PdfReader(pdf).pages)


def test_the_template_copied_above_the_quote_and_filled_in_gets_a_review_not_a_send(
    site: Site,
) -> None:
    """The template carries no `send` of ours: copying it to the top (as phones and Outlook
    users do) and filling it in answers the lines; sending stays the contact's word."""
    invite = invited(site)
    template = invite.text.replace("\r\n", "\n").split("---- answer template ----")[1].strip()
    top = fill_text(template, FILLED)
    site.server.send(reply(site, invite, gmail(site, invite, top, {}), html_only=False))

    answer = answered(site, 2)
    said = " ".join(answer.text.split())
    assert "line 2 (Panels): 2 EA this period ($8,400.00)" in said, answer.text
    assert "sent for review" not in said.lower(), answer.text
    assert "`send`" in said, answer.text  # the review asks for the word
