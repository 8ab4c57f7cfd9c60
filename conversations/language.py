"""Which language a contact writes in, when they have none set (DESIGN §2, Language).

Billing answers are mostly numbers, so a message is taken for Spanish only on clear signs:
words that are Spanish and not English (`enviar`, `gracias`, `por ciento`, `unidades`,
`factura`), or words with Spanish accents (two at least, not capitalised: names are not a
sign), outnumbering English words that say the same.
"""

from __future__ import annotations

import re

_SPANISH = re.compile(
    r"\b(?:hola|gracias|buen[oa]s|saludos|por\s+ciento|unidades|unidad|enviar|env[ií]al[ao]"
    r"|borrador|ayuda|atr[aá]s|estado|cancelar|listo|completo|completado|terminado|nada"
    r"|ninguno|omitir|factura|l[ií]nea|adjunto|adjunta|este\s+mes|a\s+la\s+fecha|hasta\s+la"
    r"\s+fecha|por\s+favor|siguiente|s[ií]|n[uú]mero|aqu[ií]|est[aá]|qu[eé]|tambi[eé]n|mes"
    r"|semana|avance|instalad[oa]s|cuarenta|cincuenta|veinte|treinta|sesenta|setenta|ochenta"
    r"|noventa|cien|muchas|pago|revisi[oó]n|revisar|guardar|corregir|cambiar|editar"
    # `mándala`, `guárdala`, `2: tres piezas`, `1: la mitad`, `la termino mañana`, `folio
    # 2041`, `es la 4471`
    r"|m[aá]nda(?:la|lo|r)?|gu[aá]rda(?:la|lo)|env[ií]a(?:la|lo)?|porfa|dos|tres|cuatro"
    r"|cinco|seis|siete|ocho|nueve|diez|piezas?|pzas?|mitad|termino|terminamos|ma[ñn]ana"
    r"|folio|es\s+(?:la|el)|igual|lo\s+mismo|listas?)\b",
    re.IGNORECASE,
)
_ENGLISH = re.compile(
    r"\b(?:hi|hello|thanks|thank|please|percent|units?|send|draft|help|back|status|cancel"
    r"|done|complete|nothing|none|skip|invoice|line|attached|this|month|to\s+date|the|and"
    r"|yes|next|installed)\b",
    re.IGNORECASE,
)
_ACCENTED_WORD = re.compile(r"\w*[áéíóúñ]\w*|[¿¡]", re.IGNORECASE)


def written_in(text: str) -> str | None:
    """The language `text` is clearly written in, when it is not English (`es`), else None."""
    return "es" if looks_spanish(text) else None


def looks_spanish(text: str) -> bool:
    """Whether `text` is clearly written in Spanish. Accented words count from two on (or
    with `¿` / `¡`), and names not at all: `José Martínez` signs in any language, and a
    line's description (`tubería 50%`) is written as it is."""
    sample = text[:4000]
    accented = {word for word in _ACCENTED_WORD.findall(sample) if not word[:1].isupper()}
    marks = "¿" in sample or "¡" in sample
    signs = len(accented) if len(accented) > 1 or marks else 0
    spanish = len(_SPANISH.findall(sample)) + signs
    english = len(_ENGLISH.findall(sample))
    return spanish >= 1 and spanish > english
