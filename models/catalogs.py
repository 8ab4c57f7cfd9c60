"""Keeping the message catalogs current (Babel): extract, update, check, compile.

    python -m models.catalogs update    # new sentences into every .po (translations kept)
    python -m models.catalogs check     # exit 1 if a .po misses or keeps a sentence, or a
                                        # translation is empty or drops a `{place}`
    python -m models.catalogs compile   # .po -> .mo (the install runs it)

The sentences are every `_("...")`, `ctx.words("...")`, `N_("...")` and `_.plural(...)` in the
packages. English is the source: its catalog maps each sentence to itself.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from models.i18n import DEFAULT_LANGUAGE, DOMAIN, LANGUAGES, LOCALE_DIR

ROOT = LOCALE_DIR.parent.parent
PACKAGES = ("bot", "conversations", "mail", "models")
KEYWORDS = {"_": None, "N_": None, "words": None, "plural": (1, 2)}
_PLACE = re.compile(r"\{(\w*)\}")


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def sentences() -> Iterator[tuple[str, int, str | tuple[str, ...], str]]:
    """(file, line, message, comment) of every sentence in the packages, in file order."""
    for package in PACKAGES:
        folder = ROOT / package
        for filename, lineno, message, comments, _context in extract_from_dir(
            folder,
            method_map=[("**.py", "python")],
            keywords=KEYWORDS,
            comment_tags=("Translators:",),
            strip_comment_tags=True,
        ):
            if "migrations" in filename:
                continue
            yield f"{package}/{filename}", lineno, message, " ".join(comments)


def template() -> Catalog:
    catalog = Catalog(project="billbot", domain=DOMAIN, fuzzy=False)
    for filename, lineno, message, comment in sentences():
        catalog.add(
            message, locations=[(filename, lineno)], auto_comments=[comment] if comment else []
        )
    return catalog


def _key(message: object) -> str:
    return str(message[0] if isinstance(message, tuple | list) else message)


def update() -> None:
    """Every language's .po holds exactly the sentences of the code, translations kept."""
    fresh = template()
    for language in LANGUAGES:
        path = po_path(language)
        old: dict[str, Any] = {}
        if path.exists():
            with path.open("rb") as handle:
                old = {_key(m.id): m.string for m in read_po(handle) if m.id}
        catalog = Catalog(locale=language, project="billbot", domain=DOMAIN, fuzzy=False)
        for message in fresh:
            if not message.id:
                continue
            blank = ("", "") if isinstance(message.id, tuple) else ""
            string: Any = old.get(_key(message.id)) or blank
            if language == DEFAULT_LANGUAGE:
                string = message.id  # English maps each sentence to itself
            catalog.add(
                message.id,
                string=string,
                locations=message.locations,
                auto_comments=message.auto_comments,
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, omit_header=False, sort_output=False)


@dataclass(frozen=True)
class Problem:
    language: str
    message: str
    why: str

    def __str__(self) -> str:
        return f"{po_path(self.language).relative_to(ROOT)}: {self.why}: {self.message!r}"


def problems() -> list[Problem]:
    """What stops the catalogs from being current and complete."""
    wanted = {_key(message) for _file, _line, message, _comment in sentences()}
    found: list[Problem] = []
    for language in LANGUAGES:
        path = po_path(language)
        if not path.exists():
            found.append(Problem(language, "", "the catalog is missing"))
            continue
        with path.open("rb") as handle:
            catalog = {_key(m.id): m for m in read_po(handle) if m.id}
        found += [Problem(language, m, "not in the catalog") for m in wanted - set(catalog)]
        found += [Problem(language, m, "no longer in the code") for m in set(catalog) - wanted]
        for key, entry in catalog.items():
            strings = [str(s) for s in _all(entry.string)]
            ids = [str(i) for i in _all(entry.id)]
            if not all(strings) and language != DEFAULT_LANGUAGE:
                found.append(Problem(language, key, "not translated"))
                continue
            if entry.fuzzy:
                found.append(Problem(language, key, "marked fuzzy"))
            places = set(_PLACE.findall(" ".join(ids)))
            for string in strings:
                if string and set(_PLACE.findall(string)) != places:
                    found.append(Problem(language, key, "the {places} differ"))
    return found + hidden_sentences()


# `f"{_('Billed'):>7}"`: Babel cannot see a sentence inside an f-string, so it would never
# reach the catalogs and would stay English.
_IN_FSTRING = re.compile(
    r"""\b[rRbB]?[fF][rR]?(?P<q>["'])(?:(?!(?P=q)).)*\{[^}]*\b(?:_|N_|words)\(\s*["']"""
)


def hidden_sentences() -> list[Problem]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if not line.lstrip().startswith("#") and _IN_FSTRING.search(line):
                    where = f"{path.relative_to(ROOT)}:{number}"
                    found.append(Problem(DEFAULT_LANGUAGE, where, "a sentence inside an f-string"))
    return found


def _all(value: object) -> tuple[object, ...]:
    return tuple(value) if isinstance(value, tuple | list) else (value,)


def compile_all() -> None:
    from babel.messages.pofile import read_po as read

    for language in LANGUAGES:
        path = po_path(language)
        with path.open("rb") as handle:
            catalog = read(handle)
        with path.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "update":
        update()
        return 0
    if command == "compile":
        compile_all()
        return 0
    if command == "check":
        found = problems()
        for problem in found:
            print(problem, file=sys.stderr)
        if found:
            print(
                f"{len(found)} catalog problem(s): run `python -m models.catalogs update` and "
                "translate what is new",
                file=sys.stderr,
            )
        return 1 if found else 0
    print(f"unknown command {command!r}: update, check or compile", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
