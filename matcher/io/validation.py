"""Checks across rows and sheets, and their report: located issues and, when all is well, a Dataset.

Every check runs and every problem is collected; nothing stops at the first one. Errors make the input
unusable; warnings describe input that is valid but probably not what the user meant (a link listed on
one side only, a family no locality can take under the default rules).

Messages name sheets, Excel rows, columns, case and member ids (pseudonymous) and locality ids (public INSEE
codes), never what a cell of the cases workbook says about a person.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import ValidationError

from matcher.i18n import Msg, _, _n, either, join
from matcher.io import spec
from matcher.io.cells import suggest
from matcher.io.parsed import Issue, ParsedRow, Severity, WorkbookRead
from matcher.models import records
from matcher.models.policy import Policy
from matcher.models.records import HEALTH_SERVICES, Dataset

__all__ = ["Issue", "ReadReport", "Severity", "validate", "validate_workbook"]


@dataclass
class ReadReport:
    """What reading both workbooks gave: the dataset (None on any error), every issue, row counts."""

    dataset: Dataset | None
    issues: list[Issue] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def valid(self) -> bool:
        return not self.errors

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """The `matcher validate --json` object, its messages in `lang`."""
        return {
            "valid": self.valid,
            "errors": [i.to_dict(lang) for i in self.errors],
            "warnings": [i.to_dict(lang) for i in self.warnings],
            "counts": dict(self.counts),
        }


# ---------------------------------------------------------------------------------------------------- context


@dataclass
class _Context:
    cases: WorkbookRead
    localities: WorkbookRead

    def __post_init__(self) -> None:
        self.case_rows = self.cases.rows("cases")
        self.member_rows = self.cases.rows("members")
        self.locality_rows = self.localities.rows("localities")
        self.case_ids = {r.get("case_id") for r in self.case_rows} - {None}
        self.locality_ids = [r.get("locality_id") for r in self.locality_rows if r.get("locality_id")]
        self.known_localities = set(self.locality_ids)
        self.links = {r.get("case_id"): set(r.get("linked_case_ids") or ()) for r in self.case_rows}

    def issue(self, severity: Severity, book: WorkbookRead, sheet: str, row: ParsedRow | None,
              column: str | None, message: Msg) -> Issue:
        return Issue(severity, book.label, sheet, None if row is None else row.row, column, message)


def _quoted(values: Iterable[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


# ------------------------------------------------------------------------------------------------ checks


def _has_column(book: WorkbookRead, sheet: str, column: str) -> bool:
    """Whether the sheet was found with that column (else its rows cannot be cross-checked)."""
    found = book.sheets.get(sheet)
    return found is not None and column in found.columns


def _check_duplicates(ctx: _Context) -> Iterator[Issue]:
    """Ids, and keys of the capacity sheets, must be unique: a second row would silently double a capacity."""
    for book in (ctx.cases, ctx.localities):
        for name, sheet in book.sheets.items():
            key = sheet.spec.key
            if not key or any(k not in sheet.columns for k in key):
                continue
            first: dict[tuple[Any, ...], int | None] = {}
            for r in sheet.rows:
                values = tuple(r.get(k) for k in key)
                if any(v is None for v in values):
                    continue  # a blank or bad key cell is reported on its own
                if values not in first:
                    first[values] = r.row
                    continue
                where = _("row {row}", row=first[values]) if first[values] is not None else _("another row")
                if len(key) == 1:
                    yield ctx.issue("error", book, name, r, key[0],
                                    _("duplicate {column} '{value}' (also on {where})", column=key[0],
                                      value=values[0], where=where))
                else:
                    yield ctx.issue("error", book, name, r, None,
                                    _("duplicate row: same {columns} and {last} as {where}; merge the two rows",
                                      columns=", ".join(key[:-1]), last=key[-1], where=where))


def _check_members(ctx: _Context) -> Iterator[Issue]:
    """Members belong to a listed case, and every case has at least one member."""
    if not (_has_column(ctx.cases, "cases", "case_id") and _has_column(ctx.cases, "members", "case_id")):
        return  # the missing sheet or column is already reported; listing every row again would drown it
    with_members = set()
    for r in ctx.member_rows:
        cid = r.get("case_id")
        if cid is None:
            continue
        with_members.add(cid)
        if cid not in ctx.case_ids:
            yield ctx.issue("error", ctx.cases, "members", r, "case_id",
                            _("case '{case}' is not in the cases sheet", case=cid))
    for r in ctx.case_rows:
        cid = r.get("case_id")
        if cid is not None and cid not in with_members:
            yield ctx.issue("error", ctx.cases, "cases", r, "case_id",
                            _("case '{case}' has no members in the members sheet", case=cid))


def _check_locality_refs(ctx: _Context) -> Iterator[Issue]:
    """Capacity rows must name a listed locality; cases may name others, which is worth a warning."""
    if not _has_column(ctx.localities, "localities", "locality_id"):
        return  # the missing sheet or column is already reported
    known = ctx.known_localities
    for name in ("housing", "services", "jobs", "interpreters"):
        for r in ctx.localities.rows(name):
            lid = r.get("locality_id")
            if lid is not None and lid not in known:
                close = suggest(lid, ctx.locality_ids, cutoff=0.8)
                said = (_("unknown locality_id '{id}': not in the localities sheet; did you mean '{close}'?", id=lid,
                          close=close) if close else
                        _("unknown locality_id '{id}': not in the localities sheet", id=lid))
                yield ctx.issue("error", ctx.localities, name, r, "locality_id", said)
    for r in ctx.case_rows:
        tie = r.get("tie_locality_id")
        if tie is not None and tie not in known:
            yield ctx.issue("warning", ctx.cases, "cases", r, "tie_locality_id",
                            _("tie locality '{id}' is not in the localities sheet: only its département will "
                              "count", id=tie))
        unknown = [x for x in r.get("preferred_locality_ids") or () if x not in known]
        if unknown:
            yield ctx.issue("warning", ctx.cases, "cases", r, "preferred_locality_ids",
                            _n("preferred locality {ids} not in the localities sheet: that preference cannot be "
                               "met", "preferred localities {ids} not in the localities sheet: that preference "
                               "cannot be met", len(unknown), ids=_quoted(unknown)))
        unknown = [x for x in r.get("excluded_locality_ids") or () if x not in known]
        if unknown:
            yield ctx.issue("warning", ctx.cases, "cases", r, "excluded_locality_ids",
                            _n("excluded locality {ids} not in the localities sheet: if this is a typo, the "
                               "intended commune is not excluded", "excluded localities {ids} not in the localities "
                               "sheet: if this is a typo, the intended commune is not excluded", len(unknown),
                               ids=_quoted(unknown)))


def _check_links(ctx: _Context) -> Iterator[Issue]:
    """Linked cases exist and list each other; a link listed on one side only is kept, both ways."""
    for r in ctx.case_rows:
        cid = r.get("case_id")
        linked = r.get("linked_case_ids") or ()
        if cid is None or not linked:
            continue
        if cid in linked:
            yield ctx.issue("warning", ctx.cases, "cases", r, "linked_case_ids",
                            _("case '{case}' is linked to itself (ignored)", case=cid))
        # An unknown value is not known to be an id: name it by its place in the cell, never by what it says.
        missing = [i for i, x in enumerate(linked, start=1) if x != cid and x not in ctx.case_ids]
        if missing:
            places = ", ".join(str(i) for i in missing)
            yield ctx.issue("error", ctx.cases, "cases", r, "linked_case_ids",
                            _n("linked case no. {places} of this cell is not in the cases sheet",
                               "linked cases no. {places} of this cell are not in the cases sheet", len(missing),
                               places=places))
        one_sided = [x for x in linked if x != cid and x in ctx.case_ids and cid not in ctx.links.get(x, ())]
        if one_sided:
            yield ctx.issue("warning", ctx.cases, "cases", r, "linked_case_ids",
                            _n("linked to {ids}, which does not list '{case}': treated as linked both ways",
                               "linked to {ids}, which do not list '{case}': treated as linked both ways",
                               len(one_sided), ids=_quoted(one_sided), case=cid))


def _groups(ctx: _Context) -> dict[str, list[str]]:
    """Case id -> the ids of its linked group (itself included), following links both ways."""
    parent = {c: c for c in ctx.case_ids}

    def root(c: str) -> str:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for cid, linked in ctx.links.items():
        if cid is None:
            continue
        for other in linked:
            if other in parent:
                parent[root(other)] = root(cid)
    members: dict[str, list[str]] = defaultdict(list)
    for r in ctx.case_rows:
        cid = r.get("case_id")
        if cid is not None and cid not in members[root(cid)]:
            members[root(cid)].append(cid)
    return {c: members[root(c)] for c in ctx.case_ids}


def _check_link_contradictions(ctx: _Context) -> Iterator[Issue]:
    """Linked cases must share a locality: one that excludes another's tie or preference, or a group that
    excludes every locality between them, contradicts the link."""
    groups = _groups(ctx)
    excluded_by = {r.get("case_id"): set(r.get("excluded_locality_ids") or ()) for r in ctx.case_rows}
    reported_groups: set[tuple[str, ...]] = set()
    for r in ctx.case_rows:
        cid = r.get("case_id")
        if cid is None:
            continue
        group = groups.get(cid, [cid])
        tie = r.get("tie_locality_id")
        wanted = [
            ("tie_locality_id", [tie] if tie else []),
            ("preferred_locality_ids", list(r.get("preferred_locality_ids") or ())),
        ]
        for column, localities in wanted:
            clashes: list[Msg] = []
            for lid in localities:
                by = [other for other in group if lid in excluded_by.get(other, ())]
                if by:
                    others = [b for b in by if b != cid]
                    clashes.append(_("'{id}' is excluded by linked case {ids}", id=lid, ids=_quoted(others))
                                   if others else _("'{id}' is excluded by this case itself", id=lid))
            if clashes:
                said = (_("tie locality {clashes}", clashes=join(clashes)) if column == "tie_locality_id"
                        else _("preferred locality {clashes}", clashes=join(clashes)))
                yield ctx.issue("warning", ctx.cases, "cases", r, column, said)
        key = tuple(group)
        if len(group) > 1 and key not in reported_groups and ctx.known_localities:
            reported_groups.add(key)
            union = set().union(*(excluded_by.get(g, set()) for g in group))
            if ctx.known_localities <= union:
                yield ctx.issue("warning", ctx.cases, "cases", r, "excluded_locality_ids",
                                _("linked cases {ids} exclude every locality between them: they cannot be "
                                  "placed together", ids=_quoted(group)))


def _check_health_codes(ctx: _Context) -> Iterator[Issue]:
    """A health need no locality offers leaves the family unplaced: say so, and suggest a likely code."""
    offered = sorted({r.get("service") for r in ctx.localities.rows("services")} - {None})
    for r in ctx.case_rows:
        missing = [s for s in r.get("health_services") or () if s not in offered]
        if not missing:
            continue
        # The need itself is health data: the message points at the cell and suggests, it does not quote.
        hints = [suggest(s, offered, cutoff=0.6) for s in missing if s not in HEALTH_SERVICES]
        said = _n("a needed health service is offered by no locality", "{n} needed health services are offered "
                  "by no locality", len(missing))
        if any(hints):
            said = _("{problem}; did you mean {codes}?", problem=said, codes=either([f"'{h}'" for h in hints if h]))
        yield ctx.issue("warning", ctx.cases, "cases", r, "health_services", said)


def _check_zero_consent(ctx: _Context) -> Iterator[Issue]:
    """A commune that lists housing but agreed to 0 persons or cases is probably a slip."""
    units: dict[str, int] = defaultdict(int)
    for h in ctx.localities.rows("housing"):
        if h.get("locality_id") is not None:
            units[h.get("locality_id")] += h.get("units") or 0
    for r in ctx.locality_rows:
        lid = r.get("locality_id")
        n = units.get(lid, 0) if lid is not None else 0
        for column in ("max_persons", "max_cases"):
            if r.get(column) == 0 and n > 0:
                yield ctx.issue("warning", ctx.localities, "localities", r, column,
                                _n("is 0 although locality '{id}' lists {n} housing unit: it will receive nobody",
                                   "is 0 although locality '{id}' lists {n} housing units: it will receive nobody",
                                   n, id=lid))


_ROW_CHECKS = (
    _check_duplicates,
    _check_members,
    _check_locality_refs,
    _check_links,
    _check_link_contradictions,
    _check_health_codes,
    _check_zero_consent,
)

#: The checks that need one workbook only, by workbook: what `validate_workbook` runs (the other side empty).
_ALONE_CHECKS = {
    "cases": (_check_duplicates, _check_members, _check_links, _check_link_contradictions),
    "localities": (_check_duplicates, _check_locality_refs, _check_zero_consent),
}


# ---------------------------------------------------------------------------------------------- the dataset


def _fields(r: ParsedRow, names: Iterable[str]) -> dict[str, Any]:
    """The row's non-blank values, so that record defaults apply to blank cells."""
    return {n: r.get(n) for n in names if r.get(n) is not None}


_CASE_FIELDS = ("arrival_date", "tie_locality_id", "preferred_locality_ids", "excluded_locality_ids",
                "needs_step_free_housing", "health_services", "priority")


def _build(ctx: _Context) -> Dataset:
    members: dict[str, list[records.Member]] = defaultdict(list)
    for r in ctx.member_rows:
        values = _fields(r, ("case_id", "member_id", "age", "languages", "sector", "driving_licence"))
        values["french_level"] = records.FrenchLevel[(r.get("french_level") or "none").upper()]
        if r.get("education"):
            values["education"] = records.Education(r.get("education"))
        members[r.get("case_id")].append(records.Member(**values))
    listed_by: dict[str, list[str]] = defaultdict(list)
    for other, theirs in ctx.links.items():
        for cid in theirs:
            if cid != other:
                listed_by[cid].append(other)
    cases = []
    for r in ctx.case_rows:
        cid = r.get("case_id")
        values = _fields(r, _CASE_FIELDS)
        # Links are made symmetric: a link listed on one side binds both cases.
        linked = [x for x in r.get("linked_case_ids") or () if x != cid and x in ctx.case_ids]
        linked += listed_by.get(cid, [])
        cases.append(records.Case(case_id=cid, members=tuple(members[cid]),
                          linked_case_ids=tuple(dict.fromkeys(linked)), **values))

    offers: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    makers: dict[str, type[Any]] = {"housing": records.HousingUnit, "services": records.Service,
                                    "jobs": records.Job, "interpreters": records.Interpreter}
    for sheet, maker in makers.items():
        for r in ctx.localities.rows(sheet):
            offers[r.get("locality_id")][sheet].append(maker(**_fields(r, maker.model_fields)))
    localities = []
    for r in ctx.locality_rows:
        lid = r.get("locality_id")
        names = [n for n in records.Locality.model_fields if n not in makers and n != "public_transport"]
        values = _fields(r, names)
        if r.get("public_transport"):
            values["public_transport"] = records.PublicTransport(r.get("public_transport"))
        values.update({sheet: tuple(offers[lid][sheet]) for sheet in makers})
        localities.append(records.Locality(**values))
    return Dataset(cases=tuple(cases), localities=tuple(localities))


def _row_of(ctx: _Context) -> dict[str, ParsedRow]:
    return {r.get("case_id"): r for r in ctx.case_rows if r.get("case_id") is not None}


def _check_placeable(ctx: _Context, dataset: Dataset) -> Iterator[Issue]:
    """Warn about each family that no locality could take under the default hard rules, naming the rule.

    Only static facts are used (a capacity below the family's own need, a unit that does not exist), so the
    warning never depends on other families; the solver reports what competition leaves unplaced.
    """
    locs = dataset.localities
    if not locs:
        return
    inf = math.inf

    def arr(values: Iterable[float | None]) -> np.ndarray:
        return np.array([inf if v is None else float(v) for v in values], dtype=float)

    max_persons = arr(loc.max_persons for loc in locs)
    max_cases = arr(loc.max_cases for loc in locs)
    gp = arr(loc.gp_capacity for loc in locs)
    creche = arr(loc.creche_seats for loc in locs)
    primary = arr(loc.primary_seats for loc in locs)
    secondary = arr(loc.secondary_seats for loc in locs)
    # persons a locality's budget pays for; no budget or no cost means no limit
    affordable = arr(
        None if loc.budget_eur is None or not loc.cost_per_person_eur
        else loc.budget_eur / loc.cost_per_person_eur
        for loc in locs
    )
    biggest_any = np.array([max((h.bedrooms for h in loc.housing if h.units > 0), default=0) for loc in locs])
    biggest_step_free = np.array(
        [max((h.bedrooms for h in loc.housing if h.units > 0 and h.step_free), default=0) for loc in locs]
    )
    index = {loc.locality_id: i for i, loc in enumerate(locs)}
    service_mask: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(len(locs), dtype=bool))
    language_mask: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(len(locs), dtype=bool))
    for i, loc in enumerate(locs):
        for s in loc.service_codes:
            service_mask[s][i] = True
        for lang in loc.interpreter_languages:
            language_mask[lang][i] = True
    policy = Policy()
    rows = _row_of(ctx)
    for case in dataset.cases:
        p = case.persons
        beds = policy.bedrooms_for(p)
        step_free = case.needs_step_free_housing
        biggest = biggest_step_free if step_free else biggest_any
        largest = _("unlimited") if math.isinf(max_persons.max()) else int(max_persons.max())
        fits: list[tuple[Msg, np.ndarray]] = [
            (_("{n} persons but the largest max_persons is {largest}", n=p, largest=largest), max_persons >= p),
            (_("max_cases is 0 everywhere"), max_cases >= 1),
            (_("needs a {beds}-bedroom step-free unit: none anywhere", beds=beds) if step_free
             else _("needs a {beds}-bedroom unit: none anywhere", beds=beds), biggest >= beds),
            (_("not enough crèche or school seats for its children anywhere"),
             (creche >= case.children_0_2) & (primary >= case.children_3_10) & (secondary >= case.children_11_17)),
            (_("GPs can take on fewer than its {n} persons everywhere", n=p), gp >= p),
            (_("the budget for {n} persons is too small everywhere", n=p), affordable >= p),
        ]
        ok = np.ones(len(locs), dtype=bool)
        for s in case.health_services:
            ok &= service_mask[s] if s in service_mask else np.zeros(len(locs), dtype=bool)
        fits.append((_("no locality offers every health service it needs"), ok))
        if case.needs_interpreter and case.interpreter_languages:
            speaks = np.zeros(len(locs), dtype=bool)
            for lang in case.interpreter_languages:
                if lang in language_mask:
                    speaks |= language_mask[lang]
            fits.append((_("needs an interpreter in a language it speaks: offered nowhere"), speaks))
        allowed = np.ones(len(locs), dtype=bool)
        for lid in case.excluded_locality_ids:
            if lid in index:
                allowed[index[lid]] = False
        fits.append((_("every locality is excluded"), allowed))
        if np.logical_and.reduce([mask for _reason, mask in fits]).any():
            continue
        everywhere = [reason for reason, mask in fits if not mask.any()]
        reason = join(everywhere) if everywhere else _("no single locality meets all its needs at once")
        yield ctx.issue("warning", ctx.cases, "cases", rows.get(case.case_id), None,
                        _("no locality can take case '{case}' under the default rules: {reason}",
                          case=case.case_id, reason=reason))


# ----------------------------------------------------------------------------------------------- entry point


def _sort_key(books: tuple[WorkbookRead, ...]) -> Any:
    order = {b.label: i for i, b in enumerate(books)}
    sheet_order = {(b.label, s.name): j for b in books for j, s in enumerate(b.spec.sheets)}

    def key(issue: Issue) -> tuple[int, int, int]:
        return (order.get(issue.workbook, 0), sheet_order.get((issue.workbook, issue.sheet or ""), -1),
                issue.row if issue.row is not None else -1)

    return key


def validate(cases: WorkbookRead, localities: WorkbookRead) -> ReadReport:
    """Run every check across both workbooks and build the dataset when no error was found.

    Parameters
    ----------
    cases, localities
        The two workbooks as read by `matcher.io.readers`, with the problems met while reading them.

    Returns
    -------
    ReadReport
        Every issue (reading problems first by place, then cross-sheet ones), row counts, and the dataset,
        which is None as soon as there is one error.
    """
    ctx = _Context(cases, localities)
    issues = [*cases.issues, *localities.issues]
    for check in _ROW_CHECKS:
        issues.extend(check(ctx))
    dataset: Dataset | None = None
    if not any(i.severity == "error" for i in issues):
        try:
            dataset = _build(ctx)
        except ValidationError as exc:
            # Pydantic messages quote input values, which may be personal: only the field path is kept.
            where = ".".join(str(p) for p in exc.errors()[0]["loc"]) if exc.errors() else "?"
            issues.append(Issue("error", cases.label, None, None, None,
                                _("the rows could not be turned into records (field {field})", field=where)))
        else:
            issues.extend(_check_placeable(ctx, dataset))
    issues.sort(key=_sort_key((cases, localities)))
    counts = {s.name: len(book.rows(s.name)) for book in (cases, localities) for s in book.spec.sheets}
    return ReadReport(dataset, issues, counts)


def validate_workbook(book: WorkbookRead) -> ReadReport:
    """Check one workbook on its own: what reading it found, and the checks within it (duplicate ids and keys,
    members of listed cases, links; capacity rows of listed communes, agreed figures of 0).

    For an NGO checking its localities workbook, or a caseworker their cases, before the other one exists. The
    checks across the two workbooks (a tie or preferred commune not listed, a health need no commune offers, a
    family no commune can take) need both and are left out, and so is the dataset (always None).
    """
    is_cases = book.spec.name == spec.CASES.name
    other = WorkbookRead(spec.LOCALITIES if is_cases else spec.CASES, "", {}, [])
    ctx = _Context(book, other) if is_cases else _Context(other, book)
    issues = list(book.issues)
    for check in _ALONE_CHECKS[book.spec.name]:
        issues.extend(check(ctx))
    issues.sort(key=_sort_key((book,)))
    return ReadReport(None, issues, {s.name: len(book.rows(s.name)) for s in book.spec.sheets})
