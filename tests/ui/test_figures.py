"""Figures as the pages show them: the lab's cohort parameters."""

from __future__ import annotations


def test_lab_parameters_read_as_text():
    """Issue 29: the lab's cohort parameters read as text, not Python dicts and tuples."""
    from matcher.simulate import parameter_table
    from ui.components.figures import parameter_text

    assert parameter_text("nationality_shares", "{'AFG': 0.24, 'SYR': 0.185}") == "AFG: 24%; SYR: 18.5%"
    assert parameter_text("languages_by_nationality", "{'AFG': [('fa', 0.62), ('ps', 0.38)]}") == "AFG: fa 62%, ps 38%"
    assert parameter_text("head_age", "(20, 55)") == "20–55"
    assert parameter_text("month_weights", "(1.0, 1.2)") == "1 / 1.2"
    assert parameter_text("note", "__import__('os')") == "__import__('os')"  # read, never evaluated
    for row in parameter_table():
        text = parameter_text(str(row["parameter"]), str(row["value"]))
        assert not any(mark in text for mark in ("{", "}", "(", "[", "'")), (row["parameter"], text)


def test_reader_messages_read_in_the_apps_words():
    """Issue 29: the validation report says commune and family, as the rest of the app does; sheet, column and
    file names stay as written so that the cell can be found."""
    from ui.components.codes import app_words

    assert app_words("no locality can take case 'C7' under the default rules") == \
        "no commune can take family 'C7' under the default rules"
    assert app_words("case 'C9' is not in the cases sheet") == "family 'C9' is not in the cases sheet"
    assert app_words("unknown locality_id '0922': not in the localities sheet") == \
        "unknown locality_id '0922': not in the localities sheet"
    assert app_words("localities.xlsx could not be read") == "localities.xlsx could not be read"
