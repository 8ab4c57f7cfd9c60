"""Reading an administrator's answer (`read_review`) and the `billbot review` options: a reply
is acted on only when its decision is unambiguous; a line the administrator named is never
approved, and a negative or conditional reply never approves."""

from __future__ import annotations

from decimal import Decimal

import pytest
import typer
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from bot.cli import app
from bot.cli_review import _pairs
from conversations.review_answers import read_review
from models.review import Decision, Quantity, ReviewKind

D = Decimal


def returned(text: str) -> dict[str, str]:
    decision = read_review(text)
    assert decision is not None and decision.kind == ReviewKind.reject, (text, decision)
    return dict(decision.reasons)


@pytest.mark.parametrize(
    ("text", "reasons"),
    [
        (
            "reject 1: conduit footage exceeds field count\n2: panels not energized yet",
            {"1": "conduit footage exceeds field count", "2": "panels not energized yet"},
        ),
        (
            "reject 1: footage high; reject 2: no lien waiver",
            {"1": "footage high", "2": "no lien waiver"},
        ),
        ("reject 1: footage high. Return 2 - no waiver", {"1": "footage high", "2": "no waiver"}),
        ("reject 1: high and reject line 2: low", {"1": "high", "2": "low"}),
        ("reject lines 1-2: need lien waiver", {"1": "need lien waiver", "2": "need lien waiver"}),
        ("return lines 2 to 4", {"2": "", "3": "", "4": ""}),
        ("reject 1, 2 and 4: no backup", {"1": "no backup", "2": "no backup", "4": "no backup"}),
        ("reject 1 & 3", {"1": "", "3": ""}),
        ("reject E1-E3: count", {"E1": "count", "E2": "count", "E3": "count"}),
        ("reject 3: x\nalso reject 2 - y", {"3": "x", "2": "y"}),
        ("reject 3: x\nand 2: y", {"3": "x", "2": "y"}),
        ("reject 3: x\nand line 2", {"3": "x", "2": ""}),
        ("reject 2: count; 3: photos", {"2": "count", "3": "photos"}),
        ("reject 2: count\n2: photos", {"2": "count; photos"}),  # both reasons kept
        ("rechazar 1: falta el reporte; devolver 2: cuenta", {"1": "falta el reporte",
                                                               "2": "cuenta"}),
        ("devolver de la 1 a la 3: sin fotos", {"1": "sin fotos", "2": "sin fotos",
                                                "3": "sin fotos"}),
        ("rechazar 1 y 2: motivo", {"1": "motivo", "2": "motivo"}),
        ("rechazar 3: no cuadra\ny 4: tampoco", {"3": "no cuadra", "4": "tampoco"}),
        ("reject 2: x\nalso 3 and 4 please", {"2": "x", "3": "", "4": ""}),
        ("return line 2: count is off, thanks", {"2": "count is off"}),
        ("reject 1: footage high, 2: no lien waiver", {"1": "footage high", "2": "no lien waiver"}),
    ],
)  # fmt: skip
def test_every_line_named_after_a_return_is_returned(text: str, reasons: dict[str, str]) -> None:
    assert returned(text) == reasons


@pytest.mark.parametrize(
    "text",
    [
        "reject 1: conduit footage exceeds field count\n2 panels not energized yet",
        "reject 1: see line 2",
        "reject 1: matches #2",
        "reject 3: x\nalso the fixtures line",
        "reject 3: x\nwait, approve it",
        "reject 3: x\nespera, no",
        "reject 1-5000",
        "reject 4-2",
        "reject 1.1-2A",
        "reject 3: x\nThanks,\nJane\n2: y",  # a line named below the closing
        "reject 3: x\nsame for 2",
        "reject 3: x\n2 too",
        "rechazar 1: ver la línea 2",
    ],
)
def test_a_return_naming_a_line_it_does_not_return_is_unclear(text: str) -> None:
    assert read_review(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "approval denied",
        "approval withheld",
        "approval on hold",
        "approval held",
        "approval rejected",
        "approval pending",
        "approved? no",
        "Approved not",
        "approved - no wait, reject",
        "Approved, but please return line two",
        "approved, except the fixtures line",
        "approve after inspection",
        "approve once the lien waiver is in",
        "Approve? Need lien waiver first.",
        "Approved if the lien waiver arrives",
        "approved unless retainage is short",
        "Approved.\nDon't pay line 3 yet",
        "Approved\nHold",
        "approved\nbut not the fixtures",
        "Approved\nThanks\nbut not the fixtures",
        "approve up to $4,000",
        "Approved $12,000",
        "approve 1, 2",
        "approve line 3",
        "Approved 3 $4,000",
        "approved\n2 - 30 units",
        "approved\n3 skip",
        "Aprobado, pero falta la carta",
        "aprobado cuando llegue la carta",
        "aprobado después de la inspección",
        "aprobado si llega la carta",
        "aprobado hasta la línea 2",
        "aprobación denegada",
        "aprobación pendiente",
        "aprobado, espera",
        "no aprobado",
    ],
)
def test_a_negative_or_conditional_approval_is_unclear(text: str) -> None:
    assert read_review(text) is None


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("Approved. Lien waiver for Oct received 11/28.", "Lien waiver for Oct received 11/28"),
        ("Approved - retainage 10% held as usual", "retainage 10% held as usual"),
        ("Approved, no comments", ""),
        ("Aprobado sin observaciones", ""),
        ("Approved - thanks, let me know if you have any questions", ""),
        ("OK to pay less retainage", "less retainage"),
    ],
)
def test_an_approval_note_naming_no_line_and_taking_nothing_back_is_kept(
    text: str, note: str
) -> None:
    assert read_review(text) == Decision(ReviewKind.approve, note=note)


@pytest.mark.parametrize(
    ("text", "decision"),
    [
        ("Hi,\n\nApproved.\n\nThanks,\nJane", Decision(ReviewKind.approve)),
        ("Looks good.\nApproved.", Decision(ReviewKind.approve)),
        ("Hello Sam\napprove\nnote: paid by Friday", Decision(ReviewKind.approve,
                                                               note="paid by Friday")),
        ("Hola\nAprobado", Decision(ReviewKind.approve)),
        ("Buenos días,\naprobado\nSaludos,\nJuan Pérez", Decision(ReviewKind.approve)),
        ("Approved\n\nJane Doe\nProject Accountant", Decision(ReviewKind.approve)),
        ("Approved\n--\nJane", Decision(ReviewKind.approve)),
        ("Hello,\nreject 2: only 2 panels set\n\nJane",
         Decision(ReviewKind.reject, reasons={"2": "only 2 panels set"})),
        ("Hi Jane,\n\nreject 2: count\n\nThanks,\nJane Doe\nSummit Builders\n(312) 555-0100",
         Decision(ReviewKind.reject, reasons={"2": "count"})),
    ],
)  # fmt: skip
def test_greetings_and_a_signature_around_the_decision_are_not_part_of_it(
    text: str, decision: Decision
) -> None:
    assert read_review(text) == decision


@pytest.mark.parametrize(
    "text",
    ["Looks wrong.\nApproved.", "Hi,\nnot yet\napproved", "We checked the counts.\nreject 2"],
)
def test_words_above_the_decision_that_are_not_a_greeting_make_it_unclear(text: str) -> None:
    assert read_review(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "approve as noted\n2: $8.400",
        "aprobado con observaciones\n3: $4.000",
        "approve as noted\nline 2 = 12.000",
    ],
)
def test_an_amount_with_a_point_before_three_digits_is_not_guessed(text: str) -> None:
    assert read_review(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "approve as noted\n2: $8,400\nnote: line 3 is not approved either",
        "approve as noted\n2: $8,400\nreject 3",
        "approve as noted\n2: $8,400\n3 skip",
        "approve as noted\n2: $8,400\n3",
        "approve as noted\n2: $8,400\nsame for 3",
        "approve as noted\n2: $8,400\nnote: hold the fixtures line",
    ],
)
def test_an_approval_as_noted_naming_a_line_it_does_not_change_is_unclear(text: str) -> None:
    assert read_review(text) is None


def test_a_return_note_with_a_date_names_no_line() -> None:
    assert read_review("reject 2: count\nPlease resubmit by Oct 28 (or 11/28)") == Decision(
        ReviewKind.reject, note="Please resubmit by Oct 28 (or 11/28)", reasons={"2": "count"}
    )


def test_an_approval_as_noted_may_explain_the_lines_it_changes() -> None:
    text = "approve as noted\nline 2 = 8400; E1: $1,000.50\nnote: line 2 is two panels, not three"
    assert read_review(text) == Decision(
        ReviewKind.approve_as_noted,
        note="line 2 is two panels, not three",
        adjustments={"2": D(8400), "E1": D("1000.50")},
        bare=frozenset({"2"}),  # `8400` alone: dollars on an amount line, asked on a unit one
    )


@pytest.mark.parametrize(
    ("text", "reasons"),
    [
        ("reject line 3.", {"3": ""}),
        ("Return line 3 for revision.", {"3": ""}),
        ("devolver la 3", {"3": ""}),
        ("devolver la 3: falta la factura", {"3": "falta la factura"}),
        ("devolver la línea 3", {"3": ""}),
        ("reject E1: no backup", {"E1": "no backup"}),
        ("return A-2 - wrong count", {"A-2": "wrong count"}),
        ("reject 2A", {"2A": ""}),
        ("reject line3: count", {"3": "count"}),
    ],
)
def test_lines_are_named_as_the_sov_numbers_them(text: str, reasons: dict[str, str]) -> None:
    assert returned(text) == reasons


SOV = ("1", "2", "3", "E1", "26-0500", "26-0510")


@pytest.mark.parametrize(
    ("text", "lines", "reasons"),
    [
        ("reject L3: count", SOV, {"3": "count"}),
        ("reject l-3", SOV, {"3": ""}),
        ("reject line3: count", ("03",), {"03": "count"}),
        ("reject #3", ("03",), {"03": ""}),
        ("reject 03", SOV, {"3": ""}),
        ("reject e1: no backup", SOV, {"E1": "no backup"}),
        ("reject L3", ("L3", "3"), {"L3": ""}),  # a line of its own is that line
        ("reject 26-0500: wrong footage", SOV, {"26-0500": "wrong footage"}),
        ("reject 26-0500 and 26-0510: count", SOV, {"26-0500": "count", "26-0510": "count"}),
        ("reject 1-3: x", ("1-3", "1", "2", "3"), {"1-3": "x"}),
        ("reject 1-5: no waiver", SOV, {"1": "no waiver", "2": "no waiver", "3": "no waiver"}),
        ("reject lines 1 to 3", ("01", "02", "03"), {"01": "", "02": "", "03": ""}),
        ("reject L1-L2", SOV, {"1": "", "2": ""}),
        ("reject 2: x\nalso L3", SOV, {"2": "x", "3": ""}),
        # none of the invoice's lines: kept as written, for the review to name
        ("reject 7: x", SOV, {"7": "x"}),
        ("reject 7-8", SOV, {"7": "", "8": ""}),
        ("reject E4", SOV, {"E4": ""}),
    ],
)  # fmt: skip
def test_references_are_read_as_the_invoices_lines_when_they_are_known(
    text: str, lines: tuple[str, ...], reasons: dict[str, str]
) -> None:
    decision = read_review(text, lines=lines)
    assert decision == Decision(ReviewKind.reject, reasons=reasons), decision


@pytest.mark.parametrize(
    ("text", "adjustments"),
    [
        ("approve as noted\nL3: $4,000", {"3": D(4000)}),
        ("approve as noted\n26-0500: $4,000", {"26-0500": D(4000)}),
        ("approve as noted\nline 26-0510 - 1200", {"26-0510": D(1200)}),
        ("approve as noted\n#2 = $8,400\nnote: line 2 is two panels", {"2": D(8400)}),
    ],
)
def test_amounts_are_given_to_the_invoices_lines_when_they_are_known(
    text: str, adjustments: dict[str, Decimal]
) -> None:
    decision = read_review(text, lines=SOV)
    assert decision is not None and decision.adjustments == adjustments, decision


@pytest.mark.parametrize(
    ("text", "reasons"),
    [
        ("reject L3: count", {"L3": "count"}),
        ("reject 26-0500: wrong footage", None),  # a range past what a range may be
        ("reject 1-5", {str(n): "" for n in range(1, 6)}),
    ],
)
def test_without_the_invoices_lines_references_are_read_as_written(
    text: str, reasons: dict[str, str] | None
) -> None:
    decision = read_review(text)
    assert (decision and decision.reasons) == reasons, decision


@pytest.mark.parametrize(
    "text",
    [
        "approve as noted\n26-0500: $4,000\nnote: line 3 is not approved either",
        "reject L3: see line 2",
        "reject 26-0500: x\nsame for 3",
        "approve as noted\nL2: $8.400",
    ],
)
def test_known_lines_make_no_unclear_answer_clear(text: str) -> None:
    assert read_review(text, lines=SOV) is None


_LINES = st.lists(st.sampled_from(["1", "2", "3", "4", "E1", "2A"]), min_size=1, unique=True)
_VERBS = st.sampled_from(["reject", "return", "Reject", "rechazar", "devolver"])
_REASONS = st.sampled_from(["", "no lien waiver", "only 2 panels set", "footage high"])
_GLUE = st.sampled_from(["\n", "; ", ". ", "\nalso ", "\nand "])


@given(_VERBS, _LINES, _REASONS, _GLUE, st.booleans())
def test_a_named_line_is_returned_or_the_reply_is_unclear(
    verb: str, lines: list[str], reason: str, glue: str, verb_each_time: bool
) -> None:
    said = [f"{line}: {reason}" if reason else line for line in lines]
    clauses = [f"{verb} {said[0]}", *(f"{verb} {s}" if verb_each_time else s for s in said[1:])]
    decision = read_review(glue.join(clauses))
    assert decision is None or set(decision.reasons) == set(lines), decision


@given(
    st.sampled_from(["approved", "Approved.", "approval", "aprobado", "OK to pay"]),
    st.sampled_from(["", ", ", " - ", "\n", "? "]),
    st.sampled_from(["not", "no", "denied", "but return 2", "on hold", "except line 3",
                     "pending", "after review", "until Friday", "if ok", "wait", "pero no",
                     "excepto 3", "pendiente", "cuando llegue", "hasta el viernes"]),
)  # fmt: skip
def test_a_negative_or_conditional_reply_never_approves(head: str, glue: str, rest: str) -> None:
    decision = read_review(f"{head}{glue}{rest}")
    assert decision is None or decision.kind != ReviewKind.approve, decision


@given(st.text(max_size=300))
def test_the_reader_never_raises(text: str) -> None:
    read_review(text)


@given(
    _VERBS,
    st.lists(st.sampled_from(["1", "03", "L2", "#3", "line3", "E1", "26-0500", "1-3", "L1-L3"]),
             min_size=1, unique=True),
    _REASONS,
    _GLUE,
)  # fmt: skip
def test_with_the_invoices_lines_a_return_names_only_lines_it_has(
    verb: str, refs: list[str], reason: str, glue: str
) -> None:
    said = [f"{ref}: {reason}" if reason else ref for ref in refs]
    decision = read_review(glue.join(f"{verb} {s}" for s in said), lines=SOV)
    assert decision is None or set(decision.reasons) <= set(SOV), decision


@given(st.text(max_size=300), st.lists(st.text(max_size=8), max_size=5))
def test_the_reader_never_raises_whatever_the_lines(text: str, lines: list[str]) -> None:
    read_review(text, lines=lines)


# --- billbot review ----------------------------------------------------------------------------
def test_a_reason_for_several_lines_is_given_once() -> None:
    assert _pairs(["2,3=need lien waiver", "4"], "'--reject'") == {
        "2": "need lien waiver",
        "3": "need lien waiver",
        "4": "",
    }


@pytest.mark.parametrize(
    "values", [["2=need lien waiver", "2=other reason"], ["2,3=x", "03=y"], ["e1=x", "E1"]]
)
def test_a_line_given_twice_is_refused_not_overwritten(values: list[str]) -> None:
    with pytest.raises(typer.BadParameter, match="given twice"):
        _pairs(values, "'--reject'")


def test_the_cli_refuses_a_line_given_twice_before_it_changes_anything() -> None:
    result = CliRunner().invoke(
        app,
        ["--database-url", "sqlite://", "review", "SC-008/D-1",
         "--reject", "2=need lien waiver", "--reject", "2=other reason"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "line 2 is given twice" in " ".join(result.output.split())


def test_the_cli_does_not_guess_an_amount_with_a_point_before_three_digits() -> None:
    result = CliRunner().invoke(
        app,
        ["--database-url", "sqlite://", "review", "SC-008/D-1",
         "--approve-as-noted", "--adjust", "2=$8.400"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "$8.40 or $8,400.00" in " ".join(result.output.split())


# --- An approval is paying money: only a harmless note may follow it --------------------------
DESCRIBED = {"1": "Conduit", "2": "Panels", "3": "Light fixtures", "4": "Branch wiring"}


@pytest.mark.parametrize(
    "text",
    [
        "approved, pay half", "approved 90%", "approved at 90%", "approved for 4000",
        "approved, pay 4,000", "approved, back charge 500", "approved, backcharge 500 for cleanup",
        "approved, leave out 2", "approved, skip 2", "approved, short pay 2",
        "approved, questions on 2", "approved apart from the conduit",
        "approved, conduit overbilled", "approved, second line too high", "approve: false",
        "approved=false", "approved maybe", "approved... jk", "approved I think",
        "approved for now", "approved (prelim)", "approved per attached markup",
        "approved with redlines", "approved as marked up", "approved, see attached backcharge",
        "approved, see comments", "approved per our call", "approved, retainage 20%",
        "approved, keep 20% retainage", "approved, release retainage", "approved, pay later",
        "approved, pay next month", "approved, lien waiver to follow",
        "approved - will pay 50 now, rest later", "approved: N", "approved x",
        "approval recommended", "Approved\nPay Half", "Approved. Pay it.",
        "approved, thanks pay half", "approved\nThanks\nJane\nP.S. pay half",
        "approved, please send the lien waiver", "See attached markup.\nApproved",
        "approved, pay next month", "approved, hold until next month", "approved next month",
        "Let me know when the waiver arrives.\nApproved",
        "aprobado, pagar la mitad", "aprobado, quitar la 2", "aprobado con descuento de 500",
        "aprobado quizás", "aprobado al 90%", "aprobado, retener 20%", "aprobado a medias",
    ],
)  # fmt: skip
def test_an_approval_that_is_not_plainly_one_is_unclear(text: str) -> None:
    assert read_review(text) is None
    assert read_review(text, lines=DESCRIBED) is None


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("Approved.\nPlease attach the lien waiver next time.",
         "Please attach the lien waiver next time."),
        ("approved, next time please attach the lien waiver",
         "next time please attach the lien waiver"),
        ("approved — please include the lien waiver next month",
         "please include the lien waiver next month"),
        ("aprobado, envíe la renuncia de gravamen el próximo mes",
         "envíe la renuncia de gravamen el próximo mes"),
        ("Approved. Please send the lien waiver with the next one.",
         "Please send the lien waiver with the next one"),
        ("approved, good job", "good job"),
        ("Approved - nice work", "nice work"),
        ("Approved, great job this month!", "great job this month"),
        ("Approved - keep up the good work", "keep up the good work"),
        ("approved, lien waiver received", "lien waiver received"),
        ("Approved. Forwarded to accounting for payment.", "Forwarded to accounting for payment"),
        ("Approved for payment. Will be paid with the next check run.",
         "Will be paid with the next check run"),
        ("approved for 12/15 check run", "for 12/15 check run"),
        ("Approved, thanks Jane", ""),
        ("approved thanks jane", ""),
        ("Approved 👍", ""),
        ("Approve all", ""),
        ("approved as submitted", ""),
        ("aprobado, gracias", ""),
        ("Aprobado. La próxima vez adjunte la renuncia de gravamen.",
         "La próxima vez adjunte la renuncia de gravamen"),
        ("aprobado, buen trabajo", "buen trabajo"),
        ("approved\n\nSent from my iPhone", ""),
        ("approved.\nBob Smith | Summit Builders | 555.123.4567", ""),
        ("approved\n\nBob Smith\nSummit Builders\n100 Main St, Suite 2", ""),
        ("Approved\n--\nBob\n555-1234", ""),
    ],
)  # fmt: skip
def test_an_approval_with_a_harmless_note_is_one_and_keeps_the_note(text: str, note: str) -> None:
    assert read_review(text) == Decision(ReviewKind.approve, note=note)
    assert read_review(text, lines=DESCRIBED) == Decision(ReviewKind.approve, note=note)


_QUALIFIERS = st.sampled_from(
    ["pay half", "90%", "for 4000", "back charge 500", "leave out 2", "skip the conduit",
     "short pay", "questions on 2", "apart from the fixtures", "maybe", "jk", "for now",
     "(prelim)", "per attached markup", "with redlines", "see attached backcharge",
     "pagar la mitad", "quitar la 2", "con descuento de 500", "quizás", "conduit too high",
     "Pay Half", "retainage 20%", "release retainage", "to follow", "w/ notes"]
)  # fmt: skip


@given(
    st.sampled_from(["approved", "Approved.", "aprobado", "OK to pay", "approve"]),
    st.sampled_from([" ", ", ", " - ", "\n", ". ", "... ", "; "]),
    _QUALIFIERS,
    st.sampled_from(["", ", thanks", "\nThanks,\nJane", " 👍"]),
)
def test_a_qualified_approval_never_approves(
    head: str, glue: str, qualifier: str, tail: str
) -> None:
    decision = read_review(f"{head}{glue}{qualifier}{tail}", lines=DESCRIBED)
    assert decision is None or decision.kind != ReviewKind.approve, decision


# --- A line named by its description is never approved ----------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "reject 2: need photos\nconduit too",
        "reject 2: need photos\nalso the conduit",
        "reject 2: need photos\nconduit also needs photos",
        "reject 2: panels short; conduit too",
        "reject 2: conduit also overbilled",
        "reject 2: same issue as the conduit",
        "reject 2 the fixtures too",
        "approve as noted\n2: $8,400\nthe conduit should be $2,000",
        "approve as noted\n2: $8,400\nnote: conduit at half",
        "approve as noted\n2: $8,400\nnote: light fixtures short too",
        "approved, conduit looks great",
        "Approved\nConduit",
    ],
)
def test_a_line_named_by_its_description_makes_the_answer_unclear(text: str) -> None:
    assert read_review(text, lines=DESCRIBED) is None


@pytest.mark.parametrize(
    ("text", "decision"),
    [
        ("reject 2: panels short", Decision(ReviewKind.reject, reasons={"2": "panels short"})),
        ("reject 1, 2: conduit and panels need photos",
         Decision(ReviewKind.reject, reasons={"1": "conduit and panels need photos",
                                               "2": "conduit and panels need photos"})),
        ("reject 2: need photos\nreject 1: conduit footage high",
         Decision(ReviewKind.reject, reasons={"2": "need photos", "1": "conduit footage high"})),
        ("approve as noted\n2: $8,400\nnote: 2 panels set, $8,400 total",
         Decision(ReviewKind.approve_as_noted, note="2 panels set, $8,400 total",
                  adjustments={"2": D(8400)})),
        ("reject 3: only 18 fixtures installed, per the field count",
         Decision(ReviewKind.reject, reasons={"3": "only 18 fixtures installed, per the field "
                                                   "count"})),
    ],
)  # fmt: skip
def test_words_of_the_lines_named_and_their_figures_are_kept_as_written(
    text: str, decision: Decision
) -> None:
    assert read_review(text, lines=DESCRIBED) == decision


@given(
    st.sampled_from(["1", "2", "3", "4"]),
    st.sampled_from(["Conduit", "panels", "light fixtures", "the branch wiring", "Fixtures"]),
    st.sampled_from(["{} too", "also {}", "{} is short as well", "same for {}",
                     "{} also needs photos", "and the {}"]),
    st.sampled_from(["\n", "; "]),
)  # fmt: skip
def test_a_return_naming_another_line_in_words_returns_it_or_is_unclear(
    line: str, words: str, note: str, glue: str
) -> None:
    decision = read_review(f"reject {line}: need photos{glue}{note.format(words)}", lines=DESCRIBED)
    named = {n for n, d in DESCRIBED.items() if words.split()[-1].casefold() in d.casefold()}
    assert decision is None or named <= set(decision.reasons), decision


# --- Approve as noted: dollars, or units -------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "adjustments", "quantities", "bare"),
    [
        ("approve as noted\n2: $8,400", {"2": D(8400)}, {}, set()),
        ("approve as noted\n2: 8,400 dollars", {"2": D(8400)}, {}, set()),
        ("approve as noted\n2: 2", {"2": D(2)}, {}, {"2"}),  # units or dollars: asked
        ("approve as noted\n2: 2 units", {}, {"2": Quantity(D(2), "units")}, set()),
        ("approve as noted\n2: 2 EA", {}, {"2": Quantity(D(2), "EA")}, set()),
        ("approve as noted\n2: qty 2", {}, {"2": Quantity(D(2))}, set()),
        ("approve as noted\n1: 240 LF", {}, {"1": Quantity(D(240), "LF")}, set()),
        ("approve as noted\n1: 1,200.5 LF", {}, {"1": Quantity(D("1200.5"), "LF")}, set()),
        ("approve as noted\n2: $8,400.005", {"2": D("8400.005")}, {}, set()),  # refused later
    ],
)
def test_an_amount_is_dollars_when_written_so_and_units_when_a_unit_follows(
    text: str, adjustments: dict[str, Decimal], quantities: dict[str, Quantity], bare: set[str]
) -> None:
    decision = read_review(text, lines=DESCRIBED)
    assert decision is not None, text
    assert (dict(decision.adjustments), dict(decision.quantities), set(decision.bare)) == (
        adjustments,
        quantities,
        bare,
    )


@pytest.mark.parametrize(
    "text",
    ["approve as noted\n2: 2 EA\n2: $8,400", "approve as noted\n1: 1.000 LF",
     "approve as noted\n2: $8,400\nnote: pay 90%"],
)  # fmt: skip
def test_an_amount_given_twice_or_not_clear_is_unclear(text: str) -> None:
    assert read_review(text, lines=DESCRIBED) is None


# --- Returns, as people write them ------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "reasons"),
    [
        ("reject line 3, no photos", {"3": "no photos"}),
        ("reject line 3 (no photos)", {"3": "no photos"}),
        ("Rejected: line 3 needs photos", {"3": "needs photos"}),
        ("reject 3 need photos", {"3": "need photos"}),
        ("reject line 3 because no photos", {"3": "no photos"}),
        ("return 2, 4 no backup", {"2": "no backup", "4": "no backup"}),
        ("return 2 & 4 no backup", {"2": "no backup", "4": "no backup"}),
        ("return lines 2 & 4 -- no backup", {"2": "no backup", "4": "no backup"}),
        ("return line 2 — no backup", {"2": "no backup"}),
        ("reject 3 only 18 fixtures installed", {"3": "only 18 fixtures installed"}),
        ("devuelvo la partida 3 porque faltan fotos", {"3": "faltan fotos"}),
    ],
)
def test_a_return_is_read_with_its_reason_however_it_is_separated(
    text: str, reasons: dict[str, str]
) -> None:
    assert read_review(text, lines=DESCRIBED) == Decision(ReviewKind.reject, reasons=reasons)


@pytest.mark.parametrize(
    "text",
    ["reject 2 no photos and 3", "reject 2 no photos, 3 too", "reject 2 and the conduit",
     "Returned 2 days late", "reject 2 of 4 lines"],
)  # fmt: skip
def test_a_reason_after_a_space_that_names_another_line_is_unclear(text: str) -> None:
    assert read_review(text, lines=DESCRIBED) is None


def test_a_note_below_a_return_is_kept_as_written() -> None:
    text = "reject 2: need photos\nAlso send the signed lien waiver with the resubmission, thanks"
    assert read_review(text, lines=DESCRIBED) == Decision(
        ReviewKind.reject,
        note="Also send the signed lien waiver with the resubmission",
        reasons={"2": "need photos"},
    )
