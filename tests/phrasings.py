"""How people really answer, in English and Spanish, with the figures each answer must give.

Two commitments (DESIGN-like figures):

UNIT (SC-007, unit-based, 10% retainage)
  1  EMT conduit 3/4in   1,200 LF × $12.50     = $15,000.00   before: 300 LF ($3,750.00)
  2  Switchgear panels       8 EA × $4,200.00  = $33,600.00   before: 0
  3  Light fixtures         40 EA × $212.3375  =  $8,493.50   before: 10 EA ($2,123.38)

AMOUNT (SC-011, amount-based, 5% retainage)
  1  Mobilization     $25,000.00   before: $25,000.00 (fully billed)
  2  Ductwork        $180,000.00   before: $36,000.00
  3  Rooftop units   $240,000.00   before: $60,000.00

Each row: (commitment, language, what the contact wrote, {line: expected}), where expected is
`(quantity this period, value this period)` for a unit line, `value this period` for an amount
line, or `SKIP` for nothing this period; or, for the whole message, `ASK` (a confirming
question, nothing kept yet) or `NO` (refused, nothing changed). Lines not named must stay
unanswered.
"""

from __future__ import annotations

from decimal import Decimal

D = Decimal
SKIP = "skip"
ASK = "ask"
NO = "refused"
UNIT, AMOUNT = "unit", "amount"

Expected = tuple[Decimal, Decimal] | Decimal | str
HALF_OF_1 = (D(300), D("3750.00"))  # UNIT line 1 at 50% to date
ONE_OF_2 = (D(1), D("4200.00"))  # UNIT line 2: one panel

PHRASINGS: list[tuple[str, str, str, dict[str, Expected] | str]] = [
    # -- English, unit-based ---------------------------------------------------------------
    (UNIT, "en", "1: 45%", {"1": (D(240), D("3000.00"))}),
    (UNIT, "en", "1: 45% complete", {"1": (D(240), D("3000.00"))}),
    (UNIT, "en", "1: 45% to date", {"1": (D(240), D("3000.00"))}),
    (UNIT, "en", "1: 45 percent", {"1": (D(240), D("3000.00"))}),
    (UNIT, "en", "1: 45 pct", {"1": (D(240), D("3000.00"))}),
    (UNIT, "en", "1: forty-five percent", {"1": (D(240), D("3000.00"))}),
    (UNIT, "en", "1: forty five percent complete", {"1": (D(240), D("3000.00"))}),
    (UNIT, "en", "#1 45%", {"1": (D(240), D("3000.00"))}),
    (UNIT, "en", "L1 45%", {"1": (D(240), D("3000.00"))}),
    (UNIT, "en", "Line 1 45%", {"1": (D(240), D("3000.00"))}),
    (UNIT, "en", "line 1 - 45%", {"1": (D(240), D("3000.00"))}),
    (UNIT, "en", "Item 1: 45%", {"1": (D(240), D("3000.00"))}),
    (UNIT, "en", "item #1 = 45%", {"1": (D(240), D("3000.00"))}),
    (UNIT, "en", "conduit 45%", {"1": (D(240), D("3000.00"))}),
    # lead-in words and estimates: billed as written, the reply shows the figures
    (UNIT, "en", "line 1 is 45% complete", {"1": (D(240), D("3000.00"))}),
    (UNIT, "en", "1 is 45%", {"1": (D(240), D("3000.00"))}),
    (UNIT, "en", "1: about 45%", {"1": (D(240), D("3000.00"))}),
    (UNIT, "en", "1: ~45%", {"1": (D(240), D("3000.00"))}),
    (UNIT, "en", "line 1 is at approximately 45% complete", {"1": (D(240), D("3000.00"))}),
    (UNIT, "en", "conduit is at 45%", {"1": (D(240), D("3000.00"))}),
    (UNIT, "en", "the line 1: 45%", {"1": (D(240), D("3000.00"))}),
    (UNIT, "en", "line one 45%", {"1": (D(240), D("3000.00"))}),
    # the value first, then the line it is for (not the line being asked)
    (UNIT, "en", "fixture: 20", {"3": (D(20), D("4246.75"))}),  # one fixture, "fixtures"
    # the line's words beside its number, then the answer (checked against the line)
    (UNIT, "en", "Line 1 - Conduit: 600 LF to date", {"1": HALF_OF_1}),
    (UNIT, "en", "Line 2 - Panels - 1 installed", {"2": ONE_OF_2}),
    (UNIT, "en", "1 - EMT conduit 3/4in: 50%", {"1": HALF_OF_1}),
    (UNIT, "en", "2 Switchgear panels: 1", {"2": ONE_OF_2}),
    (UNIT, "en", "Line 1 - Panels: 50%", NO),  # line 1 is the conduit: which is it?
    (AMOUNT, "en", "3 Rooftop units: $30,000", {"3": D("30000.00")}),
    (UNIT, "en", "1: 50 per cent", {"1": HALF_OF_1}),
    (UNIT, "en", "1: 50 per cent complete", {"1": HALF_OF_1}),  # a percent complete: to date
    (UNIT, "en", "3 done", NO),  # asked line 1's LF: line 3 done, or 3 LF? asked
    (UNIT, "en", "3: done", {"3": (D(30), D("6370.12"))}),
    (AMOUNT, "en", "3 done", {"3": D("180000.00")}),  # an amount line counts no units
    # the quantity that completes a line bills what remains of it ($2,123.38 was billed for
    # 10 EA at $212.3375; 30 EA more at the price would be a cent past 100%)
    (UNIT, "en", "3: 30 EA", {"3": (D(30), D("6370.12"))}),
    (UNIT, "en", "3: 40 EA to date", {"3": (D(30), D("6370.12"))}),
    (UNIT, "en", "3: +75%", {"3": (D(30), D("6370.12"))}),
    (UNIT, "en", "3: 40", ASK),  # 40 more is past 100%: all 40 to date? asked
    (UNIT, "en", "1: 50% 👍", {"1": HALF_OF_1}),
    (UNIT, "en", "1: 10% more", {"1": (D(120), D("1500.00"))}),
    (UNIT, "en", "1: 600 LF to-date", {"1": HALF_OF_1}),
    (AMOUNT, "en", "2: $81,000 TD", {"2": D("45000.00")}),
    (AMOUNT, "en", "2: $81,000 complete", NO),  # completed to date, or this period's? asked
    (AMOUNT, "en", "2: $81,000 completed to date", {"2": D("45000.00")}),
    (UNIT, "en", "1: 600 LF complete", NO),
    (AMOUNT, "en", "2: $4,500 this invoice", {"2": D("4500.00")}),
    (AMOUNT, "en", "2: 45%, materials $2,000", {"2": D("43000.00")}),
    (UNIT, "en", "50% line 2", {"2": (D(4), D("16800.00"))}),
    (UNIT, "en", "$4,200 line 2", {"2": ONE_OF_2}),
    (UNIT, "en", "skip item 3", {"3": SKIP}),
    # one answer for lines listed or a range
    (UNIT, "en", "2 and 3 done", {"2": (D(8), D("33600.00")), "3": (D(30), D("6370.12"))}),
    (UNIT, "en", "2 & 3: done", {"2": (D(8), D("33600.00")), "3": (D(30), D("6370.12"))}),
    (UNIT, "en", "lines 2-3 done", {"2": (D(8), D("33600.00")), "3": (D(30), D("6370.12"))}),
    (UNIT, "en", "items 2 to 3: done", {"2": (D(8), D("33600.00")), "3": (D(30), D("6370.12"))}),
    (UNIT, "en", "1, 2 and 3: skip", {"1": SKIP, "2": SKIP, "3": SKIP}),
    (UNIT, "en", "2 - 3 units", {"2": (D(3), D("12600.00"))}),  # a dash with spaces: line 2
    (UNIT, "en", "1-2 units", NO),  # 1 to 2 units? line 1's 2 units? asked
    # a line alone on its row, its answer on the next (a mail laid out a row per item)
    (UNIT, "en", "Line 2\n50%", {"2": (D(4), D("16800.00"))}),
    (UNIT, "en", "Line 2\n50%\nLine 3\n20", {"2": (D(4), D("16800.00")), "3": (D(20), D("4246.75"))}),  # noqa: E501
    # two answers without a line: neither is guessed onto the line asked
    (UNIT, "en", "1; 50%", NO),
    (UNIT, "en", "2, 3", NO),
    (AMOUNT, "en", "ductwork is at 50", NO),  # 50%, or $50 on a $180,000 line? asked
    (AMOUNT, "en", "2: about 50", NO),
    (AMOUNT, "en", "2: about $50", {"2": D("50.00")}),  # money said plainly
    (AMOUNT, "en", "2: at 50%", {"2": D("54000.00")}),
    # an estimate or progress word after the figure, as before it: 50% or $50? asked
    (AMOUNT, "en", "2: 50 or so", NO),
    (AMOUNT, "en", "2: 50 approx", NO),
    (AMOUNT, "en", "2: 50ish", NO),
    (AMOUNT, "en", "2: 50 more or less", NO),
    (AMOUNT, "en", "2: 50 progress", NO),
    (AMOUNT, "en", "ductwork 50 or so", NO),
    (AMOUNT, "en", "2: $50 or so", {"2": D("50.00")}),  # money said plainly
    (AMOUNT, "en", "2: 4500 or so", {"2": D("4500.00")}),  # past 100: not a percent
    # where a line stands (`is at`, `currently`): the total to date, as `600 so far` is
    (UNIT, "en", "conduit is at 600", {"1": HALF_OF_1}),
    (UNIT, "en", "1: at 600 ft", {"1": HALF_OF_1}),
    (UNIT, "en", "1: currently 600 LF", {"1": HALF_OF_1}),
    (UNIT, "en", "line 1 is at about 600 LF", {"1": HALF_OF_1}),
    (AMOUNT, "en", "ductwork is at $81,000", {"2": D("45000.00")}),
    (UNIT, "en", "1: at 80 this month", {"1": (D(80), D("1000.00"))}),  # said: this period
    (UNIT, "en", "1: is at +10%", {"1": (D(120), D("1500.00"))}),
    (UNIT, "en", "1: about 80", {"1": (D(80), D("1000.00"))}),  # an estimate, not a standing
    (AMOUNT, "en", "2: at 55", NO),  # 55%, or $55 to date? asked
    # a bare number up to 100 on an amount line, under 1% of its value: 50% or $50? asked
    (AMOUNT, "en", "2: 50", NO),
    (AMOUNT, "en", "3: 100", NO),
    (AMOUNT, "en", "2: 50.00", {"2": D("50.00")}),  # money, written with cents
    (AMOUNT, "en", "2: $50", {"2": D("50.00")}),
    (AMOUNT, "en", "3: 2000", {"3": D("2000.00")}),
    # a date beside an answer is when it held, never a figure; `N/M` with its line is N of M
    (UNIT, "en", "2: 3 panels (11/30)", {"2": (D(3), D("12600.00"))}),
    (UNIT, "en", "1: 600 LF to date as of 11/30", {"1": HALF_OF_1}),
    (UNIT, "en", "2: 3 (Nov 30)", {"2": (D(3), D("12600.00"))}),
    (UNIT, "en", "1: 50% (as of Nov 30) 2: 1", {"1": HALF_OF_1, "2": ONE_OF_2}),
    (UNIT, "en", "2: 1 set", {"2": ONE_OF_2}),  # `set` is installed, no month
    (UNIT, "en", "2: 3/8", {"2": (D(3), D("12600.00"))}),
    (UNIT, "en", "11/30: 3: 5", {"3": (D(5), D("1061.69"))}),
    (UNIT, "en", "3/8", NO),  # a date (March 8), or 3 of 8? asked, never billed
    # two answers for one line in one message: one when they say different things, asked
    # when they say the same thing differently (neither applied), the later when it corrects
    (AMOUNT, "en", "2: $12,345.67\n2: stored $5,000", {"2": D("12345.67")}),
    (AMOUNT, "en", "2: stored $5,000\n2: $12,345.67", {"2": D("12345.67")}),
    (AMOUNT, "en", "2: 50%\n2: 60%", NO),
    (AMOUNT, "en", "2: 50%\n2: 50%", {"2": D("54000.00")}),
    (AMOUNT, "en", "2: 50%\nactually 2: 60%", {"2": D("72000.00")}),
    (AMOUNT, "en", "2: 50%\nSorry,\n2: 60%", {"2": D("72000.00")}),
    (UNIT, "en", "2: 1\n2: 2\n3: 5", {"3": (D(5), D("1061.69"))}),  # line 2 asked
    # a correction's figure, as after `is at`: 40% or $40? asked
    (AMOUNT, "en", "change line 2 to 40", NO),
    (AMOUNT, "en", "line 2 should be 40", NO),
    (AMOUNT, "en", "oops, line 2 should be 40", NO),
    (AMOUNT, "en", "change line 2 to 40%", {"2": D("36000.00")}),
    (AMOUNT, "en", "change line 2 to $40", {"2": D("40.00")}),
    (AMOUNT, "en", "change line 2 to 4500", {"2": D("4500.00")}),
    # nothing more to bill: the lines not answered are nothing this period
    (UNIT, "en", "1: 45%\nThat's all", {"1": (D(240), D("3000.00")), "2": SKIP, "3": SKIP}),
    (UNIT, "en", "2: 1, skip the rest", {"1": SKIP, "2": ONE_OF_2, "3": SKIP}),
    # `N of M`: to date, when M is what the line has scheduled
    (UNIT, "en", "2: 1 of 8 installed", {"2": ONE_OF_2}),
    (UNIT, "en", "Panels: 1 out of 8", {"2": ONE_OF_2}),
    (UNIT, "en", "1: 600 of 1,200 LF", {"1": HALF_OF_1}),
    (UNIT, "en", "Fixtures 20/40", {"3": (D(10), D("2123.38"))}),
    (UNIT, "en", "1: $7,500 of $15,000", {"1": HALF_OF_1}),
    (UNIT, "en", "2: 4 of 10", NO),  # 8 are scheduled: out of 10 means nothing clear
    (UNIT, "en", "1: 1/2", NO),
    (UNIT, "en", "1 -> 45%", {"1": (D(240), D("3000.00"))}),
    (UNIT, "en", "1 → 45%, 2 → 1", {"1": (D(240), D("3000.00")), "2": ONE_OF_2}),
    (UNIT, "en", "item 1 @ 45%", {"1": (D(240), D("3000.00"))}),
    (UNIT, "en", "1: 45% approx.", {"1": (D(240), D("3000.00"))}),
    (UNIT, "en", "1: 45% progress", {"1": (D(240), D("3000.00"))}),
    (UNIT, "en", "1: about 45% or so", {"1": (D(240), D("3000.00"))}),
    (UNIT, "en", "line one: done", {"1": (D(900), D("11250.00"))}),
    (UNIT, "en", "1: half", {"1": (D(300), D("3750.00"))}),
    (UNIT, "en", "1: halfway done", {"1": (D(300), D("3750.00"))}),
    (UNIT, "en", "1: three quarters", {"1": (D(600), D("7500.00"))}),
    (UNIT, "en", "Conduit: 45% complete", {"1": (D(240), D("3000.00"))}),
    (UNIT, "en", "EMT conduit - 45%", {"1": (D(240), D("3000.00"))}),
    (UNIT, "en", "1: +10%", {"1": (D(120), D("1500.00"))}),
    (UNIT, "en", "1: 10% this period", {"1": (D(120), D("1500.00"))}),
    (UNIT, "en", "1: 10% this month", {"1": (D(120), D("1500.00"))}),
    (UNIT, "en", "1: ten percent this period", {"1": (D(120), D("1500.00"))}),
    (UNIT, "en", "1: 80 lf", {"1": (D(80), D("1000.00"))}),
    (UNIT, "en", "1: 80 LF", {"1": (D(80), D("1000.00"))}),
    (UNIT, "en", "1: 80 ft", {"1": (D(80), D("1000.00"))}),
    (UNIT, "en", "1: 80 linear feet", {"1": (D(80), D("1000.00"))}),
    (UNIT, "en", "1: 80", {"1": (D(80), D("1000.00"))}),
    (UNIT, "en", "1: qty 80", {"1": (D(80), D("1000.00"))}),
    (UNIT, "en", "1: 80 units", {"1": (D(80), D("1000.00"))}),
    (UNIT, "en", "1: 80 installed", {"1": (D(80), D("1000.00"))}),
    (UNIT, "en", "1: 80 this period", {"1": (D(80), D("1000.00"))}),
    (UNIT, "en", "1: eighty", {"1": (D(80), D("1000.00"))}),
    (UNIT, "en", "1: 600 LF to date", {"1": (D(300), D("3750.00"))}),
    (UNIT, "en", "1: 600 so far", {"1": (D(300), D("3750.00"))}),
    (UNIT, "en", "1: 600 total", {"1": (D(300), D("3750.00"))}),
    (UNIT, "en", "1: $1,000", {"1": (D(80), D("1000.00"))}),
    (UNIT, "en", "1: USD 1,000", {"1": (D(80), D("1000.00"))}),
    (UNIT, "en", "1: 1000 dollars", {"1": (D(80), D("1000.00"))}),
    (UNIT, "en", "1: 1,000.00", {"1": (D(80), D("1000.00"))}),
    (UNIT, "en", "1 - 700.00", {"1": (D(56), D("700.00"))}),
    (UNIT, "en", "1: $3,750 to date", {"1": (D(0), D("0.00"))}),
    (UNIT, "en", "1: done", {"1": (D(900), D("11250.00"))}),
    (UNIT, "en", "1: complete", {"1": (D(900), D("11250.00"))}),
    (UNIT, "en", "1: 100%", {"1": (D(900), D("11250.00"))}),
    (UNIT, "en", "1: finished", {"1": (D(900), D("11250.00"))}),
    (UNIT, "en", "1 done", {"1": (D(900), D("11250.00"))}),
    (UNIT, "en", "1: a hundred percent", {"1": (D(900), D("11250.00"))}),
    (UNIT, "en", "1: skip", {"1": SKIP}),
    (UNIT, "en", "1: none", {"1": SKIP}),
    (UNIT, "en", "1: nothing", {"1": SKIP}),
    (UNIT, "en", "1: nothing this month", {"1": SKIP}),
    (UNIT, "en", "1: no change", {"1": SKIP}),
    (UNIT, "en", "1: n/a", {"1": SKIP}),
    (UNIT, "en", "1: 0", {"1": SKIP}),
    (UNIT, "en", "1: zero", {"1": SKIP}),
    (UNIT, "en", "1: no progress", {"1": SKIP}),
    (UNIT, "en", "2: 1", {"2": (D(1), D("4200.00"))}),
    (UNIT, "en", "2: 1 ea", {"2": (D(1), D("4200.00"))}),
    (UNIT, "en", "2: 1 each", {"2": (D(1), D("4200.00"))}),
    (UNIT, "en", "2: 1 installed", {"2": (D(1), D("4200.00"))}),
    (UNIT, "en", "2: one", {"2": (D(1), D("4200.00"))}),
    (UNIT, "en", "2: one panel installed", {"2": (D(1), D("4200.00"))}),  # panel: the line's
    (UNIT, "en", "2: 2 pcs", {"2": (D(2), D("8400.00"))}),
    (UNIT, "en", "panels 2", {"2": (D(2), D("8400.00"))}),
    (UNIT, "en", "Switchgear: 2 ea", {"2": (D(2), D("8400.00"))}),
    (UNIT, "en", "2: 50%", {"2": (D(4), D("16800.00"))}),
    (UNIT, "en", "2: fifty percent", {"2": (D(4), D("16800.00"))}),
    (UNIT, "en", "2: 9", NO),  # 9 EA of 8 cannot be, and $9 is 0.002 of a panel
    (UNIT, "en", "2: 9 EA", NO),
    (UNIT, "en", "2: 4500", ASK),  # 4,500 EA of 8: dollars?
    (UNIT, "en", "3: 20 ea", {"3": (D(20), D("4246.75"))}),
    (UNIT, "en", "3: 20", {"3": (D(20), D("4246.75"))}),
    (UNIT, "en", "3: twenty", {"3": (D(20), D("4246.75"))}),
    (UNIT, "en", "3: 20 fixtures", {"3": (D(20), D("4246.75"))}),
    (UNIT, "en", "fixtures 20 ea", {"3": (D(20), D("4246.75"))}),
    (UNIT, "en", "light fixtures: 20 ea", {"3": (D(20), D("4246.75"))}),
    (UNIT, "en", "3: 25 to date", {"3": (D(15), D("3185.06"))}),
    (UNIT, "en", "3: 35", ASK),  # 35 more of 30 left cannot be: asked what is meant
    (UNIT, "en", "3: 50%", {"3": (D(10), D("2123.37"))}),
    (UNIT, "en", "3: done", {"3": (D(30), D("6370.12"))}),
    (UNIT, "en", "1: 80 lf 2: 1 ea 3: 20 ea", {
        "1": (D(80), D("1000.00")), "2": (D(1), D("4200.00")), "3": (D(20), D("4246.75"))}),
    (UNIT, "en", "1: 45%, 2: 1, 3: 20", {
        "1": (D(240), D("3000.00")), "2": (D(1), D("4200.00")), "3": (D(20), D("4246.75"))}),
    (UNIT, "en", "1: 45% complete\n2: 1 installed", {
        "1": (D(240), D("3000.00")), "2": (D(1), D("4200.00"))}),
    (UNIT, "en", "1: 45%; 2: skip; 3: done", {
        "1": (D(240), D("3000.00")), "2": SKIP, "3": (D(30), D("6370.12"))}),
    (UNIT, "en", "L1 45% L2 1 L3 20", {
        "1": (D(240), D("3000.00")), "2": (D(1), D("4200.00")), "3": (D(20), D("4246.75"))}),
    (UNIT, "en", "#1 45%\n#2 skip\n#3 20", {
        "1": (D(240), D("3000.00")), "2": SKIP, "3": (D(20), D("4246.75"))}),
    (UNIT, "en", "Line 1 - 50%\nLine 2 - 2 ea\nLine 3 - nothing this month", {
        "1": (D(300), D("3750.00")), "2": (D(2), D("8400.00")), "3": SKIP}),
    (UNIT, "en", "all 100%", {
        "1": (D(900), D("11250.00")), "2": (D(8), D("33600.00")), "3": (D(30), D("6370.12"))}),
    (UNIT, "en", "1: 50%\nrest skip", {"1": (D(300), D("3750.00")), "2": SKIP, "3": SKIP}),
    (UNIT, "en", "1: 50%\nthe rest: n/a", {"1": (D(300), D("3750.00")), "2": SKIP, "3": SKIP}),
    (UNIT, "en", "Hi Jane,\n1: 50%\nThanks!", {"1": (D(300), D("3750.00"))}),
    (UNIT, "en", "See attached.\n2: 1", {"2": (D(1), D("4200.00"))}),
    (UNIT, "en", "Please find our pay app attached\n3: 20 ea", {"3": (D(20), D("4246.75"))}),
    (UNIT, "en", "1: 50% thanks", {"1": (D(300), D("3750.00"))}),
    (UNIT, "en", "1: 45% this period to date", NO),
    (UNIT, "en", "1: 12,5", NO),
    (UNIT, "en", "1: 1e9", NO),
    (UNIT, "en", "9: 50%", NO),
    (UNIT, "en", "ductwork 45%", NO),  # no such line here
    # the value before the line it is for
    (UNIT, "en", "50% on line 1", {"1": (D(300), D("3750.00"))}),
    (UNIT, "en", "50% on line 1, 1 for item 2", {"1": HALF_OF_1, "2": ONE_OF_2}),
    (UNIT, "en", "50% on line 1. 1 on line 2.", {"1": HALF_OF_1, "2": ONE_OF_2}),
    (UNIT, "en", "nothing on line 2", {"2": SKIP}),
    (UNIT, "en", "Conduit 50%. Panels 1", {"1": HALF_OF_1, "2": ONE_OF_2}),  # two sentences
    (UNIT, "en", "Thanks. 50%", NO),  # a bare value in a sentence is never guessed
    (UNIT, "en", "50% on line 9", NO),  # no such line
    (UNIT, "en", "1: 50% stored 2000", NO),  # materials stored are for amount lines
    # a line checked off or crossed out: read as `3 done` / `3 skip`, never a figure for the
    # line asked (the mark dropped once left a bare `3`: 3 LF on line 1)
    (UNIT, "en", "3 ✅", NO),  # like `3 done`: line 3 done, or 3 LF of line 1? asked
    (UNIT, "en", "3 👍", NO),
    (UNIT, "en", "2 ✔️", NO),
    (UNIT, "en", "✅ 3", NO),
    (UNIT, "en", "3: ✅", {"3": (D(30), D("6370.12"))}),
    (UNIT, "en", "line 3 ✅", {"3": (D(30), D("6370.12"))}),
    (UNIT, "en", "- 3 ✓ thanks", NO),
    (UNIT, "en", "3 ❌", {"3": SKIP}),
    (UNIT, "en", "2 👎", {"2": SKIP}),
    (UNIT, "en", "2 ✖", {"2": SKIP}),
    (UNIT, "en", "2 ✅ 3 ❌", {"3": SKIP}),  # line 2 asked about (2 LF of line 1?)
    (UNIT, "en", "2 and 3 ✅", {"2": (D(8), D("33600.00")), "3": (D(30), D("6370.12"))}),
    (UNIT, "en", "2, 3 ✅", {"2": (D(8), D("33600.00")), "3": (D(30), D("6370.12"))}),
    (UNIT, "en", "2 ✅❌", NO),
    (UNIT, "en", "1: 50% 👍🏽", {"1": HALF_OF_1}),
    (AMOUNT, "en", "3 ✅", {"3": D("180000.00")}),  # an amount line counts no units
    (AMOUNT, "en", "2 ❌", {"2": SKIP}),
    (AMOUNT, "en", "3 🚫", {"3": SKIP}),
    # a figure with a question mark is asked about, never billed
    (UNIT, "en", "2?", NO),
    (UNIT, "en", "20?", NO),
    (AMOUNT, "en", "2: 50%?", NO),
    (UNIT, "en", "1: 50% / 2: 1", {"1": HALF_OF_1, "2": ONE_OF_2}),
    (UNIT, "en", "2 n/a", {"2": SKIP}),
    (UNIT, "en", "3 na", {"3": SKIP}),
    (UNIT, "en", "1: 45%\n2: 12,5\nthat's all", {"1": (D(240), D("3000.00"))}),  # 2 kept open
    (UNIT, "en", "2: 9 EA, skip the rest", NO),  # line 2 refused: the rest not set to nothing
    # -- English, amount-based -------------------------------------------------------------
    (AMOUNT, "en", "ductwork is at 30%", {"2": D("18000.00")}),
    (AMOUNT, "en", "Rooftop 35%", {"3": D("24000.00")}),
    (AMOUNT, "en", "2: 50k", {"2": D("50000.00")}),
    (AMOUNT, "en", "2: $50K this month", {"2": D("50000.00")}),
    (AMOUNT, "en", "2: fifty thousand", {"2": D("50000.00")}),
    (AMOUNT, "en", "3: $1.5k", {"3": D("1500.00")}),
    (AMOUNT, "en", "2: $81k to date", {"2": D("45000.00")}),
    (AMOUNT, "en", "2: 45%", {"2": D("45000.00")}),
    (AMOUNT, "en", "2: 45% complete", {"2": D("45000.00")}),
    (AMOUNT, "en", "Ductwork 45%", {"2": D("45000.00")}),
    (AMOUNT, "en", "ductwork: forty-five percent", {"2": D("45000.00")}),
    (AMOUNT, "en", "2: +10%", {"2": D("18000.00")}),
    (AMOUNT, "en", "2: 10% this period", {"2": D("18000.00")}),
    (AMOUNT, "en", "2: $4,500", {"2": D("4500.00")}),
    (AMOUNT, "en", "2: 4500", {"2": D("4500.00")}),
    (AMOUNT, "en", "2: 4,500.00", {"2": D("4500.00")}),
    (AMOUNT, "en", "2: USD 4,500", {"2": D("4500.00")}),
    (AMOUNT, "en", "2: 4500 dollars", {"2": D("4500.00")}),
    (AMOUNT, "en", "2: $4,500 this month", {"2": D("4500.00")}),
    (AMOUNT, "en", "2: $81,000 to date", {"2": D("45000.00")}),
    (AMOUNT, "en", "2: 81000 to date", {"2": D("45000.00")}),
    (AMOUNT, "en", "2 - $4,500", {"2": D("4500.00")}),
    (AMOUNT, "en", "Item 2: $4,500", {"2": D("4500.00")}),
    (AMOUNT, "en", "2: done", {"2": D("144000.00")}),
    (AMOUNT, "en", "2: skip", {"2": SKIP}),
    (AMOUNT, "en", "1: skip", {"1": SKIP}),
    (AMOUNT, "en", "1: no change", {"1": SKIP}),
    (AMOUNT, "en", "mobilization n/a", {"1": SKIP}),
    (AMOUNT, "en", "3: 50% complete", {"3": D("60000.00")}),
    (AMOUNT, "en", "rooftop units 50%", {"3": D("60000.00")}),
    (AMOUNT, "en", "units 50%", {"3": D("60000.00")}),
    (AMOUNT, "en", "3: fifty percent", {"3": D("60000.00")}),
    (AMOUNT, "en", "3: 20%", ASK),  # below what was billed: a correction to confirm
    (AMOUNT, "en", "2: 45%\n3: $12,000", {"2": D("45000.00"), "3": D("12000.00")}),
    (AMOUNT, "en", "2: 45% 3: $12,000", {"2": D("45000.00"), "3": D("12000.00")}),
    (AMOUNT, "en", "2: 45%, 3: 12000", {"2": D("45000.00"), "3": D("12000.00")}),
    (AMOUNT, "en", "2: $200,000", NO),
    (AMOUNT, "en", "2: 150,000", ASK),  # past 100% this period; $150,000 to date fits
    (AMOUNT, "en", "2: 45 fixtures", NO),
    (AMOUNT, "en", "all skip", {"1": SKIP, "2": SKIP, "3": SKIP}),
    # -- Spanish, unit-based ---------------------------------------------------------------
    (UNIT, "es", "1: 45%", {"1": (D(240), D("3000.00"))}),
    (UNIT, "es", "1: 45 por ciento", {"1": (D(240), D("3000.00"))}),
    (UNIT, "es", "50% línea 2", {"2": (D(4), D("16800.00"))}),
    (UNIT, "es", "1: 50% y 2: 3", {"1": HALF_OF_1, "2": (D(3), D("12600.00"))}),
    (UNIT, "es", "renglón 1: 50%", {"1": HALF_OF_1}),
    (UNIT, "es", "concepto 2: 3", {"2": (D(3), D("12600.00"))}),
    (UNIT, "es", "1: 10% adicional", {"1": (D(120), D("1500.00"))}),
    (AMOUNT, "es", "2: 1000 dólares", {"2": D("1000.00")}),
    # a line by its ordinal
    (UNIT, "es", "1ra: 50%", {"1": (D(300), D("3750.00"))}),
    (UNIT, "es", "2da: 3", {"2": (D(3), D("12600.00"))}),
    (UNIT, "es", "2º: 3", {"2": (D(3), D("12600.00"))}),
    (UNIT, "es", "primera línea 50%", {"1": (D(300), D("3750.00"))}),
    (UNIT, "es", "segunda partida: 3", {"2": (D(3), D("12600.00"))}),
    (UNIT, "en", "1st line 50%", {"1": (D(300), D("3750.00"))}),
    (UNIT, "en", "2nd: 3", {"2": (D(3), D("12600.00"))}),
    (UNIT, "en", "the second line: 3", {"2": (D(3), D("12600.00"))}),
    # numbers written out in full, and a thousands figure with its last three digits
    (AMOUNT, "es", "2: mil quinientos", {"2": D("1500.00")}),
    (AMOUNT, "es", "2: cuarenta y cinco mil quinientos", {"2": D("45500.00")}),
    (AMOUNT, "es", "2: dos mil quinientos dólares", {"2": D("2500.00")}),
    (AMOUNT, "es", "2: ciento veinte mil", {"2": D("120000.00")}),
    (AMOUNT, "es", "2: 45 mil 500", {"2": D("45500.00")}),
    (AMOUNT, "en", "2: two thousand five hundred dollars", {"2": D("2500.00")}),
    (UNIT, "en", "1: three hundred LF", {"1": (D(300), D("3750.00"))}),
    # dollars marked as Mexico and the US write them, once or twice
    (AMOUNT, "es", "2: 1500 dlls", {"2": D("1500.00")}),
    (AMOUNT, "es", "2: 1500 dls.", {"2": D("1500.00")}),
    (AMOUNT, "es", "2: $1,500 dólares", {"2": D("1500.00")}),
    (AMOUNT, "es", "2: $4,500 dólares americanos", {"2": D("4500.00")}),
    (AMOUNT, "en", "2: US$1,500", {"2": D("1500.00")}),
    (AMOUNT, "en", "2: $4,500 usd", {"2": D("4500.00")}),
    (UNIT, "es", "1: 1000 dlls", {"1": (D(80), D("1000.00"))}),
    (UNIT, "es", "1: 1.000 LF", NO),  # one foot, or a thousand? asked (`1,000 LF` or `1 LF`)
    (UNIT, "es", "3: 2.500", NO),
    (AMOUNT, "es", "la línea 2 está al 50", NO),  # 50%, or $50 on a $180,000 line? asked
    (AMOUNT, "es", "2: va al 50", NO),
    (AMOUNT, "es", "2: 50 aprox", NO),
    (AMOUNT, "es", "2: 50 más o menos", NO),
    (AMOUNT, "es", "2: 50 de avance", NO),
    (AMOUNT, "es", "cambia la 2 a 40", NO),
    (AMOUNT, "es", "cambia la 2 al 40", NO),
    (AMOUNT, "es", "la línea 2 debe ser 40", NO),
    (AMOUNT, "es", "cambia la 2 al 40%", {"2": D("36000.00")}),
    (UNIT, "es", "2 ✅", NO),  # ¿partida 2 lista, o 2 LF de la 1? se pregunta
    (UNIT, "es", "partida 3 ❌", {"3": SKIP}),
    (UNIT, "es", "2 n/a", {"2": SKIP}),
    (UNIT, "es", "2 y 3 terminadas", {"2": (D(8), D("33600.00")), "3": (D(30), D("6370.12"))}),
    (UNIT, "es", "partidas 2 a 3: listo", {"2": (D(8), D("33600.00")), "3": (D(30), D("6370.12"))}),
    (UNIT, "es", "1: 45 por ciento completo", {"1": (D(240), D("3000.00"))}),
    (UNIT, "es", "1: cuarenta y cinco por ciento", {"1": (D(240), D("3000.00"))}),
    (UNIT, "es", "1: 45% a la fecha", {"1": (D(240), D("3000.00"))}),
    (UNIT, "es", "1: 45% hasta la fecha", {"1": (D(240), D("3000.00"))}),
    (UNIT, "es", "1: 10% este mes", {"1": (D(120), D("1500.00"))}),
    (UNIT, "es", "1: 10 por ciento este periodo", {"1": (D(120), D("1500.00"))}),
    (UNIT, "es", "1: +10%", {"1": (D(120), D("1500.00"))}),
    (UNIT, "es", "1: 80 unidades", {"1": (D(80), D("1000.00"))}),
    (UNIT, "es", "1: ochenta", {"1": (D(80), D("1000.00"))}),
    (UNIT, "es", "1: 80 instalados", {"1": (D(80), D("1000.00"))}),
    (UNIT, "es", "1: 80 este mes", {"1": (D(80), D("1000.00"))}),
    (UNIT, "es", "1: 600 a la fecha", {"1": (D(300), D("3750.00"))}),
    (UNIT, "es", "1: 600 acumulado", {"1": (D(300), D("3750.00"))}),
    (UNIT, "es", "1: $1,000", {"1": (D(80), D("1000.00"))}),
    (UNIT, "es", "1: listo", {"1": (D(900), D("11250.00"))}),
    (UNIT, "es", "1: completo", {"1": (D(900), D("11250.00"))}),
    (UNIT, "es", "1: terminado", {"1": (D(900), D("11250.00"))}),
    (UNIT, "es", "1: cien por ciento", {"1": (D(900), D("11250.00"))}),
    (UNIT, "es", "1: nada", {"1": SKIP}),
    (UNIT, "es", "1: ninguno", {"1": SKIP}),
    (UNIT, "es", "1: omitir", {"1": SKIP}),
    (UNIT, "es", "1: nada este mes", {"1": SKIP}),
    (UNIT, "es", "1: sin avance", {"1": SKIP}),
    (UNIT, "es", "1: sin cambios", {"1": SKIP}),
    (UNIT, "es", "1: cero", {"1": SKIP}),
    (UNIT, "es", "2: una unidad", {"2": (D(1), D("4200.00"))}),
    (UNIT, "es", "2: 1 instalado", {"2": (D(1), D("4200.00"))}),
    (UNIT, "es", "2: dos", {"2": (D(2), D("8400.00"))}),
    (UNIT, "es", "2: 50 por ciento", {"2": (D(4), D("16800.00"))}),
    (UNIT, "es", "2: cincuenta por ciento", {"2": (D(4), D("16800.00"))}),
    (UNIT, "es", "3: 20 unidades", {"3": (D(20), D("4246.75"))}),
    (UNIT, "es", "3: veinte unidades", {"3": (D(20), D("4246.75"))}),
    (UNIT, "es", "3: veinte", {"3": (D(20), D("4246.75"))}),
    (UNIT, "es", "3: 25 a la fecha", {"3": (D(15), D("3185.06"))}),
    (UNIT, "es", "Línea 1: 45%", {"1": (D(240), D("3000.00"))}),
    (UNIT, "es", "línea 2 - omitir", {"2": SKIP}),
    (UNIT, "es", "1: 45% 2: 1 3: 20", {
        "1": (D(240), D("3000.00")), "2": (D(1), D("4200.00")), "3": (D(20), D("4246.75"))}),
    (UNIT, "es", "1: 45%\nresto omitir", {"1": (D(240), D("3000.00")), "2": SKIP, "3": SKIP}),
    (UNIT, "es", "1: 45%\nel resto: nada", {"1": (D(240), D("3000.00")), "2": SKIP, "3": SKIP}),
    (UNIT, "es", "todo 100%", {
        "1": (D(900), D("11250.00")), "2": (D(8), D("33600.00")), "3": (D(30), D("6370.12"))}),
    (UNIT, "es", "todas las líneas: listo", {
        "1": (D(900), D("11250.00")), "2": (D(8), D("33600.00")), "3": (D(30), D("6370.12"))}),
    (UNIT, "es", "Hola,\n1: 50%\nGracias", {"1": (D(300), D("3750.00"))}),
    (UNIT, "es", "Adjunto la factura\n2: 1", {"2": (D(1), D("4200.00"))}),
    (UNIT, "es", "2: 1 de 8 instalados", {"2": ONE_OF_2}),
    (UNIT, "es", "2: 1\neso es todo, gracias", {"1": SKIP, "2": ONE_OF_2, "3": SKIP}),
    (UNIT, "es", "1: 45% aprox", {"1": (D(240), D("3000.00"))}),
    (UNIT, "es", "1: 45% de avance", {"1": (D(240), D("3000.00"))}),
    (UNIT, "es", "2: 1 pieza", {"2": ONE_OF_2}),
    (UNIT, "es", "2: 1 pzas", {"2": ONE_OF_2}),
    (UNIT, "es", "1: 12,5", NO),
    # points between thousands and a decimal comma: refused whole, never read as 7.5 + `00`
    (UNIT, "es", "1: $7.500,00", NO),
    (UNIT, "es", "1: 1.200,5 LF", NO),
    (AMOUNT, "es", "2: 7.500,00 €", NO),
    (AMOUNT, "en", "2: $1.234.567,89", NO),
    (AMOUNT, "en", "2: $90,000 of $180,000", {"2": D("54000.00")}),
    (AMOUNT, "en", "2: 4 of 8", NO),
    # a point before three digits in dollars: 12 or 12,000? asked, never guessed
    (AMOUNT, "en", "2: $12.000", NO),
    (AMOUNT, "es", "2: 12.000 USD", NO),
    (AMOUNT, "es", "2: 12.000", NO),
    (AMOUNT, "en", "2: stored 2.000", NO),
    (UNIT, "es", "1: 45% este mes a la fecha", NO),
    (UNIT, "es", "50% en la línea 1", {"1": (D(300), D("3750.00"))}),
    # where a line stands (`va en`, `está en`, `llevamos`): the total to date
    (UNIT, "es", "1: van 600", {"1": HALF_OF_1}),
    (UNIT, "es", "1: va en 600 LF", {"1": HALF_OF_1}),
    (UNIT, "es", "1: llevamos 600", {"1": HALF_OF_1}),
    (UNIT, "es", "1: estamos en 600", {"1": HALF_OF_1}),
    (UNIT, "es", "la línea 3 está en 25", {"3": (D(15), D("3185.06"))}),
    (UNIT, "es", "1: 80 este mes", {"1": (D(80), D("1000.00"))}),
    # the line by its article (`la 1`), and Mexican list markers (`1.-`, `2.)`)
    (UNIT, "es", "la 1 es 40%", {"1": (D(180), D("2250.00"))}),
    (UNIT, "es", "perdón, la 1 es 40%", {"1": (D(180), D("2250.00"))}),
    (UNIT, "es", "1.- 50%", {"1": HALF_OF_1}),
    (UNIT, "es", "2.) 3", {"2": (D(3), D("12600.00"))}),
    (UNIT, "es", "1: 50% al 15 de noviembre", {"1": HALF_OF_1}),  # a date: not a figure
    (UNIT, "es", "1 en la partida 2", {"2": (D(1), D("4200.00"))}),
    # -- Spanish, amount-based -------------------------------------------------------------
    (AMOUNT, "es", "2: cincuenta mil", {"2": D("50000.00")}),
    (AMOUNT, "es", "2: va en unos 50 mil", {"2": D("14000.00")}),  # $50,000 to date
    (AMOUNT, "es", "2: va en 81 mil", {"2": D("45000.00")}),
    (AMOUNT, "es", "la línea 2 está en $81,000", {"2": D("45000.00")}),
    (AMOUNT, "es", "la línea 3 está en 25", NO),  # 25%, or $25 to date? asked
    (AMOUNT, "es", "2: al 55", NO),
    (AMOUNT, "es", "la 2 al 50%", {"2": D("54000.00")}),
    (AMOUNT, "es", "la dos al 50%", {"2": D("54000.00")}),
    (AMOUNT, "es", "el 2 está al 50%", {"2": D("54000.00")}),
    (AMOUNT, "es", "la 3 es 40%", {"3": D("36000.00")}),
    (AMOUNT, "es", "la 2 y la 3 al 50%", {"2": D("54000.00"), "3": D("60000.00")}),
    (AMOUNT, "es", "la 2 y 3 listas", {"2": D("144000.00"), "3": D("180000.00")}),
    (AMOUNT, "es", "la 2, la 3: listo", {"2": D("144000.00"), "3": D("180000.00")}),
    (AMOUNT, "es", "las líneas 2 y 3: listo", {"2": D("144000.00"), "3": D("180000.00")}),
    (AMOUNT, "es", "2.- 50%", {"2": D("54000.00")}),
    (AMOUNT, "es", "3.) 30%", {"3": D("12000.00")}),
    (AMOUNT, "es", "No. 2: 50%", {"2": D("54000.00")}),
    (AMOUNT, "es", "Nº 2 al 50%", {"2": D("54000.00")}),
    (AMOUNT, "es", "N° 2 al 50%", {"2": D("54000.00")}),
    (AMOUNT, "es", "el 50%", NO),  # no line named
    (AMOUNT, "es", "la línea 3 está al 35%", {"3": D("24000.00")}),
    (AMOUNT, "es", "3: la mitad", {"3": D("60000.00")}),
    (AMOUNT, "es", "línea número 2: aproximadamente 45%", {"2": D("45000.00")}),
    (AMOUNT, "es", "2: 45 por ciento", {"2": D("45000.00")}),
    (AMOUNT, "es", "2: $4,500", {"2": D("4500.00")}),
    (AMOUNT, "es", "2: 4500", {"2": D("4500.00")}),
    (AMOUNT, "es", "2: $4,500 este mes", {"2": D("4500.00")}),
    (AMOUNT, "es", "2: $81,000 a la fecha", {"2": D("45000.00")}),
    (AMOUNT, "es", "2: 10% este periodo", {"2": D("18000.00")}),
    (AMOUNT, "es", "2: listo", {"2": D("144000.00")}),
    (AMOUNT, "es", "1: nada", {"1": SKIP}),
    (AMOUNT, "es", "3: cincuenta por ciento", {"3": D("60000.00")}),
    (AMOUNT, "es", "2: 45%\n3: $12,000", {"2": D("45000.00"), "3": D("12000.00")}),
    (AMOUNT, "es", "todo omitir", {"1": SKIP, "2": SKIP, "3": SKIP}),
    # a comment after the answer, for the reader: set aside when it names no figure, only a
    # date or what was billed before; read when it qualifies the answer; else refused
    (UNIT, "en", "1: 50% (was 25% last month)", {"1": (D(300), D("3750.00"))}),
    (UNIT, "en", "1: 50% - per field walk 11/20", {"1": (D(300), D("3750.00"))}),
    (UNIT, "en", "1: 50% -- per Mike", {"1": (D(300), D("3750.00"))}),
    (UNIT, "en", "2: 3 [see photos]", {"2": (D(3), D("12600.00"))}),
    (UNIT, "en", "2: 3 (see attached pics)", {"2": (D(3), D("12600.00"))}),
    (UNIT, "en", "1: 30 LF (this period)", {"1": (D(30), D("375.00"))}),
    (UNIT, "en", "1: 50% (600 LF)", NO),  # two figures: which one?
    (UNIT, "en", "2: 3 (delivered not installed)", NO),  # stored materials, not work done
    (UNIT, "en", "2: 2 (1 more next week)", NO),
    (UNIT, "en", "2: 3 - 4", NO),
    (AMOUNT, "es", "2: 30% (antes 20%)", {"2": D("18000.00")}),
    (AMOUNT, "es", "3: $5,000 - según visita 20/11", {"3": D("5000.00")}),
    (AMOUNT, "es", "2: 30% (sin retención)", NO),
    # a line taken off the invoice: nothing this period, as `2: skip`
    (UNIT, "en", "delete line 2", {"2": SKIP}),
    (UNIT, "en", "remove item 3 from the invoice", {"3": SKIP}),
    (UNIT, "en", "please delete #2", {"2": SKIP}),
    (UNIT, "en", "remove 3", NO),  # 3 units, or line 3?
    (AMOUNT, "es", "borra la 2", {"2": SKIP}),
    (AMOUNT, "es", "quita la línea 3 por favor", {"3": SKIP}),
    (AMOUNT, "es", "elimina la 2 de la factura.", {"2": SKIP}),
    # a range said in words: `thru`, `hasta`, `from … to`, `de la … a la …`
    (UNIT, "en", "1 thru 3 done", {"1": (D(900), D("11250.00")), "2": (D(8), D("33600.00")),
                                   "3": (D(30), D("6370.12"))}),
    (UNIT, "en", "from 1 to 3: skip", {"1": SKIP, "2": SKIP, "3": SKIP}),
    (UNIT, "en", "1 to 3 done", NO),  # line 1 to 3 units?
    (UNIT, "en", "2 to 30 units", NO),
    (AMOUNT, "es", "de la 2 a la 3 listo", {"2": D("144000.00"), "3": D("180000.00")}),
    (AMOUNT, "es", "de 2 a 3: 50%", {"2": D("54000.00"), "3": D("60000.00")}),
    (AMOUNT, "es", "2 hasta 3: 50%", {"2": D("54000.00"), "3": D("60000.00")}),
    # a minus sign after a space is a credit's, as `3: -2` (confirmed first, never billed +2)
    (UNIT, "en", "3 -2 EA", ASK),
    (UNIT, "en", "Line 3 -2 EA", ASK),
    (UNIT, "en", "#3 -2", ASK),
    (UNIT, "en", "fixtures -2", ASK),
    (AMOUNT, "en", "2 -5000", ASK),
    (AMOUNT, "en", "2 -$5,000", ASK),
    (AMOUNT, "en", "line 2 -5000", ASK),
    (AMOUNT, "en", "ductwork -5000", ASK),
    (AMOUNT, "es", "la 2 -5000", ASK),
    (UNIT, "en", "2 - 3 units", {"2": (D(3), D("12600.00"))}),  # a dash between spaces
    (AMOUNT, "en", "#2 - 50%", {"2": D("54000.00")}),
    # where the line stands (`at`, `al`) and "this month": to date, or this period? asked
    (UNIT, "en", "1 is at 50% this month", NO),
    (UNIT, "en", "1: at 50% this month", NO),
    (UNIT, "es", "la 1 va al 50% este mes", NO),
    (UNIT, "es", "la 1 al 50% este mes", NO),
    (UNIT, "en", "1: 50% this month", {"1": (D(600), D("7500.00"))}),
    (UNIT, "en", "1 is 10% this month", {"1": (D(120), D("1500.00"))}),
    # `done thanks` at a line: this line complete, or finished? asked (`done` is this line)
    (UNIT, "en", "done thanks", NO),
    (UNIT, "en", "done, thanks!", NO),
    (UNIT, "es", "listo gracias", NO),
    (UNIT, "en", "done", {"1": (D(900), D("11250.00"))}),
    # no retainage is held: a release is refused, never dropped silently
    (AMOUNT, "en", "1: release retainage", NO),
    (AMOUNT, "en", "2: 10%, release retainage", NO),
]  # fmt: skip
