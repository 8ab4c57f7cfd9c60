"""The new text a person wrote in an email reply, without quoted history or signature.

The body is taken from text/plain (else text/html, with quoted parts marked before
conversion), decoded whatever the declared charset, then cut where the quoted history of the
usual clients begins (Gmail, Outlook, Apple Mail, Thunderbird, mobile apps, several
languages). `>` quotes are dropped, so bottom-posted and interleaved answers are kept.
Signatures (`--`, mobile lines, a closing word and what follows it, contact cards) and legal
disclaimers are cut from the end, but never a line that reads as an answer or a command:
keeping a signature line costs a question, losing an answer costs the contact a round trip.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from email.message import Message
from email.utils import parseaddr
from enum import Enum
from html import unescape
from html.parser import HTMLParser
from itertools import pairwise

from conversations.vocabulary import INSTRUCTION
from mail.boilerplate import (
    banner_hint,
    banner_phrase,
    banner_tag,
    banner_tail,
    ends_sentence,
    without_taglines,
)
from mail.headers import read_header
from mail.pasted import our_email_start
from mail.smime import parse_unwrapped

__all__ = [
    "ExtractedReply",
    "InlineAnswer",
    "extract_reply",
    "extract_reply_bytes",
    "reads_as_answer",
]


@dataclass(frozen=True)
class InlineAnswer:
    """Text written below a quoted line (interleaved or bottom-posted replies); `above` holds
    the quoted lines right above that one (a row the client wrapped over two lines)."""

    quote: str
    answer: str
    above: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class ExtractedReply:
    """What a reply says.

    `text` is the new text (empty when nothing new was written or the mail was unusable);
    `html_only` tells it came from HTML; `charset` is the codec that decoded it; `quoted` tells
    quoted history was removed; `signature` is what was removed as signature; `inline` pairs
    answers with the quoted line above them; `body` is the whole decoded body, quoted history
    included (HTML converted with `>` for blockquotes and the history kept).
    """

    text: str
    html_only: bool = False
    charset: str | None = None
    quoted: bool = False
    signature: str = ""
    inline: tuple[InlineAnswer, ...] = ()
    body: str = ""


def extract_reply_bytes(raw: bytes) -> ExtractedReply:
    """`extract_reply` for a raw RFC 5322 message."""
    try:
        message, _ = parse_unwrapped(raw)
    except Exception:
        return ExtractedReply(text="")
    return extract_reply(message)


def extract_reply(message: Message) -> ExtractedReply:
    """The new text of `message`; never raises, whatever the input."""
    try:
        return _extract(message)
    except Exception:  # one malformed mail must not stop the inbox loop
        return ExtractedReply(text="")


def _extract(message: Message) -> ExtractedReply:
    plain = _leaves(message, "plain")
    decoded = [_decode_text(part) for part in plain]
    body = "\n".join(text for text, _ in decoded)
    html_only = not body.strip()
    html_quoted = False
    charset = decoded[0][1] if decoded else None
    whole = body
    if html_only:
        html_parts = [_decode_text(part) for part in _leaves(message, "html")]
        charset = html_parts[0][1] if html_parts else None
        converted = [html_to_text(html) for html, _ in html_parts]
        body = "\n".join(text for text, _ in converted)
        html_quoted = any(quoted for _, quoted in converted)
        whole = "\n".join(html_to_text(html, keep_history=True)[0] for html, _ in html_parts)
    images = () if html_only else _image_alts(_leaves(message, "html"))
    stripped = strip_reply(body, signer=_signer(message), images=images)
    return ExtractedReply(
        text=stripped.text,
        html_only=html_only and bool(body.strip()),
        charset=charset,
        quoted=stripped.quoted or html_quoted,
        signature=stripped.signature,
        inline=stripped.inline,
        body=_normalize(whole).strip("\n"),
    )


def _signer(message: Message) -> frozenset[str]:
    """The words of the sender's name and mailbox (`Sam Sparks <sam@acme.test>`: `sam`,
    `sparks`), casefolded: a signature opens with one of them."""
    name, address = parseaddr(read_header(message, "From"))
    said = f"{name} {address.partition('@')[0]}".casefold()
    return frozenset(word for word in re.findall(r"[^\W\d_]{2,}", said))


_ALT = re.compile(r"""<img\b[^>]*?\balt\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)


def _image_alts(parts: Iterable[Message]) -> frozenset[str]:
    """The alternative texts of the images the HTML bodies show: the text part puts each in
    brackets where its image stands (`[Acme Electric logo]`)."""
    alts = set()
    for part in parts:
        html, _charset = _decode_text(part)
        for found in _ALT.finditer(html):
            alt = " ".join(
                unescape(next(group for group in found.groups() if group is not None)).split()
            )
            if alt:
                alts.add(alt.casefold())
    return frozenset(alts)


# --- MIME body selection and decoding -------------------------------------------------------


def _leaves(part: Message, subtype: str) -> list[Message]:
    """Inline text/`subtype` parts making up the body, honouring multipart/alternative."""
    maintype = part.get_content_maintype()
    if maintype == "multipart":
        children = [p for p in (part.get_payload() or []) if isinstance(p, Message)]
        if part.get_content_subtype() == "alternative":
            for child in children:
                found = _leaves(child, subtype)
                if found:
                    return found
            return []
        if part.get_content_subtype() in ("report", "signed", "related"):
            children = children[:1]
        return [leaf for child in children for leaf in _leaves(child, subtype)]
    if maintype != "text" or part.get_content_subtype() != subtype:
        return []
    if part.get_content_disposition() == "attachment" or part.get_filename():
        return []
    return [part]


# iso-8859-1 labels usually hide windows-1252 (as browsers assume); others have supersets.
_FALLBACKS: dict[str, tuple[str, ...]] = {
    "iso8859-1": ("cp1252", "latin-1"),
    "ascii": ("utf-8", "cp1252"),
    "utf-8": ("utf-8", "cp1252"),
    "iso2022_jp": ("iso2022_jp", "iso2022_jp_2", "iso2022_jp_ext", "cp932"),
    "shift_jis": ("cp932", "shift_jis"),
    "euc_jp": ("euc_jp", "cp932"),
    "gb2312": ("gb18030",),
    "gbk": ("gb18030",),
    "euc_kr": ("cp949",),
    "cp949": ("cp949",),
    "koi8-r": ("koi8-r", "koi8-u"),
}
# Names Python does not know: Outlook labels UTF-16 `unicode` (`unicodeFFFE` big-endian).
_ALIASES = {"unicode": "utf-16", "unicodefffe": "utf-16-be", "ucs-2": "utf-16", "ucs2": "utf-16"}
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Charsets of one byte a character: any byte string decodes, so a label of theirs on UTF-8
# text (a common webmail mislabel) would silently garble every accent.
_SINGLE_BYTE = re.compile(r"iso8859|latin|cp(?:12\d\d|8\d\d|437)$|mac-|koi8|hp-roman|tis-620")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", re.I)


def _decode_text(part: Message) -> tuple[str, str | None]:
    """(text, charset used) of a leaf part, undoing transfer encoding and format=flowed."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        raw = part.get_payload()
        payload = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
    declared = part.get_content_charset()
    if declared is None and part.get_content_subtype() == "html":
        sniffed = _META_CHARSET.search(payload[:4096])
        declared = sniffed.group(1).decode("ascii", "replace").lower() if sniffed else None
    text, charset = decode_bytes(payload, declared)
    if str(part.get_param("format", "")).lower() == "flowed":
        text = text.replace("\r\n", "\n")
        text = unflow(text, delsp=str(part.get_param("delsp", "")).lower() == "yes")
    return _normalize(text), charset


def decode_bytes(payload: bytes, charset: str | None) -> tuple[str, str]:
    """Decode by the byte order mark, else with the declared charset or a superset, else
    UTF-8, else windows-1252. Valid UTF-8 under a one-byte label is read as UTF-8, and UTF-8
    with a few bad bytes keeps its good characters (the bad ones become U+FFFD)."""
    for bom, codec in _BOMS:
        if payload.startswith(bom):
            try:
                return payload.decode(codec), codec
            except UnicodeError:
                break
    declared = _codec(charset)
    candidates: list[str] = []
    if declared:
        if _SINGLE_BYTE.match(declared) and _mostly_utf8(payload, strict=True):
            candidates.append("utf-8")
        candidates.extend(_FALLBACKS.get(declared, (declared,)))
    candidates.extend(("utf-8", "cp1252"))
    for candidate in candidates:
        if candidate.startswith(("utf-16", "utf-32")) and b"\x00" not in payload:
            continue  # a wrong label: real UTF-16/32 text has NUL bytes
        try:
            return payload.decode(candidate), candidate
        except (LookupError, UnicodeError, ValueError, TypeError):
            if candidate == "utf-8" and (text := _mostly_utf8(payload, strict=False)):
                return text, candidate
    return payload.decode("latin-1"), "latin-1"


def _codec(charset: str | None) -> str | None:
    """Python's name for a declared charset, or None when it is unknown."""
    name = "".join((charset or "").split()).strip("\"'").lower()
    try:
        return codecs.lookup(_ALIASES.get(name, name)).name if name else None
    except (LookupError, ValueError):
        return None


def _mostly_utf8(payload: bytes, *, strict: bool) -> str | None:
    """`payload` as UTF-8 when it holds UTF-8 characters and (unless `strict`, where none
    may be) no more bad bytes than good characters: one stray byte must not turn every
    accent into mojibake, while windows-1252 text has no good characters at all."""
    text = payload.decode("utf-8", "replace")
    bad = text.count("\ufffd") - payload.count("\ufffd".encode())
    good = sum(1 for char in text if ord(char) > 127 and char != "\ufffd")
    if good and (bad == 0 if strict else bad <= good):
        return text
    return None


# Zero-width characters, and C0 controls (PostgreSQL refuses NUL in text columns).
_INVISIBLE = dict.fromkeys(
    [
        *map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"),
        *(c for c in range(32) if c not in (9, 10, 13)),
    ]
)


def _normalize(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_INVISIBLE)
    text = text.replace("\xa0", " ").replace("\u202f", " ")
    return "\n".join(line.rstrip() for line in text.split("\n"))


def unflow(text: str, *, delsp: bool) -> str:
    """Undo RFC 3676 format=flowed: join soft-broken lines, keep quote depth."""
    out: list[str] = []
    pending: tuple[int, str] | None = None
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]
        soft = content.endswith(" ") and content != "-- "
        if pending is not None and pending[0] == depth:
            content = pending[1] + content
        elif pending is not None:
            out.append(_flowed_line(*pending))
        pending = None
        if soft:
            pending = (depth, content[:-1] if delsp else content)
        else:
            out.append(_flowed_line(depth, content))
    if pending is not None:
        out.append(_flowed_line(*pending))
    return "\n".join(out)


def _flowed_line(depth: int, content: str) -> str:
    return ">" * depth + (" " if depth and content else "") + content


# --- HTML to text -------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_BLOCK = _words(
    "address article aside blockquote caption center dd div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table tbody tfoot "
    "thead tr ul"
)
_VOID = _words("area base br col embed hr img input link meta param source track wbr")
_HIDDEN = _words("head script style title template noscript")
# What may stand in <head>: any other element (or text) ends it, `</head>` being optional.
_IN_HEAD = _words("base basefont bgsound head html link meta noscript script style template title")
_QUOTE_CLASSES = _words("gmail_attr moz-cite-prefix yahoo_quoted protonmail_quote zmail_extra")
_SIGNATURE_CLASSES = _words("gmail_signature moz-signature")
_SIGNATURE_IDS = _words("signature")
# Everything from these elements on is the previous message (Outlook, Outlook on the web).
_HISTORY_IDS = _words(
    "divrplyfwdmsg appendonsend appendonear mail-editor-reference-message-container "
    "olk_src_body_section stopspelling"
)


class _Role(Enum):
    QUOTE = "quote"
    HIDDEN = "hidden"  # never shown, nor anything inside it
    FAINT = "faint"  # not shown (`font-size:0`, `visibility:hidden`), unless an inner element is
    SHOWN = "shown"  # an element inside a faint one that is shown again (`font-size:14px`)


# Text a reader never sees: a preheader, a tracking block (`display:none`, `mso-hide:all`, a
# box of no height that hides what overflows it); and text an inner element may show again.
_NEVER_SHOWN = re.compile(
    r"(?:^|;)\s*(?:display\s*:\s*none|mso-hide\s*:\s*all)\b"
    r"|(?:^|;)\s*(?:max-)?height\s*:\s*0(?:px|pt|em|%)?\s*(?:!important\s*)?(?:;|$)"
    r"(?=.*overflow\s*:\s*hidden)"
    r"|(?:^|;)\s*overflow\s*:\s*hidden(?=.*(?:^|;)\s*(?:max-)?height\s*:\s*0(?:px|pt|em|%)?"
    r"\s*(?:!important\s*)?(?:;|$))",
    re.I | re.S,
)
_NOT_SHOWN = re.compile(
    r"(?:^|;)\s*(?:font-size\s*:\s*0(?:\.0+)?(?:px|pt|em|rem|%)?|visibility\s*:\s*hidden"
    r"|opacity\s*:\s*0(?:\.0+)?)\s*(?:!important\s*)?(?:;|$)",
    re.I,
)
_SHOWN_AGAIN = re.compile(
    r"(?:^|;)\s*(?:font-size\s*:\s*(?!0(?:\.0+)?(?:px|pt|em|rem|%)?\s*(?:!important\s*)?"
    r"(?:;|$))\d|visibility\s*:\s*visible)",
    re.I,
)


@dataclass
class _List:
    """An open `<ul>` or `<ol>`: how its items are marked, and the next item's number."""

    ordered: bool
    number: int = 1
    step: int = 1
    style: str = "1"

    def marker(self) -> str:
        if not self.ordered:
            return "- "
        label = _numeral(self.number, self.style)
        self.number += self.step
        return f"{label}. "


def _numeral(number: int, style: str) -> str:
    """`number` as an `<ol type>` writes it: 1, a, A, i or I."""
    if style in ("a", "A") and number > 0:
        letters = ""
        while number:
            number, rest = divmod(number - 1, 26)
            letters = chr(ord("a") + rest) + letters
        return letters.upper() if style == "A" else letters
    if style in ("i", "I") and 0 < number < 4000:
        roman = ""
        for value, digits in _ROMAN:
            count, number = divmod(number, value)
            roman += digits * count
        return roman if style == "I" else roman.lower()
    return str(number)


_ROMAN = (
    (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
    (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
)  # fmt: skip


def _integer(value: str | None) -> int | None:
    try:
        return int((value or "").strip())
    except ValueError:
        return None


class _ListSizes(HTMLParser):
    """How many items each `<ol>` holds, in document order (a reversed list counts down
    from it)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sizes: list[int] = []
        self._open: list[int] = []  # indexes into `sizes`, or -1 for a `<ul>`

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "ol":
            self._open.append(len(self.sizes))
            self.sizes.append(0)
        elif tag == "ul":
            self._open.append(-1)
        elif tag == "li" and self._open and self._open[-1] >= 0:
            self.sizes[self._open[-1]] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ol", "ul") and self._open:
            self._open.pop()


@dataclass
class _Open:
    """An element with a role, and how many same-named elements are open inside it."""

    tag: str
    role: _Role
    depth: int = 1


@dataclass
class _Row:
    """An open `<tr>`: where its lines and each of its cells begin in `_HtmlText.lines`."""

    start: int
    cells: list[int]
    nested: bool = False  # a table inside one of its cells: a layout, not a row of figures


_CELL_LINES = 4  # a cell holding more lines than this is a layout's, not a figure's
_ROW_CHARS = 500


def _row_text(lines: list[tuple[int, str]], row: _Row) -> tuple[int, str] | None:
    """A table row as one line, `1 | Conduit | 50%`, when its cells are a row of figures
    (two cells or more with text, a few lines each, one quote depth): Word, Outlook and
    Excel put each cell's text in a `<p>` or `<div>` of its own."""
    if row.nested or not row.cells or any(text for _, text in lines[row.start : row.cells[0]]):
        return None
    bounds = [*row.cells, len(lines)]
    cells = [[text for _, text in lines[a:b] if text] for a, b in pairwise(bounds)]
    depths = {depth for depth, _ in lines[row.start :]}
    filled = sum(1 for cell in cells if cell)
    if filled < 2 or any(len(cell) > _CELL_LINES for cell in cells) or len(depths) != 1:
        return None
    texts = [" ".join(cell) for cell in cells]
    while texts and not texts[0]:
        texts.pop(0)  # as the cells were written before: a row starts at its first text
    joined = re.sub(r" {2,}", " ", " | ".join(texts)).strip()
    return (depths.pop(), joined) if len(joined) <= _ROW_CHARS else None


def _ordered_list(attrs: dict[str, str | None], size: int) -> _List:
    """`<ol start="2">`, `<ol type="a">`, `<ol reversed>` (counting down from its size)."""
    descending = "reversed" in attrs
    start = _integer(attrs.get("start"))
    if start is None:
        start = size if descending else 1
    style = (attrs.get("type") or "1").strip()
    return _List(ordered=True, number=start, step=-1 if descending else 1, style=style)


class _HtmlText(HTMLParser):
    """HTML to plain text; blockquotes become `> ` lines, signatures and (unless
    `keep_history`) the quoted history of Outlook-style replies vanish."""

    def __init__(self, *, keep_history: bool = False, list_sizes: Iterable[int] = ()) -> None:
        super().__init__(convert_charrefs=True)
        self.keep_history = keep_history
        self.lines: list[tuple[int, str]] = []
        self.quoted = False
        self._line: list[str] = []
        self._open: list[_Open] = []
        self._lists: list[_List] = []
        self._list_sizes = iter(list_sizes)
        self._pre = 0
        self._stopped = False
        self._roles = dict.fromkeys(_Role, 0)
        self._tables: list[_Row | None] = []  # each open `<table>`'s open row

    @property
    def _depth(self) -> int:
        return self._roles[_Role.QUOTE]

    @property
    def _hidden(self) -> bool:
        if self._roles[_Role.HIDDEN] > 0:
            return True
        if not self._roles[_Role.FAINT]:
            return False
        inner = (e.role for e in reversed(self._open) if e.role in (_Role.FAINT, _Role.SHOWN))
        return next(inner, None) is _Role.FAINT

    def _role(self, tag: str, attrs: list[tuple[str, str | None]]) -> _Role | None:
        values = {name.lower(): (value or "") for name, value in attrs}
        classes = {c.lower().removeprefix("x_") for c in values.get("class", "").split()}
        element_id = values.get("id", "").lower().removeprefix("x_")
        if element_id in _HISTORY_IDS:
            self._stopped = not self.keep_history
            self.quoted = True
            return None
        if tag in _HIDDEN or classes & _SIGNATURE_CLASSES or element_id in _SIGNATURE_IDS:
            return _Role.HIDDEN
        style = values.get("style", "")
        if "hidden" in values or _NEVER_SHOWN.search(style):
            return _Role.HIDDEN
        if _NOT_SHOWN.search(style):
            return _Role.FAINT
        if self._roles[_Role.FAINT] and _SHOWN_AGAIN.search(style):
            return _Role.SHOWN
        if tag == "blockquote" or classes & _QUOTE_CLASSES:
            self.quoted = True
            return _Role.QUOTE
        return None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._stopped:
            return
        if tag not in _IN_HEAD:
            self._end_head()
        if tag in _BLOCK:
            self._close_paragraph()
        role = self._role(tag, attrs)
        if self._stopped or tag in _BLOCK or role in (_Role.QUOTE, _Role.HIDDEN):
            self._break()
        if self._stopped:
            return
        if tag == "br":
            self._flush()
        elif tag == "ul":
            self._lists.append(_List(ordered=False))
        elif tag == "ol":
            self._lists.append(_ordered_list(dict(attrs), next(self._list_sizes, 0)))
        elif tag == "li":
            self._start_item(_integer(dict(attrs).get("value")))
        elif tag == "table":
            if self._tables and self._tables[-1] is not None:
                self._tables[-1].nested = True
            self._tables.append(None)
        elif tag == "tr" and self._tables:
            self._end_row()
            self._tables[-1] = _Row(len(self.lines), [])
        elif tag in ("td", "th"):
            self._start_cell()
        elif tag == "pre":
            self._pre += 1
        if tag in _VOID:
            return
        if role is not None:
            self._open.append(_Open(tag, role))
            self._roles[role] += 1
            return
        for entry in reversed(self._open):
            if entry.tag == tag:
                entry.depth += 1
                break

    def handle_endtag(self, tag: str) -> None:
        if self._stopped or tag in _VOID:
            return
        if tag in _BLOCK:
            self._break()
        if tag in ("ul", "ol") and self._lists:
            self._lists.pop()
        elif tag == "tr" and self._tables:
            self._end_row()
        elif tag == "table" and self._tables:
            self._end_row()
            self._tables.pop()
        elif tag == "pre" and self._pre:
            self._pre -= 1
        for index in range(len(self._open) - 1, -1, -1):
            entry = self._open[index]
            if entry.tag == tag:
                entry.depth -= 1
                if entry.depth == 0:
                    if entry.role in (_Role.QUOTE, _Role.HIDDEN):
                        self._break()
                    for closed in self._open[index:]:
                        self._roles[closed.role] -= 1
                    del self._open[index:]
                break

    def handle_data(self, data: str) -> None:
        if data.strip() and self._open and self._open[-1].tag == "head":
            self._end_head()  # text cannot stand in <head>: the body has begun
        if self._stopped or self._hidden:
            return
        if self._pre:
            first, *rest = data.split("\n")
            self._line.append(first)
            for piece in rest:
                self._flush()
                self._line.append(piece)
            return
        text = re.sub(r"[ \t\n\r\f]+", " ", data)
        if not "".join(self._line).strip():
            text = text.lstrip(" ")
        if text:
            self._line.append(text)

    def _close_paragraph(self) -> None:
        """A block closes the open `<p>` (its `</p>` may be left out), and so whatever role
        the paragraph had: a hidden one must not hide the rest of the message."""
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index].tag == "p":
                self._break()
                for closed in self._open[index:]:
                    self._roles[closed.role] -= 1
                del self._open[index:]
                return

    def _start_cell(self) -> None:
        self._break()
        if not self._tables:
            return
        row = self._tables[-1]
        if row is None:  # a cell without its `<tr>`
            row = self._tables[-1] = _Row(len(self.lines), [])
        row.cells.append(len(self.lines))

    def _end_row(self) -> None:
        """Close the open row of the innermost table, written as one line if it is a row
        of figures (`_row_text`)."""
        row = self._tables[-1]
        if row is None:
            return
        self._break()
        self._tables[-1] = None
        merged = _row_text(self.lines, row)
        if merged is not None:
            self.lines[row.start :] = [merged]

    def _start_item(self, value: int | None) -> None:
        if not self._lists:
            self._line.append("- ")
            return
        if value is not None:
            self._lists[-1].number = value
        self._line.append(self._lists[-1].marker())

    def _end_head(self) -> None:
        """Close an open `<head>` (and anything left open in it, like a `<title>`)."""
        for index, entry in enumerate(self._open):
            if entry.tag == "head":
                for closed in self._open[index:]:
                    self._roles[closed.role] -= 1
                del self._open[index:]
                return

    def _break(self) -> None:
        if "".join(self._line):
            self._flush()
        else:
            self._line = []

    def _flush(self) -> None:
        if self._roles[_Role.HIDDEN] > 0:
            self._line = []
            return
        self.lines.append((self._depth, re.sub(r" {2,}", " ", "".join(self._line)).strip()))
        self._line = []

    def text(self) -> str:
        self._break()
        rendered = [("> " * depth + line).rstrip() for depth, line in self.lines]
        return "\n".join(rendered)


def html_to_text(html: str, *, keep_history: bool = False) -> tuple[str, bool]:
    """(plain text, whether quoted parts were found) with blockquotes as `> ` lines; the
    history of an Outlook-style reply is left out unless `keep_history`."""
    sizes = _ListSizes()
    if "reversed" in html.lower():
        sizes.feed(html)
        sizes.close()
    parser = _HtmlText(keep_history=keep_history, list_sizes=sizes.sizes)
    parser.feed(html)
    parser.close()
    return _normalize(parser.text()), parser.quoted


# --- Quoted history and signatures in text ---------------------------------------------------

_WROTE = (
    r"(?:wrote|schrieb|a\s+écrit|escribió|schreef|ha\s+scritto|escreveu|skrev|kirjoitti|"
    r"napisał\(a\)|napisała|napisał|pisze|пишет|написал\(а\)|написала|написал)"
)
_ATTRIBUTION = re.compile(
    r"(?:on\s.{3,300}\swrote|am\s.{3,300}\sschrieb(?:\s.{0,200})?|le\s.{3,300}\sa\s+écrit|"
    r"el\s.{3,300}\sescribió|op\s.{3,300}\sschreef(?:\s.{0,200})?|il\s.{3,300}\sha\s+scritto|"
    r"em\s.{3,300}\sescreveu|den\s.{3,300}\sskrev(?:\s.{0,200})?"
    r"|w\s+dniu\s.{3,300}\s(?:pisze|napisał\(a\)|napisała|napisał))\s?[:：]"
    # Yahoo puts the first quoted line on the attribution line, after a few spaces.
    r"(?:\s{3,}.*)?",
    re.I,
)
_WROTE_FIRST = re.compile(rf"\s*{_WROTE}\b", re.I)
_ATTRIBUTION_OPENERS = frozenset({"on", "am", "le", "el", "op", "il", "em", "den", "w"})
# Only an attribution when a `>` quote follows it.
_LOOSE_ATTRIBUTION = re.compile(
    rf".{{0,300}}(?:\b{_WROTE}\b.{{0,200}}|<\s?[^<>\s]+@[^<>\s]+>\)?|のメール)\s?[:：]", re.I
)
_SEPARATOR = re.compile(
    r"[-_=\s]{2,}(?:original\s+message|forwarded\s+message|ursprüngliche\s+nachricht|"
    r"weitergeleitete\s+nachricht|message\s+d'origine|message\s+transféré|mensaje\s+original|"
    r"mensaje\s+reenviado|oorspronkelijk\s+bericht|doorgestuurd\s+bericht|"
    r"messaggio\s+originale|messaggio\s+inoltrato|mensagem\s+original|"
    r"исходное\s+сообщение|пересылаемое\s+сообщение)[-_=\s]{2,}|"
    r"begin\s+forwarded\s+message\s?:|anfang\s+der\s+weitergeleiteten\s+nachricht\s?:|"
    r"début\s+du\s+message\s+réexpédié\s?:|inicio\s+del\s+mensaje\s+reenviado\s?:",
    re.I,
)
# Outlook's header block in its languages: English, German, French, Spanish, Dutch, Italian,
# Portuguese, Swedish, Norwegian/Danish, Polish, Czech, Turkish, Russian, Japanese, Chinese
# (simplified and traditional) and Korean.
_HEADER_FROM = re.compile(
    r"\*?(?:from|von|de|van|da|från|fra|od|kimden|gönderen|от|差出人|发件人|寄件者|보낸\s?사람)"
    r"\s?[:：]\*?\s*\S",
    re.I,
)
_HEADER_FIELD = re.compile(
    r"\*?(?:sent|date|to|cc|subject|gesendet|datum|an|betreff|envoyé|à|objet|enviado(?:\s+el)?|"
    r"fecha|para|asunto|verzonden|aan|onderwerp|inviato|data|a|oggetto|enviada\s+em|"
    r"enviado\s+em|assunto|skickat|till|ämne|sendt|til|emne|wysłane|wysłano|do|dw|temat|"
    r"odesláno|komu|předmět|gönderildi|tarih|kime|bilgi|konu|отправлено|дата|кому|копия|тема|"
    r"送信日時|宛先|件名|发送时间|发送日期|收件人|抄送|主题|寄件日期|收件者|副本|主旨|"
    r"보낸\s?날짜|받는\s?사람|참조|제목)\s?[:：]",
    re.I,
)
_RULE = re.compile(r"[_\-=]{8,}")
# Histories other clients open without `>` quotes: Zoho's `---- On … wrote ----`; Yandex's
# `24.11.2026, 09:14, "Jane Doe" <jane@…>:`; a Chinese client's `… 09:14写道：`; Outlook's
# bare rule of underscores; a help desk's `## Please reply above this line ##`.
_RULED_ATTRIBUTION = re.compile(rf"-{{2,}}\s*.{{3,300}}\s{_WROTE}\s*[:：]?\s*-{{2,}}", re.I)
_DATE = r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}"
_TIME_OF_DAY = r"\d{1,2}:\d{2}(?::\d{2})?"
_DATED_ATTRIBUTION = re.compile(
    rf"{_DATE},?\s+{_TIME_OF_DAY},?\s.{{0,200}}?<[^<>\s]+@[^<>\s]+>\s*[:：]"
    r"|.{0,300}(?:写道|寫道)\s?[:：]",
    re.I,
)
_OUTLOOK_RULE = re.compile(r"_{20,}")
_REPLY_ABOVE = re.compile(
    r"[\W_]*(?:please\s+)?(?:(?:type|write|enter|add)\s+)?(?:your\s+)?(?:reply|response"
    r"|answer)s?\s+(?:(?:must|should)\s+be\s+)?above\s+this\s+line\b.{0,80}"
    r"|[\W_]*(?:por\s+favor,?\s+)?(?:(?:escriba|responda|conteste)\s+)?(?:su\s+respuesta\s+)?"
    r"(?:por\s+)?encima\s+de\s+esta\s+l[ií]nea\b.{0,80}",
    re.I,
)
# Lotus (HCL) Notes: `Jane Doe <jane@…>` / `11/24/2026 09:14 AM` / `To` / … / `Subject`.
_NOTES_FROM = re.compile(r"[^<>@]{0,100}<[^<>\s]+@[^<>\s]+>|[^\s<>@]+@[^\s<>@]+\.\w+")
_NOTES_DATE = re.compile(rf"{_DATE}\s+{_TIME_OF_DAY}(?:\s*[ap]\.?m\.?)?", re.I)
_NOTES_LINES = 10  # the lines of a Notes header block after its date
# A header block's date line (`Sent: Tuesday, November 24, 2026 9:14 AM`).
_HEADER_DATE = re.compile(
    r"\*?(?:sent|date|gesendet|datum|envoyé|enviado(?:\s+el)?|fecha|verzonden|inviato|data"
    r"|enviada\s+em|enviado\s+em|skickat|sendt|wysłane|wysłano|odesláno|gönderildi|tarih"
    r"|отправлено|дата|送信日時|发送时间|发送日期|寄件日期|보낸\s?날짜)\s?[:：]\*?.*\d",
    re.I,
)
_MOBILE_SIGNATURE = re.compile(
    r"\[?(?:sent\s+(?:from|with|via|using)\s+(?:my\s+|the\s+)?(?:iphone|ipad|ipod|android|"
    r"galaxy|samsung|huawei|xiaomi|pixel|oneplus|blackberry|mobile|smartphone|phone|"
    r"windows\s+phone|mail\s+for\s+windows|outlook|yahoo|aol|proton\s?mail|gmail|bluemail|"
    r"spark|edison|airmail|fastmail|tutanota|zoho|t-mobile|verizon)|"
    r"sent\s+from\s+my\s+\S.{0,60}|get\s+outlook\s+for\s+(?:ios|android)|"
    r"von\s+meinem\s+.{1,40}\s+gesendet|gesendet\s+von\s+(?:meinem\s+)?.{1,40}|"
    r"envoyé\s+de\s+mon\s+.{1,40}|enviado\s+desde\s+mi\s+.{1,40}|"
    r"verstuurd\s+vanaf\s+mijn\s+.{1,40}|inviato\s+da(?:l\s+mio)?\s+.{1,40}|"
    r"отправлено\s+с\s+.{1,40})\b.{0,120}",
    re.I,
)
_CLOSING = re.compile(
    r"(?i:thanks|thank\s+you|thanks\s+a\s+lot|many\s+thanks|thx|cheers|best|best\s+regards|"
    r"kind\s+regards|warm\s+regards|regards|best\s+wishes|all\s+the\s+best|sincerely|"
    r"yours\s+sincerely|yours\s+truly|respectfully|rgds|mit\s+freundlichen\s+gr(?:ü|ue|u)(?:ß|ss)en|"
    r"freundliche\s+grüße|viele\s+grüße|beste\s+grüße|liebe\s+grüße|gruß|grüße|mfg|danke|"
    r"vielen\s+dank|cordialement|bien\s+cordialement|bien\s+à\s+vous|merci|merci\s+beaucoup|"
    r"salutations|saludos|un\s+saludo|saludos\s+cordiales|atentamente|gracias|muchas\s+gracias|"
    r"met\s+vriendelijke\s+groet(?:en)?|groeten|cordiali\s+saluti|distinti\s+saluti|saluti|"
    r"grazie|atenciosamente|obrigad[oa]|с\s+уважением|спасибо|thanks\s+again|thank\s+you\s+very"
    r"\s+much|thanks\s+(?:and|&)\s+regards|with\s+thanks|warmly|take\s+care|talk\s+soon"
    r"|(?:un\s+)?cordial\s+saludo|un\s+saludo\s+cordial|muchos\s+saludos|(?:un\s+)?abrazo|abrazos"
    r"|mil\s+gracias|(?:um\s+)?abra[çc]o|abra[çc]os|(?:com\s+os\s+)?(?:melhores\s+)?cumprimentos"
    r"|sauda[çc][õo]es|grat[oa]|muito\s+obrigad[oa])"
    r"(?:[,.!]?\s+(?P<name>[A-ZÀ-ÖØ-ÞА-Я][\w'.-]*(?:\s+[A-ZÀ-ÖØ-ÞА-Я][\w'.-]*){0,2}))?[\s,.!]*",
)
# Legal small print and its cousins, where they begin (the rest of the paragraph follows).
_DISCLAIMER = re.compile(
    r"[\W_]*(?:(?:confidentiality|privacy|legal|important|e-?mail)\s+(?:notice|disclaimer"
    r"|statement|warning)|(?:disclaimer|confidential(?:ity)?)\s*(?:[:.\-–—]|$)"
    r"|privileged\s+(?:and|&)\s+confidential"
    r"|(?:aviso|nota|advertencia|cl[aá]usula)\s+(?:de\s+)?(?:confidencialidad|legal|privacidad)"
    r"|confidencialidad\s*[:.]"
    r"|(?:this|the\s+(?:information|contents?)\s+(?:contained\s+)?(?:in|of)\s+this)\s+"
    r"(?:e-?mail|message|communication|transmission)\b.{0,200}?\b(?:confidential|privileged"
    r"|intended\s+(?:solely\s+|only\s+|exclusively\s+)?for|intended\s+recipient|sole\s+use)"
    r"|(?:este|el\s+presente|la\s+informaci[oó]n\s+(?:contenida\s+)?en\s+este)\s+"
    r"(?:correo|mensaje|e-?mail|comunicado)\b.{0,200}?\b(?:confidencial|privilegiad"
    r"|dirigid[oa]\s+(?:exclusiva|[uú]nica)mente|destinatario)"
    # (Outlook writes its leaf as a `P` in the Wingdings font: a bare letter in text.)
    r"|(?:[PQ&]\s+)?(?:please\s+)?(?:consider|think\s+(?:of|about))\s+the\s+environment"
    r"\s+before\s+printing"
    r"|(?:por\s+favor,?\s+)?(?:antes\s+de\s+imprimir|no\s+imprima|piense\s+en\s+el\s+medio"
    r"\s+ambiente|considere\s+(?:el\s+medio\s+ambiente|su\s+responsabilidad)))",
    re.I | re.S,
)
# A contact card's lines: a mail or web address, a street address, a city with its state
# and ZIP code (or a Mexican postal code), a phone number (`_PHONE`, `_PHONE_LABELLED`).
# Street addresses as Colombia writes them (`Cl. 100 # 2-4`, `Calle 26 # 1-5`, `Cra. 7 No.
# 1-50`: the street, then the cross street and the distance, which read like `line 2: 4`),
# as Spain does (`C/ Mayor 12`), a floor or an office on its own (`Piso 3`, `Of. 301`) and a
# post office box (`PO Box 4410`, `Apartado Postal 12`, `Caixa Postal 5`).
_CONTACT = re.compile(
    r"[\w.+-]+@[\w-]+\.[\w.-]+|https?://|\bwww\.|\b[\w-]+\.(?:com|net|org|biz|us|mx|es|co|io)\b"
    r"|^\d{1,6}\s+[\w .'-]{2,40}\b(?:st|street|ave|avenue|rd|road|blvd|boulevard|dr|drive|suite"
    r"|ste|floor|fl|way|ln|lane|pkwy|parkway|hwy|highway|ct|court|pl|place|plaza|sq|square"
    r"|cir|circle|ter|terrace|trl|trail|loop|tower|center|centre|bldg|building)\b"
    r"|,\s*[A-Z]{2}\.?\s+\d{5}(?:-\d{4})?$"
    r"|^(?:suite|ste\.?)\s+\d+|^(?:floor|fl\.|piso|oficina|of\.|ofic\.|despacho|local|andar|sala)"
    r"\s*\d+[a-z]?\s*(?:$|[,|·•])"
    r"|\b(?:av|avda|avenida|calle|col|colonia|carretera|rua|travessa|alameda|estrada|rodovia"
    r"|pra[çc]a)\.?\s+[^\d\n]{2,40}\d|\bc\.?\s?p\.?\s*\d{5}\b"
    r"|\d+\s?[a-z]?\s*(?:bis\s*[a-z]?\s*)?(?:#|n[oº°]\.?)\s*\d+\s?[a-z]?\s*-\s*\d+"
    r"|\b(?:calle|carrera|avenida|avda|diagonal|transversal|carretera|circunvalar|autopista"
    r"|paseo|camino|ronda|rua|travessa|alameda|rodovia|estrada)\.?\s+\d+"
    r"|(?:^|\s)(?:cl|cll|cra|kra|kr|ak|dg)\.\s*\d+|(?:^|\s)c/\s?[^\W\d_]"
    r"|\bp\.?\s?o\.?\s*box\s*#?\d+|\bpost\s+office\s+box\b|\b(?:apartado|casilla)"
    r"\s+(?:postal\s+|a[eé]reo\s+|de\s+correos?\s+)?(?:no\.?\s*)?\d+|\bcaixa\s+postal\b",
    re.IGNORECASE,
)
# A postal code and its city, or a city, its state and its ZIP code, without a comma
# (`28013 Madrid`, `01310-100 São Paulo`, `Houston TX 77002`, `CDMX 06600`): a card's line
# but, being a few figures and a word, no line that opens a card (`Panels 12000`).
_POSTAL = re.compile(
    r"(?:\d{5,6}|\d{4,5}-\d{3,4})\s+(?-i:[A-ZÀ-Þ])[^\W\d_][^\d]{0,40}"
    r"|(?:[^\W\d_][^\d]{0,40}?[\s,]+)?(?-i:[A-Z]{2,5}|D\.\s?[FC]\.)\.?,?\s+\d{5}(?:-\d{4})?",
)
# Digit groups (`713-555-0101`, `(55) 1234-5678`, `55 1234 5678`, `07700 900123`, `+52 55
# 1234 5678`); a phone number when they hold 7 to 15 digits.
_PHONE = re.compile(
    r"(?<![\w.$#%/-])\+?(?:\(\d{1,4}\)|\d{1,5})(?:[\s.-]{1,2}(?:\(\d{1,4}\)|\d{2,6})){1,5}"
    r"(?![\w%$]|[.,]\d)"
)
# A phone number alone, in the North American way (`713.555.0101`, `(713) 555-0101 x204`).
_PHONE_ALONE = re.compile(
    r"\+?(?:1[\s.-])?\(?\d{3}\)?[\s.-]\d{3}[.-]\d{4}(?:\s*(?:x|ext\.?)\s*\d{1,5})?"
)
_PHONE_LABELLED = re.compile(
    r"(?:tel[eé]fono|tel|phone|ph|cell|cel|celular|mobile|mob|m[oó]vil|office|oficina|direct"
    r"|directo|main|fax|whatsapp|[mcotpfdh])\.?\s*[:：.]?\s*\+?\(?\d[\d\s().-]{5,}\d(?!\s*%)",
    re.I,
)

# What reads as an answer or a command, in English or Spanish: a signature never holds it.
_NUMBER_WORDS = (
    r"zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen"
    r"|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy"
    r"|eighty|ninety|hundred|cero|uno|una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez"
    r"|once|doce|trece|catorce|quince|dieci\w+|veinte|veinti\w+|treinta|cuarenta|cincuenta"
    r"|sesenta|setenta|ochenta|noventa|cien|ciento"
)
_AMOUNT = rf"(?:\d[\d,.]*|(?:{_NUMBER_WORDS})(?:(?:-|\s+y\s+|\s+)(?:{_NUMBER_WORDS}))*)"
_UNITS = (
    r"%|percent|pct|por\s*ciento|units?|unidad(?:es)?|uds?|pcs|pieces?|piezas?|ea|each|lf|ft|sf"
    r"|feet|cy|ls|lots?|hrs?|hours?|horas?|tons?|lbs?|gal|days?|d[ií]as?|m2|m3|kg"
)
_LINE_WORDS = r"(?:line|ln|item|sov|l[ií]nea|partida)s?"
# A line number, an amount or a quantity with its unit, an invoice number.
_ANSWER_MARK = re.compile(
    rf"%|\$|€|\busd\b|\binv-?\d|^#\s*\d|\bL\d{{1,3}}\b|(?<![\w.]){_AMOUNT}\s*(?:{_UNITS})(?!\w)"
    rf"|^(?:{_LINE_WORDS}\s*)?#?\d{{1,3}}[a-z]?\s*(?:[:=)|]|[-–—.]\s)"
    rf"|\b{_LINE_WORDS}\.?\s*(?:no\.?\s*)?#?\s*(?:\d|(?:{_NUMBER_WORDS})\b)",
    re.I,
)
# What answers a line wherever it stands (`Conduit done`, `Paneles: ninguno`), and `send`.
_ANSWER_WORD = re.compile(
    r"\b(?:send|submit|enviar(?:l[oa]s?)?|env[ií](?:a|e|en)(?:l[oa]s?)?|draft|borrador|done"
    r"|complete[d]?|finished|listo|lista|listos|listas|complet[oa]s?|terminad[oa]s?|none"
    r"|nothing|nada|ningun[oa]?|n/a|not\s+started|no\s+progress|no\s+change|sin\s+(?:avance"
    r"|cambios?|iniciar)|no\s+iniciad[oa]|same\s+as|igual\s+que|lo\s+mismo|the\s+same|half"
    r"|mitad|quarter|percent|por\s*ciento)(?!\w)",
    re.I,
)
# A decision, a yes or no, a command with words after it (`ok, use it`, `Return for
# revision - …`, `approve as noted`, `sí, envíala`).
_OPENING = re.compile(
    r"(?:please\s+|pls\s+|kindly\s+|por\s+favor,?\s+|favor\s+de\s+)?(?:ok(?:ay)?|yes|yep|yeah"
    r"|yup|sure|no|nope|s[ií]|vale|claro|confirm\w*|agreed?|correct[oa]?|perfect[oa]?"
    r"|approv\w*|aprob\w*|apruebo|accept\w*|acept\w*|authori[sz]\w*|autoriz\w*|reject\w*"
    r"|rechaz\w*|return\w*|devolver|devu[eé]lv\w*|devuelt[oa]s?|regres\w*|deny|denied|declin\w*"
    r"|save|guardar|skip|omitir|go\s+ahead|adelante|use\s+it|[uú]s(?:a|al[ao]|enl[ao])"
    r"|(?:looks|sounds|all)\s+good|good\s+to\s+go|se\s+ve\s+bien|est[aá]\s+bien|todo\s+bien"
    r"|de\s+acuerdo|conforme|that'?s\s+(?:all|it|right|correct)|eso\s+es\s+todo)(?!\w)",
    re.I,
)
# Commands that are a name's word too (`Back Bay Electric`): only a line of their own.
_COMMAND_LINE = re.compile(
    r"(?:please\s+|por\s+favor,?\s+)?(?:help|ayuda|status|estado|back|go\s+back|atr[aá]s"
    r"|volver|edit|editar|change|cambiar|fix|corregir|cancel|cancelar|menu|next|siguiente"
    r"|undo|deshacer|review|revisar)(?:,?\s+(?:please|pls|thanks|thank\s+you|gracias"
    r"|por\s+favor))?[\s.!?]*",
    re.I,
)
_NUMBER_LINE = re.compile(rf"{_AMOUNT}[\s.!]*", re.I)
# `Panels: not started`, `Conduit = eighty`: a labelled value (unless it is a phone number).
_LABELLED = re.compile(r"[^\W\d_][^:：=]{0,40}?\s*[:：=]\s*(?P<value>\S.*)")
_URL = re.compile(r"<?https?://\S+>?")
# Words of a name that are not capitalised (`José de la Cruz`, `VP of Operations`).
_NAME_PARTICLES = _words(
    "de del la las los y e da das do dos di du van von der den le of and & the"
)
_MOST_CARD_LINES = 10
# Right above an attribution, a line like this is the contact's, not the attribution's.
_ANSWER_LIKE = re.compile(
    r"%|^\s*[-*•]?\s*(?:\d{1,3}\s*[:.)=-]|all\b|send\b|skip\b|draft\b|inv-?\d)", re.I
)


# What a text part shows where an image stood: its Content-ID (Outlook), Gmail's `[image: …]`,
# Outlook's automatic alternative text, a logo's; or its alternative text (`_image_alts`).
_PLACEHOLDER = re.compile(
    r"\[(?:cid|image|imagen|img)\s*:[^\]]*\]"
    r"|\[[^\]]{0,200}?(?:description\s+automatically\s+generated"
    r"|descripci[oó]n\s+generada\s+autom[aá]ticamente)\s*\]"
    r"|\[[^\]\d]{0,60}\b(?:logo|logotipo|icon|icono)\b[^\]\d]{0,60}\]",
    re.I,
)
_BRACKETED = re.compile(r"\[([^\]]{1,200})\]")
_SIGNED_LINES = 6  # the most lines of a signature known by the sender's name alone


class _Kind(Enum):
    TEXT = "text"
    QUOTE = "quote"
    ATTRIBUTION = "attribution"
    SIGNATURE = "signature"
    BANNER = "banner"  # a mail gateway's warning or footer: neither text nor signature
    IMAGE = "image"  # where an image stood (`[cid:…]`, `[image: logo]`): neither either


@dataclass(frozen=True)
class StrippedText:
    """The result of `strip_reply` on a text body."""

    text: str
    quoted: bool
    signature: str
    inline: tuple[InlineAnswer, ...]


def strip_reply(
    body: str, *, signer: Collection[str] = (), images: Collection[str] = ()
) -> StrippedText:
    """Remove quoted history, `>` quotes and signatures from a plain-text reply body.
    `signer`: the words of the sender's name (`_signer`); `images`: the alternative texts of
    the images the HTML shows (`_image_alts`)."""
    lines = _normalize(body).split("\n")
    kinds = [
        _Kind.QUOTE if _is_quote(line) else _Kind.IMAGE if _is_image(line, images) else _Kind.TEXT
        for line in lines
    ]
    _mark_attributions(lines, kinds)
    cut = _history_start(lines, kinds)
    quoted = cut < len(lines) or any(kind is _Kind.QUOTE for kind in kinds)
    lines, kinds = lines[:cut], kinds[:cut]
    _mark_signatures(lines, kinds, signer)
    text = _tidy(line for line, kind in zip(lines, kinds, strict=True) if kind is _Kind.TEXT)
    signature = _tidy(
        line for line, kind in zip(lines, kinds, strict=True) if kind is _Kind.SIGNATURE
    )
    return StrippedText(text, quoted, signature, _inline_answers(lines, kinds))


def _is_quote(line: str) -> bool:
    return line.lstrip(" ").startswith(">")


def _is_image(line: str, images: Collection[str]) -> bool:
    """A line holding only where images stood (and their links): never an answer."""
    if "[" not in line:
        return False
    left = _PLACEHOLDER.sub(" ", line)
    if images:
        left = _BRACKETED.sub(
            lambda found: " " if " ".join(found[1].split()).casefold() in images else found[0],
            left,
        )
    return left != line and not _URL.sub(" ", left).strip(" \t|·•,;-–—")


def _next_content(lines: list[str], start: int) -> int | None:
    for index in range(start, len(lines)):
        if lines[index].strip():
            return index
    return None


def _attribution_span(lines: list[str], index: int, *, loose: bool) -> int:
    """How many lines (1-3) starting at `index` form an attribution, or 0."""
    first_word = lines[index].split(None, 1)[0].lower() if lines[index].strip() else ""
    if not loose and first_word not in _ATTRIBUTION_OPENERS:
        return 0
    joined = ""
    for span in range(1, 4):
        line = lines[index + span - 1] if index + span - 1 < len(lines) else ""
        if not line.strip() or _is_quote(line):
            return 0
        joined = f"{joined} {line.strip()}".strip()
        if len(joined) > 500:
            return 0
        # Cheap tests first: these regexes backtrack a lot on long lines.
        if loose and joined.endswith((":", "：")) and _LOOSE_ATTRIBUTION.fullmatch(joined):
            return span
        if not loose and _ATTRIBUTION.fullmatch(joined):
            return span
    return 0


def _mark_attributions(lines: list[str], kinds: list[_Kind]) -> None:
    """Mark "X wrote:" lines that introduce a `>` quote block."""
    for index in range(len(lines)):
        if kinds[index] is not _Kind.TEXT:
            continue
        span = _attribution_span(lines, index, loose=True)
        if span > 1 and not _starts_attribution(lines, index, span):
            continue  # text written just above the attribution, with no blank line
        following = _next_content(lines, index + span) if span else None
        if following is not None and kinds[following] is _Kind.QUOTE:
            for covered in range(index, index + span):
                kinds[covered] = _Kind.ATTRIBUTION


def _starts_attribution(lines: list[str], index: int, span: int) -> bool:
    """Whether an attribution of `span` lines found at `index` really starts there: a line
    the contact wrote right above it (`1: 50%` / `On Mon … wrote:`) would otherwise be read
    as its first line and dropped. It starts there when it opens like one ("On", "El",
    "Am"…); not when it looks like an answer, nor when a later line is a whole attribution
    ending where this one does (one that names its writer, above which the line does not
    break inside an address: `Billbot Billing <` / `billing@… > wrote:` is one)."""
    first = lines[index].split(None, 1)
    if first and first[0].lower() in _ATTRIBUTION_OPENERS:
        return True
    if _ANSWER_LIKE.search(lines[index]):
        return False
    end = index + span
    for later in range(index + 1, end):
        whole = later + _attribution_span(lines, later, loose=True) == end
        names_writer = not _WROTE_FIRST.match(lines[later])
        if whole and names_writer and not lines[later - 1].rstrip().endswith(("<", "(", ",")):
            return False
    return True


def _history_start(lines: list[str], kinds: list[_Kind]) -> int:
    """Index of the first line of unquoted history (a forwarded or replied-to message)."""
    rows = [i for i, kind in enumerate(kinds) if kind is _Kind.TEXT and lines[i].strip()]
    ours = our_email_start(lines, rows)
    for position, index in enumerate(rows):
        if index == ours:
            return index
        stripped = lines[index].strip()
        if _SEPARATOR.fullmatch(stripped) or _attribution_span(lines, index, loose=False):
            return index
        if _unquoted_history(lines, rows, position):
            return index
        if _HEADER_FROM.match(stripped):
            previous = index - 1
            while previous >= 0 and not lines[previous].strip():
                previous -= 1
            ruled = previous >= 0 and bool(_RULE.fullmatch(lines[previous].strip()))
            if _is_header_block(lines, index, fields=1 if ruled else 2):
                return previous if ruled else index
    return len(lines)


def _unquoted_history(lines: list[str], rows: list[int], position: int) -> bool:
    """Whether the history of a client that quotes with no `>` starts at `rows[position]`
    (`_RULED_ATTRIBUTION`, `_DATED_ATTRIBUTION`, `_REPLY_ABOVE`, Lotus Notes' block, a rule
    of underscores below the contact's answers and above what answers nothing)."""
    line = lines[rows[position]].strip()
    if len(line) > 500:
        return False
    if _OUTLOOK_RULE.fullmatch(line):  # a banner's or a signature's rule, unless answers part
        return (
            position + 1 < len(rows)
            and any(_plainly_answers(without_taglines(lines[i])) for i in rows[:position])
            and not reads_as_answer(lines[rows[position + 1]])
            and not banner_hint(lines[rows[position + 1]])
        )
    if _REPLY_ABOVE.fullmatch(line) or _RULED_ATTRIBUTION.fullmatch(line):
        return True
    if _DATED_ATTRIBUTION.fullmatch(line):
        return True
    if not _NOTES_FROM.fullmatch(line) or position + 1 >= len(rows):
        return False
    following = [lines[i].strip() for i in rows[position + 1 : position + 2 + _NOTES_LINES]]
    fields = {field.rstrip(":").strip().casefold() for field in following[1:]}
    return bool(_NOTES_DATE.fullmatch(following[0])) and bool(
        {"to", "an", "para"} & fields and {"subject", "betreff", "asunto"} & fields
    )


def _is_header_block(lines: list[str], index: int, *, fields: int) -> bool:
    """Whether `fields` header lines (Sent:, To:, Subject:…) follow a From: line; one is
    enough below a rule (`_____` / `From:` / `Sent:` is how Outlook opens the history)."""
    following = [line.strip() for line in lines[index + 1 : index + 7]]
    if following and _HEADER_DATE.match(following[0]):
        return True  # `From:` / `Sent: Tuesday, November 24, 2026 9:14 AM`, all a client kept
    return sum(1 for field in following if _HEADER_FIELD.match(field)) >= fields


def _mark_signatures(lines: list[str], kinds: list[_Kind], signer: Collection[str]) -> None:
    _mark_banners(lines, kinds)
    for index, line in enumerate(lines):
        if kinds[index] is not _Kind.TEXT:
            continue
        if line.strip() == "--":
            end = index
            while end < len(lines) and kinds[end] is _Kind.TEXT:
                kinds[end] = _Kind.SIGNATURE
                end += 1
        elif _is_mobile_signature(line.strip()):
            kinds[index] = _Kind.SIGNATURE
            _mark_card_below(lines, kinds, index)
    disclaimer = _mark_disclaimer(lines, kinds)
    taglines = _taglines(lines, kinds)
    _mark_closing(lines, kinds, taglines)
    _mark_contact_card(lines, kinds, above_disclaimer=disclaimer, signer=signer, taglines=taglines)


_BANNER_LINES = 8  # the most lines a gateway's banner takes


def _mark_banners(lines: list[str], kinds: list[_Kind]) -> None:
    """Mark the banners mail gateways add above or below a message (`CAUTION: This email
    originated from outside…`, `[EXTERNAL]`, `You don't often get email from…`, `This email
    has been scanned…`), with the rules around them. A banner is the lines from the one that
    says it (or a tag like `CAUTION:` right above that) on, while they wrap its sentence or
    close it (a link, `For more information…`, a rule); a line that answers ends it."""
    index = 0
    while index < len(lines):
        end = _banner_end(lines, kinds, index)
        if not end:
            index += 1
            continue
        start = index - 1 if index and _is_rule(lines, kinds, index - 1) else index
        end += 1 if _is_rule(lines, kinds, end) else 0
        for covered in range(start, end):
            kinds[covered] = _Kind.BANNER
        index = end


def _is_rule(lines: list[str], kinds: list[_Kind], index: int) -> bool:
    return (
        0 <= index < len(lines)
        and kinds[index] is _Kind.TEXT
        and bool(_RULE.fullmatch(lines[index].strip()))
    )


def _banner_end(lines: list[str], kinds: list[_Kind], start: int) -> int:
    """The end (exclusive) of a banner opening at `lines[start]`, or 0 when none does."""
    first = lines[start].strip()
    if kinds[start] is not _Kind.TEXT or not banner_hint(first):
        return 0
    if banner_tag(first, alone=True):
        return start + 1
    run: list[int] = []
    for index in range(start, min(start + _BANNER_LINES, len(lines))):
        line = lines[index]
        if kinds[index] is not _Kind.TEXT or not line.strip():
            break
        if _ANSWER_MARK.search(_URL.sub("", line)):
            break  # `…, here is INV-0042`: a banner holds no answer
        if (
            run
            and banner_phrase(line) is None
            and not banner_tail(line)
            and (ends_sentence(lines[run[-1]]) or _plainly_answers(line))
        ):
            break  # the banner's sentence ended, or the contact's text begins
        run.append(index)
    if not run:
        return 0
    said = banner_phrase(" ".join(lines[i].strip() for i in run))
    if said is None:
        return 0
    # It opens here: it is said on this line, or this line is the tag above it (`CAUTION:`).
    opening = len(first)
    if len(run) > 1 and banner_tag(first, alone=False):
        opening += 1 + len(lines[run[1]].strip())
    return run[-1] + 1 if said.start() < opening else 0


def _mark_card_below(lines: list[str], kinds: list[_Kind], index: int) -> None:
    """`Sent from my iPhone` with the name and company typed below it: signature too, when
    all that follows is a card's lines."""
    below = _text_rows(lines, kinds)
    below = [row for row in below if row > index]
    if (
        0 < len(below) <= _MOST_CARD_LINES
        and all(_is_card_line(lines[i]) for i in below)
        and _from_card_opening(lines, below) == below
    ):
        for row in below:
            kinds[row] = _Kind.SIGNATURE


def _text_rows(lines: list[str], kinds: list[_Kind]) -> list[int]:
    return [i for i, kind in enumerate(kinds) if kind is _Kind.TEXT and lines[i].strip()]


def _is_mobile_signature(line: str) -> bool:
    """`Sent from my iPhone`, `Enviado desde mi Galaxy`, `Get Outlook for iOS<https://…>`:
    the whole line, nothing typed after it (`Sent from my phone on site, panels 2: 3 units`)."""
    return bool(_MOBILE_SIGNATURE.fullmatch(line)) and not reads_as_answer(_URL.sub("", line))


def reads_as_answer(line: str) -> bool:
    """Whether `line` answers a question or gives a command, in English or Spanish: a line
    number or `line 2`, an amount, a percentage or a quantity with its unit, a number in
    words, a word that answers a line (`done`, `ninguno`, `same as last month`), a decision
    or a yes or no (`approved`, `return for revision`, `ok, use it`, `sí`), a command, or a
    labelled value (`Panels: not started`) that is not a phone number or an address."""
    text = line.strip().lstrip("-*•·> ").strip()
    if not text:
        return False
    if _ANSWER_MARK.search(text) or _ANSWER_WORD.search(text) or _OPENING.match(text):
        return True
    if _COMMAND_LINE.fullmatch(text) or _NUMBER_LINE.fullmatch(text):
        return True
    labelled = _LABELLED.fullmatch(text)
    return labelled is not None and not _is_contact(labelled["value"])


def _is_contact(line: str) -> bool:
    """A phone number, a mail or web address, a street address."""
    if _CONTACT.search(line) or _PHONE_LABELLED.match(line.strip()):
        return True
    return any(7 <= sum(c.isdigit() for c in m.group()) <= 15 for m in _PHONE.finditer(line))


def _is_card_line(line: str) -> bool:
    """A line a contact card may hold: a phone number, a mail, web or street address, or a
    short line of words (a name, a title, a company) that neither answers nor asks; its
    tagline (`ISO 9001:2015 Certified`, `Office hours: Mon-Fri 7:00-3:30`, `TECL #12345`)
    aside, which says nothing of the kind whatever figures it holds."""
    text = line.strip()
    if len(text) > 120:
        return False
    rest = without_taglines(text)
    if rest != text and not rest.strip(" \t|,;:.-–—·•()[]"):
        return True  # a tagline and nothing else
    if _PHONE_ALONE.fullmatch(rest):
        return True  # `713.555.0101`: no number is written so
    if reads_as_answer(rest):
        return False
    return (
        _is_contact(rest)
        or _is_postal(rest)
        or (len(rest) <= 60 and not any(c.isdigit() for c in rest))
    )


def _is_postal(line: str) -> bool:
    """A postal code with its city (`28013 Madrid`, `Houston TX 77002`)."""
    return _POSTAL.fullmatch(line.strip()) is not None


_PARENTHESES = re.compile(r"\([^()]{0,40}\)")  # `(he/him)`, `(Acme)` beside a name


def _looks_like_name(line: str) -> bool:
    """`Sam Sparks`, `Maria Lopez | Project Manager`, `Ing. José de la Cruz`, `ACME ELECTRIC`:
    a few capitalised words (before any `|` or comma), as a card opens."""
    head = re.split(r"[|,·•]|\s[-–—]\s", _PARENTHESES.sub(" ", line).strip(), maxsplit=1)[0]
    words = head.split()
    named = [word for word in words if word.lower() not in _NAME_PARTICLES]
    return 0 < len(named) <= 5 and all(w[0].isalpha() and not w[0].islower() for w in named)


def _mark_disclaimer(lines: list[str], kinds: list[_Kind]) -> bool:
    """Mark legal small print (`CONFIDENTIALITY NOTICE: …`, `This e-mail and any attachments
    are confidential…`, `AVISO DE CONFIDENCIALIDAD`, `Please consider the environment before
    printing`) and everything below it as signature, unless an answer follows it. True when
    there was some."""
    rows = _text_rows(lines, kinds)
    for position, row in enumerate(rows):
        paragraph = []
        for index in range(row, min(row + 4, len(lines))):
            if kinds[index] is not _Kind.TEXT or not lines[index].strip():
                break
            paragraph.append(lines[index].strip())
        if not _DISCLAIMER.match(" ".join(paragraph)):
            continue
        # Its own prose may hold a figure (`a 1.5% monthly finance charge applies`).
        prose = rows[position : position + len(paragraph)]
        if any(_answers_in_prose(lines[i]) for i in prose) or any(
            _plainly_answers(lines[i]) for i in rows[position + len(paragraph) :]
        ):
            continue
        for index in rows[position:]:
            kinds[index] = _Kind.SIGNATURE
        return True
    return False


def _answers_in_prose(line: str) -> bool:
    """An answer typed on its own line inside a paragraph of prose: `_plainly_answers` but for
    a percentage within a sentence."""
    text = line.strip()
    return _ANSWER_MARK.match(text.lstrip("-*• ")) is not None or (
        len(text) <= 40 and len(text.split()) <= 3 and reads_as_answer(text)
    )


def _plainly_answers(line: str) -> bool:
    """An answer as one is typed on its own line (`1: 50%`, `send`, `Approved`), not a word
    of legal prose (`… please return it to the sender`)."""
    text = line.strip()
    return (
        "%" in text
        or _ANSWER_MARK.match(text.lstrip("-*• ")) is not None
        or (len(text) <= 40 and len(text.split()) <= 3 and reads_as_answer(text))
    )


# A percentage before a word that is no answer's (`A 100% union contractor`), not `50%
# complete`, `50% to date`.
_ADJECTIVE_PERCENT = re.compile(
    r"\d[\d.,]*\s*%\s+(?!(?:complete|completed|done|finished|installed|billed|progress|to\s+date"
    r"|this|of|on|for|through|thru|overall|total|complet\w*|terminad\w*|listo|lista|avance|de|del"
    r"|en|hasta|al|a|at)\b)(?=[^\W\d_])",
    re.I,
)
_SENDING = re.compile(r"\b(?:send|submit|enviar\w*|env[ií]\w*|draft|borrador)\b", re.I)
_MOST_TAGLINES = 2  # in one signature


def _is_tagline(line: str) -> bool:
    """A signature's line of prose with a figure (`Celebrating 25 Years`, `Over 500 projects
    completed`, `A 100% union contractor`, `Safety is priority #1`): no line number, invoice
    number, money, quantity with its unit or command, a percentage only before a word, and a
    word that answers a line only in a line of more than three words."""
    text = without_taglines(line).strip(" \t|,;:.-–—·•")
    words = text.split()
    if len(text) > 80 or len(words) > 10 or _SENDING.search(text) or _OPENING.match(text):
        return False
    bare = _ADJECTIVE_PERCENT.sub(" ", text)
    if _ANSWER_MARK.search(bare) or _COMMAND_LINE.fullmatch(bare):
        return False
    return len(words) > 3 or not reads_as_answer(bare)


def _taglines(lines: list[str], kinds: list[_Kind]) -> frozenset[int]:
    """The taglines (`_is_tagline`) of a trailing signature, to be read as its card's lines:
    read upwards from the last line, the block of card lines and a tagline or two that opens
    with a closing word or a name, and holds a phone number, a mail, web or street address."""
    rows = _text_rows(lines, kinds)
    block: list[int] = []
    for index in reversed(rows):
        if len(block) >= _MOST_CARD_LINES:
            break
        if not (_is_card_line(lines[index]) or _is_tagline(lines[index])):
            break
        block.insert(0, index)
    openings = [
        position
        for position, index in enumerate(block)
        if _CLOSING.fullmatch(lines[index].strip()) or _looks_like_name(lines[index])
    ]
    if not openings:
        return frozenset()
    block = block[openings[0] :]
    taglines = [index for index in block if not _is_card_line(lines[index])]
    if (
        not taglines
        or taglines[0] == block[0]
        or len(taglines) > _MOST_TAGLINES
        or len(taglines) * 2 >= len(block)
        or not any(_is_contact(lines[index]) for index in block)
    ):
        return frozenset()
    return frozenset(taglines)


def _mark_closing(lines: list[str], kinds: list[_Kind], taglines: Collection[int] = ()) -> None:
    """Mark a trailing "Thanks,\\nSam Lee\\nAcme Drywall" block as signature: a closing word
    followed by nothing but a name, a title or a contact card (`_is_card_line`). Whatever
    reads as an answer or a command stays (`Thank you.` above `Line 1: 600 LF`, `Thanks.
    Send`, `Gracias, enviar`); a tagline of the card (`taglines`) is one of its lines."""
    rows = _text_rows(lines, kinds)
    for position in range(len(rows) - 1, 0, -1):
        after = rows[position + 1 :]
        if len(after) > _MOST_CARD_LINES or (
            after and after[0] not in taglines and not _is_card_line(lines[after[0]])
        ):
            return
        closing = _CLOSING.fullmatch(lines[rows[position]].strip())
        if closing and not reads_as_answer(closing["name"] or ""):
            for index in rows[position:]:
                kinds[index] = _Kind.SIGNATURE
            return


def _mark_contact_card(
    lines: list[str],
    kinds: list[_Kind],
    *,
    above_disclaimer: bool,
    signer: Collection[str],
    taglines: Collection[int] = (),
) -> None:
    """Mark a trailing contact card as signature even without a closing word or `--` (as
    Outlook adds one). Read upwards from the last line, it is lines a card may hold
    (`_is_card_line`: an answer or a command stops it) and opens with a name or a company;
    it holds a phone number or an address (a postal code and city only below the message:
    `12000 Conduit` alone may be an answer), unless legal small print followed it, or it is
    the sender signing below their message (`_signed`).

    When it would take the whole message, the first paragraph is kept if a blank line
    parts it from the rest (`Noted` above the signature): a card follows the message."""
    rows = _text_rows(lines, kinds)
    card: list[int] = []
    for index in reversed(rows):
        if index not in taglines and not _is_card_line(lines[index]):
            break
        card.insert(0, index)
        if len(card) > _MOST_CARD_LINES:
            return
    card = _from_card_opening(lines, card)
    if card and card[0] == rows[0]:
        parted = [i for i in card[1:] if not lines[i - 1].strip()]
        card = _from_card_opening(lines, card[card.index(parted[0]) :]) if parted else card
    if card and (
        above_disclaimer
        or any(_is_contact(lines[i]) for i in card)
        or (card[0] != rows[0] and any(_is_postal(lines[i]) for i in card))
        or _signed(lines, card, rows, signer)
    ):
        for index in card:
            kinds[index] = _Kind.SIGNATURE


def _signed(lines: list[str], card: list[int], rows: list[int], signer: Collection[str]) -> bool:
    """A few lines set apart below the message (`Sam`, `Sam Sparks | Project Manager`, `Sam
    Sparks` / `Project Manager` / `Acme Electric`) that open with the sender's name and hold
    nothing but names, titles and companies: their signature, though it holds no phone."""
    first = card[0]
    named = set(re.findall(r"[^\W\d_]{2,}", lines[first].casefold()))
    return (
        0 < len(card) <= _SIGNED_LINES
        and first != rows[0]
        and not lines[first - 1].strip()
        and bool(named & set(signer))
        and all(_is_title(lines[index]) for index in card)
    )


def _is_title(line: str) -> bool:
    """A name, a title or a company (`Sam Sparks, PMP`, `Senior Project Manager`, `Acme
    Electric, Inc.`, `NECA Member Since 1985`): capitalised words, no instruction."""
    rest = without_taglines(line)
    words = [w for w in re.split(r"[\s|,·•()&/]+|\s[-–—]\s", rest) if w.strip(".-–—")]
    return not INSTRUCTION.search(rest) and all(
        word.lower() in _NAME_PARTICLES or (word[0].isalpha() and not word[0].islower())
        for word in words
    )


def _from_card_opening(lines: list[str], card: list[int]) -> list[int]:
    """`card` from its first line that opens one: a name, a company or a contact line."""
    for position, index in enumerate(card):
        if _looks_like_name(lines[index]) or _is_contact(lines[index]):
            return card[position:]
    return []


_ABOVE = 3  # quoted lines kept above the one an answer is written below


def _inline_answers(lines: list[str], kinds: list[_Kind]) -> tuple[InlineAnswer, ...]:
    answers: list[InlineAnswer] = []
    run: list[str] = []  # the quoted lines of one paragraph, up to the last one
    parted = False  # a quoted blank line or the contact's text since the last quoted line
    block: list[str] = []
    for line, kind in [*zip(lines, kinds, strict=True), (">", _Kind.QUOTE)]:
        if kind is _Kind.TEXT:
            block.append(line)
        elif kind is _Kind.QUOTE:
            answer = _tidy(block)
            if run and answer:
                above = tuple(run[-1 - _ABOVE : -1])
                answers.append(InlineAnswer(quote=run[-1], answer=answer, above=above))
            block.clear()
            quoted = line.lstrip(" >").strip()
            if quoted:
                run = [*run[-_ABOVE:], quoted] if run and not (parted or answer) else [quoted]
                parted = False
            else:
                parted = True
    return tuple(answers)


def _tidy(lines: Iterable[str]) -> str:
    """Join lines, squeezing runs of blank lines and trimming the ends."""
    out: list[str] = []
    for line in lines:
        if line.strip() or (out and out[-1]):
            out.append(line.rstrip())
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)
