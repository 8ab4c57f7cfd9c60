"""What real mail clients put around the answers: files without a name, photos and pasted
screenshots shown in the body, Outlook's comment marks, image placeholders and signatures
without a phone, and the messages a client sends by itself (receipts, recalls, meetings)."""

from __future__ import annotations

from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from mail.autoreply import classify
from mail.extract import extract_reply
from mail.inbound import parse_mail
from mail.template import filled_in, without_initials

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b"x" * 2000
JPEG = b"\xff\xd8\xff\xe0" + b"\x11" * 45_000  # an iPhone photo sent at "Small" size
PNG = b"\x89PNG\r\n\x1a\n" + b"\x22" * 35_000  # a screenshot pasted into Outlook
LOGO = b"\x89PNG\r\n\x1a\n" + b"\x00" * 83_000  # a signature's logo, saved large


# --- Files ------------------------------------------------------------------------------------


def test_a_pdf_sent_without_a_name_is_named_by_its_type() -> None:
    """As scan-to-email copiers send it: `Content-Disposition: attachment`, no file name."""
    message = MIMEMultipart()
    message["From"] = "Sam Sparks <sam@acme.test>"
    message.attach(MIMEText("INV-0042\n1: 50%"))
    scan = MIMEApplication(PDF, "pdf")
    scan.add_header("Content-Disposition", "attachment")
    message.attach(scan)
    unnamed = MIMEApplication(PDF + b"1", "octet-stream")
    unnamed.add_header("Content-Disposition", "attachment")
    message.attach(unnamed)

    found = parse_mail(message.as_bytes()).attachments

    assert [(a.filename, a.content_type) for a in found] == [
        ("attachment.pdf", "application/pdf"),
        ("attachment.pdf", "application/octet-stream"),
    ]


def _shown(html: str, *images: tuple[bytes, str, str]) -> bytes:
    """An HTML reply showing `images` (data, Content-ID, file name) in its body."""
    alternative = MIMEMultipart("alternative")
    alternative.attach(MIMEText("INV-0042\n1: 50%\n2: 3 units\n"))
    alternative.attach(MIMEText(html, "html"))
    related = MIMEMultipart("related")
    related["From"] = "Sam Sparks <sam@acme.test>"
    related.attach(alternative)
    for data, cid, name in images:
        image = MIMEImage(data, "jpeg" if data.startswith(b"\xff\xd8") else "png")
        image.add_header("Content-ID", f"<{cid}>")
        image.add_header("Content-Disposition", "inline", filename=name)
        related.attach(image)
    return related.as_bytes()


@pytest.mark.parametrize(
    ("html", "image", "kept"),
    [
        # iOS Mail: a photo picked at "Small" size, shown at no given size, named `image0.jpeg`
        ('<div>1: 50%</div><div><img src="cid:6C1D-AAAA" alt="image0.jpeg"></div>'
         "<div>Sent from my iPhone</div>",
         (JPEG, "6C1D-AAAA", "image0.jpeg"), True),
        # Outlook: a screenshot pasted into the body, shown large
        ('<p>per the screenshot</p><p><img width=600 height=200 src="cid:image002.png@01DB"></p>'
         "<p>1: 50%</p>",
         (PNG, "image002.png@01DB", "image002.png"), True),
        # Outlook for iOS: a photo shown the phone's width
        ('<div>1: 50%</div><img src="cid:F1A2" style="width:375px">', (JPEG, "F1A2", "image0.jpeg"),
         True),
        # Outlook's signature logo, 83 KB but shown at 1.25 × 0.41 inches
        ('<p>Sam Sparks</p><p><img width=120 height=40 style="width:1.25in;height:.41in" '
         'src="cid:image001.png@01DB" alt="Acme Electric logo"></p>',
         (LOGO, "image001.png@01DB", "image001.png"), False),
        # Outlook numbers every image `image001.png`: a small one at no size is a logo
        ('<p>Sam Sparks</p><img src="cid:image001.png@01DB">',
         (PNG[:3000], "image001.png@01DB", "image001.png"), False),
    ],
)  # fmt: skip
def test_photos_and_screenshots_in_the_body_are_kept_and_logos_left_out(
    html: str, image: tuple[bytes, str, str], kept: bool
) -> None:
    found = parse_mail(_shown(html, image)).attachments

    assert [a.filename for a in found] == ([image[2]] if kept else [])


# --- Outlook's comment marks ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("[Sam Sparks] 50%", "50%"),
        ("[SS] 50%", "50%"),
        ("[Sparks, Sam] 3 units", "3 units"),
        ("[Sam] skip", "skip"),
        ("[José Núñez] 3 unidades", "3 unidades"),
        ("[x] 50%", "[x] 50%"),  # not a name
        ("50% [SS]", "50% [SS]"),
    ],
)
def test_the_name_outlook_puts_before_a_comment_is_not_part_of_the_answer(
    typed: str, answer: str
) -> None:
    assert without_initials(typed) == answer


def test_answers_marked_with_the_writers_name_in_the_template_are_read() -> None:
    template = "Invoice number: INV-0042\n1: \n2: \nsend"
    body = "See my answers inline.\n\nInvoice number: INV-0042\n1: [Sam Sparks] 50%\n2:\n"
    body += "[Sam Sparks] 3 units\nsend"

    assert filled_in(body, template) == ("1: 50%", "2: 3 units")


# --- Image placeholders and signatures without a phone ----------------------------------------


def _reply(text: str, *, html: str | None = None, sender: str = "Sam Sparks <sam@acme.test>"):
    message = EmailMessage()
    message["From"] = sender
    message["Subject"] = "RE: invite"
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


ANSWERS = "INV-0042\n1: 50%\n2: 3 units\nsend"
OUTLOOK_LOGO = '<img width=120 height=40 src="cid:image001.png@01DB" alt="Acme Electric logo">'


@pytest.mark.parametrize(
    "signature",
    [
        "Sam\n[Acme Electric logo]",
        "Sam Sparks | Project Manager\n[Acme Electric logo]",
        "Sam\n[image: Acme Electric logo]",
        "Sam Sparks\nAcme Electric\n[image: Acme Electric]\n[image: Facebook] "
        "<https://facebook.com/acme>  [image: LinkedIn] <https://linkedin.com/company/acme>",
        "Sam\n[A picture containing text, clipart  Description automatically generated]",
        "Sam Sparks\nProject Manager | Acme Electric\n[Logotipo  Descripción generada "
        "automáticamente]",
        "Sam",
        "Sam Sparks | Project Manager",
        "Sam Sparks\nProject Manager\nAcme Electric",
        "Sam Sparks, PMP\nSenior Project Manager\nAcme Electric, Inc.\nNECA Member Since 1985\n"
        "TECL #31245 | Master Electrician ME-4412\n[cid:image001.png@01DB]\n713.555.0101",
        "Regards,\nSam\nAcme Electric Inc. - Vendor # 10042 - Job # 2291",
    ],
)
def test_a_signature_without_a_phone_and_image_placeholders_hold_back_no_send(
    signature: str,
) -> None:
    html = f"<p>{ANSWERS}</p><p>{OUTLOOK_LOGO}</p>"

    assert extract_reply(_reply(f"{ANSWERS}\n\n{signature}", html=html)).text == ANSWERS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # an image's place between the answers
        ("INV-0042 - per the screenshot\n[cid:image002.png@01DB3D6F]\n1: 50%",
         "INV-0042 - per the screenshot\n1: 50%"),
        # below the sender's name, only names and titles make a signature
        (f"{ANSWERS}\n\nSam\nhold off until Friday", f"{ANSWERS}\n\nSam\nhold off until Friday"),
        (f"{ANSWERS}\n\nSam\nHold Off", f"{ANSWERS}\n\nSam\nHold Off"),
        (f"{ANSWERS}\n\nSam - please wait", f"{ANSWERS}\n\nSam - please wait"),
        (f"{ANSWERS}\n\nSam\n3: 20 units", f"{ANSWERS}\n\nSam\n3: 20 units"),
        # someone else's name, or the name right below the answers, is not a signature
        (f"{ANSWERS}\n\nPat Lee\nAcme Electric", f"{ANSWERS}\n\nPat Lee\nAcme Electric"),
        (f"{ANSWERS}\nSam", f"{ANSWERS}\nSam"),
        # a bracketed line that is no image's stays
        (f"{ANSWERS}\n\n[draft only]", f"{ANSWERS}\n\n[draft only]"),
    ],
)  # fmt: skip
def test_answers_and_instructions_near_a_signature_are_kept(text: str, expected: str) -> None:
    assert extract_reply(_reply(text)).text == expected


# --- What a client sends by itself ------------------------------------------------------------


def _auto(subject: str, body: str = "", *, calendar: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Sam Sparks <sam@acme.test>"
    message["Subject"] = subject
    message.set_content(body)
    if calendar is not None:
        message.add_alternative(calendar, subtype="calendar", params={"method": "REPLY"})
    return message


ICS_REPLY = "BEGIN:VCALENDAR\nMETHOD:REPLY\nBEGIN:VEVENT\nEND:VEVENT\nEND:VCALENDAR\n"


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (_auto("Read: Harbor Tower: Jane Doe has invited you to bill.",
               "Your message\n\n  To: Sam Sparks\n  Subject: Harbor Tower\n\nwas read on "
               "Monday, November 23, 2026 9:20:01 AM (UTC-06:00)."), "receipt"),
        (_auto("Leído: Harbor Tower", "Su mensaje\n\nfue leído el lunes, 23 de noviembre"),
         "receipt"),
        (_auto("Recall: RE: Harbor Tower: Jane Doe has invited you to bill.",
               'Sam Sparks would like to recall the message, "RE: Harbor Tower".'), "recall"),
        (_auto("Accepted: Harbor Tower: billing date for SC-007", calendar=ICS_REPLY),
         "calendar-reply"),
        (_auto("Declined: Harbor Tower: billing date for SC-007"), "calendar-reply"),
        # a person's words
        (_auto("Read: the contract", "1: 50%\nsend"), None),
        (_auto("Re: Accepted: Harbor Tower", "1: 50%"), None),
        (_auto("Accepted: the change order", "Line 3 is done, send"), None),
    ],
)  # fmt: skip
def test_receipts_recalls_and_meeting_answers_are_not_answered(
    message: EmailMessage, reason: str | None
) -> None:
    assert classify(message) == reason
