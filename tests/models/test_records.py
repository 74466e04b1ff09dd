"""Derived quantities (docs/rules.md#derived), computed from the members."""

from __future__ import annotations

from factories import family

from matcher.models import FrenchLevel, Member


def test_age_bands_and_adults():
    """Children are counted by band (0-2, 3-10, 11-17); working age is 18-64."""
    c = family("F", (70, 40, 17, 10, 3, 2, 0))
    assert (c.children_0_2, c.children_3_10, c.children_11_17) == (2, 2, 1)
    assert c.persons == 7 and len(c.adults) == 2 and len(c.working_age_adults) == 1


def test_french_class_and_interpreter_needs():
    """Adults below B1 need French class; no adult at A2 or above means an interpreter is needed."""
    c = family("F", (30, 30), french="A1", languages=("ar", "ku"))
    assert c.french_class_need == 2 and c.needs_interpreter
    assert c.interpreter_languages == ("ar", "ku")
    assert not family("G", (30,), french="A2").needs_interpreter
    assert family("H", (30,), french="B1").french_class_need == 0


def test_french_speakers_need_no_interpreter():
    """A family whose adult lists French among its languages needs no interpreter, whatever the level field."""
    c = family("F", (30,), french="none", languages=("ln", "fr"))
    assert not c.needs_interpreter
    assert c.interpreter_languages == ("ln",)


def test_sectors_and_licences():
    """Sectors of working-age adults and licensed adults are counted per person."""
    c = family("F", (30, 31, 70), sector="construction", licence=True)
    assert c.sectors == ("construction", "construction") and c.licensed_adults == 3
    m = Member(case_id="F", member_id="x", age=5, french_level=FrenchLevel.NONE)
    assert not m.is_adult
