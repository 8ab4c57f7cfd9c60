"""The message catalogs: every sentence of the code is in English and Spanish, with the same
`{places}`, and the catalogs compile; billbot speaks the person's language."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from conversations.language import looks_spanish
from models.catalogs import hidden_sentences, po_path, problems, sentences
from models.i18n import LANGUAGES, compile_catalog, language_of, words


def test_the_catalogs_hold_every_sentence_of_the_code_translated() -> None:
    assert [str(problem) for problem in problems()] == []


def test_there_is_enough_wording_to_be_worth_checking() -> None:
    assert len({str(message) for _file, _line, message, _c in sentences()}) > 150


def test_every_catalog_compiles(tmp_path: Path) -> None:
    for language in LANGUAGES:
        assert compile_catalog(po_path(language)).startswith(b"\xde\x12\x04\x95")


def test_spanish_and_english_say_the_same_sentence() -> None:
    with po_path("es").open("rb") as handle:
        catalog = read_po(handle)
    sample = catalog.get("Please confirm:")
    assert sample is not None and sample.string == "Confirme, por favor:"
    assert words("es")("Got it: {item}.", item="x") == "Entendido: x."
    assert words("en")("Got it: {item}.", item="x") == "Got it: x."
    assert words("fr")("Got it: {item}.", item="x") == "Got it: x."  # unknown: English


def test_language_codes_are_read_forgivingly() -> None:
    assert [language_of(v) for v in ("es", "ES", "es-MX", "es_419", None, "", "de")] == [
        "es",
        "es",
        "es",
        "es",
        "en",
        "en",
        "en",
    ]


def test_a_sentence_hidden_in_an_f_string_is_a_problem() -> None:
    from models.catalogs import _IN_FSTRING

    assert _IN_FSTRING.search("""    head = f"{'#':>4}  {_('Billed'):>7}" """)
    assert _IN_FSTRING.search("""    text = f'*{_("Total")}*' """)
    assert not _IN_FSTRING.search("""    text = f"*{_(label)}*" """)  # marked with N_ elsewhere
    assert not _IN_FSTRING.search("""    text = _("Billed") + f"{count}" """)
    assert hidden_sentences() == []


@pytest.mark.parametrize(
    ("text", "spanish"),
    [
        ("gracias", True),
        ("1: cuarenta y cinco por ciento", True),
        ("Sí, envíala", True),
        ("¿Cuánto falta?", True),
        ("tubería ya está al 50%", True),
        # names and a line's description are written with accents in any language
        ("José", False),
        ("1: 50%\n\nJosé Martínez", False),
        ("Thanks Señor García, 50%", False),
        ("Tubería 50%", False),
        ("1: 50% thanks", False),
    ],
)
def test_a_message_is_taken_for_spanish_only_on_clear_signs(text: str, spanish: bool) -> None:
    assert looks_spanish(text) is spanish
