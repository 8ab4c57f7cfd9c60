"""What an invoice administrator's answer says: approve, approve as noted, or reject lines.

    approve                                  approve as noted
    approve  (a note on the next lines)      3: $4,000
                                             note: 18 fixtures, not 20
    reject 3: only 18 fixtures installed
    reject 2,3: the quantities do not match the daily reports
    reject 1-3: no lien waiver               (`lines 1 to 3`, `1, 2 and 4`, `1 & 2`)
    reject 1: footage high; reject 2: why    (several clauses, on one line or several)
    reject 3: why                            (then more `2: reason` lines, `also reject 2`,
    2: another reason                         `and 2: reason`)
    reject 2 - why, 4 - another reason       (a line with a reason of its own after a comma)
    reject 3: why. approve the rest          (`approve 1, 2, 4`: every other line, none returned)

A reason may also follow a comma, `because` or a space, or stand in brackets, as long as it
names no more lines (`reject line 3, no photos`, `reject 3 need photos`, `reject 3 (no
photos)`, `return 2, 5 no backup`). The same in Spanish: `aprobar`, `aprobar con observaciones`
(`nota: por qué`), `rechazar 3: motivo`, `devolver 2 y 3: motivo`, `devolver la 3` or `devuelvo
la 3 porque faltan fotos`. A line is named as the SOV numbers it
(`3`, `03`, `1.2`, `2A`, `E1`, `A-2`); whether the invoice has it is checked by the review.
Given the invoice's line numbers, a reference is read as one of them where it can be (`03` or
`L3` is line 3, `26-0500` is that line rather than a range, and a range holds only the lines
the invoice has); one that names none of them is kept as written, for the review to refuse.

Greetings, thanks, a signature and approving words around the decision are not part of it
(`Hi,` on the line above, `Looks good, approved`, `Thanks Jane - approved`, `approve please`);
they never make one (`Looks good` alone is unclear). Pure and total: `read_review` never
raises. Anything it cannot read with confidence is unclear (None), and the administrator gets
the answer forms back; nothing is guessed:
- an approval followed by anything but a harmless note (approving is paying money): thanks, a
  greeting or a signature, praise (`good job`), a document asked for next time (`please send
  the lien waiver with the next one`), one received (`lien waiver received 11/28`), when it is
  paid (`paid by Friday`), the usual retainage. Everything else is unclear, however mild it
  looks: a negation, exception or condition (`approval denied`, `approved, but return line 2`,
  `approve after inspection`, `aprobado, pero…`), an amount or a share (`approved 90%`,
  `approved, pay half`), a line named, doubt (`approved maybe`, `approved for now`), a markup
  (`approved per attached markup`);
- a reason or note that names another line, by its number (`reject 1: see line 2`) or, when
  the invoice's line descriptions are given, by words of its description (`reject 2: need
  photos` then `conduit too`): which line is returned?
- an amount like `$8.400`: $8.40, or $8,400 written the Spanish way?
An amount of approve as noted is dollars when written so (`2: $8,400`), units when a unit
follows it (`2: 2 EA`, `1: 240 LF`, `2: qty 2`); a bare `2: 2` is marked `bare`, for the review
to ask about on a line billed in units. Notes are kept as written (only greetings and thanks
at their ends are left out).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping, Set
from dataclasses import dataclass
from decimal import Decimal

from conversations.answers import THOUSANDS_POINT
from conversations.context import described, find_line
from conversations.text import normalize
from conversations.vocabulary import PLEASE, POLITE_AFTER, is_pleasantry
from models.i18n import N_
from models.money import AmountError, parse_amount
from models.review import Decision, Quantity, ReviewKind

ANSWER_FORMS = N_(
    "To review it, reply with one of:\n"
    "- `approve` (add a note on the next line if you like)\n"
    "- `approve as noted`, then this period's amount for the lines you change, one per line, "
    "e.g. `3: $4,000`, and `note: why`\n"
    "- `reject 3: only 18 fixtures installed` (a line each, as many as you return; `reject "
    "2,3: reason` or `reject 2-4: reason` for one reason on several lines; the reason may be "
    "left out)"
)

UNCLEAR = N_("I couldn't tell what you decided, so nothing was changed.")

MAX_RANGE = 200  # `reject 1-3` names three lines; `reject 1-5000` is not a range of lines

# --- Naming lines ----------------------------------------------------------------------------
_LINE_WORD = r"(?:lines?|l[ií]neas?|items?|partidas?)"
# A line number as an SOV writes it: `3`, `03`, `1.2`, `2A`, `E1`, `A-2`; always a digit, and
# `3.` at the end of a sentence is line 3.
_NUMBER = r"\b(?:[a-z]{1,3}-?)?\d{1,6}(?:\.\d{1,4})*[a-z]?\b"
_ARTICLE = r"(?:the|las?|los|el)\s+"
_SPAN = (
    rf"(?:del?\s+(?:la\s+)?)?#?\s*{_NUMBER}"
    rf"(?:[-–]#?{_NUMBER}|\s+(?:to|through|thru|a|al|a\s+la|hasta(?:\s+la)?)\s+#?\s*{_NUMBER})?"
)
_ITEM = rf"(?:{_ARTICLE})?(?:{_LINE_WORD}\.?\s*(?:no\.?\s*)?)?{_SPAN}"
_JOIN = r"\s*,\s*(?:(?:and|y|&)\s+)?|\s*&\s*|\s+(?:and|y|e)\s+"
_REFS = rf"(?P<refs>{_ITEM}(?:(?:{_JOIN}){_ITEM})*)"
_RANGE = re.compile(
    rf"(?P<first>{_NUMBER})(?:[-–]|\s+(?:to|through|thru|a|al|a\s+la|hasta(?:\s+la)?)\s+)"
    rf"#?\s*(?P<last>{_NUMBER})",
    re.I,
)
_ONE = re.compile(_NUMBER, re.I)
_NUMBERED = re.compile(r"(?P<prefix>[a-z]*-?)(?P<number>\d+)", re.I)
_NUMBER_WORD = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    r"|uno|una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce"
)

# --- The decisions ---------------------------------------------------------------------------
_APPROVE_ES = r"(?:aprob(?:ar|ado|ada|amos)|apruebo|ok\s+para\s+pagar)"
_APPROVE = re.compile(
    r"(?:i\s+)?(?:approve[ds]?|approval|ok(?:ay)?\s+to\s+pay|"
    rf"{_APPROVE_ES})(?:\s+it|\s+la)?\b[\s,.!:;–—-]*(?P<rest>.*)",
    re.I,
)
_APPROVE_WORD = r"(?:approve[ds]?|aprob(?:ar|ado|ada|amos)|apruebo)\b"
_AS_NOTED = re.compile(
    r"(?:(?:i\s+)?approved?\s+as\s+noted|(?:aprob(?:ar|ado|ada)|apruebo)\s+con\s+"
    r"observaci(?:[oó]n|ones))\b[\s,.!:;-]*",
    re.I,
)
_REJECT_VERB = (
    r"(?:reject(?:ed)?|return(?:ed)?|revise|send\s+back|rechaz(?:ar|o|ada|ado)|"
    r"devolver|devuelvo|devuelta|devuelto)"
)
_ALSO = r"(?:(?:and|also|plus|y|tambi[eé]n|adem[aá]s)\s+)*"  # `also reject 2`, `and 2: why`
_SEPARATOR = r"\s*(?:[:=]|[-–—]+)\s*"  # `3: why`, `3 - why`, `3 -- why`
# After the lines a return names, a reason may also follow a comma, `because` or a space
# (`reject line 3, no photos`, `reject 3 need photos`, `devuelvo la 3 porque faltan fotos`) or
# stand in brackets (`reject 3 (no photos)`); never one that goes on naming lines (`and 3`).
_BECAUSE = r"because|since|as|due\s+to|porque|ya\s+que|pues|debido\s+a"
_NOT_A_REASON = (
    r"and|also|plus|too|y|e|tambi[eé]n|adem[aá]s|to|through|thru|a|al|hasta|lines?|items?"
    r"|l[ií]neas?|partidas?|of|de|days?|weeks?|months?|d[ií]as|semanas|meses|times|veces"
    r"|more|m[aá]s|units?|unidades"
)
_REASON = (
    rf"{_SEPARATOR}(?P<reason>.*)"
    r"|\s*\((?P<aside>[^()]*)\)"
    rf"|(?(refs)(?:\s*,\s*|\s+(?:{_BECAUSE})\s+|\s+)(?!(?:{_NOT_A_REASON})\b)"
    r"(?P<loose>[^\W\d_].*)|(?!))"
)
_REJECT = re.compile(
    rf"{_ALSO}{_REJECT_VERB}(?:\s+(?:also|too|tambi[eé]n))?(?:(?:\s*:\s*|\s+){_REFS})?"
    # `return line 3 for revision: …`, `devolver 3 para corrección: …`
    r"(?:\s+(?:for\s+(?:revision|correction|rework|changes)|para\s+(?:revisi[oó]n|"
    r"correcci[oó]n|corregir)))?"
    rf"(?:{_REASON})?",
    re.I,
)
_REFS_ONLY = re.compile(rf"{_ALSO}{_REFS}", re.I)
_LINES_REASON = re.compile(rf"{_ALSO}{_REFS}(?:{_SEPARATOR}(?P<reason>.*))?", re.I)
_ADJUSTMENT = re.compile(
    rf"(?:{_LINE_WORD}\s*|#\s*)?(?P<ref>{_NUMBER}){_SEPARATOR}(?P<amount>.+)", re.I
)
_NOTE = re.compile(
    r"(?:note|notes|reason|comment|nota|motivo|comentario)s?\s*[:\-]\s*(?P<note>.+)", re.I
)
_STUCK_LINE_WORD = re.compile(rf"\b(?P<word>{_LINE_WORD})(?=\d)", re.I)
# `L3`, `ln-3`, `#3`, `no. 3`: a line number behind a short prefix (when it is no line itself).
_PREFIXED = re.compile(r"(?:l|ln|no\.?|#)\s*-?\s*(?P<ref>\d\S*)", re.I)
# `26-0500: $4,000`: an amount for a line whose number holds a hyphen (when the invoice has it).
_JOINED_ADJUSTMENT = re.compile(
    rf"(?:{_LINE_WORD}\s*|#\s*)?(?P<ref>\w[\w.]*(?:[-–]\w[\w.]*)+){_SEPARATOR}(?P<amount>.+)",
    re.I,
)
_RULE = re.compile(r"[-–—_=*~.]+")  # `--` above a signature, a drawn line
_AMOUNT_DIGITS = re.compile(r"[\d.,]+")

# A line named in a reason or a note: `line 2`, `line two`, `#2`, `2:`, `reject 2`.
_LINE_REFERENCE = re.compile(
    rf"\b{_LINE_WORD}\.?\s*(?:no\.?\s*)?#?\s*(?:{_NUMBER}|(?:{_NUMBER_WORD})\b)"
    r"|#\s*\d"
    rf"|(?<![\w.:/$,-]){_NUMBER}\s*[:=](?![\d/])"
    rf"|\b{_REJECT_VERB}\s+(?:{_ARTICLE})?(?:{_LINE_WORD}\s*)?#?\s*{_NUMBER}",
    re.I,
)
# In a note (not a reason), also: a number followed by a figure (`3 $4,000`, `2 - 30 units`)
# and `the fixtures line`.
_FIGURE_AFTER_NUMBER = re.compile(
    rf"{_NUMBER}(?:\s+|\s*[-–—]\s+|\s+[-–—]\s*)(?:\$|usd\s*)?\d|{_NUMBER}\s*(?:\$|usd\b)"
    r"|\b(?:the|that)\s+[\w-]+(?:\s+[\w-]+)?\s+lines?\b|\bla\s+l[ií]nea\s+de\b",
    re.I,
)
# In an approval's note, a piece that starts with a number, as line answers do (`3 skip`).
_STARTS_WITH_NUMBER = re.compile(rf"(?:^|[,.;:]\s+)(?P<ref>{_NUMBER})\s+[a-z]", re.I)
# In a return's note or a line of an approval as noted, any number that is not an amount, a
# percentage, a date or a time: `same for 3`, `3 too`, `2 panels not energized yet`.
_BARE_NUMBER = re.compile(
    rf"(?<![$\d.,/:#-])(?P<ref>{_NUMBER})(?![%/:]|[.,]\d|\s*(?:%|percent|por\s+ciento))", re.I
)
_DATE = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|ene|abr|ago|dic)[a-z]*\.?\s+\d{1,2}"
    r"(?:st|nd|rd|th)?\b(?:,?\s+\d{4}\b)?|\b\d{1,2}\s+de\s+[a-z]+(?:\s+(?:de\s+)?\d{4}\b)?",
    re.I,
)
# Second thoughts or another decision, in the note of an approval as noted or of a return
# (that note may well hold a `not`: `two panels, not three`).
_SECOND_THOUGHTS = (
    rf"\b(?:{_REJECT_VERB}|reject\w*|return\w*|hold|withh[eo]ld|pending|until|unless|wait\w*"
    r"|den(?:y|ied)|declined?|cancel\w*|disregard|ignore|undo|scratch\s+that|never\s*mind"
    r"|except|stop|revok\w*|void|kidding|oops|rechaz\w*|devol\w*|devuelv\w*|devuelt\w*"
    r"|pendiente|espera\w*|excepto|salvo|denegad[oa]|anula\w*|olvid\w*|ignor\w*)\b"
)
_RECONSIDERED = re.compile(_SECOND_THOUGHTS, re.I)
# After a plain approval, also a negation, an exception, a condition or a question makes it
# something else (`approval denied`, `approved, but…`, `approve after inspection`, `approved?
# no`, `aprobado, pero…`, `aprobar cuando…`).
_NOT_PLAIN = re.compile(
    rf"{_SECOND_THOUGHTS}|\?|n't\b|\b(?:no|not|nope|never|cannot|dont|cant|wont|isnt|doesnt|didnt|deny|denied"
    r"|declined?|refused?|withh[eo]ld|hold|paused|stopped|blocked|suspended|delayed|postponed"
    r"|deferred|except(?:ing|ions?)?|excluding|but|however|although|though|return\w*"
    r"|reject\w*|revis\w*|resubmit\w*|pending|after|once|until|till|unless|when|if|wait\w*"
    r"|provided|subject\s+to|conditional\w*|upon|needs?|needed|requires?|required|missing"
    r"|only|partial\w*|instead|wrong|incorrect|mistake|error|actually|disregard|ignore"
    r"|cancel\w*|undo|retract\w*|sorry|yet|adjust\w*|change[ds]?|less|minus|deduct\w*"
    r"|reduc\w*|without|w/o|up\s+to|max\w*|limit\w*|capped|at\s+most|exceed\w*"
    r"|condition\w*|contingent|assuming|as\s+long\s+as|reservations?|first(?=[\s.!]*$)"
    r"|pero|excepto|salvo|menos|sin|devol\w*|devuelv\w*|devuelt\w*|rechaz\w*|correg\w*"
    r"|correcci[oó]n|pendiente|cuando|despu[eé]s|hasta|si|espera\w*|falta\w*|solo|s[oó]lo"
    r"|antes|una\s+vez|mientras|siempre\s+que|condici[oó]n\w*|negad[oa]|denegad[oa]"
    r"|retenid[oa]|todav[ií]a|a[uú]n|cambi\w*|ajust\w*|nunca|tampoco|anula\w*|olvid\w*"
    r"|parcial\w*|sujet[oa]\s+a|reservas?|tentativ\w*|provisional\w*)\b",
    re.I,
)
# ...unless they only say there is nothing to add: `approved, no comments`, `sin observaciones`.
_NOTHING_TO_ADD = re.compile(
    r"\b(?:no|sin)\s+(?:(?:further|other|more|additional|m[aá]s)\s+)?(?:comments?|notes?"
    r"|remarks?|issues?|problems?|exceptions?|concerns?|changes?|comentarios?"
    r"|observaci(?:[oó]n|ones)|novedad(?:es)?|problemas?|cambios?)\b",
    re.I,
)
# ...or offer help, or say what every payment is: `let me know if you have questions`.
_USUAL = re.compile(
    r"\b(?:let\s+me\s+know|call\s+me|reach\s+out|feel\s+free\s+to\s+\w+(?:\s+me)?)\s+(?:if|when)"
    r"\s+(?:you\s+)?(?:have\s+|need\s+|there\s+are\s+)?(?:any\s+)?(?:questions?"
    r"|anything(?:\s+else)?)\b"
    r"|\b(?:less|net\s+of)\s+(?:the\s+)?(?:usual\s+|standard\s+)?retainage\b",
    re.I,
)
# An amount in a plain approval: is it what is approved? (`approve as noted` changes amounts)
_MONEY = re.compile(r"\$\s*\d|\busd\s*\d|\d\s*(?:usd|dollars|d[oó]lares)\b", re.I)
_HELD = re.compile(r"(?:is\s+|was\s+)?held\b", re.I)  # `approval held`; `10% held` is fine
_REVISE_ALL = re.compile(r"\b(?:revise|correct|fix)\s+and\s+(?:resubmit|resend|re-?send)\b", re.I)


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- What may follow a plain approval -------------------------------------------------------
# Approving is paying money, so only a note of these kinds may follow an approval (anything
# else, however mild it looks, gets the answer forms back): thanks, greetings and names;
# praise; nothing to add; approving it as it is; the usual retainage; when it is paid; a
# document received, or asked for next time; who it was passed on to.
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|ene|abr|ago|dic)[a-z]*\.?"
_DAY = (
    rf"\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    r"|\d{1,2}\s+de\s+[a-z]+|today|yesterday|hoy|ayer"
)
_WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|lunes|martes|mi[eé]rcoles|jueves|viernes"
_RUN = r"(?:(?:next|regular|normal|usual|our)\s+)?(?:check|payment|pay|ap)\s+(?:run|cycle|batch)"
_WHEN = (
    rf"(?:the\s+)?(?:{_RUN}|(?:this|next)\s+(?:{_WEEKDAY})|{_WEEKDAY}|end\s+of\s+(?:the\s+)?"
    rf"(?:week|month)|{_DAY}|\d{{1,2}}(?:st|nd|rd|th)|tomorrow|ma[nñ]ana)"
)
_DOCUMENT = (
    r"(?:(?:the|a|an|your|all|any|our)\s+)?(?:(?:signed|conditional|unconditional|updated|final"
    r"|partial|progress|notarized|monthly|current|latest|required|original)\s+){0,3}"
    r"(?:lien\s+(?:waivers?|releases?)|waivers?(?:\s+of\s+lien)?|releases?|back-?\s?up"
    r"|supporting\s+(?:documents?|documentation)|documentation|photos?|pictures?"
    r"|daily\s+reports?|dailies|certified\s+payrolls?|payrolls?|coi|insurance\s+certificates?"
    r"|certificates?\s+of\s+insurance|receipts?|delivery\s+tickets?|time\s?sheets?"
    r"|schedule(?:\s+updates?)?|sworn\s+statements?|g70[23]s?|invoices?)"
    r"(?:\s+(?:for|from)\s+(?:(?:this|last|the)\s+)?[a-z]+\.?)?"
)
_DOCUMENT_ES = (
    r"(?:(?:la|el|las|los|una|un|su|sus)\s+)?(?:carta\s+de\s+)?(?:renuncia|liberaci[oó]n|fotos?"
    r"|fotograf[ií]as?|reportes?\s+diarios?|respaldos?|soportes?|n[oó]minas?|p[oó]lizas?"
    r"|facturas?|comprobantes?|documentaci[oó]n)(?:\s+(?:de\s+)?grav[aá]men(?:es)?)?"
    r"(?:\s+(?:certificad|firmad)[oa]s?)?"
)
_LATER = (
    r"next\s+(?:time|month|period)|going\s+forward|moving\s+forward|in\s+(?:the\s+)?future"
    r"|from\s+now\s+on|el\s+(?:pr[oó]ximo\s+mes|mes\s+que\s+viene)"
    r"|(?:with|on|for|in)\s+(?:the\s+|your\s+)?(?:next|future)\s+(?:one|ones|invoices?"
    r"|pay\s*apps?|applications?|billings?|submittals?|submissions?|requests?|periods?|months?)"
    r"|(?:para\s+|en\s+)?la\s+pr[oó]xima(?:\s+(?:vez|factura|estimaci[oó]n))?"
    r"|(?:con|en)\s+la\s+pr[oó]xima\s+(?:factura|estimaci[oó]n)|(?:de\s+ahora\s+)?en\s+adelante"
)
_ASKED = (
    r"(?:(?:please|pls|kindly)\s+)?(?:(?:remember|be\s+sure|make\s+sure)\s+to\s+)?"
    rf"(?:attach|send|include|submit|provide|upload|add|enclose|forward)(?:\s+us)?\s+{_DOCUMENT}"
    rf"|(?:por\s+favor\s+)?(?:adjunt|env[ií]|mand|inclu|anex)\w*\s+{_DOCUMENT_ES}"
)
# A document asked for: only for next time (`please send the lien waiver` alone may be the
# condition of this payment).
_ASKED_LATER = re.compile(rf"(?:(?:{_LATER})\s*,?\s+)?(?:{_ASKED})(?:\s+(?:{_LATER}))?", re.I)
_LATER_SAID = re.compile(rf"\b(?:{_LATER})\b", re.I)
# Approving it as it is: `approved for payment`, `approved as submitted`, `approve all`.
_AS_IT_IS = (
    r"as\s+(?:submitted|billed|invoiced|presented|is|requested)|in\s+full|(?:for|to)\s+"
    r"(?:payment|pay)|(?:for\s+)?(?:the\s+)?full\s+amount|all(?:\s+lines)?|everything|it"
    r"|(?:tal\s+)?(?:cual|como\s+(?:est[aá]|se\s+(?:present[oó]|factur[oó])))"
    r"|en\s+su\s+totalidad|(?:para|por)\s+(?:pago|pagar)|complet[oa]|tod[oa]s?"
)
_SAID_NOTHING = re.compile(
    rf"{_AS_IT_IS}|ok(?:ay)?|yes|yep|sure|fine|good|great|perfect|{PLEASE}|nothing\s+else", re.I
)
_HARMLESS = re.compile(
    # praise, and nothing to add
    r"(?:(?:it|this|that|everything|all)\s+)?(?:looks?|seems?|sounds?)\s+(?:good|great|fine"
    r"|right|correct|ok(?:ay)?)(?:\s+to\s+me)?|all\s+good|good\s+to\s+go|ok(?:ay)?|good|great"
    r"|perfect|excellent|nice|awesome|cool|yes|yep|sure"
    r"|(?:good|great|nice|excellent|fine)\s+(?:job|work)(?:\s+(?:this\s+(?:month|period|time)"
    r"|as\s+always|on\s+(?:this|it)))?|well\s+done|keep\s+(?:it\s+)?up(?:\s+the\s+good\s+work)?"
    r"|(?:buen|excelente|gran)\s+trabajo|todo\s+(?:bien|en\s+orden|correcto)|perfecto|excelente"
    r"|muy\s+bien|bien|de\s+acuerdo|correcto"
    r"|nothing\s+(?:else|further|to\s+add)|that'?s\s+(?:all|it)|nada\s+m[aá]s|eso\s+es\s+todo"
    rf"|{PLEASE}|{_AS_IT_IS}"
    # the usual retainage
    r"|(?:net\s+of|minus)\s+(?:the\s+)?(?:usual\s+|standard\s+|contract\s+)?(?:retainage"
    r"|retention)|(?:the\s+)?(?:usual\s+|standard\s+)?(?:retainage|retention)\s+(?:held"
    r"|withheld|applies|applied)(?:\s+as\s+usual|\s+per\s+(?:the\s+)?contract)?"
    r"|(?:the\s+)?(?:\d{1,2}(?:\.\d+)?\s*%\s+)?(?:retainage|retention)(?:\s+(?:of\s+)?\d{1,2}"
    r"(?:\.\d+)?\s*%)?\s+(?:held|withheld|applies|applied)\s+(?:as\s+usual|as\s+always|per\s+"
    r"(?:the\s+)?contract)|menos\s+(?:la\s+)?retenci[oó]n|retenci[oó]n\s+(?:habitual|normal"
    r"|de\s+contrato)"
    # when it is paid: `paid by Friday`, `will be paid with the next check run`
    rf"|(?:(?:please|pls)\s+)?(?:(?:it|this)\s+)?(?:(?:will|should|to)\s+be\s+|we'?ll\s+|will\s+)?"
    rf"(?:paid|pay|processed|process|released|payment)\s+(?:by|on|with|in|at)\s+{_WHEN}"
    rf"|(?:for|in|with)\s+(?:the\s+)?(?:(?:{_DAY})\s+)?{_RUN}"
    rf"|(?:se\s+)?(?:pagar[aá]|paga|pago|pagamos)\s+(?:el\s+)?(?:{_WEEKDAY}|{_DAY}|pr[oó]ximo\s+"
    r"(?:corte|pago))"
    # a document received: `lien waiver for Oct received 11/28`
    rf"|{_DOCUMENT}\s+(?:(?:is|are|was|were|has\s+been|have\s+been)\s+)?(?:received|on\s+file)"
    rf"(?:\s+(?:on\s+)?(?:{_DAY}))?|(?:we\s+)?(?:received|got|have)\s+{_DOCUMENT}"
    rf"(?:\s+(?:on\s+)?(?:{_DAY}))?|{_DOCUMENT_ES}\s+recibid[oa]s?"
    # passed on
    r"|(?:forwarded|sent|passed(?:\s+it)?\s+on|submitted|routed)\s+to\s+(?:accounting"
    r"|accounts\s+payable|a/?p|payables|finance|the\s+owner)(?:\s+for\s+(?:payment"
    r"|processing))?|enviad[oa]\s+a\s+(?:contabilidad|pagos|cuentas\s+por\s+pagar)",
    re.I,
)
# Thanks, a greeting or a closing, with a name (`thanks Jane`, `Best regards, Jane Doe`).
_SIGNED_OFF = re.compile(
    r"(?:(?:many\s+|muchas\s+|thanks\s+)?(?:thanks|thank\s+you|thx|ty|cheers|gracias"
    r"|much\s+appreciated|appreciate\s+it|appreciated)(?:\s+(?:so|very)\s+much|\s+a\s+lot"
    r"|\s+again|\s+in\s+advance|\s+mil)?"
    r"|hi|hello|hey|dear|good\s+(?:morning|afternoon|evening|day)|greetings|hola"
    r"|buenos\s+d[ií]as|buenas(?:\s+tardes|\s+noches)?|(?:best|kind|warm|warmest)?\s*regards"
    r"|best(?:\s+wishes)?|sincerely|saludos(?:\s+cordiales)?|atentamente|cordialmente"
    r"|un\s+saludo|(?:have\s+a\s+)?(?:good|great|nice)\s+(?:day|week|weekend|one)"
    r"|buen\s+(?:d[ií]a|fin\s+de\s+semana))"
    r"(?P<name>(?:\s+[^\W\d_][\w'.-]*){0,3})",
    re.I,
)
# Words no name is made of: a name or a signature holding one says something else.
_NOT_A_NAME = _word_set(
    """pay paid paying payment half full skip skipped leave left out short back charge
    backcharge credit offset drop remove strike exclude excluded hold later now tomorrow next
    month week maybe probably perhaps possibly likely think guess jk lol kidding joke false true
    markup markups redline redlines redlined marked attached attach see per partial partially
    percent retain retention retainage release only except minus less deduct discount overbilled
    overbilling high low wrong off disputed dispute question questions questioned pending
    tentative prelim preliminary temporary temporarily provisional provisionally
    mitad quitar sacar menos descuento descontar quizás quizas creo tal vez medias pagar retener
    parcial pendiente n y x no yes ok si sí"""
)
# Pleasantries that point at something else are not courtesy: `see attached markup`.
_POINTING = re.compile(
    r"\b(?:see|find|check|attach\w*|enclos\w*|below|above|inline|here|adjunt\w*|ver)\b", re.I
)
# A signature's contact details: an email, a web address, a phone number.
_CONTACT_DETAILS = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?:https?://|www\.)\S+"
    r"|\b[\w-]+\.(?:com|net|org|io|co|us|biz|mx)\b\S*"
    r"|(?:\b(?:tel|phone|ph|cell|mobile|mob|office|fax|direct|main|[tmofcd])\b\.?:?\s*)?"
    r"\+?\(?\d[\d\s().-]{5,}\d(?:\s*(?:ext|x)\.?\s*\d+)?"
    r"|sent\s+from\s+my\s+.*|enviado\s+desde\s+mi\s+.*",
    re.I,
)
_SIGNATURE_JOINS = frozenset({"of", "and", "de", "del", "y", "la", "el", "the", "at", "inc"})
# Words that stretch a reason or a note to other lines: `conduit too`, `same for the others`.
_ELSEWHERE = (
    r"\b(?:too|as\s+well)\s*[.!]*$|\bsame\s+(?:as|for)\s+(?:the\s+)?(?:others?|rest)\b"
    r"|\b(?:both|all)\s+(?:lines|items)\b|\bthe\s+other\s+(?:lines?|items?|ones?)\b"
    r"|\blo\s+mismo\b|\bambas\b|\blas\s+dem[aá]s\b|\btambi[eé]n\s+(?:la|el|las|los)\b"
)
_ELSEWHERE_IN_REASON = re.compile(_ELSEWHERE, re.I)
_ELSEWHERE_IN_NOTE = re.compile(
    rf"{_ELSEWHERE}|\bthe\s+rest\b|\beverything\s+else\b|\bothers\b|\bel\s+resto\b"
    r"|\btodo\s+lo\s+dem[aá]s\b"
    # `also the conduit`: a short note naming something more
    r"|^(?:and|also|plus|y|tambi[eé]n)\s+(?:the|la|el|las|los)\s+[\w-]+(?:\s+[\w-]+)?$",
    re.I,
)
# Terms of payment in the note of an approval as noted: the amounts say what is paid.
_PAYMENT_TERMS = re.compile(
    r"\b(?:pay|short[-\s]?pa\w*|withh[eo]ld\w*|retain\w*|retention|retainage"
    r"|back[-\s]?charge\w*|deduct\w*|discount\w*|credit\w*|offset\w*|pagar|pag[oa]|retener"
    r"|retenci[oó]n|descuent\w*|descontar)\b",
    re.I,
)
# A number alone in a reason given after a space, which may be another line: `… and 3`.
_LONE_NUMBER = re.compile(rf"(?<![\w$.,/:#-])(?P<ref>{_NUMBER})(?![\w%/]|[.,]\d|\s+[^\W\d_])")
# Amounts of approve as noted: dollars, or units (`2 EA`, `qty 2`).
_DOLLARS = re.compile(r"\$|\b(?:usd|dollars?|d[oó]lares)\b", re.I)
_DOLLAR_WORDS = re.compile(r"\b(?:usd|dollars?|d[oó]lares)\b", re.I)
_COUNT = r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_UNIT = r"[^\W\d_][^\W\d_'.]*\.?(?:\s+[^\W\d_][^\W\d_'.]*\.?)?"
_COUNTED = re.compile(rf"(?P<count>{_COUNT})\s*(?P<unit>{_UNIT})", re.I)
_QTY = re.compile(rf"(?:qty|quantity|cantidad)\s*[:=]?\s*(?P<count>{_COUNT})", re.I)
# Words of a line's description too common to name it.
_COMMON_WORDS = _word_set(
    """the and for with from all per not but any are was has have this that its our your
    their one two three new each other others line lines item items work works level levels
    floor floors phase area areas zone building bldg total misc miscellaneous general install
    installed installation supply furnish material materials complete system systems unit
    units del los las para por con una uno nivel piso trabajo trabajos obra suministro
    instalacion instalación materiales sistema otros varios linea línea partida"""
)
_WORD = re.compile(r"[^\W\d_]{3,}")

# --- What surrounds the decision -------------------------------------------------------------
AHEAD_CHARS = 80  # how far into the line words before a decision are looked for
_CLAUSE_END = r"\s*[,.!;]\s*|\s+[-–—]\s+"  # `Looks good, …`, `Thanks Jane - …`
_WORD_GAP = re.compile(rf"{_CLAUSE_END}|\s+")
_ACKNOWLEDGED = re.compile(
    rf"ok(?:ay)?|yes|yep|sure|fine|good|great|perfect|{PLEASE}|kindly|can\s+you", re.I
)
_POLITE = re.compile(rf"(?:{PLEASE})[.!]?", re.I)
_POLITE_END = re.compile(rf"[\s,.!-]+(?:{POLITE_AFTER})[\s.!]*$", re.I)
_CLOSING = re.compile(
    r"(?:many\s+|muchas\s+)?(?:thanks|thank\s+you|thx|cheers|gracias|regards|best|sincerely"
    r"|saludos|atentamente|cordialmente|(?:best|kind|warm)\s+regards|un\s+saludo)\b",
    re.I,
)
_POSTSCRIPT = re.compile(r"p\.?\s*s\b", re.I)
# A name alone on the last line: `Jane`, `- Jane Doe`.
_NAME = r"[A-ZÁÉÍÓÚÑ][A-Za-záéíóúñü'.-]*"
_NAME_ALONE = re.compile(rf"[-–—~]*\s*{_NAME}(?:\s+{_NAME}){{0,2}}")
# A clause starts within a line at `;` (before a decision, a line or a note), or at a
# sentence or comma before another return:
# `reject 1: footage high. Reject 2: no lien waiver`, `…, and return line 2: why`.
_CLAUSE_BREAK = re.compile(
    # `;` before another decision, line or note; else it is inside a reason (`reject 2: per
    # RFI 12; not set`)
    rf"\s*;\s*(?=(?:and\s+|then\s+|y\s+)?(?:{_ALSO}{_REJECT_VERB}|{_APPROVE_WORD}"
    rf"|(?:{_ARTICLE})?(?:{_LINE_WORD}\.?\s*)?#?\s*{_NUMBER}{_SEPARATOR}|(?:note|nota)\b))"
    rf"|(?:[,.!]\s+|\s+(?=(?:and|also|y)\s))(?={_ALSO}{_REJECT_VERB}\s+(?:{_ARTICLE})?"
    rf"(?:{_LINE_WORD}\s*)?#?\s*{_NUMBER})"
    # `reject 3: too high, approve the rest`: another decision
    rf"|\s*[,.!]\s+(?=(?:and\s+|then\s+)?{_APPROVE_WORD})",
    re.I,
)
# In a reason, another line with its own reason: `reject 2 - no waiver, 4 - no tickets`.
_NEXT_LINE_REASON = re.compile(
    rf"\s*[,.!]\s+(?=(?:and\s+)?(?:{_LINE_WORD}\.?\s*)?#?\s*{_NUMBER}{_SEPARATOR}[^\W\d_])",
    re.I,
)
# A line named with a reason of its own inside another's reason: `… and 4 - no tickets`.
_OWN_REASON = re.compile(
    rf"(?:^|(?<=[\s,;.(]))(?:{_LINE_WORD}\.?\s*)?#?(?P<ref>{_NUMBER})\s*[-–—]+\s+(?=[^\W\d_])",
    re.I,
)
# After a return, the other lines approved: `approve 1,3,4`, `approve the rest`.
_APPROVE_OTHERS = re.compile(
    rf"(?:(?:and|then|y)\s+)?{_APPROVE_WORD}(?:\s+(?P<rest>the\s+rest|the\s+others"
    r"|all\s+(?:the\s+)?others|everything\s+else|(?:all\s+)?the\s+(?:other|remaining)\s+lines"
    r"|all\s+other\s+lines|el\s+resto|las\s+dem[aá]s|lo\s+dem[aá]s|todo\s+lo\s+dem[aá]s)"
    rf"|(?:\s*:\s*|\s+){_REFS})",
    re.I,
)
_STARTS_APPROVING = re.compile(rf"(?:(?:and|then|y)\s+)?{_APPROVE_WORD}", re.I)
# A decision left in a reason: `need backup, approved otherwise`.
_DECISION_IN_REASON = re.compile(rf"[,.;!]\s*(?:(?:and|then|y)\s+)?{_APPROVE_WORD}", re.I)
# Where an approval's note is cut into pieces, each of which must be harmless.
_APPROVAL_BREAK = re.compile(r"\s*[,;]\s*|\s+[-–—]+\s+|\s*[-–—]{2,}\s*|[.!]+(?=\s|$)")
_PIECE_BREAK = re.compile(r"\s*[,;]\s*|\s+[-–—]+\s+|(?<=[.!])\s+")


class Unclear(Exception):
    """The answer cannot be read with confidence: the administrator is asked again."""


@dataclass(frozen=True)
class _Sov:
    """The invoice's line numbers, which references are read as; None: any number is a line.
    With their descriptions, the lines named in words (`conduit too`) are found too."""

    numbers: tuple[str, ...] | None = None
    descriptions: Mapping[str, str] | None = None  # number -> description, for `described`

    @classmethod
    def of(cls, lines: Collection[str] | Mapping[str, str] | None) -> _Sov:
        if lines is None:
            return _AS_WRITTEN
        numbers = tuple(str(number) for number in lines)
        if not isinstance(lines, Mapping):
            return cls(numbers)
        return cls(numbers, {str(number): str(lines[number] or "") for number in lines})

    def find(self, ref: str) -> str | None:
        """The line `ref` means (as the contact side finds one: exact, any case, `03` for
        `3`), or behind a short prefix (`L3`, `#3`); None when none, or no lines are known."""
        if self.numbers is None:
            return None
        found = find_line(self.numbers, ref)
        prefixed = _PREFIXED.fullmatch(ref) if found is None else None
        return find_line(self.numbers, prefixed["ref"]) if prefixed else found

    def line(self, ref: str) -> str:
        """The line `ref` means, else `ref` as written (the review says the invoice lacks it)."""
        return self.find(ref) or ref

    def within(self, refs: list[str]) -> list[str]:
        """The lines of a range the invoice has (all of them, as written, when it has none:
        the review then names them)."""
        found = [line for ref in refs if (line := self.find(ref)) is not None]
        return list(dict.fromkeys(found)) or refs

    def key(self, ref: str) -> str:
        return _key(self.line(ref))

    def in_words(self, text: str, allowed: Set[str] = frozenset()) -> set[str]:
        """The lines (by `key`) other than the `allowed` ones that `text` names by a word of
        their description (`conduit too`), as the contact side finds them; a word that an
        allowed line's description holds too is taken for that line (`panels short`)."""
        if self.descriptions is None:
            return set()
        named: set[str] = set()
        for word in set(_WORD.findall(text.casefold())) - _COMMON_WORDS:
            lines = {_key(line) for line in described(self.descriptions, word)}
            if not lines & allowed:
                named |= lines
        return named


_AS_WRITTEN = _Sov()


def read_review(
    text: str, *, lines: Collection[str] | Mapping[str, str] | None = None
) -> Decision | None:
    """The decision in `text`, or None when it is not clear (then nothing may change).
    `lines`, the invoice's SOV line numbers (or `{number: description}`), are what its
    references are read as; with the descriptions, a line named in words is found too."""
    try:
        return _read(_lines(text)[:200], _Sov.of(lines))
    except (Unclear, AmountError, ValueError, ArithmeticError):
        return None


def _lines(text: str) -> list[str]:
    text = _STUCK_LINE_WORD.sub(r"\g<word> ", normalize(text))  # `line3` is `line 3`
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not _RULE.fullmatch(line)]


# `approve all but 3`, `approve everything except 2 and 4: no backup`, `aprobado excepto la
# 2`: those lines returned (a return approves the lines it does not name), as `reject 3`
_ALL_BUT = re.compile(
    rf"(?:{_APPROVE_WORD}|ok(?:ay)?),?\s+(?:(?:all|everything|the\s+rest|todo|todas?)\s+)?"
    r"(?:(?:lines?|l[ií]neas?)\s+)?(?:but|except(?:\s+for)?|excepto|menos|salvo)\s+(?P<rest>\S.*)",
    re.I,
)
# `reject all`, `return everything: no lien waiver`, `rechazar todo`: every line returned
_EVERY_LINE = re.compile(
    r"(?P<verb>reject|return|send\s+back|rechaz(?:ar|o|ada)|devolver|devuelvo|regresar)\s+"
    r"(?:all(?:\s+(?:the\s+)?lines)?|everything|the\s+whole\s+(?:invoice|thing)|todo"
    r"|todas(?:\s+las\s+l[ií]neas)?|toda\s+la\s+factura)(?P<rest>\s*(?:[:\-–—,]|for\b|por\b|porque\b).*)?",
    re.I,
)


def _said_of_every_line(line: str, sov: _Sov) -> str:
    """`approve all but 3` as `reject 3`, `reject all: why` as `reject 1, 2, 3: why` (with
    the invoice's lines); any other line as it is."""
    but = _ALL_BUT.fullmatch(line)
    if but:
        return f"reject {but['rest']}"
    every = _EVERY_LINE.fullmatch(line)
    if every and sov.numbers:
        why = _FOR_REASON.sub(":", every["rest"] or "", count=1)  # `for no waiver`: the reason
        return f"reject {', '.join(sov.numbers)}{why}"
    return line


_FOR_REASON = re.compile(r"^\s*(?:for|por|porque)\b", re.I)


def _read(lines: list[str], sov: _Sov) -> Decision:
    lines = [_said_of_every_line(line, sov) for line in lines]
    head, body, signature = _parts(lines)
    for line in signature:  # a signature asks for nothing, and names no line
        if not _signature_line(line) or sov.in_words(_CONTACT_DETAILS.sub(" ", line)):
            raise Unclear
    if _AS_NOTED.match(head):
        return _as_noted(head, body, sov)
    if _REJECT.fullmatch(head):
        return _reject([head, *body], sov)
    approve = _APPROVE.fullmatch(head)
    if approve:
        return _approve([approve["rest"], *body], sov)
    raise Unclear


def _parts(lines: list[str]) -> tuple[str, list[str], list[str]]:
    """The decision's line (without the words ahead of it), the lines after it, and the
    signature: greetings may come first (`Hi,`, `Looks good.`), a closing and a name last."""
    for index, line in enumerate(lines):
        head = _decision_line(_unthanked(line))  # `reject line 3.`, `return 3 please`
        if _decides(head):
            body, signature = _signature(lines[index + 1 :])
            return head, body, signature
        if not (_around(line) or (line.endswith(",") and _signed(line))):  # `Jane,`
            raise Unclear  # something before the decision that is not a greeting
    raise Unclear


def _signature(after: list[str]) -> tuple[list[str], list[str]]:
    """The lines after the decision, and the signature: from a closing (`Thanks,`) on, or
    the last lines from a name alone (`Jane Doe`) or contact details on, each like a line of
    a signature (`Project Accountant`, `Cell 555-123-4567`, `Sent from my iPhone`)."""
    for at, line in enumerate(after):
        if _CLOSING.match(line) and is_pleasantry(line):
            rest = after[at + 1 :]
            if not any(_POSTSCRIPT.match(line) for line in rest):
                return after[:at], rest
    for at, line in enumerate(after):
        if (_signed(line) or _CONTACT_DETAILS.search(line)) and all(
            _signature_line(line) for line in after[at:]
        ):
            return after[:at], after[at:]
    return after, []


def _signed(line: str) -> bool:
    """A name alone on its line (`Jane`, `- Jane Doe`), saying nothing else."""
    name = line.rstrip(" ,.!")
    return bool(_NAME_ALONE.fullmatch(name)) and _a_name(name)


def _a_name(text: str) -> bool:
    """Whether the words of `text` may be a name, a title or a company (not `Pay Half`, nor
    `N`)."""
    said = {word.casefold().strip(".'-") for word in text.split()}
    return not (said & _NOT_A_NAME or _NOT_PLAIN.search(text) or _MONEY.search(text))


def _signature_line(line: str) -> bool:
    """A line of a signature: names, a title, a company, an address, contact details, each
    word capitalised (`Jane Doe`, `Summit Builders | (312) 555-0100`); nothing asked."""
    rest = _CONTACT_DETAILS.sub(" ", line)
    if "?" in rest or _LINE_REFERENCE.search(rest) or not _a_name(rest):
        return False
    words = re.findall(r"[^\W\d_][\w'.&-]*", rest)
    return all(word[0].isupper() or word.casefold() in _SIGNATURE_JOINS for word in words)


def _decides(text: str) -> bool:
    return bool(_AS_NOTED.match(text) or _REJECT.fullmatch(text) or _APPROVE.fullmatch(text))


def _courtesy(text: str) -> bool:
    """Greetings, thanks, `looks good`, `let me know if you have questions`: words that ask
    for nothing (not `see attached markup`, nor `let me know when the waiver arrives`)."""
    return (
        is_pleasantry(text)
        and not _POINTING.search(text)
        and not _NOT_PLAIN.search(_USUAL.sub(" ", text))
    )


def _around(text: str) -> bool:
    """Words around a decision, asking for nothing: greetings, thanks, `looks good`, `OK`."""
    pieces = [piece for piece in re.split(_CLAUSE_END, text) if piece]
    return bool(pieces) and all(
        _courtesy(piece) or _ACKNOWLEDGED.fullmatch(piece) for piece in pieces
    )


def _decision_line(head: str) -> str:
    """`head` without the greeting, thanks or approving words before its decision."""
    if _decides(head):
        return head
    for gap in _WORD_GAP.finditer(head, 0, AHEAD_CHARS):  # a few words, no more
        ahead, rest = head[: gap.start()].strip(), head[gap.end() :]
        if ahead and rest and _around(ahead) and _decides(rest):
            return rest
    return head


# --- Approve ---------------------------------------------------------------------------------
def _approve(lines: list[str], sov: _Sov) -> Decision:
    """A plain approval: what follows may only be harmless notes (`Approved. Lien waiver for
    Oct received 11/28.`, `Approved - next time please attach the lien waiver`)."""
    if _HELD.match(lines[0]):
        raise Unclear  # `approval held`
    for line in lines:
        if "?" in line:
            raise Unclear  # `approved? no`
        for piece in _APPROVAL_BREAK.split(_labelled(line)):
            said = _USUAL.sub(" ", _NOTHING_TO_ADD.sub(" ", piece))
            if _NOT_PLAIN.search(said) or _MONEY.search(said) or _names_lines(said):
                raise Unclear
            if not _harmless(piece) or sov.in_words(piece):
                raise Unclear
    notes = [_note_of(line) for line in lines if line and not _courtesy(line)]
    return Decision(ReviewKind.approve, note=_joined(notes))


def _harmless(piece: str) -> bool:
    """Whether a piece of an approval's note is of the kinds that may follow it."""
    text = " ".join(_without_symbols(piece).split())
    if not text or _HARMLESS.fullmatch(text):
        return True
    if _USUAL.fullmatch(text) or _NOTHING_TO_ADD.fullmatch(text):
        return True
    if _ASKED_LATER.fullmatch(text) and _LATER_SAID.search(text):
        return True
    signed = _SIGNED_OFF.fullmatch(text)
    if signed is not None:
        return _a_name(signed["name"])
    return bool(_NAME_ALONE.fullmatch(text)) and _a_name(text)


def _without_symbols(piece: str) -> str:
    """`👍`, `:)`, `(prelim)` -> ``, ``, `prelim`: emoji and the punctuation around words."""
    kept = "".join(" " if unicodedata.category(ch) in ("So", "Sk") else ch for ch in piece)
    return kept.strip(" \t.,;:!()[]{}\"'*_~-–—")


# --- Approve as noted ------------------------------------------------------------------------
def _as_noted(head: str, body: list[str], sov: _Sov) -> Decision:
    """`approve as noted`, the amounts of the lines changed (`2: $8,400`, `2: 2 EA`) and a
    note; a note that names another line or takes the approval back is unclear."""
    start = _AS_NOTED.match(head)
    assert start is not None
    given: dict[str, tuple[str, Decimal | Quantity, bool]] = {}  # key -> line, figure, bare
    notes: list[str] = []
    free: list[str] = []  # note lines without `note:`
    for clause in _clauses([head[start.end() :], *body]):
        labelled = _NOTE.fullmatch(clause)
        found = _adjustment(clause, sov) if not labelled else None
        if found:
            ref = sov.line(found["ref"])
            figure, bare = read_figure(found["amount"])
            if given.setdefault(sov.key(ref), (ref, figure, bare))[1:] != (figure, bare):
                raise Unclear  # two amounts for one line
        elif not _courtesy(clause):
            notes.append(_note_of(clause))
            free += [] if labelled else [clause]
    if not given:
        raise Unclear  # "as noted" without an amount: what was noted?
    adjusted = set(given)
    for note in notes:  # `note: line 3 is not approved either`; `2 panels` may explain line 2
        if (
            "?" in note
            or _RECONSIDERED.search(note)
            or _ELSEWHERE_IN_NOTE.search(note)
            or _PAYMENT_TERMS.search(note)
            or _names_lines(note, adjusted, None, sov)
            or sov.in_words(note, adjusted)
        ):
            raise Unclear
    if any(_names_lines(clause, adjusted, _BARE_NUMBER, sov) for clause in free):
        raise Unclear  # `3 skip`, `same for 3`: line 3's figure, or a note?
    figures = list(given.values())
    return Decision(
        ReviewKind.approve_as_noted,
        note=_joined(notes),
        adjustments={ref: f for ref, f, _ in figures if isinstance(f, Decimal)},
        quantities={ref: f for ref, f, _ in figures if isinstance(f, Quantity)},
        bare=frozenset(ref for ref, _, bare in figures if bare),
    )


def _adjustment(clause: str, sov: _Sov) -> re.Match[str] | None:
    """`3: $4,000`, or `26-0500: $4,000` when the invoice has a line `26-0500`."""
    joined = _JOINED_ADJUSTMENT.fullmatch(clause) if sov.numbers is not None else None
    if joined and sov.find(joined["ref"]) is not None:
        return joined
    return _ADJUSTMENT.fullmatch(clause)


def read_figure(text: str) -> tuple[Decimal | Quantity, bool]:
    """The amount approved for a line, and whether it is a bare number (`2`: dollars, or
    units?): dollars (`$8,400`, `8,400 USD`), or units (`2 EA`, `240 LF`, `qty 2`). `$8.400`
    may be $8.40 or $8,400 and is not guessed; a fraction of a cent is kept for the review to
    refuse."""
    text = text.strip()
    digits = _AMOUNT_DIGITS.search(text)
    if digits and THOUSANDS_POINT.fullmatch(digits.group()):
        raise Unclear
    if _DOLLARS.search(text):
        return parse_amount(_DOLLAR_WORDS.sub(" ", text).strip()), False
    counted = _QTY.fullmatch(text) or _COUNTED.fullmatch(text)
    if counted is not None:
        unit = counted.groupdict().get("unit") or ""
        return Quantity(parse_amount(counted["count"]), unit.strip()), False
    return parse_amount(text), True


# --- Reject ----------------------------------------------------------------------------------
def _reject(lines: list[str], sov: _Sov) -> Decision:
    """Every line returned, with its reason. After a return, `2: reason` (or `and 2`) returns
    line 2 too; a reason or note that names another line is unclear."""
    reasons: dict[str, str] = {}
    notes: list[str] = []
    approved: list[str] | None = None  # the lines an `approve 1, 3` after the return names
    for index, clause in enumerate(_with_next_reasons(_clauses(lines))):
        others = _APPROVE_OTHERS.fullmatch(clause) if index else None
        found = _REJECT.fullmatch(clause) or _LINES_REASON.fullmatch(clause)
        if others:
            named = [] if others["rest"] else _expanded(others["refs"] or "", sov)
            approved = [*(approved or []), *named]
        elif found:
            refs = _expanded(found["refs"] or "", sov)
            reason = _reason_of(found, refs, sov)
            if not refs and (index or reason):
                raise Unclear  # `reject: why` without naming a line: which line?
            _return(reasons, refs, reason, sov)
        elif _RECONSIDERED.search(_REVISE_ALL.sub(" ", clause)):
            raise Unclear  # `wait`, `also return the fixtures`
        elif _STARTS_APPROVING.match(clause):
            raise Unclear  # `approved otherwise`, `approve`: which lines?
        elif not _courtesy(clause):
            notes.append(clause)
    if not reasons:
        raise Unclear  # a bare `reject` and no `3: reason` lines
    returned = {sov.key(ref) for ref in reasons}
    if approved is not None:
        _check_approved(approved, returned, sov)
    if any(_names_lines(note, returned, _BARE_NUMBER, sov) for note in notes):
        raise Unclear  # `2 panels not energized yet`: line 2's reason, or a note?
    for note in notes:  # `conduit too`, `also the conduit`: which line is that?
        if _ELSEWHERE_IN_NOTE.search(note) or sov.in_words(note, returned):
            raise Unclear
    for reason in reasons.values():  # `reject 2: conduit also overbilled`
        if _ELSEWHERE_IN_REASON.search(reason) or sov.in_words(reason, returned):
            raise Unclear
        if _DECISION_IN_REASON.search(reason):
            raise Unclear  # `need backup, approved otherwise`: a reason, or a decision?
    return Decision(ReviewKind.reject, note=_joined([_note_of(n) for n in notes]), reasons=reasons)


def _with_next_reasons(clauses: list[str]) -> list[str]:
    """`clauses`, a return's reason cut where another line's own reason starts: `reject 2 -
    no waiver, 4 - no tickets` is `reject 2 - no waiver` and `4 - no tickets`."""
    out: list[str] = []
    for clause in clauses:
        found = _REJECT.fullmatch(clause) or _LINES_REASON.fullmatch(clause)
        start = found.start("reason") if found and found["reason"] else -1
        if start < 0:
            out.append(clause)
            continue
        pieces = _NEXT_LINE_REASON.split(clause[start:])
        out += [clause[:start] + pieces[0], *pieces[1:]]
    return out


def _check_approved(approved: list[str], returned: Set[str], sov: _Sov) -> None:
    """`approve 1, 3, 4` after a return: it may name no returned line and, when the
    invoice's lines are known, must leave none unnamed (`approve 1` of lines 1-5: and 3?)."""
    named = {sov.key(ref) for ref in approved}
    if named & returned:
        raise Unclear  # `reject 2: why. approve 1, 2`
    if named and sov.numbers is not None and {_key(n) for n in sov.numbers} - returned - named:
        raise Unclear


def _reason_of(found: re.Match[str], refs: list[str], sov: _Sov) -> str:
    """A return's reason as written (`reject 3 -- no backup` -> `no backup`). One after a
    space or a comma names no other line by a lone number (`reject 2 no photos and 3`)."""
    given = found.groupdict()
    loose = given.get("loose")
    if loose:
        own = {sov.key(ref) for ref in refs}
        for lone in _LONE_NUMBER.finditer(_DATE.sub(" ", loose)):
            if sov.key(lone["ref"]) not in own and (sov.numbers is None or sov.find(lone["ref"])):
                raise Unclear
    reason = given.get("reason") or given.get("aside") or loose or ""
    return reason.strip().strip("-–—:= ").strip()


def _return(reasons: dict[str, str], refs: list[str], reason: str, sov: _Sov) -> None:
    """Add `refs` to the lines returned; a line named twice keeps both reasons."""
    own = {sov.key(ref) for ref in refs}
    named = [*_refs_named(reason), *(found["ref"] for found in _OWN_REASON.finditer(reason))]
    if not {sov.key(ref) for ref in named} <= own:
        raise Unclear  # `reject 1: footage high, 2: no waiver`: which reason is whose?
    known = {sov.key(ref): ref for ref in reasons}
    for ref in refs:
        ref = known.get(sov.key(ref), ref)
        given = [text for text in (reasons.get(ref, ""), reason) if text]
        reasons[ref] = "; ".join(dict.fromkeys(given))


# --- Pieces ----------------------------------------------------------------------------------
def _clauses(lines: list[str]) -> list[str]:
    """Each line cut at `;` and before another return (or another line's reason, or an
    approval of the others); a `note:` line is kept whole, as written."""
    out: list[str] = []
    for line in lines:
        if _NOTE.fullmatch(line):
            out.append(line.strip().rstrip(".!,; ").strip())
            continue
        for clause in _CLAUSE_BREAK.split(line):
            clause = _unthanked(clause)
            if clause:
                out.append(clause)
    return out


def _unthanked(text: str) -> str:
    """`text` without the full stop or the `please`/`thanks` at its end."""
    text = text.strip().rstrip(".!,; ").strip()
    return text if is_pleasantry(text) else _POLITE_END.sub("", text)


def _expanded(refs: str, sov: _Sov = _AS_WRITTEN) -> list[str]:
    """`1, 2 and 4` -> 1, 2, 4; `1-3`, `lines 1 to 3`, `E1-E3` -> every line between (of the
    invoice's lines, when they are known; `26-0500` is then that line if it has one)."""
    out: list[str] = []
    at = 0
    while (found := _ONE.search(refs, at)) is not None:
        span = _RANGE.match(refs, found.start())
        if span is None:
            out.append(sov.line(found.group()))
            at = found.end()
        elif sov.find(span.group()) is not None:
            out.append(sov.line(span.group()))
            at = span.end()
        else:
            out.extend(sov.within(_between(span["first"], span["last"])))
            at = span.end()
    return out


def _between(first: str, last: str) -> list[str]:
    start, end = _NUMBERED.fullmatch(first), _NUMBERED.fullmatch(last)
    if start is None or end is None or start["prefix"].casefold() != end["prefix"].casefold():
        raise Unclear  # `1.1-2A`: which lines are between?
    low, high = int(start["number"]), int(end["number"])
    if not low < high <= low + MAX_RANGE:
        raise Unclear  # `3-1`, `1-5000`
    return [f"{start['prefix']}{number}" for number in range(low, high + 1)]


def _refs_named(text: str) -> list[str]:
    """The lines `text` names (`line 2`, `#2`, `2:`, `reject 2`); a line named in words
    (`line two`) is a line no number stands for."""
    named: list[str] = []
    for reference in _LINE_REFERENCE.finditer(text):
        numbers = _ONE.findall(reference.group())
        named.extend(numbers or ["?"])
    return named


def _names_lines(
    note: str,
    allowed: Set[str] = frozenset(),
    numbers: re.Pattern[str] | None = _STARTS_WITH_NUMBER,
    sov: _Sov = _AS_WRITTEN,
) -> bool:
    """Whether a note (not a reason) names a line other than the `allowed` ones (by `key`),
    which would then be approved unnoticed: `line 2`, `#2`, `2:`, a bare `2`, `2 $4,000`,
    `the fixtures line`, and the lines `numbers` finds (`3 skip`, `same for 3`)."""
    named = {sov.key(ref) for ref in _refs_named(note)}
    if numbers is not None:
        named |= {sov.key(found["ref"]) for found in numbers.finditer(_DATE.sub(" ", note))}
    return bool(
        named - allowed
        or _REFS_ONLY.fullmatch(note.strip())  # `approve 1, 2`
        or _FIGURE_AFTER_NUMBER.search(note)
    )


def _key(ref: str) -> str:
    """A line number as the review compares them (`03` is `3`; any case)."""
    return ref.casefold().lstrip("#").strip().lstrip("0") or "0"


def _joined(notes: list[str]) -> str:
    return " ".join(note for note in notes if note)[:1000]


def _labelled(line: str) -> str:
    """`note: paid by Friday` -> `paid by Friday`."""
    found = _NOTE.fullmatch(line)
    return found["note"] if found else line


def _note_of(line: str) -> str:
    """The note `line` holds, as it was written: without its `note:` label, nor the
    greetings, thanks and `please` at either end (`thanks, Jane`)."""
    text = _labelled(line)
    spans: list[tuple[int, int]] = []
    at = 0
    for gap in _PIECE_BREAK.finditer(text):
        spans.append((at, gap.start()))
        at = gap.end()
    spans = [(a, b) for a, b in [*spans, (at, len(text))] if text[a:b].strip()]
    pieces = [text[a:b].strip() for a, b in spans]

    def said_nothing(index: int) -> bool:
        piece = pieces[index]
        before = pieces[index - 1] if index else ""
        named = bool(before) and _courtesy(before) and is_pleasantry(f"{before} {piece}")
        bare = " ".join(_without_symbols(piece).split())
        polite = (
            _courtesy(piece) or _SAID_NOTHING.fullmatch(bare) or _NOTHING_TO_ADD.fullmatch(bare)
        )
        return bool(not bare or polite or named)  # `thanks, Jane`: the name goes with the thanks

    first, last = 0, len(pieces)
    while first < last and said_nothing(first):
        first += 1
    while last > first and said_nothing(last - 1):
        last -= 1
    if first == last:
        return ""
    return text[spans[first][0] : spans[last - 1][1]].strip(" -–—")
