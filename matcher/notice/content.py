"""What a decision notice says, as data in no language: the policy's criteria and weights, the family's needs
that the criteria used, how they applied, and who decides. :mod:`matcher.notice.pdf` puts it in words from the
catalogs.

A family's notice names its needs, never a condition: "a need for a GP within reach for 4 persons", "access to 1
specific health service"; the health services themselves are named only in the commune's notice, which lists what
the commune is asked to provide.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from matcher.explain import choice_of, explain_case
from matcher.explain.reasons import WhyNot, row_use, unplaced_reasons_all, why_not_parts
from matcher.models import Case, Dataset, Locality, Mode, Policy, Result
from matcher.notice.catalog import Code, Msg
from matcher.problem import Problem


class NoticeError(ValueError):
    """A notice that cannot be written (a family or commune not in the result); the message names it."""


@dataclass(frozen=True)
class Criterion:
    """A score component with its weight in the policy and its share of all weights."""

    name: str
    weight: float
    share: float


@dataclass(frozen=True)
class RuleInForce:
    """A placement rule of the policy and how it binds (``hard``, ``soft`` with its penalty, ``off``)."""

    name: str
    mode: str
    penalty: float


@dataclass(frozen=True)
class Component:
    """One score component of the proposed placement: its value (0 to 1) and its weight."""

    name: str
    value: float
    weight: float


@dataclass(frozen=True)
class Elsewhere:
    """A commune the family was not proposed to, and why."""

    locality_id: str
    name: str
    score: float
    why: list[Msg]


@dataclass(frozen=True)
class Common:
    """What every notice says: the policy used, its criteria and rules, who decides and how to ask for a
    review (empty texts: the catalog's default wording), and the run it comes from."""

    policy_name: str
    criteria: list[Criterion]
    rules: list[RuleInForce]
    authority: str
    review: str
    input_sha256: str
    matcher_version: str


@dataclass(frozen=True)
class FamilyNotice:
    """The notice of one family: placed (`locality_id` set) or not."""

    case_id: str
    common: Common
    needs: list[Msg]
    locality_id: str | None = None
    locality_name: str = ""
    bedrooms: int | None = None
    score: float | None = None
    components: list[Component] = field(default_factory=list)
    elsewhere: list[Elsewhere] = field(default_factory=list)
    unplaced_kind: str = ""  # a key of matcher.models.result.KIND_WORDS, when not placed
    unplaced: list[Msg] = field(default_factory=list)
    linked_with: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Proposed:
    """A family proposed to a commune, with what the commune is asked to provide for it."""

    case_id: str
    persons: int
    bedrooms: int | None
    step_free: bool
    school: tuple[int, int, int]  # crèche, primary, secondary seats
    french_class: int
    gp: int
    services: tuple[str, ...]
    interpreter: tuple[str, ...]


@dataclass(frozen=True)
class CommuneNotice:
    """The notice of one commune: the families proposed to it."""

    locality_id: str
    name: str
    common: Common
    families: list[Proposed]


def common(policy: Policy, result: Result) -> Common:
    """The criteria and their weights, the rules in force, and the policy's notice settings."""
    weights = policy.weights.as_dict()
    total = sum(weights.values()) or 1.0
    criteria = [Criterion(k, w, w / total) for k, w in weights.items() if w > 0]
    rules = [RuleInForce(name, rule.mode.value, rule.penalty) for name, rule in policy.rules]
    return Common(policy.name, criteria, rules, policy.notice.authority.strip(), policy.notice.review.strip(),
                  result.provenance.input_sha256, result.provenance.matcher_version)


def _on(policy: Policy, *, weights: tuple[str, ...] = (), rules: tuple[str, ...] = ()) -> bool:
    """Whether one of the score components `weights` counts, or one of the `rules` is checked."""
    w = policy.weights.as_dict()
    return any(w[k] > 0 for k in weights) or any(getattr(policy.rules, r).mode is not Mode.OFF for r in rules)


def _names(ids: tuple[str, ...], localities: dict[str, Locality]) -> list[str]:
    """Communes as "name (id)", or the id alone when the workbook does not name it."""
    return [f"{localities[i].name} ({i})" if i in localities and localities[i].name else i for i in ids]


def family_needs(case: Case, policy: Policy, localities: dict[str, Locality]) -> list[Msg]:
    """The data about the family that the criteria and rules of `policy` use, as needs (never a condition)."""
    out = [Msg("need_persons", {"persons": case.persons, "adults": len(case.adults)})]
    if _on(policy, rules=("housing",)):
        out.append(Msg("need_bedrooms", {"bedrooms": policy.bedrooms_for(case.persons)}))
        if case.needs_step_free_housing:
            out.append(Msg("need_step_free"))
    children = (case.children_0_2, case.children_3_10, case.children_11_17)
    if _on(policy, rules=("schools",)) and any(children):
        out.append(Msg("need_school", dict(zip(("creche", "primary", "secondary"), children, strict=True))))
    if _on(policy, rules=("gp",)):
        out.append(Msg("need_gp", {"persons": case.persons}))
    if _on(policy, rules=("health_services",)) and case.health_services:
        out.append(Msg("need_health_services", {"n": len(case.health_services)}))
    if _on(policy, weights=("language",), rules=("french_classes",)) and case.french_class_need:
        out.append(Msg("need_french_class", {"n": case.french_class_need}))
    if _on(policy, weights=("language",), rules=("interpreters",)) and case.needs_interpreter:
        langs = [Code("language", lang) for lang in case.interpreter_languages]
        out.append(Msg("need_interpreter", {"languages": langs}) if langs else Msg("need_interpreter_any"))
    if _on(policy, weights=("employment",), rules=("jobs",)) and case.sectors:
        out.append(Msg("need_sectors", {"sectors": [Code("sector", s) for s in dict.fromkeys(case.sectors)]}))
    if _on(policy, weights=("mobility",), rules=("mobility",)):
        out.append(Msg("need_licence" if case.licensed_adults else "need_no_licence"))
    if _on(policy, weights=("ties",)) and case.tie_locality_id:
        out.append(Msg("need_tie", {"commune": _names((case.tie_locality_id,), localities)}))
    if _on(policy, weights=("preferences",)) and case.preferred_locality_ids:
        out.append(Msg("need_preferences", {"communes": _names(case.preferred_locality_ids, localities)}))
    if _on(policy, rules=("exclusions",)) and case.excluded_locality_ids:
        out.append(Msg("need_exclusions", {"communes": _names(case.excluded_locality_ids, localities)}))
    if _on(policy, rules=("links",)) and case.linked_case_ids:
        out.append(Msg("need_linked", {"ids": list(case.linked_case_ids)}))
    return out


def resource_msg(resource: str) -> Msg:
    """A full capacity (a resource row's code: ``interpreter:ti``, ``housing:3:4``) in words that name no health
    need: a health service is "a health service the family needs", never its name."""
    kind, _, rest = resource.partition(":")
    if kind == "interpreter":
        return Msg("full_interpreter", {"language": Code("language", rest)})
    if kind == "jobs":
        return Msg("full_jobs", {"sector": Code("sector", rest)})
    return Msg("full_resource", {"resource": Code("resource", kind)})


def _key(msg: Msg) -> tuple[str, tuple[tuple[str, object], ...]]:
    """A message as a key (its values here are codes, which hash)."""
    return msg.id, tuple(sorted(msg.params.items()))


def why_msgs(why: WhyNot) -> list[Msg]:
    """A commune's reason for not taking the family, as sentences of the catalog."""
    if why.kind == "rules":
        return [Msg("excluded_by_rule", {"rule": Code("rule", r)}) for r in why.rules]
    if why.kind == "full":
        return list({_key(m): m for m in map(resource_msg, why.resources)}.values())
    return [Msg(f"why_not_{why.kind}")]


def _unplaced(problem: Problem, choice: np.ndarray, c: int) -> tuple[str, list[Msg]]:
    """Why no commune could take the family: the kind of the main reason, and each rule that keeps it out of
    communes and each capacity full where it could go, with the number of communes."""
    kind = unplaced_reasons_all(problem, choice, np.array([c]))[c].kind
    out = []
    total = problem.ctx.localities.n
    ci = np.array([c])
    for rule in problem.pair_rules:
        n = int(rule.blocked(ci)[0].sum())
        if n:
            out.append(Msg("unplaced_rule", {"rule": Code("rule", rule.name), "n": n, "total": total}))
    possible = np.flatnonzero(problem.candidate[c])
    use = row_use(problem, choice)
    counts: dict[tuple[str, tuple[tuple[str, object], ...]], tuple[Msg, int]] = {}
    for lo in possible.tolist():
        for msg in why_msgs(why_not_parts(problem, choice, c, lo, use)):
            counts[_key(msg)] = (msg, counts.get(_key(msg), (msg, 0))[1] + 1)
    out += [Msg("unplaced_where", {"why": msg, "n": n, "total": len(possible)}) for msg, n in counts.values()]
    return kind, out


def family_notice(problem: Problem, result: Result, case_id: str, n_elsewhere: int = 5) -> FamilyNotice:
    """The notice of family `case_id` under the result `result` of `problem` (the same records and policy)."""
    known = result.placed_case_ids | {u.case_id for u in result.unplaced}
    if case_id not in problem.case_index or case_id not in known:
        raise NoticeError(f"{case_id}: not a family of this result")
    c = problem.case_index[case_id]
    exp = explain_case(problem, result, case_id, n_alternatives=n_elsewhere)
    choice = choice_of(problem, result)
    use = row_use(problem, choice)
    elsewhere = [Elsewhere(a.locality_id, a.name, a.score,
                           why_msgs(why_not_parts(problem, choice, c, problem.loc_index[a.locality_id], use)))
                 for a in exp.alternatives]
    localities = {loc.locality_id: loc for loc in problem.localities}
    base = FamilyNotice(case_id, common(problem.policy, result),
                        family_needs(problem.cases[c], problem.policy, localities), elsewhere=elsewhere,
                        linked_with=exp.linked_with)
    if exp.locality_id is None:
        kind, why = _unplaced(problem, choice, c)
        return replace(base, unplaced_kind=kind, unplaced=why)
    placement = next(p for p in result.placements if p.case_id == case_id)
    weights = problem.policy.weights.as_dict()
    components = [Component(k, v, weights.get(k, 0.0)) for k, v in placement.components.items()
                  if weights.get(k, 0.0) > 0]  # the run's own values (its outcomes included)
    return replace(base, locality_id=exp.locality_id, locality_name=exp.locality_name or exp.locality_id,
                   bedrooms=placement.bedrooms, score=placement.score, components=components)


def proposed(case: Case, bedrooms: int | None, locality: Locality, policy: Policy) -> Proposed:
    """What commune `locality` is asked to provide for `case`: only what the policy's rules ask of it."""
    services = case.health_services if _on(policy, rules=("health_services",)) else ()
    interp: tuple[str, ...] = ()
    if case.needs_interpreter and _on(policy, rules=("interpreters",)):
        interp = tuple(lang for lang in case.interpreter_languages if lang in locality.interpreter_languages)
    return Proposed(
        case_id=case.case_id, persons=case.persons,
        bedrooms=bedrooms if bedrooms is not None else policy.bedrooms_for(case.persons),
        step_free=case.needs_step_free_housing,
        school=(case.children_0_2, case.children_3_10, case.children_11_17),
        french_class=case.french_class_need if _on(policy, rules=("french_classes",)) else 0,
        gp=case.persons if _on(policy, rules=("gp",)) else 0, services=services, interpreter=interp)


def commune_notice(dataset: Dataset, policy: Policy, result: Result, locality_id: str) -> CommuneNotice:
    """The notice of commune `locality_id`: the families the result proposes to it, and nothing of any other
    commune."""
    locality = next((loc for loc in dataset.localities if loc.locality_id == locality_id), None)
    if locality is None:
        raise NoticeError(f"{locality_id}: not a commune of the localities workbook")
    cases = {c.case_id: c for c in dataset.cases}
    here = [p for p in result.placements if p.locality_id == locality_id]
    missing = [p.case_id for p in here if p.case_id not in cases]
    if missing:
        raise NoticeError(f"{missing[0]}: in the result but not in the cases workbook")
    families = [proposed(cases[p.case_id], p.bedrooms, locality, policy) for p in here]
    return CommuneNotice(locality_id, locality.name or locality_id, common(policy, result), families)
