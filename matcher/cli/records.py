"""`matcher records ...`: read and add to the records, check the audit log; and what every command that uses the
records shares (who acts, where the records are, a refusal as a message).

Registered on the main typer app in `matcher.cli`. Messages name users, runs and ids, never a workbook's cell.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from matcher.store.records import Store

# The store (SQLAlchemy) is imported inside the commands: `matcher --help` and the other commands stay quick.

__all__ = ["cli_actor", "open_records", "record_cli_run", "records_app", "refused", "where"]

records_app = typer.Typer(help="The records: runs, decisions, and the audit log's integrity.",
                          no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


def cli_actor() -> str:
    """Who acts from the command line: the operating-system account."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def where() -> str:
    """The database the records are kept in, the password hidden."""
    from matcher.store.db import database_url, describe_url

    return describe_url(database_url())


def open_records() -> Store:
    """The records, migrated; a database that cannot be opened ends the command (exit 1)."""
    from matcher.store.records import open_store

    try:
        return open_store()
    except Exception as exc:  # an unreachable server, a read-only folder: say where, without a password
        typer.echo(f"cannot open the records at {where()} ({type(exc).__name__})", err=True)
        raise typer.Exit(1) from None


@contextmanager
def refused() -> Iterator[None]:
    """A record the store refuses (`StoreError`: an unknown name, a field too long ...) ends the command with the
    store's message and exit 1."""
    from matcher.store.errors import StoreError

    try:
        yield
    except StoreError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None


@records_app.command("where")
def records_where() -> None:
    """Print the database the records are kept in (the password hidden)."""
    typer.echo(where())


@records_app.command("runs")
def records_runs(limit: Annotated[int, typer.Option("--limit", min=1, help="How many, newest first.")] = 20) -> None:
    """The latest runs: id, time, who, origin, scenario, policy, seed, status."""
    for r in open_records().recent_runs(limit):
        typer.echo(f"run {r.id}\t{r.created_at:%Y-%m-%d %H:%M:%S}\t{r.owner}\t{r.origin}\tscenario {r.scenario_id}"
                   f"\t{r.policy_name}\tseed {r.seed}\t{r.status}")


@records_app.command("decide")
def records_decide(
    run_id: Annotated[int, typer.Argument(metavar="RUN", help="The run (see `matcher records runs`).")],
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept with the decision).")],
    accept: Annotated[bool, typer.Option("--accept", help="Accept the run's placement of the family.")] = False,
    pin: Annotated[str | None, typer.Option("--pin", metavar="LOCALITY", help="Override: place it there.")] = None,
    forbid: Annotated[str | None, typer.Option("--forbid", metavar="LOCALITY", help="Override: never there.")]
    = None,
) -> None:
    """Record a decision on a family of a run: accepted, or overridden with a pin or a forbid."""
    from matcher.models.result import Result

    if sum((accept, pin is not None, forbid is not None)) != 1:
        typer.echo("give exactly one of --accept, --pin LOCALITY, --forbid LOCALITY", err=True)
        raise typer.Exit(2)
    store = open_records()
    with refused():
        run = store.run(run_id)
    result = Result.model_validate_json(run.result_json)
    plan = result.plan()
    known = set(plan) | {u.case_id for u in result.unplaced}
    if case_id not in known:
        typer.echo(f"{case_id}: not a case of run {run_id}", err=True)
        raise typer.Exit(1)
    if accept and case_id not in plan:
        typer.echo(f"{case_id}: not placed in run {run_id}; nothing to accept", err=True)
        raise typer.Exit(1)
    with refused():  # a commune code longer than the records keep, a blank reason ...
        if accept:
            decision = store.add_decision(run_id, cli_actor(), case_id, "accepted", reason=reason,
                                          locality_id=plan[case_id])
        else:
            override, lid = ("pin", pin) if pin is not None else ("forbid", forbid)
            decision = store.add_decision(run_id, cli_actor(), case_id, "overridden", reason=reason,
                                          override=override, locality_id=lid)
    typer.echo(f"decision {decision} recorded")


@records_app.command("verify")
def records_verify(
    anchor: Annotated[list[Path] | None, typer.Option(
        "--anchor", metavar="FILE", help="An anchor kept from `matcher records anchor`: the log must still hold "
        "it. Repeat for several.")] = None,
) -> None:
    """Check the records: the audit chain and its MACs, every row against its event, and the heads kept outside.

    Exit 0 when intact, 1 when anything was altered, inserted or removed, 2 when an anchor file cannot be read.
    """
    from matcher.store.chain import Head

    anchors = []
    for path in anchor or []:
        try:
            anchors.append((f"the anchor {path}", Head.from_dict(json.loads(path.read_text(encoding="utf-8")))))
        except (OSError, ValueError, AttributeError) as exc:
            typer.echo(f"{path}: not an anchor of `matcher records anchor` ({type(exc).__name__})", err=True)
            raise typer.Exit(2) from None
    store = open_records()
    report = store.verify(anchors)
    for line in _coverage(store, report):
        typer.echo(line)
    if report.ok:
        typer.echo(f"audit log intact: {report.events} events")
        return
    typer.echo(f"audit log broken: {len(report.problems)} problems", err=True)
    for problem in report.problems[:_SHOWN]:
        typer.echo(f"  {problem.text}", err=True)
    if len(report.problems) > _SHOWN:
        typer.echo(f"  ... and {len(report.problems) - _SHOWN} more", err=True)
    raise typer.Exit(1)


_SHOWN = 50


def _coverage(store: Store, report: Any) -> list[str]:
    """What was checked, in words: events, their format, the key, the rows, the heads."""
    lines = [f"records: {where()}"]
    keyed = f"{report.keyed_events} keyed events (hash and HMAC"
    keyed += f", key {store.key_file})" if report.macs_checked else ", HMACs NOT checked: no key)"
    lines.append(f"chain: {report.events} events; {keyed}")
    if report.legacy_events:
        lines.append(f"  events 1-{report.legacy_events} predate keyed chaining: checked by their hashes only")
        if report.keyed_start is not None:
            seq, at = report.keyed_start
            lines.append(f"  the rows existing then were snapshotted at event {seq} ({at[:19]}): they are covered "
                         "from then on, their earlier changes by the old events only")
    rows = ", ".join(f"{n} {name}" for name, n in report.rows.items())
    lines.append(f"rows: {rows}, each checked against its latest event")
    if report.heads_checked:
        lines.append("heads: " + "; ".join(report.heads_checked))
    else:
        lines.append("heads: none kept outside the database yet (`matcher records anchor` exports one)")
    return lines


@records_app.command("anchor")
def records_anchor(
    out: Annotated[Path | None, typer.Option("--out", metavar="FILE", help="Write the anchor here (JSON) "
                                             "instead of printing it.")] = None,
) -> None:
    """Export the head of the audit log (sequence number, hash, HMAC, time) for a coordinator to keep.

    Later, `matcher records verify --anchor FILE` checks that the log still holds that event unchanged: events
    removed from the end, or a rewritten log, are then detected even by someone who has the database only.
    """
    import datetime as dt

    store = open_records()
    head = store.anchor()
    if head is None:
        typer.echo("the audit log is empty: there is nothing to anchor yet", err=True)
        raise typer.Exit(1)
    data = {**head.as_dict(), "database": where(),
            "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    text = json.dumps(data, indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        typer.echo(f"{out}: cannot write the anchor ({type(exc).__name__})", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"anchor of event {head.seq} written to {out}")


@records_app.command("setup-postgres")
def records_setup_postgres(
    app_role: Annotated[str, typer.Option("--app-role", metavar="ROLE", help="The role the app connects as "
                                          "(the user of MATCHER_DATABASE_URL).")],
    owner_url: Annotated[str | None, typer.Option("--owner-url", metavar="URL", envvar="MATCHER_DATABASE_OWNER_URL",
                                                  help="The tables' owner (default: MATCHER_DATABASE_OWNER_URL).",
                                                  show_envvar=False)] = None,
) -> None:
    """On PostgreSQL: migrate the records as their owner, and give the app's role only insert and read.

    Run it once after creating the two roles and the database (see the README), and again after each upgrade of
    the matcher. The app's role may then insert and read, and update the users' active flag, password and
    communes only: no delete, no truncate, no alter, so no disabling of the audit log's triggers.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from matcher.store.db import describe_url, get_engine
    from matcher.store.migrations import migrate
    from matcher.store.postgres import grant_app_role, privileges
    from matcher.store.records import StoreError

    if not owner_url:
        typer.echo("give the owner's URL: --owner-url URL or MATCHER_DATABASE_OWNER_URL", err=True)
        raise typer.Exit(2)
    where = describe_url(owner_url)
    try:
        engine = get_engine(owner_url)
        if engine.dialect.name != "postgresql":
            typer.echo(f"{where} is not PostgreSQL: roles apply to PostgreSQL only", err=True)
            raise typer.Exit(2)
        version = migrate(engine)
        grant_app_role(engine, app_role)
        with engine.connect() as conn:
            rights = privileges(conn, app_role)
    except StoreError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    except SQLAlchemyError as exc:
        typer.echo(f"cannot set up {where} ({type(exc).__name__}: {getattr(exc, 'orig', exc)})", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{where}: schema version {version}; the role {app_role} may:")
    for table, granted in rights.items():
        typer.echo(f"  {table}: {', '.join(granted) or 'nothing'}")
    if "schema" in rights:
        typer.echo(f"warning: {app_role} may create tables in the schema: REVOKE CREATE ON SCHEMA public FROM PUBLIC",
                   err=True)


def record_cli_run(cases: Path, localities: Path, result: Any, time_limit: float | None,
                   pins: dict[str, str] | None = None) -> int | None:
    """Keep a `matcher match` run, its pins and its inputs; on failure say so on stderr and return None."""
    from matcher.store.records import input_hash, open_store, stored_input

    try:
        store = open_store()
        cases_in, localities_in = stored_input(cases), stored_input(localities)
        actor = cli_actor()
        scenario = store.latest_scenario(actor)
        if scenario is None or scenario.input_sha256 != input_hash(cases_in, localities_in):
            scenario_id = store.add_scenario(actor, cases_in, localities_in, "cli")
        else:
            scenario_id = scenario.id
        return store.add_run(scenario_id, actor, "cli", result, time_limit=time_limit, pins=pins)
    except Exception as exc:
        typer.echo(f"warning: the run was not recorded in {where()} ({type(exc).__name__})", err=True)
        return None
