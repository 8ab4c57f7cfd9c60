"""The new text a person wrote in an email reply, without quoted history or signature.

The body is taken from text/plain (else text/html, with quoted parts marked before
conversion), decoded whatever the declared charset, then cut where the quoted history of the
usual clients begins (Gmail, Outlook, Apple Mail, Thunderbird, mobile apps, several
languages). `>` quotes are dropped, so bottom-posted and interleaved answers are kept.
"""

from __future__ import annotations

import codecs
import email
import email.policy
import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import Message
from enum import Enum
from html.parser import HTMLParser

__all__ = ["ExtractedReply", "InlineAnswer", "extract_reply", "extract_reply_bytes"]


@dataclass(frozen=True)
class InlineAnswer:
    """Text written below a quoted line (interleaved or bottom-posted replies)."""

    quote: str
    answer: str


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
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
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
    stripped = strip_reply(body)
    return ExtractedReply(
        text=stripped.text,
        html_only=html_only and bool(body.strip()),
        charset=charset,
        quoted=stripped.quoted or html_quoted,
        signature=stripped.signature,
        inline=stripped.inline,
        body=_normalize(whole).strip("\n"),
    )


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
    "latin-1": ("cp1252", "latin-1"),
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
    """Decode with the declared charset or a superset, else UTF-8, else windows-1252."""
    candidates: list[str] = []
    if charset:
        try:
            name = "".join(charset.split()).strip("\"'")
            codec = codecs.lookup(name).name
            candidates.extend(_FALLBACKS.get(codec, (name,)))
        except (LookupError, ValueError):
            pass
    candidates.extend(("utf-8", "cp1252"))
    for candidate in candidates:
        if (
            candidate.startswith(("utf-16", "utf-32", "utf_16", "utf_32"))
            and b"\x00" not in payload
        ):
            continue  # a wrong label: real UTF-16/32 text has NUL bytes
        try:
            return payload.decode(candidate), candidate
        except (LookupError, UnicodeError, ValueError, TypeError):
            continue
    return payload.decode("latin-1"), "latin-1"


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
    HIDDEN = "hidden"


@dataclass
class _Open:
    """An element with a role, and how many same-named elements are open inside it."""

    tag: str
    role: _Role
    depth: int = 1


class _HtmlText(HTMLParser):
    """HTML to plain text; blockquotes become `> ` lines, signatures and (unless
    `keep_history`) the quoted history of Outlook-style replies vanish."""

    def __init__(self, *, keep_history: bool = False) -> None:
        super().__init__(convert_charrefs=True)
        self.keep_history = keep_history
        self.lines: list[tuple[int, str]] = []
        self.quoted = False
        self._line: list[str] = []
        self._open: list[_Open] = []
        self._lists: list[list[int]] = []
        self._pre = 0
        self._stopped = False
        self._roles = dict.fromkeys(_Role, 0)

    @property
    def _depth(self) -> int:
        return self._roles[_Role.QUOTE]

    @property
    def _hidden(self) -> bool:
        return self._roles[_Role.HIDDEN] > 0

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
        if tag == "blockquote" or classes & _QUOTE_CLASSES:
            self.quoted = True
            return _Role.QUOTE
        return None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._stopped:
            return
        role = self._role(tag, attrs)
        if self._stopped or tag in _BLOCK or role is not None:
            self._break()
        if self._stopped:
            return
        if tag == "br":
            self._flush()
        elif tag in ("ul", "ol"):
            self._lists.append([1 if tag == "ol" else 0])
        elif tag == "li":
            self._start_item()
        elif tag in ("td", "th") and "".join(self._line).strip():
            self._line.append(" | ")
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
        elif tag == "pre" and self._pre:
            self._pre -= 1
        for index in range(len(self._open) - 1, -1, -1):
            entry = self._open[index]
            if entry.tag == tag:
                entry.depth -= 1
                if entry.depth == 0:
                    self._break()
                    for closed in self._open[index:]:
                        self._roles[closed.role] -= 1
                    del self._open[index:]
                break

    def handle_data(self, data: str) -> None:
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

    def _start_item(self) -> None:
        if not self._lists:
            self._line.append("- ")
            return
        counter = self._lists[-1]
        if counter[0]:
            self._line.append(f"{counter[0]}. ")
            counter[0] += 1
        else:
            self._line.append("- ")

    def _break(self) -> None:
        if "".join(self._line):
            self._flush()
        else:
            self._line = []

    def _flush(self) -> None:
        if self._hidden:
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
    parser = _HtmlText(keep_history=keep_history)
    parser.feed(html)
    parser.close()
    return _normalize(parser.text()), parser.quoted


# --- Quoted history and signatures in text ---------------------------------------------------

_WROTE = (
    r"(?:wrote|schrieb|a\s+écrit|escribió|schreef|ha\s+scritto|escreveu|skrev|kirjoitti|"
    r"napisał\(a\)|napisała|napisał|пишет|написал\(а\)|написала|написал)"
)
_ATTRIBUTION = re.compile(
    r"(?:on\s.{3,300}\swrote|am\s.{3,300}\sschrieb(?:\s.{0,200})?|le\s.{3,300}\sa\s+écrit|"
    r"el\s.{3,300}\sescribió|op\s.{3,300}\sschreef(?:\s.{0,200})?|il\s.{3,300}\sha\s+scritto|"
    r"em\s.{3,300}\sescreveu|den\s.{3,300}\sskrev(?:\s.{0,200})?)\s?[:：]"
    # Yahoo puts the first quoted line on the attribution line, after a few spaces.
    r"(?:\s{3,}.*)?",
    re.I,
)
_WROTE_FIRST = re.compile(rf"\s*{_WROTE}\b", re.I)
_ATTRIBUTION_OPENERS = frozenset({"on", "am", "le", "el", "op", "il", "em", "den"})
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
_HEADER_FROM = re.compile(r"\*?(?:from|von|de|van|da|från|fra|od|от)\s?:\*?\s*\S", re.I)
_HEADER_FIELD = re.compile(
    r"\*?(?:sent|date|to|cc|subject|gesendet|datum|an|betreff|envoyé|à|objet|enviado|fecha|"
    r"para|asunto|verzonden|aan|onderwerp|inviato|data|a|oggetto|skickat|till|ämne|"
    r"отправлено|дата|кому|тема)\s?:",
    re.I,
)
_RULE = re.compile(r"[_\-=]{8,}")
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
    r"grazie|atenciosamente|obrigad[oa]|с\s+уважением|спасибо)"
    r"(?:[,.!]?\s+[A-ZÀ-ÖØ-ÞА-Я][\w'.-]*(?:\s+[A-ZÀ-ÖØ-ÞА-Я][\w'.-]*){0,2})?[\s,.!]*",
)
# A contact card's lines: a phone number (`O: 555.123.4567`, `+52 55 1234 5678`), a mail or
# web address, a street address, a city with its state and ZIP code.
_CONTACT = re.compile(
    r"(?<![\w.])\(?\d{3}\)?[\s.-]?\d{3}[\s.-]\d{4}(?![\w.])|\+\d[\d\s().-]{7,}\d"
    r"|[\w.+-]+@[\w-]+\.[\w.-]+|https?://|\bwww\.|\b[\w-]+\.(?:com|net|org|biz|us|mx|es|co|io)\b"
    r"|^\d{1,6}\s+[\w .'-]{2,40}\b(?:st|street|ave|avenue|rd|road|blvd|boulevard|dr|drive|suite"
    r"|ste|floor|fl|way|ln|lane|pkwy|parkway|hwy|highway|ct|court|pl|place)\b"
    r"|,\s*[A-Z]{2}\.?\s+\d{5}(?:-\d{4})?$|^(?:suite|ste\.?)\s+\d+",
    re.IGNORECASE,
)
# Words that end a contact card (read upwards): what answers a line or asks for something.
_NOT_A_CARD = re.compile(
    r"%|\$|\b(?:send|submit|save|draft|cancel|edit|change|fix|skip|none|nothing|n/a|done"
    r"|complete[d]?|finished|half|quarter|zero|one|two|three|four|five|six|seven|eight|nine"
    r"|ten|dozen|invoice|line|enviar|env[ií]\w*|guardar|borrador|cancelar|omitir|nada"
    r"|listo|complet[oa]|terminad[oa]|mitad|factura|l[ií]nea|uno|dos|tres)\b",
    re.IGNORECASE,
)
_LINE_ANSWER_START = re.compile(r"\s*(?:(?:line|item|l[ií]nea)\s*)?#?\d{1,3}[a-z]?\s*[:=]", re.I)
# A closing only starts the signature if nothing after it looks like a billing answer.
_ANSWER_LIKE = re.compile(
    r"%|^\s*[-*•]?\s*(?:\d{1,3}\s*[:.)=-]|all\b|send\b|skip\b|draft\b|inv-?\d)", re.I
)


class _Kind(Enum):
    TEXT = "text"
    QUOTE = "quote"
    ATTRIBUTION = "attribution"
    SIGNATURE = "signature"


@dataclass(frozen=True)
class StrippedText:
    """The result of `strip_reply` on a text body."""

    text: str
    quoted: bool
    signature: str
    inline: tuple[InlineAnswer, ...]


def strip_reply(body: str) -> StrippedText:
    """Remove quoted history, `>` quotes and signatures from a plain-text reply body."""
    lines = _normalize(body).split("\n")
    kinds = [_Kind.QUOTE if _is_quote(line) else _Kind.TEXT for line in lines]
    _mark_attributions(lines, kinds)
    cut = _history_start(lines, kinds)
    quoted = cut < len(lines) or any(kind is _Kind.QUOTE for kind in kinds)
    lines, kinds = lines[:cut], kinds[:cut]
    _mark_signatures(lines, kinds)
    text = _tidy(line for line, kind in zip(lines, kinds, strict=True) if kind is _Kind.TEXT)
    signature = _tidy(
        line for line, kind in zip(lines, kinds, strict=True) if kind is _Kind.SIGNATURE
    )
    return StrippedText(text, quoted, signature, _inline_answers(lines, kinds))


def _is_quote(line: str) -> bool:
    return line.lstrip(" ").startswith(">")


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
    for index, line in enumerate(lines):
        if kinds[index] is not _Kind.TEXT or not line.strip():
            continue
        stripped = line.strip()
        if _SEPARATOR.fullmatch(stripped) or _attribution_span(lines, index, loose=False):
            return index
        if _HEADER_FROM.match(stripped):
            previous = index - 1
            while previous >= 0 and not lines[previous].strip():
                previous -= 1
            ruled = previous >= 0 and bool(_RULE.fullmatch(lines[previous].strip()))
            if _is_header_block(lines, index, fields=1 if ruled else 2):
                return previous if ruled else index
    return len(lines)


def _is_header_block(lines: list[str], index: int, *, fields: int) -> bool:
    """Whether `fields` header lines (Sent:, To:, Subject:…) follow a From: line; one is
    enough below a rule (`_____` / `From:` / `Sent:` is how Outlook opens the history)."""
    following = [line.strip() for line in lines[index + 1 : index + 7]]
    return sum(1 for field in following if _HEADER_FIELD.match(field)) >= fields


def _mark_signatures(lines: list[str], kinds: list[_Kind]) -> None:
    for index, line in enumerate(lines):
        if kinds[index] is not _Kind.TEXT:
            continue
        if line.strip() == "--":
            end = index
            while end < len(lines) and kinds[end] is _Kind.TEXT:
                kinds[end] = _Kind.SIGNATURE
                end += 1
        elif _MOBILE_SIGNATURE.fullmatch(line.strip()):
            kinds[index] = _Kind.SIGNATURE
    _mark_closing(lines, kinds)
    _mark_contact_card(lines, kinds)


def _mark_contact_card(lines: list[str], kinds: list[_Kind]) -> None:
    """Mark a trailing contact card as signature even without a closing word or `--` (as
    Outlook adds one): the last lines hold a phone number, a mail or web address or a street
    address, and nothing else but short lines of words (a name, a title, a company) that
    neither answer nor ask (`Panels complete`, `please send` stop it)."""
    card: list[int] = []
    contact = False
    for index in reversed(range(len(lines))):
        line = lines[index].strip()
        if kinds[index] is not _Kind.TEXT or not line:
            continue
        if len(line) > 120 or _NOT_A_CARD.search(line) or _LINE_ANSWER_START.match(line):
            break
        if _CONTACT.search(line):
            contact = True
        elif len(line) > 60 or re.search(r"\d", line):
            break
        card.append(index)
        if len(card) > 10:
            return
    if contact:
        for index in card:
            kinds[index] = _Kind.SIGNATURE


def _mark_closing(lines: list[str], kinds: list[_Kind]) -> None:
    """Mark a trailing "Thanks,\\nSam Lee\\nAcme Drywall" block as signature."""
    text_rows = [i for i, kind in enumerate(kinds) if kind is _Kind.TEXT and lines[i].strip()]
    for position in range(len(text_rows) - 1, 0, -1):
        row = text_rows[position]
        after = text_rows[position + 1 :]
        if len(after) > 5 or any(len(lines[i].strip()) > 80 for i in after):
            return
        if any(_ANSWER_LIKE.search(lines[i]) for i in after):
            return
        if _CLOSING.fullmatch(lines[row].strip()):
            for index in [row, *after]:
                kinds[index] = _Kind.SIGNATURE
            return


def _inline_answers(lines: list[str], kinds: list[_Kind]) -> tuple[InlineAnswer, ...]:
    answers: list[InlineAnswer] = []
    last_quote: str | None = None
    block: list[str] = []
    for line, kind in [*zip(lines, kinds, strict=True), (">", _Kind.QUOTE)]:
        if kind is _Kind.TEXT:
            block.append(line)
        elif kind is _Kind.QUOTE:
            answer = _tidy(block)
            if last_quote is not None and answer:
                answers.append(InlineAnswer(quote=last_quote, answer=answer))
            block.clear()
            last_quote = line.lstrip(" >").strip() or last_quote
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
