"""Validation: one test per rule on the tiny workbooks, every planted mistake found, no personal value echoed.

Rows of the tiny workbooks (see tests/conftest.py), as Excel numbers them: cases C1, C2, C3 on rows 2-4;
members M1..M6 on rows 2-7; localities 09225 (Pamiers) and 31555 (Toulouse) on rows 2-3; housing rows 2-4;
services, jobs and interpreters rows 2-3.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from workbooks import Sheets, Writer

from matcher.io.readers import read_dataset
from matcher.io.validation import ReadReport

Loc = tuple[str, int | None, str | None]
Check = Callable[[Sheets, Sheets], ReadReport]


@pytest.fixture
def check(xlsx_writer: Writer) -> Check:
    """A function validating two workbooks of rows, written as cases.xlsx and localities.xlsx."""
    return lambda cases, localities: read_dataset(xlsx_writer("cases", cases), xlsx_writer("localities", localities))


def errors(report: ReadReport) -> set[Loc]:
    return {(i.sheet or "", i.row, i.column) for i in report.errors}


def warnings(report: ReadReport) -> set[Loc]:
    return {(i.sheet or "", i.row, i.column) for i in report.warnings}


def messages(report: ReadReport) -> list[str]:
    return [str(i) for i in report.issues]


def add_members(cases: Sheets, case_id: str, n: int, age: int = 30) -> None:
    for k in range(n):
        cases["members"].append([case_id, f"{case_id}-extra-{k}", age, "uk", "B1", "", "", "no"])


# ---------------------------------------------------------------------------------------- sheets and columns


def test_tiny_pair_is_valid_without_warnings(check: Check, tiny_cases: Sheets, tiny_localities: Sheets) -> None:
    """The reference fixtures pass every check with no warning."""
    report = check(tiny_cases, tiny_localities)
    assert report.issues == [] and report.valid and report.dataset is not None


def test_missing_required_sheet(check: Check, tiny_cases: Sheets, tiny_localities: Sheets) -> None:
    """A workbook without its members sheet is one error naming the sheet."""
    del tiny_cases["members"]
    report = check(tiny_cases, tiny_localities)
    assert errors(report) == {("members", None, None)}
    assert report.dataset is None


def test_missing_optional_sheet_is_fine(check: Check, tiny_cases: Sheets, tiny_localities: Sheets) -> None:
    """Without a jobs sheet the dataset simply has no vacancies."""
    del tiny_localities["jobs"]
    report = check(tiny_cases, tiny_localities)
    assert report.issues == []
    assert report.dataset is not None and all(loc.jobs == () for loc in report.dataset.localities)


def test_missing_required_column(check: Check, tiny_cases: Sheets, tiny_localities: Sheets) -> None:
    """A housing sheet without a units column is one error naming the column and its accepted headers."""
    tiny_localities["housing"] = [row[:3] for row in tiny_localities["housing"]]
    report = check(tiny_cases, tiny_localities)
    assert errors(report) == {("housing", None, "units")}
    assert "accepted headers: units, logements" in report.errors[0].message


def test_two_headers_for_one_column(check: Check, tiny_cases: Sheets, tiny_localities: Sheets) -> None:
    """'locality_id' and 'Code INSEE' in the same sheet are both read as locality_id: an error on the header row."""
    for i, row in enumerate(tiny_localities["jobs"]):
        row.append("Code INSEE" if i == 0 else row[0])
    assert errors(check(tiny_cases, tiny_localities)) == {("jobs", 1, "locality_id")}


def test_bad_cell(check: Check, tiny_cases: Sheets, tiny_localities: Sheets) -> None:
    """A bad cell is located and says what was expected and what kind of value was found."""
    tiny_localities["housing"][2][1] = "three"
    report = check(tiny_cases, tiny_localities)
    assert messages(report) == ["localities.xlsx › housing › row 3 › bedrooms: expected a whole number from 1 to 10, "
                                "got text 'three'"]


# ----------------------------------------------------------------------------------------------- duplicates


def test_duplicate_case_id(check: Check, tiny_cases: Sheets, tiny_localities: Sheets) -> None:
    """A second C1 row is an error on that row, pointing back at the first."""
    tiny_cases["cases"].append(["C1", "", "", "", "", "", "", "", 0])
    report = check(tiny_cases, tiny_localities)
    assert errors(report) == {("cases", 5, "case_id")}
    assert report.errors[0].message == "duplicate case_id 'C1' (also on row 2)"


def test_duplicate_member_id(check: Check, tiny_cases: Sheets, tiny_localities: Sheets) -> None:
    """Member ids are unique across the whole members sheet."""
    tiny_cases["members"][5][1] = "M1"
    assert errors(check(tiny_cases, tiny_localities)) == {("members", 6, "member_id")}


def test_duplicate_locality_id(check: Check, tiny_cases: Sheets, tiny_localities: Sheets) -> None:
    """A commune listed twice (here with its code stored as a number) is an error."""
    tiny_localities["localities"].append([9225, "Pamiers bis"] + [""] * 15)
    assert errors(check(tiny_cases, tiny_localities)) == {("localities", 4, "locality_id")}


@pytest.mark.parametrize(("sheet", "row"), [("housing", ["09225", 2, "non", 5]), ("services", ["31555", "dialysis", 1]),
                                            ("jobs", ["09225", "construction", 1, "no"]),
                                            ("interpreters", ["09225", "AR", ""])])
def test_duplicate_keys_in_capacity_sheets(check: Check, tiny_cases: Sheets, tiny_localities: Sheets,
                                           sheet: str, row: list[object]) -> None:
    """A second row for the same key (same unit kind, service, sector or language) would double a capacity."""
    tiny_localities[sheet].append(row)
    report = check(tiny_cases, tiny_localities)
    end = len(tiny_localities[sheet])
    assert errors(report) == {(sheet, end, None)}
    assert "merge the two rows" in report.errors[0].message


# ------------------------------------------------------------------------------------------ references


@pytest.mark.parametrize("sheet", ["housing", "services", "jobs", "interpreters"])
def test_unknown_locality_in_capacity_sheets(check: Check, tiny_cases: Sheets, tiny_localities: Sheets,
                                             sheet: str) -> None:
    """A capacity row for a commune missing from the localities sheet is an error with a suggestion."""
    tiny_localities[sheet][1][0] = "09252"
    report = check(tiny_cases, tiny_localities)
    assert errors(report) == {(sheet, 2, "locality_id")}
    assert "unknown locality_id '09252'" in report.errors[0].message
    assert "did you mean '09225'?" in report.errors[0].message


def test_unknown_localities_of_cases_are_warnings(check: Check, tiny_cases: Sheets, tiny_localities: Sheets) -> None:
    """Ties, preferences and exclusions may name other communes: valid, but each is flagged."""
    tiny_cases["cases"][1][2] = "31556"
    tiny_cases["cases"][1][4] = "09225;75056"
    tiny_cases["cases"][2][5] = "9252"
    report = check(tiny_cases, tiny_localities)
    assert report.valid
    assert warnings(report) == {("cases", 2, "tie_locality_id"), ("cases", 2, "preferred_locality_ids"),
                                ("cases", 3, "excluded_locality_ids")}
    assert any("'09252'" in m and "typo" in m for m in messages(report))


def test_member_of_unknown_case(check: Check, tiny_cases: Sheets, tiny_localities: Sheets) -> None:
    """A member whose case is not in the cases sheet is an error on the member row."""
    tiny_cases["members"].append(["C9", "M9", 20, "ar", "A1", "", "", "no"])
    report = check(tiny_cases, tiny_localities)
    assert errors(report) == {("members", 8, "case_id")}
    assert report.errors[0].message == "case 'C9' is not in the cases sheet"


def test_case_without_members(check: Check, tiny_cases: Sheets, tiny_localities: Sheets) -> None:
    """A case with no member rows is an error on the case row."""
    tiny_cases["cases"].append(["C4", "", "", "", "", "", "", "", 0])
    assert errors(check(tiny_cases, tiny_localities)) == {("cases", 5, "case_id")}


# ------------------------------------------------------------------------------------------------- links


def test_linked_case_pointing_nowhere(check: Check, tiny_cases: Sheets, tiny_localities: Sheets) -> None:
    """A link to a case that does not exist is an error naming its place in the cell, not what it says (an
    unknown value is not known to be a pseudonymous id)."""
    tiny_cases["cases"][1][3] = "C2; C8"
    report = check(tiny_cases, tiny_localities)
    assert errors(report) == {("cases", 2, "linked_case_ids")}
    assert "linked case no. 2 of this cell is not in the cases sheet" in report.errors[0].message
    assert "C8" not in report.errors[0].message


def test_one_sided_link_is_a_warning_and_made_symmetric(check: Check, tiny_cases: Sheets,
                                                         tiny_localities: Sheets) -> None:
    """C3 listing C2 alone warns, and the dataset links them both ways."""
    tiny_cases["cases"][3][3] = "C2"
    tiny_cases["cases"][3][5] = ""  # C3 no longer excludes Pamiers, where C1 and C2 want to go
    report = check(tiny_cases, tiny_localities)
    assert warnings(report) == {("cases", 4, "linked_case_ids")}
    assert report.dataset is not None
    by_id = {c.case_id: c for c in report.dataset.cases}
    assert set(by_id["C2"].linked_case_ids) == {"C1", "C3"}
    assert by_id["C3"].linked_case_ids == ("C2",)


def test_self_link_is_ignored_with_a_warning(check: Check, tiny_cases: Sheets, tiny_localities: Sheets) -> None:
    """A case linked to itself warns and the self-link is dropped."""
    tiny_cases["cases"][1][3] = "C2;C1"
    report = check(tiny_cases, tiny_localities)
    assert warnings(report) == {("cases", 2, "linked_case_ids")}
    assert report.dataset is not None and report.dataset.cases[0].linked_case_ids == ("C2",)


def test_linked_case_excludes_the_others_tie(check: Check, tiny_cases: Sheets, tiny_localities: Sheets) -> None:
    """C2 excluding Pamiers contradicts its link to C1, whose tie and preference are Pamiers."""
    tiny_cases["cases"][2][5] = "09225"
    report = check(tiny_cases, tiny_localities)
    # C2 also loses the only Arabic interpreter, which is in Pamiers: it cannot be placed at all.
    assert warnings(report) == {("cases", 2, "tie_locality_id"), ("cases", 2, "preferred_locality_ids"),
                                ("cases", 3, None)}
    assert "excluded by linked case 'C2'" in report.warnings[0].message


def test_own_tie_excluded(check: Check, tiny_cases: Sheets, tiny_localities: Sheets) -> None:
    """A case excluding the commune of its own ties is flagged."""
    tiny_cases["cases"][3][2] = "09225"
    report = check(tiny_cases, tiny_localities)
    assert warnings(report) == {("cases", 4, "tie_locality_id")}
    assert "excluded by this case itself" in report.warnings[0].message


def test_linked_group_excluding_every_locality(check: Check, tiny_cases: Sheets, tiny_localities: Sheets) -> None:
    """C1 and C2 excluding one commune each leave them nowhere to go together."""
    tiny_cases["cases"][1][2] = tiny_cases["cases"][1][4] = ""
    tiny_cases["cases"][1][5] = "31555"
    tiny_cases["cases"][2][5] = "09225"
    report = check(tiny_cases, tiny_localities)
    assert report.valid
    assert ("cases", 2, "excluded_locality_ids") in warnings(report)
    assert any("exclude every locality between them" in m for m in messages(report))


# ------------------------------------------------------------------------------------------------ codes


def test_unknown_service_code_is_an_error_with_suggestion(check: Check, tiny_cases: Sheets,
                                                          tiny_localities: Sheets) -> None:
    """A misspelt service code in the services sheet is refused, quoted, with 'did you mean'."""
    tiny_localities["services"][2][1] = "dyalisis"
    report = check(tiny_cases, tiny_localities)
    assert errors(report) == {("services", 3, "service")}
    assert "'dyalisis'" in report.errors[0].message and "did you mean 'dialysis'?" in report.errors[0].message


def test_health_need_offered_nowhere(check: Check, tiny_cases: Sheets, tiny_localities: Sheets) -> None:
    """A need no commune offers warns on the cell, and the family is flagged as impossible to place."""
    del tiny_localities["services"][2]
    report = check(tiny_cases, tiny_localities)
    assert report.valid
    assert warnings(report) == {("cases", 4, "health_services"), ("cases", 4, None)}
    assert any("no locality offers every health service it needs" in m for m in messages(report))


def test_health_code_close_to_an_offered_one(check: Check, tiny_cases: Sheets, tiny_localities: Sheets) -> None:
    """An unlisted need resembling an offered service suggests it, without quoting the need."""
    tiny_cases["cases"][3][7] = "kidney_dialysis"
    report = check(tiny_cases, tiny_localities)
    health = [i for i in report.warnings if i.column == "health_services"]
    assert len(health) == 1 and "did you mean 'dialysis'?" in health[0].message
    assert "kidney" not in " ".join(messages(report))


def test_unknown_language_code_in_members(check: Check, tiny_cases: Sheets, tiny_localities: Sheets) -> None:
    """A language that is not an ISO code is an error on the member cell."""
    tiny_cases["members"][4][3] = "arabic"
    assert errors(check(tiny_cases, tiny_localities)) == {("members", 5, "languages")}


# ----------------------------------------------------------------------------------------- placeability


def test_family_larger_than_any_consent(check: Check, tiny_cases: Sheets, tiny_localities: Sheets) -> None:
    """C1's 3 persons exceed every commune's max_persons: the warning names both numbers."""
    tiny_localities["localities"][1][7] = tiny_localities["localities"][2][7] = 2
    report = check(tiny_cases, tiny_localities)
    assert warnings(report) == {("cases", 2, None)}
    assert report.warnings[0].message == ("no locality can take case 'C1' under the default rules: "
                                          "3 persons but the largest max_persons is 2")


def test_no_unit_large_enough(check: Check, tiny_cases: Sheets, tiny_localities: Sheets) -> None:
    """C3 grown to 7 persons needs a 4-bedroom step-free unit that exists nowhere."""
    add_members(tiny_cases, "C3", 5)
    report = check(tiny_cases, tiny_localities)
    assert warnings(report) == {("cases", 4, None)}
    assert report.warnings[0].message.endswith("needs a 4-bedroom step-free unit: none anywhere")


def test_interpreter_language_offered_nowhere(check: Check, tiny_cases: Sheets, tiny_localities: Sheets) -> None:
    """C2 needs an Arabic interpreter; without one anywhere it cannot be placed."""
    tiny_localities["interpreters"][1][1] = "fa"
    report = check(tiny_cases, tiny_localities)
    assert warnings(report) == {("cases", 3, None)}
    assert "needs an interpreter in a language it speaks: offered nowhere" in report.warnings[0].message


def test_needs_met_only_in_different_places(check: Check, tiny_cases: Sheets, tiny_localities: Sheets) -> None:
    """C3's step-free unit is only in Pamiers, which it excludes; dialysis only in Toulouse."""
    tiny_localities["housing"][3][2] = "no"
    report = check(tiny_cases, tiny_localities)
    assert warnings(report) == {("cases", 4, None)}
    assert report.warnings[0].message.endswith("no single locality meets all its needs at once")


def test_zero_consent_with_housing(check: Check, tiny_cases: Sheets, tiny_localities: Sheets) -> None:
    """A commune offering housing but agreeing to 0 cases is flagged on that cell."""
    tiny_localities["localities"][2][8] = 0
    report = check(tiny_cases, tiny_localities)
    assert ("localities", 3, "max_cases") in warnings(report)
    assert "lists 3 housing units" in " ".join(messages(report))


# --------------------------------------------------------------------------------------- all at once


def test_planted_mistakes_are_each_named_and_nothing_else(check: Check, tiny_cases: Sheets,
                                                           tiny_localities: Sheets) -> None:
    """Fourteen mistakes across both workbooks give exactly fourteen located errors, and no warning."""
    cases, members = tiny_cases["cases"], tiny_cases["members"]
    cases[2][8] = "urgent"                 # cases row 3 priority
    cases[3][1] = "31/02/2024"             # cases row 4 arrival_date
    cases[1][3] = "C2;C9"                  # cases row 2 linked_case_ids: C9 does not exist
    members[2][2] = "thirty"               # members row 3 age
    members[4][4] = "B7"                   # members row 5 french_level
    members[6][0] = "C7"                   # members row 7 case_id: no such case
    members[5][1] = "M1"                   # members row 6 member_id: duplicate
    members[3][3] = "ar, fr"               # members row 4 languages: ',' instead of ';'
    loc = tiny_localities
    loc["housing"][2][1] = "three"         # housing row 3 bedrooms
    loc["housing"][3][0] = "31556"         # housing row 4 locality_id: unknown
    loc["services"][1][1] = "dyalisis"     # services row 2 service
    loc["jobs"][2][2] = 2.5                # jobs row 3 vacancies
    loc["interpreters"][2][2] = -1         # interpreters row 3 capacity
    loc["localities"][1][4] = 143          # localities row 2 lat
    report = check(tiny_cases, tiny_localities)
    assert {i.location for i in report.errors} == {
        ("cases.xlsx", "cases", 3, "priority"),
        ("cases.xlsx", "cases", 4, "arrival_date"),
        ("cases.xlsx", "cases", 2, "linked_case_ids"),
        ("cases.xlsx", "members", 3, "age"),
        ("cases.xlsx", "members", 5, "french_level"),
        ("cases.xlsx", "members", 7, "case_id"),
        ("cases.xlsx", "members", 6, "member_id"),
        ("cases.xlsx", "members", 4, "languages"),
        ("localities.xlsx", "housing", 3, "bedrooms"),
        ("localities.xlsx", "housing", 4, "locality_id"),
        ("localities.xlsx", "services", 2, "service"),
        ("localities.xlsx", "jobs", 3, "vacancies"),
        ("localities.xlsx", "interpreters", 3, "capacity"),
        ("localities.xlsx", "localities", 2, "lat"),
    }
    assert len(report.errors) == 14 and report.warnings == []
    assert report.dataset is None


def test_issues_are_sorted_by_workbook_sheet_and_row(check: Check, tiny_cases: Sheets,
                                                     tiny_localities: Sheets) -> None:
    """Reading problems and cross-sheet ones come out in reading order, cases workbook first."""
    tiny_localities["jobs"][1][2] = "many"
    tiny_cases["members"][5][2] = "old"
    tiny_cases["cases"][1][3] = "C2;C9"
    report = check(tiny_cases, tiny_localities)
    assert [i.location for i in report.issues] == [
        ("cases.xlsx", "cases", 2, "linked_case_ids"),
        ("cases.xlsx", "members", 6, "age"),
        ("localities.xlsx", "jobs", 2, "vacancies"),
    ]


CANARY = "Zanzibar-canary"


def test_no_personal_value_in_any_message(check: Check, tiny_cases: Sheets, tiny_localities: Sheets,
                                          tmp_path: Path) -> None:
    """A marker typed into every personal cell, and odd numbers, never appear in any message."""
    for row in tiny_cases["members"][1:]:
        row[2:8] = [CANARY] * 6
    for row in tiny_cases["cases"][1:]:
        row[1], row[6], row[7], row[8] = CANARY, CANARY, CANARY + ";dialysis", CANARY
    tiny_cases["members"].append(["C1", "M7", 987, "arabic-" + CANARY, "B7", "plumber", "phd", "maybe"])
    report = check(tiny_cases, tiny_localities)
    assert len(report.errors) >= 6 * 7
    text = "\n".join(messages(report)).lower()
    for marker in (CANARY.lower(), "987", "arabic", "b7", "plumber", "phd", "maybe"):
        assert marker not in text, marker


# ------------------------------------------------------------------------------------- one workbook alone


def test_a_localities_workbook_alone_is_checked_on_its_own(xlsx_writer: Writer, tiny_localities: Sheets) -> None:
    """Issue 29: an NGO checks its localities workbook without any cases: the checks within it run (an unknown
    commune in a capacity sheet, a bad cell, a duplicate key), nothing about the missing cases is said."""
    from matcher.io import spec
    from matcher.io.readers import read_workbook
    from matcher.io.validation import validate_workbook

    clean = validate_workbook(read_workbook(xlsx_writer("localities", tiny_localities), spec.LOCALITIES))
    assert clean.valid and clean.issues == [] and clean.dataset is None
    assert clean.counts["localities"] == 2 and "cases" not in clean.counts
    tiny_localities["housing"][1][0] = "09226"  # housing row 2 names no listed commune
    tiny_localities["housing"][2][1] = 0  # bedrooms below 1 on row 3
    tiny_localities["localities"].append(list(tiny_localities["localities"][2]))  # 31555 twice, row 4
    report = validate_workbook(read_workbook(xlsx_writer("localities", tiny_localities), spec.LOCALITIES))
    assert {("housing", 2, "locality_id"), ("housing", 3, "bedrooms"), ("localities", 4, "locality_id")} \
        <= errors(report)
    assert all(i.workbook == "localities.xlsx" for i in report.issues)
    assert not any("case" in str(i) for i in report.issues)


def test_a_cases_workbook_alone_leaves_out_the_checks_across_workbooks(xlsx_writer: Writer,
                                                                       tiny_cases: Sheets) -> None:
    """Cases alone: members and links are checked; preferences, ties and health needs (which need the communes)
    are not reported as missing communes."""
    from matcher.io import spec
    from matcher.io.readers import read_workbook
    from matcher.io.validation import validate_workbook

    clean = validate_workbook(read_workbook(xlsx_writer("cases", tiny_cases), spec.CASES))
    assert clean.valid and clean.issues == []  # C3's dialysis and every preference stay unjudged
    tiny_cases["members"][2][0] = "C9"  # M2 in an unlisted case, row 3
    report = validate_workbook(read_workbook(xlsx_writer("cases", tiny_cases), spec.CASES))
    assert ("members", 3, "case_id") in errors(report)
