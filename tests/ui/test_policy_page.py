"""Policy page: weights, rules, bedroom table, presets, TOML in and out."""

from __future__ import annotations

import tomllib

from apptest_helpers import assert_clean, new_app, shown

from matcher.models.policy import Mode, Policy, policy_from_dict
from ui.components import i18n, state


def _policy_page(**session):
    at = new_app(**session).run()
    return at.switch_page("app_pages/policy.py").run()


def _key(at, name):
    return f"pol{at.session_state['policy_version']}_{name}"


def test_page_shows_every_setting_with_a_line_beside_it():
    """Weights, every rule and the solver settings have a widget and a one-line description."""
    at = _policy_page()
    assert_clean(at)
    labels = {n.label for n in at.number_input}  # readable names, no snake_case (issue 29)
    assert {"Employment", "Language", "Mobility", "Family ties", "Preferences", "Predicted outcome"} <= labels
    rule_labels = {r.label for r in at.radio}
    assert {i18n.LABELS[f"rn_{name}"][0] for name, _ in Policy().rules} <= rule_labels
    assert {"Persons agreed", "Health services"} <= rule_labels
    assert not any("_" in label for label in labels | rule_labels)
    captions = " ".join(c.value for c in at.caption)
    assert "GP capacity in persons" in captions and "relatives in the commune" in captions


def test_changing_a_weight_updates_the_policy():
    """A new weight is validated and becomes the policy of the next run."""
    at = _policy_page()
    at.number_input(key=_key(at, "w_employment")).set_value(2.5).run()
    assert_clean(at)
    assert at.session_state["policy"].weights.employment == 2.5


def test_making_a_rule_soft_enables_its_penalty():
    """A rule switched to soft takes its penalty from the page; a hard rule shows no (disabled) penalty box."""
    at = _policy_page()
    assert not [n for n in at.number_input if n.key == _key(at, "r_gp_penalty")]
    at.radio(key=_key(at, "r_gp_mode")).set_value("soft").run()
    assert not at.number_input(key=_key(at, "r_gp_penalty")).disabled
    at.number_input(key=_key(at, "r_gp_penalty")).set_value(0.75).run()
    gp = at.session_state["policy"].rules.gp
    assert gp.mode == Mode.SOFT and gp.penalty == 0.75


def test_links_cannot_be_made_soft():
    """Pairwise rules offer hard or off only."""
    at = _policy_page()
    assert "soft" not in at.radio(key=_key(at, "r_links_mode")).options


def test_invalid_bedroom_table_keeps_the_last_valid_policy():
    """An out-of-order bedroom table is refused with the key named; the policy stays as it was."""
    at = _policy_page()
    before = at.session_state["policy"]
    at.session_state[_key(at, "bedrooms")] = {
        "edited_rows": {0: {"max_persons": 9}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception
    assert any("bedroom_table" in shown(e.value) for e in at.error)
    assert at.session_state["policy"] == before


def test_presets_load():
    """Each shipped preset loads and replaces the widgets' values."""
    presets = state.preset_paths()
    assert presets, "sample_data/policies holds the presets"
    at = _policy_page()
    for name in presets:
        at.selectbox(key="policy_preset").set_value(name)
        at.button(key="policy_preset_load").click().run()
        assert_clean(at)
        assert at.session_state["policy"].name == name


def test_toml_upload_loads_a_policy_and_download_round_trips():
    """An uploaded TOML becomes the policy; the Save button gives the same policy back as TOML."""
    custom = Policy(name="custom-test", weights={"employment": 3.0})
    at = _policy_page()
    at.file_uploader(key="policy_file").set_value(("custom.toml", custom.to_toml().encode(), "application/toml"))
    at.run()
    assert_clean(at)
    assert at.session_state["policy"].name == "custom-test"
    assert at.session_state["policy"].weights.employment == 3.0
    assert at.number_input(key=_key(at, "w_employment")).value == 3.0
    saved = policy_from_dict(tomllib.loads(at.session_state["policy"].to_toml()))
    assert saved == at.session_state["policy"]


def test_bad_toml_upload_names_the_unknown_key():
    """A policy file with an unknown key is refused with that key's name, and no traceback."""
    at = _policy_page()
    before = at.session_state["policy"]
    at.file_uploader(key="policy_file").set_value(("bad.toml", b"[weights]\nemployement = 2\n", "text/plain"))
    at.run()
    assert not at.exception
    assert any("employement" in shown(e.value) and "unknown key" in shown(e.value) for e in at.error)
    assert at.session_state["policy"] == before


def test_policy_survives_leaving_and_coming_back():
    """Settings are kept when the user visits another page and returns."""
    at = _policy_page()
    at.number_input(key=_key(at, "w_ties")).set_value(4.0).run()
    at.switch_page("app_pages/data.py").run()
    at.switch_page("app_pages/policy.py").run()
    assert_clean(at)
    assert at.number_input(key=_key(at, "w_ties")).value == 4.0
