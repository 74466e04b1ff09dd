"""The planted dataset (sample_data/planted): a plan placing every ordinary family is known to exist, and eight
families are each blocked by one named rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matcher.engine import SolveParams
from matcher.explain import check, explain_case
from matcher.io.readers import read_dataset
from matcher.match import solve
from matcher.models import Policy
from matcher.problem import build_problem

PLANTED = Path(__file__).resolve().parents[2] / "sample_data" / "planted"

#: Words that the unplaced reasons use for each blocking rule of answer.json.
RULE_WORDS = {
    "health_services": "offered nowhere",
    "housing": "unit with 4 bedrooms",
    "interpreters": "needs an interpreter in Burmese",
    "exclusions": "excluded for this family",
    "links": "no commune can take all of them together",
}


@pytest.fixture(scope="module")
def solved():
    report = read_dataset(PLANTED / "cases.xlsx", PLANTED / "localities.xlsx")
    assert report.dataset is not None
    problem = build_problem(report.dataset, Policy())
    return problem, solve(problem, SolveParams(time_limit=30))


def test_impossible_families_are_unplaced_with_their_rule(solved):
    """Each impossible family stays unplaced and its reason names the rule that blocks it."""
    _, result = solved
    answer = json.loads((PLANTED / "answer.json").read_text(encoding="utf-8"))
    reasons = {u.case_id: " ".join(u.reasons) for u in result.unplaced}
    for item in answer["impossible"]:
        assert item["case_id"] in reasons
        assert RULE_WORDS[item["rule"]] in reasons[item["case_id"]]


def test_ordinary_families_are_placed_and_the_plan_is_valid(solved):
    """Almost every ordinary family is placed (all of them given the time), within every hard rule, with a small
    gap to the LP bound."""
    problem, result = solved
    answer = json.loads((PLANTED / "answer.json").read_text(encoding="utf-8"))
    ordinary = set(answer["assignment"])
    placed = result.placed_case_ids & ordinary
    assert len(placed) >= 0.9 * len(ordinary)  # all of them on a quiet machine: see the closing note
    assert check(problem, result.placements) == []
    assert result.gap is not None and result.gap < 0.1  # 0.008% on a quiet machine: see the closing note
    exp = explain_case(problem, result, answer["impossible"][0]["case_id"])
    assert exp.locality_id is None and exp.unplaced_reasons
