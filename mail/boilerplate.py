"""Text in a reply that no one typed as an answer: the banners mail gateways add, and the
taglines of a signature.

Gateways (Microsoft 365's first-contact tip and transport rules, Proofpoint, Mimecast,
Symantec, Avast…) put a warning on top of the message (`CAUTION: This email originated from
outside of the organization…`, `[EXTERNAL]`, `You don't often get email from …`) or a footer
below it (`This email has been scanned for viruses by …`), in any client's reply. A banner is
known by what it says, not by its exact words, since each gateway and each company words its
own; `mail.extract` marks its lines and the lines it wrapped onto.

A signature's tagline (`ISO 9001:2015 Certified`, `TECL #12345`, `Office hours: Mon-Fri
7:00-3:30`, `100% Employee Owned`, `Follow us: LinkedIn`, `Please send all remittances to PO
Box 4410`) holds figures and words that read like an answer; `without_taglines` takes those
phrases out, so what is left of the line tells whether it is a card's line or an answer.
"""

from __future__ import annotations

import re

__all__ = [
    "banner_hint",
    "banner_phrase",
    "banner_tag",
    "banner_tail",
    "ends_sentence",
    "without_taglines",
]

# What a gateway's banner says, in the words of the usual gateways (English, Spanish, and
# Microsoft 365's first-contact tip in its main languages).
_BANNER = re.compile(
    r"\b(?:don['’]?t|do\s+not|doesn['’]?t)\s+often\s+get\s+e-?mails?\s+from"
    r"|\blearn\s+why\s+this\s+is\s+important"
    r"|\bno\s+suele\s+recibir\s+(?:correos?|mensajes?)"
    r"|\bpor\s+qu[eé]\s+(?:esto\s+es|es\s+esto)\s+importante"
    r"|\bvous\s+n['’]obtenez\s+pas\s+souvent|\bsie\s+erhalten\s+nicht\s+oft"
    r"|\bvoc[eê]\s+n[aã]o\s+costuma\s+receber"
    r"|\b(?:originated|originates|came|comes|was\s+sent|is\s+from|arrived|received)\s+"
    r"(?:from\s+)?(?:\S+\s+){0,2}?outside\s+(?:of\s+)?(?:\S+\s+){0,4}?(?:organi[sz]ation|company"
    r"|network"
    r"|domain|firm|e-?mail\s+system)"
    r"|\bexternal\s+(?:sender|e-?mail|message|source)\b.{0,80}\b(?:cautio(?:n|us)|careful|links?"
    r"|attachments?|phishing|trust|organi[sz]ation)"
    r"|\bthis\s+(?:e-?mail|message)\s+is\s+from\s+an?\s+external"
    r"|\bdo\s+not\s+(?:click|open|follow)\b.{0,60}\b(?:links?|attachments?)"
    r"|\bunless\s+you\s+recogni[sz]e\s+the\s+sender|\bknow\s+the\s+content\s+is\s+safe"
    r"|\b(?:has|have)\s+been\s+(?:scanned|checked|filtered|swept)\b.{0,60}?\b(?:virus(?:es)?"
    r"|spam|malware|threats?|security|antivirus|by)\b"
    r"|\bvirus[-\s]free\b"
    r"|\b(?:se\s+origin[oó]|proviene|procede|lleg[oó])\s+(?:de\s+)?fuera\s+de\s+(?:la|su"
    r"|nuestra)\s+(?:organizaci[oó]n|empresa|compa[ñn][ií]a)"
    r"|\bno\s+(?:haga|hagas|d[eé])\s+clic\b.{0,60}\b(?:enlaces|v[ií]nculos|adjuntos)"
    r"|\b(?:remitente|correo)\s+externo\b.{0,80}\b(?:precauci[oó]n|cuidado|enlaces|adjuntos)"
    r"|zjqcmqryfpfptbanner",
    re.I | re.S,
)
# A gateway's tag on a line of its own, or opening a banner (`CAUTION:` above its sentence).
_EXTERNAL = (
    r"(?:external|ext|externo|externe|extern)(?:\s+(?:e-?mail|sender|message|correo|remitente))?"
)
_TAG = re.compile(
    rf"[\W_]*(?:{_EXTERNAL}|(?:caution|warning|attention|alert|precauci[oó]n|advertencia"
    r"|aviso)(?:\s*[-:–—]\s*(?:external|externo)(?:\s+(?:e-?mail|sender))?)?)[\W_]*",
    re.I,
)
_TAG_ALONE = re.compile(rf"[\W_]*{_EXTERNAL}[\W_]*", re.I)
# What a banner wraps onto, or closes with, after a full stop.
_TAIL = re.compile(
    r"[\W_]*(?:for\s+more\s+information|click\s+here|report\s+(?:this|suspicious|phish|spam"
    r"|junk)|learn\s+more|powered\s+by|zjqcmqryfpfptbanner|https?://\S+|www\.\S+"
    r"|para\s+m[aá]s\s+informaci[oó]n)"
    r"|[_\-=*]{8,}",
    re.I,
)
_URL = re.compile(r"<?https?://\S+>?")
_SENTENCE_END = re.compile(
    r"(?:[.!?:]|learn\s+why\s+this\s+is\s+important|importante|important)[\])>\"'”]*$", re.I
)


# A word every banner's first line holds (a cheap test before the others).
_HINT = re.compile(
    r"caution|warning|attention|extern|outside|fuera|scanned|checked|virus|often|suele"
    r"|souvent|oft|costuma|click|clic|important|zjqcmq",
    re.I,
)


def banner_hint(line: str) -> bool:
    """Whether `line` may open a banner (so the costlier tests are worth running)."""
    return _HINT.search(line) is not None


def banner_phrase(text: str) -> re.Match[str] | None:
    """Where `text` says what a gateway's banner says, if it does."""
    return _BANNER.search(text)


def banner_tag(line: str, *, alone: bool) -> bool:
    """`[EXTERNAL]` on its own line (`alone`), or a tag that may open a banner (`CAUTION:`)."""
    return bool((_TAG_ALONE if alone else _TAG).fullmatch(line.strip()))


def banner_tail(line: str) -> bool:
    """A line a banner closes with: a rule, a link, `For more information please visit …`."""
    return bool(_TAIL.match(line.strip()))


def ends_sentence(line: str) -> bool:
    """Whether `line` ends a sentence (links aside), so the next line may be the contact's."""
    return bool(_SENTENCE_END.search(_URL.sub("", line).rstrip()))


# Phrases of a signature's tagline, each with its figures.
_HOURS_LABEL = re.compile(
    r"\b(?:(?:office|business|working|opening|shop|store|service)\s+hours|hours\s*[:：]"
    r"|horario|(?:office|open|shop)\s*[:：]\s*(?:mon|tue|wed|thu|fri|sat|sun|lun|mar|mi[eé]"
    r"|jue|vie)\w*\.?\s*[-–—])",
    re.I,
)
_DAYS = (
    r"(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|lun|mar|mi[eé]|jue|vie|s[aá]b|dom)"
    r"(?:day|es|tes|rcoles|ves|rnes|ado|ingo)?\.?"
)
_TIME = r"\d{1,2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?"
_HOURS = re.compile(
    rf"\b(?:(?:office|business|working|opening|shop|store|service)\s+)?hours\b\s*[:：]?"
    rf"|\bhorario\b\s*[:：]?|\b{_DAYS}(?!\w)|\b(?:{_TIME}\s*[-–—]\s*{_TIME}|\d{{1,2}}:\d{{2}}"
    rf"|\d{{1,2}}\s*[ap]\.?m\.?)(?!\w)",
    re.I,
)
_TAGLINE = re.compile(
    # pronouns: (he/him), (she/her/hers), (they/them)
    r"\((?:he|she|they|ze|xe|él|ella|elle)(?:\s*/\s*\w+){1,2}\)"
    # quality and trade certificates: ISO 9001:2015, OSHA 30, AS9100D
    r"|\b(?:iso|osha)\s*\d{2,5}[a-z]?(?:\s*[:\-]\s*\d{2,4})?|\b(?-i:AS)\s*\d{4}[A-D]?\b"
    # licences and registrations: CA Lic. 987654, License No. 12-345, TECL #12345
    r"|\b(?:(?-i:[A-Z]{2,6})\s+)?(?:lic(?:en[cs]e)?|reg(?:istration)?|cert(?:ificate)?"
    r"|permit)\b\.?\s*(?:no\.?|number|#)?\s*[:：]?\s*#?\s*[A-Z]{0,3}-?\d[\d-]*"
    r"|\b(?!INV\b|PO\b)(?-i:[A-Z]{2,6})\s*(?:#|no\.)\s*\d[\d-]{2,}"
    # a trade licence's holder, a vendor's numbers: Master Electrician ME-4412, Vendor # 10042
    r"|\b(?:master|journeyman)\s+(?:electrician|plumber|mechanic|contractor)\b"
    r"(?:\s+[A-Z]{0,3}-?\d[\d-]*)?"
    r"|\b(?:vendor|supplier|customer|account|acct|job)\s*(?:no\.?|number|#|id)\s*[:：]?\s*\d[\d-]*"
    r"|\b(?!INV\b|PO\b)(?-i:[A-Z]{2,6})\s*[:：#]?\s*\d[\d-]{5,}\b"
    r"|\b(?:certified|licensed|bonded|insured|accredited|registered)\b"
    r"|\b(?-i:(?:[MWDSH]BE|[MW]/?WBE|DVBE|SDVOSB|HUBZone)(?:\s*/\s*[MWDSH]BE)*)\b"
    # social networks
    r"|\b(?:follow|connect\s+with|find|like|join)\s+us\b(?:\s+on)?|\b(?:linkedin|facebook"
    r"|instagram|twitter|youtube|tiktok|x\.com)\b"
    # the company's boasts: 100% Employee Owned, since 1987, for 35 years, 24/7, #1 in…
    r"|\b(?:\d{1,3}\s*%\s*)?employee[-\s]owned\b"
    r"|\b(?:since|est\.?|established|founded)\s+(?:in\s+)?(?:18|19|20)\d\d\b"
    r"|\b(?:for|over)\s+\d{1,3}\+?\s+years\b|\b\d{1,3}\+?\s+years?\s+(?:of|in)\b"
    r"|\b24\s*(?:/\s*7\b|(?:hrs?|hours?)(?=\s+(?:a\s+day|emergency|service|support"
    r"|on[-\s]call)))"
    r"|#\s*1\s+(?:in|for)\b"
    r"|\b\d{1,3}\s+(?:locations|offices|branches|stores)\b"
    # where payments go, to the end of the line: Please send all remittances to PO Box 4410…
    r"|\b(?:please\s+|kindly\s+|por\s+favor,?\s+|favor\s+de\s+)?(?:(?:send|mail|remit|direct"
    r"|address|make)\s+(?:all\s+|any\s+|your\s+)?(?:remittances?|payments?|checks?|cheques?)"
    r"|remit(?:tance)?\s+(?:address|to)\b|(?:env[ií]\w*|remit\w*|dirig\w*|realic\w*"
    r"|hac\w*)\s+(?:todos\s+)?(?:los\s+|sus\s+)?(?:pagos|cheques|abonos|transferencias)"
    r"|(?:envi\w*|remet\w*)\s+(?:os\s+|seus\s+)?pagamentos)\b.*",
    re.I,
)
# A whole line that is a company's name: capitalised words and a legal form
# (`Line 1 Construction Services LLC`).
_COMPANY = re.compile(
    r"(?!.*(?:%|\$|\b[Ii][Nn][Vv]-?\d))(?:[A-Z0-9&][\w&'.,-]*\s+){1,6}"
    r"(?:LLC|L\.L\.C\.|Inc\.?|Ltd\.?|Corp\.?|Co\.|Company|Corporation|GmbH|PLLC|LLP|L\.?P\."
    r"|S\.?A\.?(?:\s+de\s+C\.?V\.?)?)"
)


def without_taglines(line: str) -> str:
    """`line` without the phrases of a signature's tagline (and, with office hours, their
    days and times); the line itself when it holds none."""
    text = line.strip()
    if _COMPANY.fullmatch(text):
        return ""
    if _HOURS_LABEL.search(text):
        text = _HOURS.sub(" ", text)
    return _TAGLINE.sub(" ", text)
