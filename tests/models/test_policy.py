"""The policy file: validation by name, the bedroom table, TOML round trip, the presets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from matcher.models import Policy, PolicyError, load_policy, policy_from_dict
from matcher.models.policy import MAX_SEED, MAX_WORKERS

PRESETS = Path(__file__).resolve().parents[2] / "sample_data" / "policies"


def test_unknown_keys_are_named(tmp_path):
    """An unknown key is rejected with its full name and the file's name."""
    f = tmp_path / "p.toml"
    f.write_text('[weights]\nemployment = 1.0\njobz = 2\n[rules.gp]\nmode = "sometimes"\n', encoding="utf-8")
    with pytest.raises(PolicyError) as err:
        load_policy(f)
    text = str(err.value)
    assert "p.toml › weights.jobz: unknown key" in text
    assert "p.toml › rules.gp.mode" in text


def test_links_cannot_be_soft():
    """Linked families are together or the rule is off: 'soft' is refused in words."""
    with pytest.raises(PolicyError, match=r"rules\.links can be 'hard' or 'off'"):
        policy_from_dict({"rules": {"links": {"mode": "soft"}}})


def test_bedroom_table_default_and_custom():
    """Default bands 1-2:1, 3-4:2, 5-6:3, 7+:4; a custom table applies and must be increasing."""
    p = Policy()
    assert [p.bedrooms_for(n) for n in (1, 2, 3, 4, 5, 6, 7, 12)] == [1, 1, 2, 2, 3, 3, 4, 4]
    custom = policy_from_dict({"bedroom_table": [{"max_persons": 1, "bedrooms": 1}, {"bedrooms": 2}]})
    assert custom.bedrooms_for(1) == 1 and custom.bedrooms_for(9) == 2
    with pytest.raises(PolicyError):
        policy_from_dict({"bedroom_table": [{"max_persons": 4, "bedrooms": 2}, {"max_persons": 2, "bedrooms": 1}]})


def test_toml_round_trip(tmp_path):
    """A policy written as TOML reads back equal."""
    p = Policy(name="mine", regional_budgets={"Occitanie": 1e6})
    p.rules.mobility.mode = "hard"
    f = tmp_path / "mine.toml"
    f.write_text(p.to_toml(), encoding="utf-8")
    assert load_policy(f) == p


@pytest.mark.parametrize("name", ["balanced", "employment_first", "health_first", "family_ties_first"])
def test_presets_load(name):
    """Every preset shipped with the sample data is a valid policy."""
    assert load_policy(PRESETS / f"{name}.toml").solver.workers >= 1


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
@pytest.mark.parametrize("key", ["weights.language", "rules.jobs.penalty", "balance.tolerance",
                                 "objective.stability_weight", "solver.time_limit", "regional_budgets.Occitanie"])
def test_numbers_must_be_finite(key, value):
    """No policy number may be infinite or not a number: each is refused with its key."""
    section, name = key.split(".", 1)
    body = {name: value} if section != "rules" else {"jobs": {"mode": "soft", "penalty": value}}
    with pytest.raises(PolicyError, match=rf"p.toml › {re.escape(key)}: Input should be a finite number"):
        policy_from_dict({section: body}, source="p.toml")


def test_seeds_and_workers_are_bounded():
    """The seed leaves room for every worker's seed within CP-SAT's 31 bits; at most 64 workers."""
    assert Policy.model_validate({"solver": {"seed": MAX_SEED}}).solver.seed == MAX_SEED
    for solver in ({"seed": MAX_SEED + 1}, {"seed": 2**31 - 1}, {"seed": -1}, {"workers": MAX_WORKERS + 1}):
        with pytest.raises(PolicyError, match="solver"):
            policy_from_dict({"solver": solver})
