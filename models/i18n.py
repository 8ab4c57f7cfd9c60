"""Wording in gettext catalogs (Babel): English is the source, Spanish a translation, and a
third language is a `.po` file, not code.

Every user-facing sentence is written `_("Line {line} was approved.", line=n)`: the catalog
lookup happens on the template, then the values are filled in, so translators see whole
sentences with named places. `words(language)` gives the `_` of one language; the pure core
gets it from its `Context`. Dates and money stay in the US format the documents use.

The catalogs live in `models/locale/<language>/LC_MESSAGES/billbot.po`; `make
catalogs` (run by the install) compiles them to `.mo`. A checkout where the `.mo` files are
missing or older than the `.po` files compiles them in memory instead, so billbot never
speaks a stale translation.
"""

from __future__ import annotations

import functools
import gettext
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

DOMAIN = "billbot"
DEFAULT_LANGUAGE = "en"
LANGUAGES = ("en", "es")
LOCALE_DIR = Path(__file__).with_name("locale")


class Words:
    """The wording of one language: `words("Hello {name}", name="Sam")`."""

    def __init__(self, language: str, catalog: gettext.NullTranslations) -> None:
        self.language = language
        self._catalog = catalog

    def __call__(self, message: str, /, **values: object) -> str:
        text = self._catalog.gettext(message)
        return text.format(**values) if values else text

    def plural(self, singular: str, plural: str, count: int, /, **values: object) -> str:
        """`ngettext`: `{count}` is always available to the sentence."""
        text = self._catalog.ngettext(singular, plural, count)
        return text.format(count=count, **values)


def language_of(value: str | None) -> str:
    """A supported language for `value` (`es`, `es-MX`, `ES` -> `es`), else English."""
    code = (value or "").strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


@functools.cache
def words(language: str | None = None) -> Words:
    code = language_of(language)
    return Words(code, _catalog(code))


def _catalog(language: str) -> gettext.NullTranslations:
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as handle:
            return gettext.GNUTranslations(handle)
    if po.exists():
        return gettext.GNUTranslations(io.BytesIO(compile_catalog(po)))
    return gettext.NullTranslations()


def compile_catalog(po: Path) -> bytes:
    """The `.mo` bytes of a `.po` file (Babel); fuzzy entries are left out, as msgfmt does."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalog = read_po(handle)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


Translate = Callable[..., str]


def N_(message: str) -> str:
    """Marks a sentence for the catalog where it is defined; `_` translates it when shown."""
    return message


ENGLISH = words(DEFAULT_LANGUAGE)


@dataclass(frozen=True)
class Sentence:
    """A sentence worded later, in the language of whoever reads it: found where the
    reader is not known yet (a file refused before the mail is routed), said where they are."""

    template: str
    values: Mapping[str, object] = field(default_factory=dict)

    def __call__(self, _: Words = ENGLISH) -> str:
        return _(self.template, **self.values)

    def __str__(self) -> str:
        return self()


__all__ = [
    "DEFAULT_LANGUAGE",
    "ENGLISH",
    "LANGUAGES",
    "N_",
    "Sentence",
    "Translate",
    "Words",
    "language_of",
    "words",
]
