"""The committed sample workbooks, the planted instance and the policy presets."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import openpyxl
import pytest

from matcher.io.readers import read_dataset
from matcher.models.policy import Policy, Rules, load_policy
from matcher.models.records import Dataset
from matcher.simulate.planted import check_plan
from matcher.simulate.population import SAMPLE_SEED, build_sample

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
PLANTED = SAMPLE / "planted"
PRESETS = ("balanced", "employment_first", "health_first", "family_ties_first")


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sample_data_generate", SAMPLE / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generate() -> ModuleType:
    return _load_generator()


@pytest.fixture(scope="module")
def sample() -> Dataset:
    report = read_dataset(SAMPLE / "cases.xlsx", SAMPLE / "localities.xlsx")
    assert report.dataset is not None, [str(i) for i in report.issues]
    return report.dataset


@pytest.fixture(scope="module")
def planted() -> Dataset:
    report = read_dataset(PLANTED / "cases.xlsx", PLANTED / "localities.xlsx")
    assert report.dataset is not None, [str(i) for i in report.issues]
    return report.dataset


@pytest.fixture(scope="module")
def answer() -> dict:
    return json.loads((PLANTED / "answer.json").read_text(encoding="utf-8"))


def _cells(path: Path) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def test_sample_validates_without_errors(sample: Dataset) -> None:
    """The sample workbooks read into a dataset with no error."""
    assert sample.cases and sample.localities


def test_sample_counts(sample: Dataset) -> None:
    """About 200 families, 600+ persons, about 40 communes over at least 10 départements."""
    assert 180 <= len(sample.cases) <= 220
    assert sample.persons >= 600
    assert 35 <= len(sample.localities) <= 45
    assert len({loc.departement for loc in sample.localities}) >= 10


def test_sample_has_every_kind_of_need(sample: Dataset) -> None:
    """Links, ties, preferences, exclusions, step-free, rare services, interpreters, priorities all occur."""
    cases = sample.cases
    links = Counter(len(c.linked_case_ids) for c in cases)
    assert links[1] >= 2 * 5 and links[2] >= 3 * 2  # pairs and triples
    assert sum(c.tie_locality_id is not None for c in cases) >= 10
    assert sum(len(c.preferred_locality_ids) > 1 for c in cases) >= 10
    assert sum(bool(c.excluded_locality_ids) for c in cases) >= 5
    assert sum(c.needs_step_free_housing for c in cases) >= 5
    services = Counter(s for c in cases for s in c.health_services)
    assert services["mental_health"] > services["dialysis"] >= 1 and services["oncology"] >= 1
    assert sum(c.needs_interpreter for c in cases) >= 40
    priorities = Counter(c.priority for c in cases)
    assert 0 < priorities[2] < priorities[1] < priorities[0]
    members = [m for c in cases for m in c.members]
    for low, high in ((0, 2), (3, 10), (11, 17), (18, 64)):
        assert sum(low <= m.age <= high for m in members) >= 20


def test_sample_capacities_follow_population(sample: Dataset) -> None:
    """Larger towns agree to more places; only the larger towns offer dialysis; 4-bedroom flats are scarce."""
    locs = sorted(sample.localities, key=lambda loc: loc.population or 0)
    small, large = locs[: len(locs) // 3], locs[-len(locs) // 3 :]
    assert sum(loc.max_persons or 0 for loc in large) > 2 * sum(loc.max_persons or 0 for loc in small)
    dialysis = [loc for loc in locs if "dialysis" in loc.service_codes]
    assert dialysis and all(loc in large for loc in dialysis)
    units = Counter()
    for loc in locs:
        for h in loc.housing:
            units[h.bedrooms] += h.units
    assert units[4] < units[3] < units[1]


def test_sample_matches_generator(generate: ModuleType, sample: Dataset) -> None:
    """The committed workbooks hold exactly what the seeded generator builds."""
    assert sample == build_sample(200, 40, SAMPLE_SEED)


def test_sample_generation_is_deterministic(generate: ModuleType, tmp_path: Path) -> None:
    """Regenerating into a temporary folder gives the same cells as the committed files."""
    assert generate.main(["--out", str(tmp_path)]) == 0
    for name in ("cases.xlsx", "localities.xlsx"):
        assert _cells(tmp_path / name) == _cells(SAMPLE / name), name


def test_planted_validates_without_errors(planted: Dataset, answer: dict) -> None:
    """The planted workbooks read into a dataset with the counts answer.json gives."""
    assert len(planted.cases) == answer["families"] == 300
    assert len(planted.localities) == answer["communes"] == 45
    assert planted.persons == answer["persons"]


def test_planted_assignment_satisfies_every_hard_rule(
    generate: ModuleType, planted: Dataset, answer: dict
) -> None:
    """The planted plan places every ordinary family within every capacity and rule."""
    plan = answer["assignment"]
    assert len(plan) == answer["ordinary_families"]
    assert check_plan(planted, plan, answer["interpreter_language"]) == []


def test_planted_impossible_families_are_the_rest(planted: Dataset, answer: dict) -> None:
    """Every family is either planted or listed as impossible with a rule name of the policy."""
    impossible = {item["case_id"]: item["rule"] for item in answer["impossible"]}
    assert len(impossible) == 8
    assert set(impossible) | set(answer["assignment"]) == {c.case_id for c in planted.cases}
    assert not set(impossible) & set(answer["assignment"])
    assert set(impossible.values()) <= set(Rules.model_fields)
    assert {"health_services", "housing", "interpreters", "exclusions", "links"} <= set(impossible.values())


def test_planted_blockers_hold(planted: Dataset, answer: dict) -> None:
    """Each impossible family's rule is really unmeetable: no commune offers what it needs."""
    cases = {c.case_id: c for c in planted.cases}
    ids = {loc.locality_id for loc in planted.localities}
    offered = set().union(*(loc.service_codes for loc in planted.localities))
    languages = set().union(*(loc.interpreter_languages for loc in planted.localities))
    step_free_4 = [h for loc in planted.localities for h in loc.housing if h.step_free and h.bedrooms >= 4]
    for item in answer["impossible"]:
        case = cases[item["case_id"]]
        if item["rule"] == "health_services":
            assert not set(case.health_services) <= offered
        elif item["rule"] == "housing":
            assert case.needs_step_free_housing and case.persons >= 7 and not step_free_4
        elif item["rule"] == "interpreters":
            assert case.needs_interpreter and not set(case.interpreter_languages) & languages
        elif item["rule"] == "exclusions":
            assert set(case.excluded_locality_ids) == ids
        elif item["rule"] == "links":
            (other,) = case.linked_case_ids
            assert set(case.excluded_locality_ids) | set(cases[other].excluded_locality_ids) == ids


def test_planted_generation_is_deterministic(generate: ModuleType, tmp_path: Path, answer: dict) -> None:
    """Regenerating the planted instance gives the same cells and the same answer."""
    args = ["--planted", "--families", "300", "--communes", "45", "--out", str(tmp_path)]
    assert generate.main(args) == 0
    for name in ("cases.xlsx", "localities.xlsx"):
        assert _cells(tmp_path / name) == _cells(PLANTED / name), name
    assert json.loads((tmp_path / "answer.json").read_text(encoding="utf-8")) == answer


@pytest.mark.parametrize("name", PRESETS)
def test_presets_load(name: str) -> None:
    """Each preset is a valid policy named after its file, with the default time limit (45 s, measured: see
    docs/policy.md#time-limit-default), 2 workers and seed 0."""
    policy = load_policy(SAMPLE / "policies" / f"{name}.toml")
    assert policy.name == name and policy.description
    assert (policy.solver.time_limit, policy.solver.workers, policy.solver.seed) == (45.0, 2, 0)
    assert policy.solver.time_limit == Policy().solver.time_limit


def test_presets_differ_in_what_they_favour() -> None:
    """Each preset puts its largest weight on what it is named after."""
    weights = {n: load_policy(SAMPLE / "policies" / f"{n}.toml").weights.as_dict() for n in PRESETS}
    assert weights["employment_first"]["employment"] == max(weights["employment_first"].values())
    assert weights["family_ties_first"]["ties"] == max(weights["family_ties_first"].values())
    assert weights["health_first"]["language"] == max(weights["health_first"].values())
    assert len({tuple(w.values()) for w in weights.values()}) == len(PRESETS)
