"""The answer parser: one message in, the answers, commands and problems it holds out.

Pure and total: `parse` never raises, whatever the text. A message is split into
fragments (newlines, `;`, and commas that are not thousands separators); each
fragment is a command (`send`), an invoice number (`INV-0042`), a line answer
(`2 - 30 units`, `all skip`, `50% stored 2000`) or a problem quoting the text
and saying why it could not be read. The line-answer grammar lives in `answers.py`.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, replace

from conversations.answers import (
    LEAD_IN,
    LineAnswer,
    Problem,
    Progress,
    ProgressKind,
    Scope,
    is_date,
    parse_body,
    shortened,
    why_unreadable,
    words_to_numbers,
)
from conversations.text import (
    CROSSES,
    MAX_CHARS,
    MAX_FRAGMENT_CHARS,
    MAX_FRAGMENTS,
    TICKS,
    clean_fragment,
    clock_times,
    is_address,
    split_fragments,
)
from conversations.vocabulary import (
    FINISHED,
    INSTRUCTION,
    LINE_WORD,
    NO_FILES,
    POLITE_AFTER,
    REF,
    Command,
    CommandName,
    Expect,
    is_chatter,
    is_hold,
    is_pleasantry,
    read_command,
    said_plainly,
)
from models.i18n import N_
from models.money import HUNDRED


@dataclass(frozen=True)
class Parsed:
    invoice_number: str | None = None
    answers: tuple[LineAnswer, ...] = ()
    commands: tuple[Command, ...] = ()
    problems: tuple[Problem, ...] = ()
    choice: str | None = None  # the text of an answer at the choose step
    pleasantries: tuple[str, ...] = ()  # `Thanks!`, `See attached`: neither answer nor error
    # `Job#2317`, `v2`, `A-17` past the invoice-number step: a token that does not say it is
    # the invoice number (as `invoice A-17`, `INV-0043` do): the number again, or not one?
    number_unsure: bool = False
    owned: bool = False  # a mistake owned (`oops`, `me equivoqué`): which line is wrong?

    def has(self, name: CommandName) -> bool:
        return any(command.name == name for command in self.commands)

    @property
    def is_empty(self) -> bool:
        return not (
            self.invoice_number or self.answers or self.commands or self.problems or self.choice
        )


_TOKEN = r"[A-Za-z0-9][A-Za-z0-9\-_/.#]{0,49}"
# What subcontractors call the number: invoice, pay application (AIA), estimación (Mexico).
# (Mexico: `folio`, `No. de factura`, `núm. de factura`)
_INVOICE_WORD = (
    r"(?:invoice|inv\.?|factura|(?:n[uú]m(?:ero)?|no|nro)\.?\s+de\s+factura|folio"
    r"|pay\s*app(?:lication)?|estimaci[oó]n"
    r"|(?:application|app\.?)(?=\s*(?:no\.?|number|num|\#))|aplicaci[oó]n\s+de\s+pago)"
)
_INVOICE_KEYWORD = re.compile(
    rf"{_INVOICE_WORD}(?:\s*(?:number|num|no\.?|nr\.?|nro\.?|\#"
    rf"|n[uú]m(?:ero)?\.?|n[º°o]\.?))?\s*(?:[:\#=]\s*|\s+)\#?\s*"
    rf"(?P<num>{_TOKEN})",
    re.IGNORECASE,
)
# `INV-0042`, `A-17`, `INV0042`: letters then a digit, whatever the step.
_INVOICE_TOKEN = re.compile(
    r"(?P<num>(?!(?:line|ln|item|sov|l|q|qty|ret)\d)[A-Za-z]{1,10}[-_/.#]?\d[A-Za-z0-9\-_/.]{0,40})",
    re.IGNORECASE,
)
# `my invoice number is INV-0043`, `our invoice is inv 42`, `mi factura es la 1042`: words
# that say what follows is the invoice number (then a bare `1042` is one at any step).
_INVOICE_SAID = re.compile(
    r"(?:(?:my|our|the|this|mi|nuestra|la|el)\s+)?"
    rf"{_INVOICE_WORD}"
    r"(?:\s*(?:number|num|no\.?|nr\.?|nro\.?|\#|n[uú]m(?:ero)?\.?|n[º°o]\.?))?"
    r"\s+(?:is|will\s+be|should\s+be|es|ser[aá])\s+(?:(?:la|el)\s+)?(?P<rest>\S.*)",
    re.IGNORECASE,
)
# Asked for the number, `it's 4471`, `use 4471`, `es la 4471`, `4471 thanks` give it.
_IT_IS = re.compile(
    r"(?:it'?s|it\s+is|it'?ll\s+be|it\s+will\s+be|(?:the\s+)?number\s+is|use|please\s+use"
    r"|(?:i|we)(?:'?ll|\s+will)\s+use|let'?s\s+use|(?:i'?m\s+|we'?re\s+)?going\s+with"
    r"|(?:el\s+)?n[uú]mero\s+es(?:\s+la|\s+el)?|la|el"
    r"|es(?:\s+la|\s+el)?|ser[aá](?:\s+la|\s+el)?|(?:usa|usar|usen)(?:\s+la|\s+el)?)"
    r"\s+(?P<rest>\S.*)",
    re.IGNORECASE,
)
_THANKS_AFTER = re.compile(rf"(?<!\s)\s+(?:{POLITE_AFTER})[.!]*$", re.IGNORECASE)
# Asked for the number, no number: it is needed, and any reference will do.
_NO_NUMBER = re.compile(
    r"(?:we\s+|i\s+)?(?:don'?t|do\s+not|dont|haven'?t|have\s+not)\s+(?:have|got|use|give)"
    r"\s+(?:one|any|an?\s+(?:invoice\s+)?number|an?\s+invoice(?:\s+number)?|invoice\s+numbers?)"
    r"(?:\s+yet)?|no\s+(?:invoice\s+)?number(?:\s+yet)?|no\s+invoice(?:\s+number)?|none|n/a"
    r"|no\s+(?:tengo|tenemos|hay|usamos)(?:\s+(?:n[uú]mero|factura|uno))?(?:\s+todav[ií]a)?"
    r"|sin\s+n[uú]mero",
    re.IGNORECASE,
)
# At the invoice-number step, last month's number again: each invoice needs its own
_LAST_ONES = re.compile(
    r"(?:the\s+)?same(?:\s+(?:one|number|invoice(?:\s+number)?))?(?:\s+as)?\s+(?:the\s+)?"
    r"(?:last|previous|before)(?:\s+(?:month|time|one|invoice|period|month'?s))?"
    r"|(?:igual|(?:el|lo)\s+mismo)(?:\s+n[uú]mero)?\s+(?:que|del?)\s+(?:el\s+|la\s+)?"
    r"(?:mes\s+pasado|vez\s+pasada|(?:vez\s+|factura\s+)?anterior|antes|[uú]ltima)",
    re.IGNORECASE,
)
_LAST_ONES_AGAIN = N_("Each invoice needs its own number, so last month's can't be used again.")
_A_DATE_NUMBER = N_(
    "This looks like a date. If it is your invoice number, write `invoice {text}`; otherwise "
    "type your invoice number."
)
# `11/20/2026`, `2026-11-20`, `20.11.26`: a date given for the invoice number
_DATE_LIKE = re.compile(
    r"(?:\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})|\d{4}[/.\-]\d{1,2}[/.\-]\d{1,2})"
)
# A dash as autocorrect writes it (`INV–0042`): a hyphen, inside an invoice number
_DASH_IN_TOKEN = re.compile(r"(?<=[^\W_])[‐‑‒–—―](?=[^\W_])")
# `INV 0042`, `inv. 0041`, `Inv #0041`, as typed: the prefix is part of the number (INV-0041
# is used: `inv 0041` is it, not a new `0041`)
_INV_PREFIX = re.compile(r"inv\.?(?:\s+\#?|\#)\s*\d[A-Za-z0-9\-_/.]{0,40}", re.IGNORECASE)
# A token that says it is an invoice number by itself (`INV-0043`, `inv0043`), at any step
_INV_TOKEN = re.compile(r"inv(?:oice)?[-_/.#]?\d", re.IGNORECASE)
# At the invoice-number step a bare `1042` or `#1042` is the number too.
_INVOICE_BARE = re.compile(rf"\#?\s*(?P<num>(?=[^\s]*\d){_TOKEN})")
_INVOICE_ANYWHERE = re.compile(
    rf"\binvoice\s*(?:number|num|no\.?|\#)?\s*[:\#]?\s*(?P<num>(?=[^\s]*\d){_TOKEN})",
    re.IGNORECASE,
)

_NOTE = r"(?:\s*\([^)]{0,80}\))?"
# A dash after a space and before a figure (`3 -2 EA`, `2 -$5,000`) is the figure's minus sign
# (a credit), never a separator; `2 - 30 units` and `1-50%` separate.
_MINUS = r"\s+[-–—](?=[$\d.])"
_REF_WITH_WORD = re.compile(
    rf"(?:the\s+|la\s+|el\s+)?{LINE_WORD}\.?\s*(?:no\.?|number|n[uú]mero)?\s*\#?\s*{REF}(?![\d,]){_NOTE}"
    rf"(?:\s*[:=).]\s*|(?!{_MINUS})\s*[-–—]\s*|\s+|$)(?P<rest>.*)",
    re.IGNORECASE,
)
_REF_HASH = re.compile(
    rf"\#\s*{REF}{_NOTE}(?:\s*[:=)]\s*|(?!{_MINUS})\s*[-–—]\s*|\s+)(?P<rest>.*)", re.IGNORECASE
)
_REF_SEPARATOR = re.compile(
    rf"{REF}{_NOTE}\s*(?:[:=)]|(?!{_MINUS})\s[-–—]|[-–—](?=\s)|\.(?=\s)|\.[-–—](?=\s)|\.\))\s*(?P<rest>.*)",
    re.IGNORECASE,
)  # `1: 50%`, `1) 50%`, `1 - 50%`, `1. 50%`, `1.- 50%` and `1.) 50%` (Mexican lists)
# `la 2 al 50%`, `el 2 está al 50%`, `la 1 es 40%`: the line (`la línea`, `la partida`) by its
# article alone, as Spanish speakers say it
_REF_ARTICLE = re.compile(
    rf"(?:la|el)\s+\#?\s*{REF}(?![\d,%$]|\.\d)(?:\s*[:=]\s*|(?!{_MINUS})\s*[-–—]\s*|\s+)"
    r"(?P<rest>\S.*)",
    re.IGNORECASE,
)
_REF_SPACE = re.compile(rf"{REF}{_NOTE}\s+(?P<rest>\S.*)", re.IGNORECASE)
# The lines not answered yet: `the rest`, `remaining lines`, `el resto`, `las demás`.
_THE_REST = (
    r"(?:the\s+)?(?:rest|remaining(?:\s+lines)?|others|other\s+lines|everything\s+else"
    r"|all\s+(?:the\s+)?(?:remaining|others?|other\s+lines|rest)(?:\s+lines)?"
    r"|(?:el\s+)?resto|(?:las?\s+|los\s+|lo\s+)?dem[aá]s(?:\s+l[ií]neas)?"
    r"|lo\s+(?:restante|que\s+(?:falta|queda)))"
)
_REST = re.compile(rf"{_THE_REST}\s*(?:[:=\-–—]\s*|\s+)(?P<rest>.+)", re.IGNORECASE)
# The same, the value first: `skip the rest`, `nothing for the remaining lines`, `0 on the
# others`, `omitir el resto`, `nada para las demás`.
_REST_AFTER = re.compile(
    r"(?P<rest>.*?[^\s:,\-–—])(?:\s*[:,\-–—])?\s+(?:(?:for|on|to|in)\s+|(?:para|en|a)\s+)?"
    rf"(?:(?:the\s+)?rest\s+of\s+(?:the\s+)?lines|{_THE_REST})",
    re.IGNORECASE,
)
_REST_WORD = re.compile(
    r"rest|remaining|others|other\s+lines|else|dem[aá]s|restante|falta|queda", re.IGNORECASE
)
# Nothing more to bill, said at the lines: the lines not answered yet are nothing this period.
_NOTHING_MORE = re.compile(
    r"(?:that'?s\s+(?:all|it)|nothing\s+(?:else|more)|no\s+more(?:\s+lines)?"
    r"|that'?s\s+everything|eso\s+es\s+todo|nada\s+m[aá]s|es\s+todo)",
    re.IGNORECASE,
)
_ALL = re.compile(
    r"(?:all|every(?:thing)?|each|todo|todas|todos)(?:\s+(?:the\s+|las\s+)?(?:lines?|items?"
    r"|l[ií]neas?))?"
    r"\s*(?:[:=\-–—]\s*|\s+)(?P<rest>.+)",
    re.IGNORECASE,
)
_BARE_NUMBER = re.compile(r"[-+]?\s*\$?\s*[\d.,]+")
# `conduit 45%`, `light fixtures: 20 ea`: up to three words of a line's description, then an
# answer (resolved against the lines by `handlers`; refused when the words fit two lines).
_DESCRIBED = re.compile(
    r"(?P<words>[^\W\d_][\w'/&.-]*(?:\s+[^\W\d_][\w'/&.-]*){0,2}?)"
    rf"(?:\s*[:=]|(?!{_MINUS})\s*[-–—])?\s*"
    rf"(?P<lead>(?:{LEAD_IN})?)"
    r"(?P<rest>(?:[-+$#.]?\s*\d|usd\b|done\b|complete|finished\b|skip|none\b|nothing\b|n/a"
    r"|listo\b|completo\b|nada\b|ninguno\b|omitir\b).*)",
    re.IGNORECASE,
)
_NOT_A_NAME = re.compile(
    r"(?:all|every|each|rest|the|others?|remaining|line|lines|item|items|ln|sov|l|qty|quantity"
    r"|q|value|amount|amt|stored|materials?|retainage|ret|released?|release[sd]?|plus|and|with"
    r"|invoice|inv|number|no|usd|total|todo|todas|todos|resto|la|el|los|las)(?:\s.*)?",
    re.IGNORECASE,
)
# `Conduit: 600 LF`, `Panels - 2 installed` after a line's number: its words, then the answer.
_LABELLED = re.compile(
    r"(?P<words>[^\W\d_][\w'/&.-]*(?:\s+[\w'/&.-]+){0,5})\s*[:=\-–—]\s*"
    r"(?P<answer>\S.*)"
)
# Corrections as people word them (`_correction_read`).
_CORRECTION_WORD = re.compile(
    r"actually|correct|change|update|set|make|edit|fix|should|needs|instead|debe|deber[ií]a"
    r"|cambi|correg|corrig|pon|en\s+realidad|sorry|oops|perd|mean|meant|quise|wait|bad"
    r"|mistake|typo|equivoq|error|wrong|messed|delete|remove|clear|erase|take|drop|borr|elimin"
    r"|quit|saca|releas|liber|\b(?:no|nope|nah|hmm+|err+|um+|erm|uh|ups|uy|mejor|era|espera"
    r"|scratch|not)\b|correcci",
    re.IGNORECASE,
)
_MISTAKE = (
    r"(?:actually|correction|sorry|oops|correcci[oó]n|perd[oó]n|(?:no,?\s+)?wait|my\s+bad"
    r"|(?:i\s+)?(?:made\s+a\s+)?(?:mistake|typo|error)|(?:i\s+)?messed\s+up"
    r"|(?:i\s+)?got\s+(?:it\s+)?wrong|wrong|me\s+equivoqu[eé]|(?:hay\s+un\s+)?error"
    r"|no,?\s+espera|(?:oh|ah),?\s+wait|scratch\s+that|ups|uy|(?:me\s+)?equivoqu[eé]"
    r"|(?:fue\s+)?(?:mi\s+)?error|me\s+confund[ií]|espera)"
)
# Said before a figure, these take it back as the words above do (`No, 45%`, `nope 45`,
# `hmm, 45%`, `make it 45%`, `mejor 45%`, `no, era 45%`), but they are also plain words
# (`no change` is nothing this period, `No. 2: 50%` names line 2): `_lead_removed` takes
# them off only before an answer, from a fragment that is no answer as written.
_AFTERTHOUGHT = (
    r"(?:(?:oh|ah|no|nope),?\s+(?:wait|espera)|no|nope|nah|hmm+|err+|um+|erm|uh|mejor"
    r"|m[aá]s\s+bien|rather|era|fue)"
)
_AFTERTHOUGHT_LEAD = re.compile(
    rf"(?:(?:make|change)\s+(?:it|that)(?:\s+to)?|scratch\s+that|(?:i\s+)?meant|wait|espera"
    rf"|{_AFTERTHOUGHT})\b[\s.,:;!\-–—]*",
    re.IGNORECASE,
)
# The same after the answer (`45% sorry`, `45% not 40`, `45% my bad`)
_AFTERTHOUGHT_AFTER = re.compile(
    r"(?P<answer>.*?[^\s,;.!\-–—])[\s,;.!\-–—]+(?:sorry(?:\s+i\s+meant(?:\s+(?:it|that))?)?"
    r"|oops|my\s+bad|perd[oó]n|i\s+meant(?:\s+(?:it|that))?|(?:not|no|instead\s+of"
    r"|en\s+vez\s+de|y\s+no)\s+\$?\s*\d[\d.,]*\s*%?)[.!]*",
    re.IGNORECASE,
)
_CORRECTION_LEAD = re.compile(
    r"(?:actually|correction|sorry|oops|en\s+realidad|correcci[oó]n|perd[oó]n"
    r"|i\s+meant|i\s+mean|what\s+i\s+meant\s+(?:is|was)|quise\s+decir|quer[ií]a\s+decir)"
    r"\s*[:,\-–—]?\s*",
    re.IGNORECASE,
)
# `me equivoqué en la 1`, `mistake on line 2: 5`, `sorry, wrong on item 3 - it's 4`: the line
# a correction is for, and maybe its new answer
_MISTAKE_ON = re.compile(
    rf"{_MISTAKE}\s*,?\s*(?:(?:en|on|in|for|with|de|con)\s+)(?:the\s+|la\s+|el\s+)?"
    rf"(?:{LINE_WORD}\.?\s*)?#?\s*{REF}(?![\d,.%])"
    r"(?:\s*[:,=\-–—]?\s*(?:(?:it'?s|it\s+is|is|should\s+be|es|era|debe\s+ser)\s+)?"
    r"(?P<rest>\S.*))?",
    re.IGNORECASE,
)
# Alone, a mistake owned (`No wait,`, `My bad,`, `Me equivoqué.`) corrects what follows too
_CORRECTION_ALONE = re.compile(
    rf"(?:{_CORRECTION_LEAD.pattern}|(?:{_MISTAKE}|{_AFTERTHOUGHT})\s*[:,\-–—]?\s*"
    r"|(?:not|no\s+era|no\s+es)\s+\$?\s*\d[\d.,]*\s*%?)[.!]*",  # `Not 50, 45`
    re.IGNORECASE,
)
# Of those, a mistake owned (`oops`, `my bad`, `me equivoqué`), alone in a message: which line
# is wrong is asked (`handlers`)
_OWNED = re.compile(
    r"(?:oops|ups|uy|my\s+bad|scratch\s+that|(?:i\s+)?(?:made\s+a\s+)?(?:mistake|typo)"
    r"|(?:i\s+)?messed\s+up|(?:i\s+)?got\s+(?:it\s+)?wrong|(?:me\s+)?equivoqu[eé]"
    r"|(?:fue\s+)?(?:mi\s+)?error|me\s+confund[ií]|(?:hay\s+un\s+)?error)[.!]*",
    re.IGNORECASE,
)
_CHANGE_TO = re.compile(
    r"(?:please\s+|por\s+favor\s+)?(?:change|update|set|make|edit|fix|correct|cambia(?:r)?"
    r"|corrige|corregir|pon(?:er)?|p[oó]n(?:ga)?)\s+(?:the\s+|la\s+|el\s+)?"
    rf"(?:{LINE_WORD}\.?\s*)?#?\s*{REF}"
    r"(?:\s*(?:(?:to|at|al|a|en)\b|->|→|:|=)\s*|\s+)(?P<rest>\S.*)",
    re.IGNORECASE,
)
# `delete line 2`, `remove item 3 from the invoice`, `borra la 2`, `quita la línea 3`: that
# line bills nothing this period, as `2: skip` (the line's words or article say it is a line,
# not `remove 3` units)
_REMOVE = re.compile(
    r"(?:please\s+|por\s+favor\s+)?(?:delete|remove|clear|erase|take\s+(?:off|out)|drop"
    r"|borra(?:r)?|elimina(?:r)?|quita(?:r)?|saca(?:r)?)\s+"
    rf"(?:(?:the\s+|la\s+|el\s+)(?:{LINE_WORD}\.?\s*)?|{LINE_WORD}\.?\s*|\#\s*){REF}"
    r"(?:\s+(?:from\s+(?:the|this|my)\s+(?:invoice|bill|pay\s*app)|de\s+(?:la|esta|mi)"
    r"\s+factura))?(?:\s*,?\s*(?:please|pls|por\s+favor|gracias|thanks))?[.!]*",
    re.IGNORECASE,
)
# `release all retainage`, `release retainage on all lines`, `liberar toda la retención`: the
# end of a job, every line's retainage (a line named, or `release retainage` alone, is one line)
_RELEASE_EVERY_LINE = re.compile(
    r"(?:please\s+|por\s+favor\s+)?(?:release\s+(?:all\s+(?:of\s+)?(?:the\s+|our\s+)?retainage"
    r"|(?:the\s+)?retainage\s+(?:on|for|from|of)\s+(?:all|every|each)\s+(?:the\s+)?lines?)"
    r"|liberar\s+(?:toda\s+la\s+retenci[oó]n|la\s+retenci[oó]n\s+de\s+todas\s+las\s+l[ií]neas))"
    r"(?:\s*,?\s*(?:please|pls|por\s+favor|thanks|gracias))?[.!]*",
    re.IGNORECASE,
)
_SHOULD_BE = re.compile(
    rf"(?:the\s+|la\s+|el\s+)?(?:{LINE_WORD}\.?\s*)?#?\s*{REF}\s+"
    r"(?:should\s+(?:be|have\s+been)|needs\s+to\s+be|is\s+actually|instead|debe\s+ser"
    r"|deber[ií]a\s+ser|debe\s+quedar\s+en)\s*:?\s+(?P<rest>\S.*)",
    re.IGNORECASE,
)
# `No. 2: 50%`, `No 2: 50%`, `Nro. 2 listo` (`Nº 2`, `N° 2` are `No. 2` by then:
# `text.normalize`): a number sign (Spanish `número`), not "no"
_NUMBER_SIGN = re.compile(
    r"^(?:no\.|nro\.?|n[uú]m\.|no(?=\s*\d{1,6}[a-z]?\s*[:=]))\s*"
    r"(?=\d{1,6}[a-z]?(?![\d.,%]))",
    re.IGNORECASE,
)
# A line by its ordinal (`1ra: 50%`, `2nd: 3`, `2º: 3`, `1st line 50%`, `primera línea 50%`,
# `second item: 3`): the line of that number, as `1: 50%`, `line 1 50%` are read
_ORDINAL_SUFFIX = r"(?:st|nd|rd|th|ra|da|ro|do|er|to|vo|mo|no|[º°ª])\.?"
_ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "primer": 1, "primera": 1, "primero": 1,
    "segunda": 2, "segundo": 2, "tercer": 3, "tercera": 3, "tercero": 3, "cuarta": 4,
    "cuarto": 4, "quinta": 5, "quinto": 5, "sexta": 6, "sexto": 6, "séptima": 7, "séptimo": 7,
    "septima": 7, "septimo": 7, "octava": 8, "octavo": 8, "novena": 9, "noveno": 9,
    "décima": 10, "décimo": 10, "decima": 10, "decimo": 10,
}  # fmt: skip
_ORDINAL = re.compile(
    rf"^(?:(?:the|la|el)\s+)?(?:(?P<num>\d{{1,3}}){_ORDINAL_SUFFIX}"
    rf"|(?P<word>{'|'.join(_ORDINAL_WORDS)}))"
    rf"(?:(?=\s*[:=])|\s+(?P<line>{LINE_WORD})\b\.?)",
    re.IGNORECASE,
)


# `la primera al 50%`, `la segunda lista`, `the first one 50%`: the line by its ordinal and
# article (an answer after it: `la primera vez` is no line)
_ORDINAL_THE = re.compile(
    rf"^(?:the|la|el)\s+(?P<word>{'|'.join(_ORDINAL_WORDS)})(?:\s+(?:one|una|uno))?"
    r"\s*[:=,\-–—]?\s+(?P<rest>\S.*)",
    re.IGNORECASE,
)


def _ordinal_read(fragment: str) -> str:
    """`1ra: 50%` -> `1: 50%`, `primera línea 50%` -> `línea 1 50%`, `la segunda lista` ->
    `2: lista`."""
    found = _ORDINAL.match(fragment)
    if found is None or (found["num"] is None and found["line"] is None):
        named = _ORDINAL_THE.match(fragment)
        if named and not isinstance(parse_body(named["rest"], scope=Scope.line), Problem):
            return f"{_ORDINAL_WORDS[named['word'].lower()]}: {named['rest']}"
        return fragment  # `first: 50%` is no line's name, `1ra:` is
    number = found["num"] or str(_ORDINAL_WORDS[found["word"].lower()])
    said = f"{found['line']} {number}" if found["line"] else number
    return said + fragment[found.end() :]


# A line alone (`Line 3`, `Item 3`, `#3`): an `edit 3`, or the heading of the answer below it.
_REF_ONLY = re.compile(
    rf"(?:(?:(?:the|la|el)\s+)?{LINE_WORD}\.?\s*(?:no\.?\s*)?#?|#|(?:la|el)\s+#?)\s*{REF}",
    re.IGNORECASE,
)
_ONE_REF = r"(?:(?:la|el)\s+)?#?\s*\d{1,6}[a-z]?"  # `2`, `#2`, `la 2`
_LISTED_REF = re.compile(r"\d{1,6}[a-z]?", re.IGNORECASE)
_REF_LIST = re.compile(
    r"(?P<from>(?:from|de(?:\s+la|\s+el)?)\s+)?"  # `de la 1 a la 3 listo`, `from 1 to 3: skip`
    r"(?:(?:la|el|las|los)\s+)?"  # `la 1 y la 2 al 50%`, `las líneas 2 y 3: listo`
    rf"(?P<lines>{LINE_WORD}s\.?\s*|l[ií]neas\s*|partidas\s*|items\s*)?"
    rf"(?:{LINE_WORD}\.?\s*)?#?\s*(?P<first>\d{{1,6}}[a-z]?)"
    rf"(?:(?P<more>(?:\s*(?:,|&|\+|\band\b|\by\b)\s*{_ONE_REF})+)"
    r"|(?P<dash>\s*(?:-|–|—|\bto\b|\bthrough\b|\bthru\b|\bhasta(?:\s+la|\s+el)?\b"
    r"|\ba(?:\s+la|\s+el)?\b|\bal\b)\s*)#?\s*"
    r"(?P<last>\d{1,6}[a-z]?))"
    r"\s*(?:[:=]\s*|\s+)(?P<rest>.+)",
    re.IGNORECASE,
)
_RANGE_WORD = re.compile(r"through|thru|hasta", re.IGNORECASE)
_MOST_LISTED = 50
_LINE_OR_FINISHED = N_(
    "Is this line complete, or have you finished? For this line write `done`; if you have "
    "finished, write `that's all` (the lines not answered yet are nothing this period)."
)
_WHICH_LINE = N_("Which line is this for? Start with the line number, e.g. `2: {text}`.")
_NUMBER_FIRST = N_(
    "First, what is the invoice number? To answer a line now, start with its number, e.g. "
    "`1: {text}`."
)
_NAME_WORDS = re.compile(r"[^\W\d_][\w'/&.-]*(?:\s+[^\W\d_][\w'/&.-]*){0,2}:?")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# `4?`, `1: 50%?` (`text.clean_fragment` keeps a question mark only after a figure)
_QUESTIONED = re.compile(r"(?P<body>.*[\d%])\s*\?+", re.DOTALL)
_A_DATE = N_(
    "Is this a date? Nothing was billed from it. For work done out of what a line has "
    "scheduled, write the line's number first, e.g. `2: 3 of 8`."
)
# Words saying what a figure counts (`10 installed`, `bill 50%`): beside another figure for
# the line before, a second answer for it, not one for the line asked
_STATE_WORD = re.compile(
    r"\b(?:install\w*|deliver\w*|receiv\w*|ship\w*|set|placed|in\s+place|complete[d]?|done"
    r"|finished|bill\w*|instalad\w*|entregad\w*|recibid\w*|colocad\w*|terminad\w*"
    r"|completad\w*|factur\w*|cobr\w*)\b",
    re.IGNORECASE,
)
_IT_IS_LEAD = re.compile(
    r"(?:it'?s|it\s+is|should\s+be|it\s+should\s+be|debe\s+ser|deber[ií]a\s+ser)\s+",
    re.IGNORECASE,
)
_THEN_SEND = re.compile(
    r"(?P<head>.*[\d%a-z])\s+(?P<command>send|submit|enviar|env[ií]ala|m[aá]ndala)[.!]*",
    re.IGNORECASE,
)
_HEDGED_DONE = re.compile(
    r"(?:(?:it'?s|it\s+is|est[aá]|va)\s+)?(?:almost|nearly|not\s+quite|close\s+to|casi|no\s+del\s+todo)"
    r"\s+(?:done|complete[d]?|finished|list[oa]s?|terminad[oa]s?|complet[oa]s?)[.!]*",
    re.IGNORECASE,
)
# `done thanks`, `listo gracias`: a sign-off as likely as this line complete (`done` alone is)
_DONE_THANKS = re.compile(
    rf"(?:done|finished|complete[d]?|list[oa]s?)[,.!]*\s*(?:{POLITE_AFTER})[.!]*", re.IGNORECASE
)
_DONE_WORD = re.compile(r"(?:done|finished|complete[d]?|list[oa]s?)[.!]*", re.IGNORECASE)
_THANKS = re.compile(rf"(?:{POLITE_AFTER})[.!]*", re.IGNORECASE)
_HOW_FAR = N_("How far along is it? Nothing was billed: write the percentage done to date.")
_HELD = N_("Not sent: say `send` when it is ready.")
_A_TIME = N_(
    "Is this a time of day? Nothing was billed from it. To answer a line, write the line's "
    "number first."
)
_TIME_WORDS = re.compile(r"\s*(?:\b(?:at|a\s+las?|las)\b|@)\s*$", re.IGNORECASE)
_TWO_ANSWERS = N_(
    "Line {line} has two different answers here; which one is it? Nothing was changed on it: "
    "write one, e.g. `{line}: 45%`."
)
_QUESTION_NOT_ANSWER = N_(
    "Is this your answer, or a question? Nothing was changed; to answer, write it without the "
    "question mark."
)
# `4 ✅`, `line 4: ❌` (as `text.clean_fragment` leaves them): a line checked off or crossed out
_MARKED = re.compile(
    rf"(?P<refs>(?P<word>(?:{LINE_WORD}s?\.?\s*(?:no\.?\s*)?#?|#)\s*)?{REF}"
    r"(?P<more>(?:(?:,\s*|\s*(?:&|\band\b|\by\b)\s*)#?\s*\d{1,6}[a-z]?)+)?)"
    r"(?P<sep>\s*[:=\-–—])?\s+(?P<marks>\S+)",
    re.IGNORECASE,
)
# `L2`, `l 2`: the letter may be "line", or "level" as site people write it (`handlers`)
_LETTER_REF = re.compile(r"(?:the\s+|la\s+|el\s+)?l\.?\s*#?\s*\d", re.IGNORECASE)
_SEPARATOR_WORD = frozenset(":=-–—")
_NAME_WORD = re.compile(r"[^\W_](?:[\w'/&.-]*[\w'/&-])?[:=]?")  # `Level`, `2`, `3/4in`, `slab:`
_NAME_ONLY = re.compile(r"[^\W\d_][\w'.-]*(?:\s+[^\W\d_][\w'.-]*){0,2}[.!]?")


# At the review, a command mistyped (`sned`, `snd`, `drafy`, `enivar`): asked, never done
MISTYPED = N_("Did you mean `{command}`? Nothing was sent or saved.")
_DECIDING = ("send", "draft", "submit", "enviar", "borrador", "guardar")
_ONE_WORD = re.compile(r"[^\W\d_]{3,12}")


def _mistyped(word: str) -> str | None:
    """The review's command one slip away from `word` (a letter more, less, another or two
    swapped), or None."""
    said = word.casefold()
    return next((name for name in _DECIDING if _one_slip(said, name)), None)


def _one_slip(said: str, word: str) -> bool:
    if said == word or abs(len(said) - len(word)) > 1:
        return False
    if len(said) == len(word):
        wrong = [i for i, (a, b) in enumerate(zip(said, word, strict=True)) if a != b]
        return len(wrong) == 1 or (
            len(wrong) == 2 and wrong[1] == wrong[0] + 1 and said[wrong[0]] == word[wrong[1]]
            and said[wrong[1]] == word[wrong[0]]
        )  # fmt: skip
    short, long = sorted((said, word), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def parse(text: str, *, expect: Expect = Expect.line) -> Parsed:
    """Everything one message says. Never raises: unreadable text becomes a `Problem`."""
    try:
        return parse_strict(text, expect=expect)
    except Exception:  # pragma: no cover - a last resort; the tests hold parse_strict to it
        return Parsed(problems=(Problem(shortened(text), N_("I could not read this message.")),))


def parse_strict(text: str, *, expect: Expect = Expect.line) -> Parsed:
    fragments, truncated = split_fragments(text or "")
    builder = _Builder(expect)
    if truncated:
        builder.problems.append(
            Problem(
                "…",
                N_(
                    "Your message is very long: I read only the first {chars} characters and "
                    "{lines} lines."
                ),
                {"chars": f"{MAX_CHARS:,}", "lines": MAX_FRAGMENTS},
            )
        )
    if expect == Expect.choose:
        return _parse_choice(fragments, builder)
    if expect == Expect.line:
        fragments = _signed_off(fragments)
    for fragment in fragments:
        builder.add(fragment)
    return builder.build()


def _signed_off(fragments: list[str]) -> list[str]:
    """`done, thanks!` split at its comma is read whole, as `done thanks` is (asked)."""
    joined: list[str] = []
    for fragment in fragments:
        if joined and _THANKS.fullmatch(fragment) and _DONE_WORD.fullmatch(joined[-1]):
            joined[-1] = f"{joined[-1]} {fragment}"
        else:
            joined.append(fragment)
    return joined


def parse_line_value(text: str, line: str) -> LineAnswer | Problem | None:
    """One form field holding the answer for `line` (None when left empty)."""
    fragments, _ = split_fragments(text or "")
    body = " ".join(fragments).strip()
    if not body:
        return None
    if len(body) > MAX_FRAGMENT_CHARS:
        return Problem(shortened(body), N_("This is too long to be one answer."))
    return parse_body(body, scope=Scope.line, line=line)


def _parse_choice(fragments: list[str], builder: _Builder) -> Parsed:
    for fragment in fragments:
        fragment = fragment.rstrip("? ") or fragment
        command = read_command(fragment, builder.expect)
        if command is not None:
            builder.commands.append(command)
        elif builder.choice is None:
            builder.choice = fragment
    return builder.build()


class _Nothing(enum.Enum):
    """A fragment that says nothing new: merged into the answer before, or an empty `1:`."""

    token = 0


_CONSUMED = _Nothing.token


class _Builder:
    """Collects what the fragments of one message say, in order."""

    def __init__(self, expect: Expect) -> None:
        self.expect = expect
        self.invoice_numbers: list[str] = []
        self.answers: list[LineAnswer] = []
        self.commands: list[Command] = []
        self.problems: list[Problem] = []
        self.choice: str | None = None
        self.pleasantries: list[str] = []
        self.unsure_numbers: set[str] = set()  # casefolded, of `invoice_numbers`
        self._last_pleasant = False  # the fragment before was a pleasantry (`Thanks, Sam`)
        self._named: str | None = None  # the fragment before was a line alone (`Line 3`)
        self._empty_ref = False  # a line named with nothing after it (`2:`, a template's row)
        self.dates: list[str] = []  # `11/30`, `al 11/12`: when, never `11 of 30`
        self._correcting = False  # the fragment before was `Sorry,` / `Actually,` alone
        self._unnamed = 0  # answers without a line so far (`50%`, `3`)
        self.owned = False  # a mistake owned (`oops`, `me equivoqué`)

    def build(self) -> Parsed:
        if len(set(n.casefold() for n in self.invoice_numbers)) > 1:
            self.problems.append(
                Problem(
                    ", ".join(self.invoice_numbers),
                    N_("This message holds more than one invoice number; which one is it?"),
                )
            )
            number = None
        else:
            number = self.invoice_numbers[0] if self.invoice_numbers else None
        if self.invoice_numbers:
            # `INV-0042` then a bare `50%` (typed under a quoted row): the number is given, and
            # which line the figure is for is asked, never guessed
            self.problems[:] = [
                Problem(p.text, _WHICH_LINE, p.values) if p.template == _NUMBER_FIRST else p
                for p in self.problems
            ]
            # `11/20` above `INV-0042`: the date of the mail, not its number
            self.dates += [p.text for p in self.problems if p.template == _A_DATE_NUMBER]
            self.problems[:] = [p for p in self.problems if p.template != _A_DATE_NUMBER]
        self._one_answer_per_line()
        said_none = [p for p in self.problems if self.invoice_numbers and _no_files(p)]
        if said_none:  # `INV-0042`, the lines, `none`: no files, never "no invoice number"
            self.problems[:] = [p for p in self.problems if p not in said_none]
            self.commands.append(Command(CommandName.next))
        if self.answers or self.invoice_numbers or self.expect != Expect.line:
            self.pleasantries += self.dates  # `al 11/12` above the answers: when they hold
        else:  # `11/30` alone, asked a line of 30: a date, or 11 of 30? asked, never billed
            self.problems += [Problem(date, _A_DATE) for date in self.dates]
        if any(command.name == CommandName.draft for command in self.commands):
            # `that's it, I'll do the rest tomorrow`: that is all for now, not "nothing on the
            # other lines"
            for answer in [a for a in self.answers if _said_nothing_more(a)]:
                self.answers.remove(answer)
                self.pleasantries.append(answer.text)
        return Parsed(
            invoice_number=number,
            answers=tuple(self.answers),
            commands=tuple(self.commands),
            problems=tuple(self.problems),
            choice=self.choice,
            pleasantries=tuple(self.pleasantries),
            number_unsure=number is not None and number.casefold() in self.unsure_numbers,
            owned=self.owned,
        )

    def _one_answer_per_line(self) -> None:
        """Two answers for one line (`2: $12,345.67` and, on another row, `2: stored $5,000`)
        are one when they say different things (the work, materials stored, retainage), or
        when the later one corrects the first (`actually 2: 60%`); else which one is meant is
        asked, and neither is applied (`2: 50%` and `2: 60%`)."""
        kept: list[LineAnswer | None] = []
        where: dict[str, int] = {}
        unclear: dict[str, tuple[str, str]] = {}  # line: (its number as written, the answers)
        for answer in self.answers:
            key = (answer.line or "").casefold()
            if (
                answer.scope != Scope.line
                or not answer.line
                or answer.mark
                or answer.count
                or answer.site_ref
            ):  # a line named by words, a tick or `L2` is resolved later, one at a time
                kept.append(answer)
            elif key in unclear:
                line, text = unclear[key]
                unclear[key] = (line, f"{text}; {answer.text}")
            elif key not in where:
                where[key] = len(kept)
                kept.append(answer)
            else:
                earlier = kept[where[key]]
                assert earlier is not None
                same = replace(earlier, text=answer.text) == answer
                if same or answer.corrects or not earlier.overlaps(answer):
                    kept[where[key]] = earlier if same else earlier.merged(answer)
                else:
                    kept[where[key]] = None
                    unclear[key] = (answer.line or "", f"{earlier.text}; {answer.text}")
        self.answers = [answer for answer in kept if answer is not None]
        for line, text in unclear.values():
            self.problems.append(Problem(shortened(text), _TWO_ANSWERS, {"line": line}))

    def add(self, fragment: str) -> None:
        answers = len(self.answers)
        correcting, self._correcting = self._correcting, bool(_CORRECTION_ALONE.fullmatch(fragment))
        self._read(fragment)
        if correcting or _correction_read(fragment) != fragment:
            self.answers[answers:] = [replace(a, corrects=True) for a in self.answers[answers:]]

    def _read(self, fragment: str) -> None:
        questioned = _QUESTIONED.fullmatch(fragment)
        if questioned:
            self._questioned(questioned["body"], fragment)
            return
        pleasant, self._last_pleasant = self._last_pleasant, False
        problems = len(self.problems)
        self._add(fragment)
        if len(self.problems) == problems:
            return
        if (
            len(fragment) <= MAX_FRAGMENT_CHARS
            and _SENTENCE_END.search(fragment)
            and self._sentences(fragment)
        ):
            del self.problems[problems:]
            return
        if is_pleasantry(fragment) or (
            pleasant and _NAME_ONLY.fullmatch(fragment) and not INSTRUCTION.search(fragment)
        ):
            self.problems.pop()  # words around the answers: not an error
            self.pleasantries.append(fragment)
            self._last_pleasant = True
        elif len(self.problems) == problems + 1 and is_chatter(fragment):
            self.problems[-1] = replace(self.problems[-1], text=shortened(fragment), chatter=True)

    def _questioned(self, body: str, fragment: str) -> None:
        """`4?`, `1: 50%?`: a command or an invoice number asked about is read (`can I change
        line 2?`); an answer is not billed, it is asked about."""
        answers, commands = list(self.answers), list(self.commands)
        self.add(body)
        if self.answers != answers:
            self.answers[:], self.commands[:] = answers, commands
            self.problems.append(Problem(fragment, _QUESTION_NOT_ANSWER))

    def _sentences(self, fragment: str) -> bool:
        """`Perfect. Send`, `Send. Thanks!`, `Perfect. 3: 50%`, `Conduit 50%. Panels 3`: a
        fragment that could not be read as a whole is read sentence by sentence, but only
        when every sentence is read: a command, words around it, or an answer naming its line
        by number or description (no bare answer or invoice number is guessed from a piece
        of a sentence). True when it was, and what they say is added."""
        sentences = _Builder(self.expect)
        for sentence in _SENTENCE_END.split(fragment):
            cleaned = clean_fragment(sentence)
            if cleaned:
                sentences.add(cleaned)
        unnamed = any(a.line is None and not a.described for a in sentences.answers)
        if sentences.problems or sentences.invoice_numbers or unnamed:
            return False
        self.answers += sentences.answers
        self.commands += sentences.commands
        self.pleasantries += sentences.pleasantries
        self.dates += sentences.dates
        self._last_pleasant = sentences._last_pleasant
        return True

    def _add(self, fragment: str) -> None:
        if len(fragment) > MAX_FRAGMENT_CHARS:
            self.problems.append(
                Problem(shortened(fragment), N_("This is too long to be one answer."))
            )
            return
        if is_address(fragment):  # `Cl. 100 # 2-4`: a signature's address, no answer
            self.pleasantries.append(fragment)
            return
        named, self._named = self._named, None
        fragment = _ordinal_read(said_plainly(fragment))
        fragment = _NUMBER_SIGN.sub("#", _correction_read(fragment), count=1)
        command = read_command(fragment, self.expect)
        mistake = _MISTAKE_ON.fullmatch(fragment) if command is None else None
        if mistake and not mistake["rest"]:  # `me equivoqué en la 1`: its answer may follow
            command = Command(CommandName.edit, mistake["ref"])
            self.commands.append(command)
            self._named = command.line
            self._correcting = True
            return
        if command is None and is_hold(fragment):
            self.problems.append(Problem(fragment, _HELD, held=True))
            return
        if command is None and self.expect == Expect.review and _ONE_WORD.fullmatch(fragment):
            mistyped = _mistyped(fragment)
            if mistyped is not None:  # `sned`: `send`? asked, nothing done
                self.problems.append(Problem(fragment, MISTYPED, {"command": mistyped}))
                return
        if command is None and _CORRECTION_ALONE.fullmatch(fragment):
            # `Oh wait,`, `Ups,`, `me equivoqué`: what follows corrects (`add`); alone, which
            # line is wrong is asked (`handlers`)
            self.pleasantries.append(fragment)
            self.owned = self.owned or bool(_OWNED.fullmatch(fragment))
            self._last_pleasant = True
            return
        if command is not None:
            self.commands.append(command)
            if command.name == CommandName.edit and command.line and _REF_ONLY.fullmatch(fragment):
                self._named = command.line  # `Line 3` above its answer, or `edit 3`
            return
        times = clock_times(fragment)
        if times:  # `see you 11/30 at 3:15`, `2:05 pm`: when, never a line's figure
            when = fragment
            for time in times:
                when = when.replace(time, " ")
            when = _TIME_WORDS.sub("", " ".join(when.split())).strip(" ,;-")
            if when and is_date(when):
                self.dates.append(fragment)
            else:
                self.problems.append(Problem(fragment, _A_TIME))
            return
        asked = self.expect == Expect.invoice_number and not self.invoice_numbers
        if asked and _LAST_ONES.fullmatch(fragment):  # `same as last month`
            self.problems.append(Problem(fragment, _LAST_ONES_AGAIN))
            return
        number = self._invoice_number(fragment)
        if asked and number and (is_date(fragment) or _DATE_LIKE.fullmatch(fragment)):
            # `11/20/2026`: a date, or the number? (`invoice 11/20/2026` says)
            self.problems.append(Problem(fragment, _A_DATE_NUMBER, {"text": fragment}))
            return
        if number is not None:
            self.invoice_numbers.append(number)
            return
        if self._number_then_pleasantry(fragment):
            return
        if _INVOICE_KEYWORD.fullmatch(fragment):  # `invoice ABC` (`Invoice attached`: `add`)
            self.problems.append(
                Problem(fragment, N_("An invoice number needs at least one digit."))
            )
            return
        if self.expect == Expect.invoice_number and _NO_NUMBER.fullmatch(fragment):
            self.problems.append(
                Problem(
                    fragment,
                    N_(
                        "An invoice number is needed before the invoice can be sent. If you "
                        "don't number your invoices, any reference you will recognise works, "
                        "such as your job number and the month: `J1234-NOV`."
                    ),
                )
            )
            return
        if is_date(fragment):
            self.dates.append(fragment)
            return
        marked = _marked_answers(fragment)
        if marked is not None:
            self.answers += marked
            return
        if self.expect == Expect.line and _NOTHING_MORE.fullmatch(fragment):
            skip = Progress(ProgressKind.skip)
            self.answers.append(LineAnswer(scope=Scope.rest, progress=skip, text=fragment))
            return
        if self.expect == Expect.line and (
            _finished_not_an_answer(fragment) or _DONE_THANKS.fullmatch(fragment)
        ):
            self.problems.append(Problem(fragment, _LINE_OR_FINISHED))
            return
        lead = _IT_IS_LEAD.match(fragment) if named is not None else None
        if lead and named is not None and self._answers_named(named, fragment[lead.end() :]):
            return  # `mistake on line 1`, `it's 60%`
        listed = _listed_lines(fragment)
        if listed:  # `1 and 2 done`, `lines 3-5: 50%`
            self.answers += listed
            return
        if _HEDGED_DONE.fullmatch(fragment):  # `almost done`: not done, and no figure
            self.problems.append(Problem(fragment, _HOW_FAR))
            return
        if self._answer_then_send(fragment):
            return
        outcome = _line_answer(fragment)
        self._empty_ref = self._empty_ref or outcome is _CONSUMED
        if outcome is None and named is not None and self._answers_named(named, fragment):
            return
        if outcome is None:
            outcome = self._bare_answer(fragment)
        if isinstance(outcome, Problem):
            self.problems.append(outcome)
        elif isinstance(outcome, LineAnswer):
            self.answers.append(outcome)

    def _answer_then_send(self, fragment: str) -> bool:
        """`3: 0 send`, `2: 3 enviar` (the last answer of a row, then the command): the
        answer, then `send` (no unit "send"). True when it was read so."""
        found = _THEN_SEND.fullmatch(fragment)
        if found is None:
            return False
        answer = _line_answer(found["head"])
        command = read_command(found["command"], self.expect)
        if not isinstance(answer, LineAnswer) or answer.scope != Scope.line or command is None:
            return False
        self.answers.append(answer)
        self.commands.append(command)
        return True

    def _answers_named(self, line: str, fragment: str) -> bool:
        """`Line 3` then `20` (a mail laid out a line per row): line 3's answer, not an
        `edit 3` and an answer to the line asked. True when it was read so."""
        answer = parse_body(fragment, scope=Scope.line, line=line)
        if isinstance(answer, Problem) or answer.progress is None:
            return False
        edit = Command(CommandName.edit, line)
        last = len(self.commands) - 1 - self.commands[::-1].index(edit)
        del self.commands[last]
        self.answers.append(replace(answer, text=f"{line}: {fragment}"))
        return True

    def _invoice_number(self, fragment: str) -> str | None:
        dashed = _DASH_IN_TOKEN.sub("-", fragment)
        if dashed != fragment and (
            self.expect == Expect.invoice_number or _INV_TOKEN.search(dashed)
        ):  # `INV–0042` (past its step only when it says it is one: `Panels–3` is a line's)
            fragment = dashed
        said = _INVOICE_SAID.fullmatch(fragment)
        asked = self.expect == Expect.invoice_number and not self.invoice_numbers
        if said:
            fragment = said["rest"].rstrip(" .!")
        elif asked:
            fragment = _THANKS_AFTER.sub("", fragment)
            it_is = _IT_IS.fullmatch(fragment)
            if it_is:
                fragment, said = it_is["rest"].rstrip(" .!"), it_is
        written = _written_number(fragment, tokens=False)
        if written is not None:
            return written
        written = _written_number(fragment)
        if written is not None:
            # past its own step, a letters-and-digits token says it is the invoice number only
            # as `INV-0043` does; `Job#2317`, `PO-4500123`, `v2` may be anything (asked)
            if not (said or asked or self.expect == Expect.invoice_number):
                self.unsure_numbers.add(written.casefold())
            return written
        if said or asked:
            match = _INVOICE_BARE.fullmatch(fragment)
            if match:
                return match["num"].rstrip("-_/.#")
        return None

    def _number_then_pleasantry(self, fragment: str) -> bool:
        """`INV-0042 see inline`, `Invoice 1042 - thanks!`: the number, then words around it.
        True when it was read so."""
        words = fragment.split()
        for count in range(1, min(3, len(words) - 1) + 1):
            rest = " ".join(words[count:])
            if not is_pleasantry(rest):
                continue
            number = _written_number(" ".join(words[:count]).rstrip(",;:.!-–—"))
            said = number is not None and _written_number(number, tokens=False) is not None
            if number is not None and not said and self.expect != Expect.invoice_number:
                self.unsure_numbers.add(number.casefold())
            if number is not None:
                self.invoice_numbers.append(number)
                self.pleasantries.append(rest)
                return True
        return False

    def _bare_answer(self, fragment: str) -> LineAnswer | Problem | _Nothing:
        """A fragment without a line number: the current line, or the previous line's extras."""
        answer = parse_body(fragment, scope=Scope.current)
        if isinstance(answer, Problem):
            return self._unreadable(fragment, answer)
        previous = self.answers[-1] if self.answers else None
        if answer.progress is None and previous is not None:
            # `1: 50%, stored 2000`: the extras continue the line before.
            self.answers[-1] = previous.merged(answer)
            return _CONSUMED
        if (
            previous is not None
            and previous.scope == Scope.line
            and previous.progress is not None
            and _STATE_WORD.search(fragment)
        ):  # `3: 20 delivered, 10 installed`, `2: 80% complete, bill 50%`: which one?
            self.answers.remove(previous)
            text = shortened(f"{previous.text}; {fragment}")
            return Problem(text, _TWO_ANSWERS, {"line": previous.line})
        if self.expect == Expect.invoice_number:
            return Problem(fragment, _NUMBER_FIRST, {"text": fragment})
        if self.expect != Expect.line:
            return Problem(fragment, _WHICH_LINE, {"text": fragment})
        unnamed = [a for a in self.answers if a.scope == Scope.current and a.progress is not None]
        for earlier in unnamed:  # `1; 50%`, `2, 3`: two answers without a line, none guessed
            self.answers.remove(earlier)
            self.problems.append(Problem(earlier.text, _WHICH_LINE, {"text": earlier.text}))
        self._unnamed += 1  # `600, 3, 20`: the third is no more the line asked's than the first
        if (
            self._unnamed > 1
            or self._empty_ref
            or any(a.scope != Scope.current for a in self.answers)
        ):
            return Problem(fragment, _WHICH_LINE, {"text": fragment})  # `2: ,0`: line 2's?
        return answer

    def _unreadable(self, fragment: str, problem: Problem) -> Problem:
        if re.fullmatch(r"\#\s*\d+", fragment):
            return Problem(
                fragment,
                N_("If this is the invoice number, write `invoice {number}`."),
                {"number": fragment.lstrip("#")},
            )
        return problem


def _written_number(fragment: str, *, tokens: bool = True) -> str | None:
    """The invoice number of `INV-0042`, `invoice 1042`, `factura #A-17`: written as one, with
    a digit (`Invoice attached`, `factura adjunta` name no number). `tokens`: a bare token
    (`A-17`) is one too; else only one that says so (`INV-0043`)."""
    if _INV_PREFIX.fullmatch(fragment):  # `INV 0042`, `INV#0042`: the prefix is the number's
        return fragment.rstrip("-_/.#")
    for pattern in (_INVOICE_KEYWORD, _INVOICE_TOKEN):
        match = pattern.fullmatch(fragment)
        if match and any(ch.isdigit() for ch in match["num"]):
            if pattern is _INVOICE_TOKEN and not (tokens or _INV_TOKEN.match(match["num"])):
                return None
            return match["num"].rstrip("-_/.#")
    return None


def _correction_read(fragment: str) -> str:
    """A correction as people word it, as the answer form: `change line 2 to 60%`, `edit 1:
    60%`, `line 2 should be 4`, `actually 1: 60%`, `cambia la línea 2 al 60%` -> `2: 60%`;
    `delete line 2`, `borra la 2` -> `2: skip`."""
    if not _CORRECTION_WORD.search(fragment):  # a cheap look before the patterns
        return fragment
    removed = _REMOVE.fullmatch(fragment)
    if removed:
        return f"{removed['ref']}: skip"
    if _RELEASE_EVERY_LINE.fullmatch(fragment):
        return "all: release retainage"
    mistake = _MISTAKE_ON.fullmatch(fragment)
    if mistake and not mistake["rest"]:
        return fragment  # `me equivoqué en la 1`: the line, its answer after it (`_Builder`)
    if mistake and not isinstance(parse_body(mistake["rest"], scope=Scope.line), Problem):
        return f"{mistake['ref']}: about {mistake['rest']}"
    fragment = _lead_removed(fragment)
    for pattern in (_CHANGE_TO, _SHOULD_BE):
        match = pattern.fullmatch(fragment)
        if match and not isinstance(parse_body(match["rest"], scope=Scope.line), Problem):
            # not `change line 2 please`: a command. The figure is read as after `about`
            # (`change line 2 to 40`, `line 2 should be 40`: 40% or $40? asked on an amount
            # line, as `2: about 40` is), and stays this period's unless said otherwise
            return f"{match['ref']}: about {match['rest']}"
    return fragment


def _lead_removed(fragment: str) -> str:
    """`sorry, I meant 45%` -> `45%`, `No. 45%` -> `45%`, `make it 45%` -> `45%`: the words
    owning a mistake off the answer after them (`no change`, `No. 2: 50%` keep theirs)."""
    lead = _CORRECTION_LEAD.match(fragment)
    if lead and fragment[lead.end() :].strip():
        return _lead_removed(fragment[lead.end() :])
    lead = _AFTERTHOUGHT_LEAD.match(fragment)
    rest = fragment[lead.end() :].strip() if lead else ""
    if rest and not (_NUMBER_SIGN.match(fragment) or _answer_like(fragment, named=False)):
        rest = _lead_removed(rest)  # `no sorry 45`, `no, era 45%`
        if _answer_like(rest):
            return rest
    after = _AFTERTHOUGHT_AFTER.fullmatch(fragment)
    if after and _answer_like(after["answer"]) and not _answer_like(fragment, named=False):
        return after["answer"]
    return fragment


def _answer_like(text: str, *, named: bool = True) -> bool:
    """Whether `text` reads as a line's answer: a bare one (`45%`), or (`named`) one naming its
    line by number (`2: 45%`, `la 2 al 45%`)."""
    if not isinstance(parse_body(text, scope=Scope.current), Problem):
        return True
    if not named:
        return False
    answer = _line_answer(text)
    return isinstance(answer, LineAnswer) and answer.described is None


def _no_files(problem: Problem) -> bool:
    return not problem.held and bool(NO_FILES.fullmatch(problem.text))


def _said_nothing_more(answer: LineAnswer) -> bool:
    return answer.scope == Scope.rest and bool(_NOTHING_MORE.fullmatch(answer.text))


def _marked_answers(fragment: str) -> list[LineAnswer] | None:
    """`4 ✅` is `4 done` (line 4, or 4 units of a unit line asked? `handlers` asks), `4 ❌` is
    `4 skip`; `line 4 ✅`, `4: ✅` name line 4; `1, 2 ✅` is `1, 2: done`. Marks of both kinds
    are no answer."""
    match = None if fragment.isascii() else _MARKED.fullmatch(fragment)
    if match is None:
        return None
    marks = match["marks"]
    if all(ch in TICKS for ch in marks):
        progress = Progress(ProgressKind.total_percent, HUNDRED, word=True)
    elif all(ch in CROSSES for ch in marks):
        progress = Progress(ProgressKind.skip)
    else:
        return None
    letter = _LETTER_REF.match(fragment)
    if match["more"]:
        said = "done" if progress.word else "skip"
        listed = _listed_lines(f"{match['refs']}: {said}")
        return [
            replace(a, text=marks, mark=True, site_ref=f"L{a.line}" if letter else None)
            for a in listed
        ] or None
    ref = match["ref"]
    named = bool(match["word"] or match["sep"])
    answer = LineAnswer(
        scope=Scope.line,
        line=ref,
        progress=progress,
        text=marks,
        mark=True,
        count=progress.word and ref.isdigit() and not named,
        site_ref=fragment[: match.end("ref")].strip() if letter else None,
    )
    return [answer]


def _listed_lines(fragment: str) -> list[LineAnswer]:
    """`1 and 2 done`, `1 & 2: skip`, `1, 2 y 3: 50%`, `lines 3-5 done`, `items 2 to 4: 25%`,
    `1 thru 3 done`, `de la 1 a la 3 listo`: one answer for each line listed (at most
    `_MOST_LISTED`). A range written `3-5` or `3 to 5` needs no spaces around its dash, a
    plural line word, `from`/`de`, or `thru`/`hasta` (`2 - 30 units` is line 2's 30 units)."""
    match = _REF_LIST.fullmatch(fragment)
    if match is None:
        return []
    refs = [match["first"], *_LISTED_REF.findall(match["more"] or "")]
    if match["last"]:
        first, last = match["first"], match["last"]
        spaced = match["dash"] and match["dash"] != match["dash"].strip()
        # `1 thru 3`, `de la 1 a la 3` can only be a range; `2 - 30 units`, `2 to 30` may be
        # line 2's answer
        said = bool(match["lines"] or match["from"] or _RANGE_WORD.search(match["dash"] or ""))
        if not (first.isdigit() and last.isdigit()) or (spaced and not said):
            return []
        if not 0 < int(last) - int(first) < _MOST_LISTED:
            return []
        refs = [str(n) for n in range(int(first), int(last) + 1)]
    if len(set(refs)) != len(refs) or len(refs) > _MOST_LISTED:
        return []
    body = parse_body(match["rest"], scope=Scope.line, line=refs[0])
    if isinstance(body, Problem) or body.progress is None:
        return []
    letter = _LETTER_REF.match(fragment)  # `L2 and L3 done`: levels, or lines?
    return [
        replace(body, line=ref, text=fragment, site_ref=f"L{ref}" if letter else None)
        for ref in refs
    ]


def _finished_not_an_answer(fragment: str) -> bool:
    """`I'm done`, `all set`, `ya terminé` at the lines: this line, or the whole invoice?
    (`done` alone is this line; `all done` every line, asked about once lines have answers.)"""
    if not FINISHED.fullmatch(fragment):
        return False
    every = _ALL.fullmatch(fragment)
    if every and not isinstance(parse_body(every["rest"], scope=Scope.all), Problem):
        return False
    return isinstance(parse_body(fragment, scope=Scope.current), Problem)


def _line_answer(fragment: str) -> LineAnswer | Problem | _Nothing | None:
    """A fragment that names its line (`1: 50%`, `line 3 skip`, `all 100%`), else None."""
    rest_after = _REST_WORD.search(fragment) is not None  # a cheap look before the pattern
    for pattern, scope in ((_REST, Scope.rest), (_REST_AFTER, Scope.rest), (_ALL, Scope.all)):
        if pattern is _REST_AFTER and not rest_after:
            continue
        match = pattern.fullmatch(fragment)
        if match:
            body = parse_body(match["rest"], scope=scope)
            if not isinstance(body, Problem) or scope == Scope.all:
                return body
    for pattern in (_REF_WITH_WORD, _REF_HASH, _REF_SEPARATOR, _REF_ARTICLE):
        # `line one: 45%`, `la dos al 50%` name line 1 and 2; number words elsewhere wait
        # for the answer's reading
        worded = pattern is _REF_WITH_WORD or pattern is _REF_ARTICLE
        said = words_to_numbers(fragment) if worded else fragment
        match = pattern.fullmatch(said)
        if match:
            rest = match["rest"].strip()
            if not rest:
                return _CONSUMED  # an empty template line (`1:`) is no answer
            answer = _answer_for(match["ref"], rest)
            if isinstance(answer, Problem):
                return Problem(fragment, answer.template, answer.values)
            if pattern is _REF_WITH_WORD and _LETTER_REF.match(said):
                answer = replace(answer, site_ref=said[: match.end("ref")].strip())
            return answer
    described = _described(fragment)
    if (
        described
        and not _NOT_A_NAME.fullmatch(described[0])
        and isinstance(parse_body(fragment, scope=Scope.current), Problem)
    ):
        answer = parse_body(described[1], scope=Scope.line)
        if isinstance(answer, LineAnswer):
            return replace(answer, described=" ".join(described[0].split()), text=fragment)
    numbered = _numbered_description(fragment)
    if numbered is not None and isinstance(parse_body(fragment, scope=Scope.current), Problem):
        return numbered
    match = _REF_SPACE.fullmatch(fragment)
    if match and isinstance(parse_body(fragment, scope=Scope.current), Problem):
        rest = match["rest"].strip()
        if _BARE_NUMBER.fullmatch(rest) and "$" not in rest and rest[0] not in _SEPARATOR_WORD:
            # (`2 -5000` is line 2's credit, asked to confirm as `2: -5000` is)
            return Problem(
                fragment,
                N_("Is this line {line}, or the number {line}{rest}? Write `{line}: {rest}` for "
                   "line {line}."),
                {"line": match["ref"], "rest": rest},
            )  # fmt: skip
        answer = _answer_for(match["ref"], rest)
        if isinstance(answer, Problem):
            return Problem(fragment, answer.template, answer.values)
        if answer.progress is not None and answer.progress.word and match["ref"].isdigit():
            return replace(answer, count=True)  # `3 done`: line 3, or 3 units of this line?
        return answer
    return None


def _answer_for(ref: str, rest: str) -> LineAnswer | Problem:
    """Line `ref`'s answer `rest`; `Conduit: 600 LF` is the line's words then its answer (the
    words are checked against the line when the answer is applied)."""
    answer = parse_body(rest, scope=Scope.line, line=ref)
    if isinstance(answer, Problem):
        labelled = _LABELLED.fullmatch(rest)
        if labelled and not _NOT_A_NAME.fullmatch(labelled["words"]):
            body = parse_body(labelled["answer"], scope=Scope.line, line=ref)
            if not isinstance(body, Problem):
                return replace(body, label=labelled["words"])
    return answer


def _described(fragment: str) -> tuple[str, str] | None:
    """(words of a line's description, the answer) of `conduit 45%`. The words are taken as
    written and the answer with its number words read, shortest name first (`ductwork half
    done` is Ductwork at 50%, not a line "ductwork half" done; `quarter round trim half done`,
    `half-height walls 50%`); then as `_DESCRIBED` reads the text as written, then with every
    number word read."""
    words = fragment.split()
    for count in range(1, min(3, len(words) - 1) + 1):
        name, rest = " ".join(words[:count]), " ".join(words[count:])
        if not _NAME_WORDS.fullmatch(name):
            break
        read = words_to_numbers(rest)
        answer = _DESCRIBED.fullmatch(f"{name} {read}")
        if answer and answer["words"] == name.rstrip(":"):
            # a separator `_DESCRIBED` passed over is left out as written; a lead-in (`is at
            # about`) stays: the answer's reading needs it (`is at 50` may be a percent)
            answer_text = answer.string[answer.start("lead") :]
            skipped = read[: len(read) - len(answer_text)]
            return answer["words"], rest[len(skipped) :] if rest.startswith(skipped) else read
    match = _DESCRIBED.fullmatch(fragment) or _DESCRIBED.fullmatch(words_to_numbers(fragment))
    return (match["words"], match.string[match.start("lead") :]) if match else None


def _numbered_description(fragment: str) -> LineAnswer | None:
    """`Level 2 slab: 50%`, `Phase 1 rough-in 30%`: a description holding a number (up to six
    words, the first a word), then its answer; the shortest such name first. Which line the
    words name, all of them, is `handlers`' to say."""
    tokens = fragment.split()
    if not tokens or tokens[0][0].isdigit() or _NOT_A_NAME.fullmatch(fragment):
        return None
    for count in range(1, min(6, len(tokens) - 1) + 1):
        word = tokens[count - 1]
        if not _NAME_WORD.fullmatch(word):
            break  # `Perfect. 3: 50%`, `Conduit 50%. Panels 1`: not a name
        name = " ".join(tokens[:count]).rstrip(":=")
        if any(ch.isdigit() for ch in name):
            rest = tokens[count:]
            if rest[0] in _SEPARATOR_WORD:
                rest = rest[1:]
            answer = parse_body(" ".join(rest), scope=Scope.line) if rest else None
            if isinstance(answer, LineAnswer) and answer.progress is not None:
                return replace(answer, described=name, text=fragment)
        if word.endswith((":", "=")):
            break  # the name ends at its separator
    return None


def invoice_number_in(text: str) -> str | None:
    """An invoice number mentioned anywhere in free text (`Here is invoice 1042`)."""
    match = _INVOICE_ANYWHERE.search(text[:MAX_CHARS])
    return match["num"].rstrip("-_/.#") if match else None


__all__ = [
    "MISTYPED",
    "Command",
    "CommandName",
    "Expect",
    "LineAnswer",
    "Parsed",
    "Problem",
    "Scope",
    "invoice_number_in",
    "parse",
    "parse_line_value",
    "parse_strict",
    "why_unreadable",
]
