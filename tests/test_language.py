"""Which language a contact writes in: Spanish on clear signs, even in a message of a few
words (`mándala`, `2: tres piezas`), never from a name or a line's description."""

from __future__ import annotations

import pytest

from conversations.language import looks_spanish, written_in


@pytest.mark.parametrize(
    "text",
    [
        "mándala",
        "guárdala",
        "2: tres piezas",
        "1: la mitad",
        "la termino mañana",
        "folio 2041",
        "es la 4471",
        "mándalo porfa",
    ],
)
def test_a_few_spanish_words_are_spanish(text: str) -> None:
    assert looks_spanish(text) and written_in(text) == "es"


@pytest.mark.parametrize(
    "text",
    [
        "send it",
        "2: two pieces",
        "1: half done",
        "I'll finish tomorrow",
        "INV-0042",
        "Tubería 50%",
        "1: 50%\n\nJosé Martínez",
        "List of items attached",
    ],
)
def test_english_names_and_numbers_are_not_spanish(text: str) -> None:
    assert not looks_spanish(text) and written_in(text) is None
