"""The words of the conversation: commands (`send`, `edit 3`, `help`...) and, per step, what a
bare answer means (`none` at the attachments step is "no attachments", `ok` at the
invoice-number step accepts the suggestion)."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

REF = r"(?P<ref>\d{1,6}(?:\.\d{1,4})*[a-z]?)"
LINE_WORD = r"(?:line|ln|item|sov|l[ií]nea|partida|rengl[oó]n|concepto|l)"


# A month by its name or its abbreviation, in English or Spanish (`Nov`, `noviembre`, `dic.`)
MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|enero|ene|febrero|marzo|abr"
    r"|abril|mayo|jun|junio|jul|julio|ago|agosto|sep?tiembre|octubre|noviembre|dic"
    r"|diciembre)\.?"
)


class Expect(enum.StrEnum):
    """What the conversation is waiting for: it decides how bare answers are read."""

    choose = "choose"
    invoice_number = "invoice_number"
    line = "line"
    attachments = "attachments"
    review = "review"


class CommandName(enum.StrEnum):
    help = "help"
    back = "back"
    edit = "edit"
    status = "status"
    review = "review"
    cancel = "cancel"
    draft = "draft"
    send = "send"
    yes = "yes"
    no = "no"
    next = "next"
    start = "start"
    switch = "switch"


@dataclass(frozen=True)
class Command:
    name: CommandName
    line: str | None = None  # for `edit 3`
    # a button's `send:<digest>` / `yes:<digest>`: what it was shown beside (`State.shown`)
    shown: str | None = None


_ANOTHER_TIME = r"(?:later|tomorrow|tonight|next\s+week|on\s+monday|(?:in\s+)?the\s+morning)"
_OTRO_DIA = r"(?:ma[ñn]ana|despu[eé]s|luego|m[aá]s\s+tarde|el\s+lunes)"

_COMMANDS: tuple[tuple[CommandName, re.Pattern[str]], ...] = tuple(
    (name, re.compile(rf"(?:{pattern})", re.IGNORECASE))
    for name, pattern in (
        (CommandName.help, r"help|\?+|h|commands|menu|examples?|how\s+does\s+this\s+work"
         r"|what\s+can\s+i\s+(?:say|do|type)|ayuda|ejemplos?|c[oó]mo\s+funciona"),
        (CommandName.back, r"back|go\s+back|previous|prev|undo|atr[aá]s|volver|regresar"
         r"|anterior|deshacer"),
        (CommandName.edit, rf"(?:edit|change|fix|redo|correct|update|go\s*to|edita(?:r)?"
         rf"|cambia(?:r)?|corrige|corregir|ir\s+a)"
         rf"(?:\s+(?:the|la|el))?(?:\s+{LINE_WORD})?\s*#?\s*{REF}"),
        (CommandName.edit, rf"(?:(?:the|la|el)\s+)?{LINE_WORD}\.?\s*(?:no\.?\s*)?#?\s*{REF}"),
        (CommandName.edit, r"edit|change|fix|edit\s+(?:a\s+)?line|change\s+(?:a\s+)?line"
         r"|editar|cambiar|corregir"),
        (CommandName.status, r"status|where\s+(?:am|was)\s+i|where\s+are\s+we"
         r"|what'?s\s+(?:left|missing|next)|estado|qu[eé]\s+falta|d[oó]nde\s+estoy"
         r"|how\s+am\s+i\s+doing|c[oó]mo\s+(?:voy|vamos|va(?:\s+(?:la\s+factura|todo))?)"
         r"|qu[eé]\s+(?:llevo|llevamos|(?:me|nos)\s+falta)"),
        (CommandName.review, r"review|summary|preview|show(?:\s+(?:me\s+)?(?:the\s+)?"
         r"(?:invoice|review|summary|totals))?|revisar|resumen|ver\s+(?:la\s+)?factura"),
        (CommandName.cancel, r"cancel|stop|abort|cancel\s+(?:the\s+)?(?:invoice|this|it)"
         r"|never\s*mind|cancela(?:r|rla|rlo|la|lo)?|cancele|parar|detener"),
        (CommandName.draft, r"draft|save|save\s+(?:it\s+)?(?:as\s+)?(?:a\s+)?draft"
         r"|save\s+(?:it|for\s+later)"
         r"|keep\s+(?:it\s+)?as\s+(?:a\s+)?draft|save\s+as\s+draft|borrador"
         r"|gu[aá]rda(?:r|rla|rlo|la|lo)?(?:\s+(?:como\s+)?(?:un\s+)?borrador)?"
         # putting it off: kept as a draft, nothing sent (`I'll finish later`, `más tarde`)
         r"|later|(?:i'?ll\s+)?(?:finish|do\s+it|continue|come\s+back(?:\s+to\s+it)?)\s+later"
         # `will do the rest tomorrow`, `I'll finish tomorrow`, `that's it for now`
         r"|(?:(?:i|we)(?:'?ll|\s+will)\s+|will\s+)?(?:do|finish|complete|fill\s+in|answer"
         r"|continue|get\s+to)(?:\s+(?:the\s+rest|it|this|them|the\s+others|everything\s+else))?"
         rf"\s+{_ANOTHER_TIME}|(?:the\s+)?rest\s+{_ANOTHER_TIME}"
         r"|that'?s\s+(?:all|it)\s+for\s+(?:now|today)|eso\s+es\s+todo\s+por\s+(?:ahora|hoy)"
         r"|m[aá]s\s+tarde|l[oa]\s+(?:reviso|termino|sigo|acabo|completo)\s+(?:despu[eé]s|luego"
         r"|m[aá]s\s+tarde)|(?:despu[eé]s|luego|m[aá]s\s+tarde)\s+l[oa]\s+(?:reviso|termino|sigo"
         r"|acabo|completo)"
         # `el resto mañana`, `lo termino mañana`, `mañana sigo`
         rf"|(?:(?:lo|el\s+resto)\s+)?(?:termino|sigo|completo|hago)(?:\s+el\s+resto)?\s+{_OTRO_DIA}"
         r"|ma[ñn]ana\s+(?:lo\s+)?(?:termino|sigo|completo|hago)(?:\s+el\s+resto)?"
         rf"|(?:el\s+)?resto\s+{_OTRO_DIA}"
         r"|d[eé]ja(?:la|lo)\s+(?:en|como)\s+borrador"
         # `send as draft`, `draft - will send tomorrow`: a draft, never sent
         r"|(?:send|submit|save|keep)\s+(?:it\s+)?as\s+(?:a\s+)?draft"
         r"|draft(?:\s*[-–—,:;.]\s*|\s+)(?:(?:i|we)(?:'?ll|\s+will)\s+|will\s+)?send"
         rf"(?:\s+it)?\s+{_ANOTHER_TIME}"),
        (CommandName.send, r"(?:(?:yes|yep|yeah|yup|ok|okay|k|kk|sure|s[ií]|vale|dale|ya),?\s+"
         r"|go\s+ahead\s+and\s+)?(?:(?:re-?)?(?:send|submit)"
         r"(?:\s+(?:it|this|that|(?:the\s+|my\s+|our\s+)?invoice))?"
         r"(?:\s+(?:now|in|over|off|through))?(?:\s+again)?(?:\s+for\s+(?:review|approval))?"
         # `favor de enviar`, `mándenla`, `envíela` (not `mande` alone: "pardon?" in Mexico)
         r"|(?:(?:por\s+)?favor\s+de\s+)?(?:re)?(?:(?:env[ií]a|m[aá]nda)(?:r|rla|rlo|la|lo)?"
         r"|(?:env[ií]e|m[aá]nde)(?:n|nla|nlo|la|lo))(?:\s+(?:la\s+|mi\s+)?factura)?"
         r"(?:\s+(?:a|para)\s+revisi[oó]n)?(?:\s+(?:ya|ahora|de\s+nuevo|otra\s+vez))?)"
         # `OK to send`: said of the invoice, it is sent
         r"|(?:it'?s\s+|all\s+)?(?:ok(?:ay)?|good|fine|ready|clear)\s+to\s+(?:send|submit)"
         r"|go\s+ahead|s[ií],?\s+enviar|volver\s+a\s+enviar(?:la|lo)?"),
        (CommandName.yes, r"yes|y|yeah|yep|yup|sure|ok|okay|confirm(?:ed)?|correct|right"
         r"|that'?s\s+(?:right|correct)|use\s+(?:it|that)|sounds\s+good|👍|s[ií]|vale|claro"
         # as typed on a phone: `k`, `okey`, `✅`, `that works`, `dale`, `está bien`
         r"|k|kk|okey|oki|[✅✔☑]\ufe0f?|(?:that\s+)?works(?:\s+for\s+me)?|dale"
         r"|est[aá]\s+bien|confirm(?:o|ar|ado)"
         r"|de\s+acuerdo|correcto|usar(?:lo)?|that\s+is\s+(?:right|correct)|exact(?:ly|o)"
         r"|(?:as[ií]|eso)\s+es"
         # `yes that's right`, `yes it is`, `yes confirm`, `sí, así es`
         r"|(?:yes|yeah|yep|yup|s[ií])[,!.]?\s+(?:it\s+is|that'?s\s+(?:right|correct|it)"
         r"|that\s+is\s+(?:right|correct)|correct|correcto|right|confirm(?:ed)?|exact(?:ly|o)"
         r"|(?:as[ií]|eso)\s+es|claro)"),
        (CommandName.no, r"no|n|nope|nah|no,?\s+gracias|wrong|incorrect|incorrecto"
         r"|that'?s\s+(?:wrong|not\s+(?:right|correct|it))|that\s+is\s+(?:wrong|not\s+right)"
         r"|(?:no|nope|nah)[,!.]?\s+(?:that'?s\s+(?:wrong|not\s+(?:right|correct|it))|wrong"
         r"|incorrect|not\s+(?:right|correct)|incorrecto|no\s+es\s+as[ií])|no\s+es\s+as[ií]"),
        (CommandName.next, r"next|continue|keep(?:\s+it)?|same|as\s+is|unchanged|skip\s+this"
         r"|no\s+(?:attachments?|files?|backup|documents?|docs)|nothing\s+to\s+attach"
         r"|siguiente|continuar|igual|mismo|sin\s+cambios?"
         r"|(?:sin|no\s+(?:tengo|tenemos|hay|van|llevan?))\s+(?:adjuntos?|archivos?|documentos?"
         r"|respaldos?)"),
        (CommandName.start, r"start|begin|hi|hello|hey|resume|restart|start\s+(?:over|billing"
         r"|(?:the\s+|an\s+)?invoice)|let'?s\s+(?:go|start|begin)|empezar|comenzar|iniciar"),
        (CommandName.switch, r"switch|choose|(?:other|another|change|switch)\s+invoice"),
    )
)  # fmt: skip

# Ways of saying an answer's word that the answer grammar (`answers.py`) knows by another
# name: `saltar` / `sáltala` is `omitir` (skip), `ya quedó` is `listo` (done), `50 por cien`
# is `50 por ciento`. Read as their plain words before a fragment is read.
_SAID_AS = (
    (re.compile(r"\b(?:s[aá]lta(?:r|la|lo|las|los)?|s[aá]ltatel[oa]|brinca(?:r|la|lo)?)"
                r"(?:\s+(?:esta|esa)(?:\s+l[ií]nea)?)?(?=[.!]*$)", re.IGNORECASE), "omitir"),
    (re.compile(r"\b(?:ya\s+)?qued[oó](?:\s+list[oa])?(?=[.!]*$)", re.IGNORECASE), "listo"),
    (re.compile(r"\bpor\s+cien\b", re.IGNORECASE), "por ciento"),
)  # fmt: skip


def said_plainly(fragment: str) -> str:
    """`saltar` -> `omitir`, `2: ya quedó` -> `2: listo`, `50 por cien` -> `50 por ciento`."""
    for pattern, plain in _SAID_AS:
        fragment = pattern.sub(plain, fragment)
    return fragment


# Holding a send back: `don't send yet`, `wait`, `not yet`, `todavía no`. Never a send, and a
# send said before (or beside it: `send` / `no, wait`) is not done.
HOLD = re.compile(
    r"(?:(?:please\s+|pls\s+)?(?:don'?t|do\s+not|dont)\s+(?:send|submit)"
    r"(?:\s+(?:it|this|that|(?:the\s+)?invoice))?(?:\s+(?:just\s+)?(?:yet|now))?|not\s+yet"
    r"|(?:no,?\s+)?wait(?:\s+(?:a\s+(?:sec(?:ond)?|minute|moment)|please))?"
    r"|hold(?:\s+(?:on|off|it|that))?(?:\s+please)?|hang\s+on|not\s+ready(?:\s+(?:yet"
    r"|to\s+send))?|(?:(?:por\s+)?favor\s+de\s+)?no\s+(?:l[oa]\s+)?(?:enviar|env[ií]es?|env[ií]e[ns]?|mandar|mandes"
    r"|mande[ns]?)(?:l[ao])?(?:\s+(?:todav[ií]a|a[uú]n|por\s+ahora))?"
    r"|(?:todav[ií]a|a[uú]n)\s+no(?:\s+(?:l[oa]\s+)?(?:env[ií]es?|mandes|enviar))?"
    r"|(?:no,?\s+)?espera(?:\s+(?:un\s+(?:momento|segundo)|por\s+favor))?)[.!]*",
    re.IGNORECASE,
)


def is_hold(fragment: str) -> bool:
    """`don't send yet`, `Great, don't send yet`, `no la envíes por favor`: a send held back."""
    if HOLD.fullmatch(fragment):
        return True
    polite = _POLITE.fullmatch(fragment)
    return polite is not None and bool(HOLD.fullmatch(polite["command"]))


# At the attachments step these mean "no (more) attachments".
_ATTACHMENTS_DONE = re.compile(
    r"(?:none|nothing|done|skip|no|nope|nah|n/?a|that'?s\s+(?:all|it)|all\s+done|finished"
    r"|no\s+thanks?|not\s+(?:now|yet)|no\s+(?:attachments?|files?|backup|documents?|docs)"
    r"|skip\s+(?:attachments?|files?|this|it)|ninguno|nada|no\s+hay|eso\s+es\s+todo|listo"
    r"|ninguna|omitir|saltar|s[aá]ltal[oa]|no\s+hay\s+nada"
    r"|sin\s+(?:adjuntos?|respaldos?|documentos?|archivos?)|no\s+(?:tengo|tenemos)"
    r"(?:\s+(?:nada|adjuntos?|respaldos?|documentos?))?|por\s+ahora\s+no|todav[ií]a\s+no)"
    # `none for now`, `no backup this month`, `not this time`, `ninguno por ahora`
    r"(?:\s+(?:for\s+now|this\s+(?:time|month|period)|por\s+ahora|este\s+mes))?"
    r"|not\s+this\s+(?:time|month|period)",
    re.IGNORECASE,
)

# "No files", unmistakably: also read so at the review (`none`, the answer the attachments
# question suggests, typed after a form jumped past it) and beside an invoice number and its
# lines in one message, where it cannot be "no invoice number".
NO_FILES = re.compile(
    r"(?:none|nothing|n/?a|ninguno|ninguna|nada|nothing\s+to\s+attach"
    r"|no\s+(?:attachments?|files?|backup|documents?|docs)"
    r"|sin\s+(?:adjuntos?|respaldos?|documentos?|archivos?))"
    r"(?:\s+(?:for\s+now|this\s+(?:time|month|period)|por\s+ahora|este\s+mes))?[.!]*",
    re.IGNORECASE,
)


# "I'm finished", said when every line has its answer: at the review it asks whether to send
# or save (nothing changes: `all done` there is not every line to 100%), at the attachments
# step it means no more files.
FINISHED = re.compile(
    r"(?:(?:i'?\s*a?m|i\s+am|we'?\s*a?re|we\s+are)\s+(?:all\s+)?(?:done|finished|through)"
    r"|(?:all|we'?re\s+all|i'?m\s+all)\s+(?:done|finished|complete[d]?|set)"
    r"|every(?:thing|\s+line)(?:'s|\s+is)?\s+(?:done|finished|complete[d]?|set|ready)"
    r"|that'?s\s+(?:all|it|everything)|done|finished|complete[d]?|list[oa]s?"
    r"|(?:ya\s+)?termin[eé]|ya\s+est[aá]|tod[oa]s?\s+list[oa]s?|ya\s+acab[eé]|eso\s+es\s+todo"
    r"|(?:ya\s+)?(?:terminamos|acabamos))[.!]*",
    re.IGNORECASE,
)


# "please" and "thanks" around a command: `send it please`, `please save`, `enviar por favor`.
PLEASE = r"please|pls|plz|por\s+favor|porfa(?:vor)?"
POLITE_AFTER = rf"{PLEASE}|thanks|thank\s+you|thx|gracias"  # what may follow a command
_POLITE = re.compile(
    rf"(?:(?:{PLEASE}|kindly|(?:looks|all|sounds)\s+good|great|perfect|ok(?:ay)?|thanks"
    r"|thank\s+you|gracias|perfecto|muy\s+bien|todo\s+bien),?\s+)?(?P<command>.+?)"
    rf"(?:,?\s+(?:{POLITE_AFTER}))?",
    re.IGNORECASE,
)
_INSTRUCTION_WORDS = (
    r"(?:re-?)?send|(?:re-?)?submit|save|draft|cancel|stop|delete|edit|change|fix|update|wait"
    r"|hold|enviar|(?:re)?env[ií]\w*|m[aá]nd\w*|guardar|borrador|cancelar|esperar?|espera"
)
# A fragment holding one of these words asks for something: it is never taken for a name
# (`Thanks, Sam` is a greeting; `Great, don't send yet` and `Thanks Sam please send` are not).
INSTRUCTION = re.compile(rf"\b(?:{_INSTRUCTION_WORDS})\b", re.IGNORECASE)


# Wanting or asking to do something before a command: `I want to change line 2`, `let me go
# back`, `can I see the invoice`, `quiero guardar`. Asked, a send or a cancel is not done,
# only said plainly: `can I send it?` is answered with the invoice to review.
_WANTING = re.compile(
    r"(?:i(?:\s+want|\s+need|\s+would\s+like|'?d\s+like)\s+to|let\s+me"
    r"|quiero|necesito|me\s+gustar[ií]a)\s+(?P<command>.+)",
    re.IGNORECASE,
)
_ASKING = re.compile(
    r"(?:can|could|may)\s+(?:i|we|you)\s+(?:please\s+)?|(?:se\s+)?(?:puedo|podemos|puede)\s+",
    re.IGNORECASE,
)


# `ready to send?`, `is it OK to send?`: asked, not said (`OK to send` sends); answered as
# `can I send it?` is, with the invoice to review. `clean_fragment` keeps this `?`.
ASKED_SEND = re.compile(
    r"(?:(?:(?:is\s+(?:it|this|that|everything)|are\s+we)\s+)?(?:ok(?:ay)?|good|fine|ready"
    r"|clear)\s+to\s+(?:send|submit)(?:\s+(?:it|this|now))?"
    # `send?`, `should I send?`, `shall we submit it now?`
    r"|(?:(?:should|shall|do|can|may)\s+(?:i|we|you)\s+)?(?:re-?)?(?:send|submit)"
    r"(?:\s+(?:it|this|that|(?:the\s+|my\s+)?invoice))?(?:\s+(?:now|then))?"
    # `¿envío?`, `¿la mando?`, `enviar?`, `¿la enviamos ya?`, `¿debo enviarla?`
    r"|(?:(?:la|lo)\s+)?(?:env[ií]o|mando|enviamos|mandamos)(?:\s+(?:ya|ahora))?"
    r"|(?:(?:debo|debemos|puedo|podemos)\s+)?(?:enviar|mandar)(?:la|lo)?(?:\s+(?:ya|ahora))?)"
    r"\s*\?+",
    re.IGNORECASE,
)


# At the review, "it's ready" without saying send (`good to go`, `Approved`, `all set`): asked
# whether to send it or save it, as `I'm done` is there (FINISHED), never sent.
_READY = re.compile(
    r"(?:(?:it'?s|it\s+is|we'?re|we\s+are|all|everything(?:'?s|\s+is)?|ya\s+est[aá])\s+)?"
    r"(?:good\s+to\s+go|ready|all\s+set|set|approved?|ok\s+by\s+me|list[oa]s?|aprobad[oa]"
    r"|todo\s+listo)[.!]*",
    re.IGNORECASE,
)


def read_command(fragment: str, expect: Expect) -> Command | None:
    if ASKED_SEND.fullmatch(fragment):
        return Command(CommandName.review)
    if expect == Expect.review and _READY.fullmatch(fragment):
        return Command(CommandName.next)
    command = _read_command(fragment, expect)
    if command is None and not is_pleasantry(fragment):  # `ok thanks` stays a pleasantry
        polite = _POLITE.fullmatch(fragment)
        if polite and polite["command"] != fragment:
            command = _read_command(polite["command"], expect)
    if command is None:
        command = _wanted_command(fragment, expect)
    return command


def _wanted_command(fragment: str, expect: Expect) -> Command | None:
    wanting = _WANTING.fullmatch(fragment)
    if wanting is not None:
        return _read_command(wanting["command"], expect)
    asking = _ASKING.match(fragment)
    if asking is not None:
        command = _read_command(fragment[asking.end() :], expect)
        if command is not None and command.name == CommandName.send:
            return Command(CommandName.review)  # `can I send it?`: what would go, and how
        if command is not None and command.name != CommandName.cancel:
            return command
    return None


# The suggested invoice number taken: `use it`, `ok thanks`, `OK thank you`, `sí gracias`.
_TAKE_IT = re.compile(
    r"(?:(?:use|take)\s+(?:it|that|this)"
    r"|(?:ok(?:ay)?|yes|yep|sure|s[ií]|vale|perfect|perfecto)[,!.]?\s+"
    r"(?:thanks|thank\s+you|thx|ty|gracias)"
    # `same as suggested`, `the one you said`, `el mismo`, `la que sugieres`, `esa`
    r"|(?:the\s+)?same(?:\s+(?:one|number))?\s+as\s+(?:you\s+)?(?:suggested|said|proposed)"
    r"|the\s+one\s+you\s+(?:suggested|said|proposed|gave)|(?:el|lo)\s+mismo"
    r"|(?:la|el)\s+que\s+(?:sugieres|sugiere|dices|dice|propones|propone)|es[ae](?:\s+mism[ao])?)"
    r"[.!]*",
    re.IGNORECASE,
)


def _read_command(fragment: str, expect: Expect) -> Command | None:
    if expect == Expect.attachments and _ATTACHMENTS_DONE.fullmatch(fragment):
        return Command(CommandName.next)
    if expect in (Expect.attachments, Expect.review) and FINISHED.fullmatch(fragment):
        return Command(CommandName.next)
    if expect == Expect.review and NO_FILES.fullmatch(fragment):
        return Command(CommandName.next)
    if expect == Expect.invoice_number and _TAKE_IT.fullmatch(fragment):
        return Command(CommandName.yes)
    for name, pattern in _COMMANDS:
        match = pattern.fullmatch(fragment)
        if match:
            return Command(name, match.groupdict().get("ref"))
    article = _ARTICLE_REF.fullmatch(fragment)
    if article and expect != Expect.invoice_number:  # there `la 2041` is the invoice's number
        return Command(CommandName.edit, article["ref"])
    return None


# `la 3` alone: the article alone names a line in Spanish (`la 3 al 50%`), as `Line 3` does
_ARTICLE_REF = re.compile(rf"(?:la|el)\s+#?\s*{REF}", re.IGNORECASE)


# What people write around their answers: greetings, thanks, "see attached", "filled in
# below". Said alone or beside answers, it is not an answer and not an error. Only a fragment
# that could not be read otherwise is taken for one, and never one holding a digit.
# The name after a greeting or thanks (`Hi Jane Doe`, `Thanks Sam`): never an instruction.
_NAME = rf"(?:\s+(?!(?:{_INSTRUCTION_WORDS})\b)[a-z][\w'.-]*){{0,3}}"
_PLEASANTRY = re.compile(
    # a correction's lead-in alone (`Actually, 2: 5`, `Sorry - 1: 60%`)
    r"actually|sorry|oops|correction|my\s+bad|perd[oó]n|en\s+realidad|correcci[oó]n|"
    rf"(?:hi|hello|hey|dear|good\s+(?:morning|afternoon|evening|day)|greetings|hola|buenos\s+"
    rf"d[ií]as|buenas\s+tardes){_NAME}"
    rf"|(?:many\s+|thanks\s+)?(?:thanks|thank\s+you|thx|ty|cheers|gracias|much\s+appreciated"
    rf"|appreciate\s+it)(?:\s+(?:so|very)\s+much|\s+a\s+lot|\s+again|\s+in\s+advance)?{_NAME}"
    rf"|(?:best|kind|warm)?\s*regards{_NAME}|best{_NAME}|sincerely{_NAME}|saludos{_NAME}"
    r"|(?:please\s+)?(?:see|find|check)\s+(?:the\s+)?(?:attached|attachments?|below|above"
    r"|enclosed)(?:\s+\w+){0,4}"
    r"|(?:please\s+)?find\s+(?:\w+\s+){0,5}(?:attached|enclosed|below)(?:\s+\w+){0,3}"
    r"|(?:(?:our|my|the)\s+)?(?:\w+\s+){0,4}(?:is|are)\s+attached(?:\s+\w+){0,3}"
    r"|attached(?:\s+(?:is|are|please\s+find))?(?:\s+\w+){0,5}"
    # where the invoice is, not its number: `Invoice attached`, `invoice to follow`
    r"|(?:(?:the|our|my|this|la|mi|nuestra|esta)\s+)?(?:invoice|factura|pay\s*app(?:lication)?"
    r"|estimaci[oó]n)(?:\s+(?:is|will\s+be|es|est[aá]|va))?\s+(?:attached|below|above|enclosed"
    r"|inline|forthcoming|to\s+follow|follows|coming|on\s+(?:its|the)\s+way|adjunt[ao]"
    r"|abajo|arriba|anexad[ao]|incluid[ao]|en\s+camino)(?:\s+\w+){0,3}"
    r"|(?:i\s+|we\s+)?(?:have\s+)?(?:filled|answered|entered|put)\s+(?:it\s+|them\s+|this\s+"
    r"|everything\s+|the\s+\w+\s+)?(?:in\s+|out\s+)?(?:below|above|in\s+the\s+template"
    r"|inline)"
    r"|(?:answers?|figures|numbers|progress|details)\s+(?:are\s+|is\s+)?(?:below|above|inline)"
    r"|see\s+(?:my\s+)?(?:answers?\s+)?(?:below|above|inline)"
    r"|here\s+(?:you\s+go|it\s+is|they\s+are|(?:is|are)(?:\s+\w+){1,5})"
    r"|(?:let\s+me\s+know|tell\s+me)(?:\s+\w+){0,8}"
    r"|(?:have\s+a\s+)?(?:good|great|nice)\s+(?:day|week|weekend|one)"
    r"|(?:(?:it|that|this|everything|all)\s+)?(?:looks?|seems?|sounds?)\s+(?:good|great|fine"
    r"|right|correct|ok(?:ay)?)(?:\s+to\s+me)?|all\s+good|perfect|great|ok\s+thanks"
    r"|(?:todo\s+)?(?:se\s+ve|est[aá])\s+bien(?:\s+as[ií])?|as[ií]\s+est[aá]\s+bien|todo\s+bien"
    r"|todo\s+correcto"
    r"|perfecto|excelente|listo"
    r"|(?:i\s+)?hope\s+(?:this|that|all|you)(?:\s+\w+){0,6}"
    r"|adjunto(?:\s+\w+){0,5}|ver\s+(?:abajo|adjunto)"
    # as Spanish writes them: `Espero que estés bien`, `Te paso los números de noviembre`,
    # `Cualquier duda quedo a tus órdenes`, `Un saludo`, `Atentamente`
    r"|espero\s+que(?:\s+\w+){1,6}|(?:que\s+)?(?:tengas?|tengan)\s+(?:un\s+)?(?:buen|excelente)"
    r"(?:\s+\w+){1,3}|(?:aqu[ií]\s+)?(?:(?:te|le|les)\s+)?(?:paso|env[ií]o|mando|comparto|anexo)"
    r"(?:\s+\w+){1,6}|aqu[ií]\s+(?:est[aá]n?|van?|tienes?|tiene)(?:\s+\w+){0,6}"
    r"|cualquier\s+(?:duda|pregunta|cosa|comentario)(?:\s+\w+){0,6}"
    r"|quedo\s+(?:a\s+(?:tus|sus)\s+[oó]rdenes|atent[oa]|pendiente)(?:\s+\w+){0,4}"
    rf"|(?:un\s+)?(?:cordial\s+)?saludos?(?:\s+cordiales)?{_NAME}|atentamente{_NAME}"
    rf"|cordialmente{_NAME}|buen\s+d[ií]a{_NAME}|buenas(?:\s+noches)?{_NAME}"
    rf"|muchas\s+gracias{_NAME}|mil\s+gracias{_NAME}",
    re.IGNORECASE,
)


# Any of these makes an unreadable fragment more than chatter: a figure (in digits or words),
# a line, an answer's or an instruction's words, a hesitation (`not yet`, `wait`), a question.
_MEANINGFUL = re.compile(
    r"[\d%$#@?&+=/]|n'?t\b|\b(?:not|no|never|nor|yet|later|until|till|before|after|tomorrow"
    r"|tonight|today|wait|hold|pause|stop|hang|line|lines|item|items|rows?|ln|sov|l[ií]neas?"
    r"|partidas?|rengl[oó]n|renglones|conceptos?|all|every\w*|each|rest|remaining|others?"
    r"|todos?|todas?|resto|dem[aá]s|zero|one|two|three|four|five|six|seven|eight|nine|ten"
    r"|eleven|twelve|\w+teen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred"
    r"|thousand|million|half|quarter|third|percent|pct|cero|uno?|una|dos|tres|cuatro|cinco"
    r"|seis|siete|ocho|nueve|diez|veinte|treinta|cuarenta|cincuenta|sesenta|setenta|ochenta"
    r"|noventa|cien|ciento|mil|mitad|cuarto|tercio|medio|media|done|complete\w*|finish\w*"
    r"|skip\w*|omit\w*|none|nothing|nada|ningun[oa]?|full|fully|whole|entire\w*|list[oa]s?"
    r"|terminad\w*|complet\w*|stored|materials?|materiales|retainage|retention|retenci[oó]n"
    r"|releas\w*|liber\w*|bill\w*|invoic\w*|factura\w*|number|n[uú]mero|amount|total|value"
    r"|quantity|qty|units?|dollars?|d[oó]lares|usd|bucks|cents?|paid|pay|payment|pago|cobr\w*"
    r"|monto|cantidad|valor|correct\w*|wrong|mistake|error|instead|same|previous|again|also"
    r"|plus|minus|more|less|extra|add\w*|remov\w*|increas\w*|reduc\w*|approv\w*|confirm\w*"
    r"|chang\w*|revis\w*|check\w*|yes|ok|okay|s[ií]|esper\w*|todav[ií]a|a[uú]n|ma[ñn]ana"
    r"|luego|despu[eé]s|antes|hasta|nunca|tampoco|solo|s[oó]lo|only|just|but|pero|except\w*"
    r"|menos|m[aá]s)\b",
    re.IGNORECASE,
)
# A question (its `?` may be gone: `text.clean_fragment` keeps one only after a figure)
_QUESTION = re.compile(
    r"\W*(?:is|are|am|was|were|do|does|did|can|could|should|would|will|shall|have|has|what"
    r"|which|why|where|when|who|whom|qu[eé]|por\s*qu[eé]|cu[aá]l\w*|cu[aá]nt\w*|d[oó]nde"
    r"|cu[aá]ndo|qui[eé]n\w*|est[aá]|es)\b",
    re.IGNORECASE,
)
_MOST_CHATTER_WORDS = 12
# The papers a cover sentence speaks of (`Please see our November billing below`, `Attached is
# our pay app and lien waiver`, `Le envío la facturación de noviembre`)
_PAPER = (
    rf"(?:(?:this\s+(?:month|period)'?s|{MONTH}(?:'s)?|monthly)\s+)?"
    r"(?:invoice|billing|progress\s+billing|pay\s*app(?:lication)?|lien\s+waivers?|waivers?"
    r"|backup|back-up|photos?|pictures?|documents?|paperwork|numbers|figures|g70[23])"
)
_PAPERS = rf"{_PAPER}(?:\s+(?:and|&)\s+(?:(?:the|our|my)\s+)?{_PAPER})?"
_PAPERS_ES = (
    r"(?:(?:la|el|los|las|nuestra|nuestro|mi)\s+)?(?:factura(?:ci[oó]n)?|estimaci[oó]n"
    r"|(?:carta\s+de\s+)?renuncia|respaldos?|fotos?|documentos?|n[uú]meros|avance)"
    rf"(?:\s+(?:de|del)\s+(?:{MONTH}|(?:este\s+)?mes|(?:este\s+)?periodo))?"
)
# In a cover sentence these are the papers and the sending of them, not an instruction or a
# figure (`pay app` is no payment, `le envío` no `send`): left out before the checks
_COVER_WORDS = re.compile(
    r"\b(?:invoice|billing|pay\s*app(?:lication)?|factura(?:ci[oó]n)?|(?:le|les|te)\s+env[ií]o)\b",
    re.IGNORECASE,
)
# Words that make words around the answers a reservation, never a courtesy: `Here are our
# preliminary numbers`, `Attached is a rough draft`
_RESERVATION = re.compile(
    r"\b(?:prelim\w*|tentativ\w*|rough\w*|estimat\w*|draft|pending|hold\w*|wait\w*|ignor\w*"
    r"|disregard\w*|don'?t|do\s+not|not|never|until|half|partial\w*|incomplete|wrong"
    r"|mistake\w*|error\w*|borrador|espera\w*|no(?!\s+(?:rush|hurry|worries|problem)))\b",
    re.IGNORECASE,
)
# What chatter is: the courtesies people write around their answers. A few words that are
# none of these are not chatter, however harmless they look (`preliminary`, `ignore the
# above`): they keep a `send` of the same message back, as any unreadable text does.
_COURTESY = re.compile(
    r"(?:so\s+|very\s+|really\s+)?sorry(?:\s+(?:for|about)\s+(?:the\s+|my\s+)?(?:delay|late"
    r"\w*|wait\w*|trouble|confusion))?(?:\s+(?:again|all))?"
    r"|apolog\w+\s+for\s+(?:the\s+|my\s+)?(?:delay|late\w*|wait\w*)"
    r"|(?:happy|merry)\s+(?:thanksgiving|holidays|christmas|new\s+year|easter|friday|monday"
    r"|halloween|fourth(?:\s+of\s+july)?|4th(?:\s+of\s+july)?|hanukkah|holiday\s+season)"
    r"|(?:(?:have|enjoy)\s+(?:a\s+)?)?(?:great|good|nice|happy|wonderful|safe)\s+(?:weekend|week"
    r"|day|evening|night|holiday\w*|thanksgiving|one|trip)"
    r"|(?:i\s+)?hope\s+(?:you|all|everyone|this\s+finds\s+you)(?:'?re|\s+are|\s+is|\s+had"
    r"|\s+have|\s+all|\s+well)*(?:\s+(?:well|good|great|doing\s+well|going\s+well|a\s+good"
    r"\s+\w+))?"
    r"|let\s+(?:me|us)\s+know\s+if\s+(?:you\s+)?(?:need|have|want)\s+(?:anything|any\s+"
    r"(?:questions|help|thing))(?:\s+else)?"
    r"|(?:please\s+)?(?:process|review)(?:\s+(?:it|this|at\s+your\s+convenience))?"
    r"|(?:the\s+|our\s+|my\s+)?(?:pdf|backup|back-up|photos?|pictures?|documents?|files?"
    r"|paperwork|lien\s+waivers?)\s+(?:is\s+|are\s+)?(?:attached|enclosed|included)"
    r"|(?:my\s+|the\s+)?answers?\s+(?:are\s+)?(?:(?:inline|below|above|in\s+the\s+email)\s*){1,2}"
    r"(?:\s+in\s+(?:red|blue|bold))?"
    r"|(?:disculpe?|perd[oó]n|lo\s+siento)(?:\s+(?:por\s+)?(?:la\s+)?(?:demora|tardanza"
    r"|espera|molestia))?"
    r"|feliz\s+(?:d[ií]a\s+de\s+acci[oó]n\s+de\s+gracias|navidad|a[nñ]o\s+nuevo|fin\s+de"
    r"\s+semana|d[ií]a)"
    r"|(?:que\s+)?(?:tenga|tengan|pase|pasen)\s+(?:un\s+)?(?:buen|excelente|feliz)\s+(?:d[ií]a"
    r"|fin\s+de\s+semana)"
    r"|espero\s+que\s+(?:est[eé]s?|se\s+encuentre)\s+bien"
    # a cover sentence: where the papers are (`Lien waiver to follow`)
    rf"|(?:please\s+)?(?:see|find)\s+(?:our|my|the)\s+{_PAPERS}\s+(?:below|above|attached"
    r"|enclosed|inline)"
    rf"|(?:please\s+find\s+)?attached\s+(?:is|are|please\s+find)?\s*(?:(?:our|my|the)\s+)?"
    rf"{_PAPERS}"
    rf"|(?:(?:our|my|the)\s+)?{_PAPERS}\s+(?:to\s+follow|will\s+follow|coming\s+(?:soon"
    r"|shortly|separately)|(?:will\s+be\s+)?sent\s+separately)"
    rf"|here\s+(?:is|are)\s+(?:(?:our|my|the)\s+)?{_PAPERS}"
    rf"|(?:(?:le|les|te)\s+)?env[ií]o\s+{_PAPERS_ES}|adjunto\s+{_PAPERS_ES}",
    re.IGNORECASE,
)


def is_chatter(fragment: str) -> bool:
    """`Sorry for the delay!`, `Happy Thanksgiving!`, `Disculpe la demora`: one of the
    courtesies people write around their answers (`_COURTESY`), holding no figure, no line, no
    answer's or instruction's word (so neither `50` nor `line 3 later` nor `Great, don't send
    yet` nor `preliminary` nor `is this right?` is chatter)."""
    words = fragment.split()
    courtesy = fragment.strip(" \t.,;:!¡¿-–—…").replace("’", "'")
    if not (0 < len(words) <= _MOST_CHATTER_WORDS and _COURTESY.fullmatch(courtesy)):
        return False
    said = _COVER_WORDS.sub(" ", fragment)
    return (
        not _MEANINGFUL.search(said)
        and not _RESERVATION.search(said)
        and not _QUESTION.match(fragment)
        and not INSTRUCTION.search(said)
        and read_command(fragment, Expect.line) is None
        and any(ch.isalpha() for ch in fragment)
    )


def is_pleasantry(fragment: str) -> bool:
    """`Thanks!`, `Hi Jane`, `See attached`, `Filled in below`, `Please find our pay app
    attached`: words around the answers, which ask for nothing."""
    text = fragment.strip(" \t.,;:!?-–—()\"'")
    return (
        bool(text)
        and not any(ch.isdigit() for ch in text)
        and bool(_PLEASANTRY.fullmatch(" ".join(text.split())))
        and not _RESERVATION.search(text)
    )
