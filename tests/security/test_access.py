"""Access: when a login is needed, what each role gets, and that the server enforces it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "ui"))

from apptest_helpers import assert_clean, new_app  # noqa: E402

from matcher import auth  # noqa: E402
from matcher.auth import FailureLog, Throttle, authenticate, failures, hash_password, login_required, throttle  # noqa: E402
from matcher.cli import app  # noqa: E402
from matcher.store.records import open_store, stored_input  # noqa: E402

PASSWORD = "correct horse battery"
ALL_PAGES = ("data", "policy", "match", "runs", "policy_lab", "capacities", "records")


@pytest.fixture(autouse=True)
def served(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app as if served to the network: MATCHER_AUTH=on; throttling starts fresh."""
    from streamlit import config

    config.set_option("server.address", "127.0.0.1")
    monkeypatch.setenv("MATCHER_AUTH", "on")
    throttle.reset()
    failures.reset()


@pytest.fixture
def users(tiny_paths: tuple[Path, Path]) -> None:
    """One user per role (the NGO holds Pamiers, 09225), and a scenario of the tiny workbooks."""
    store = open_store()
    store.add_user("test", "cora", "coordinator", hash_password(PASSWORD))
    store.add_user("test", "nina", "ngo", hash_password(PASSWORD), ["09225"])
    store.add_user("test", "remi", "researcher", hash_password(PASSWORD))
    store.add_scenario("cora", stored_input(tiny_paths[0]), stored_input(tiny_paths[1]), "upload")


def login(name: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    at = new_app().run()
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(password)
    return at.button[0].click().run()


def pages_open(at) -> set[str]:  # type: ignore[no-untyped-def]
    """The pages this session can switch to (the navigation holds only the role's pages)."""
    found = set()
    for name in ALL_PAGES:
        try:
            at.switch_page(f"app_pages/{name}.py")
        except ValueError:
            continue
        found.add(name)
    return found


@pytest.mark.parametrize(("address", "env", "needed"), [
    ("127.0.0.1", "", False), ("localhost", "", False), ("::1", "", False), ("127.0.0.1", "on", True),
    ("0.0.0.0", "", True), ("0.0.0.0", "off", True), ("192.168.1.5", "", True), (None, "", True), ("", "", True)])
def test_login_is_required_beyond_localhost_or_when_asked(address: str | None, env: str, needed: bool) -> None:
    """Beyond loopback a login is always asked (MATCHER_AUTH=off cannot turn it off); on loopback when on."""
    assert login_required(address, {"MATCHER_AUTH": env}) is needed


def test_without_users_the_login_page_says_how_to_create_one() -> None:
    """A served app with no user yet explains the command, and shows no data."""
    at = new_app().run()
    assert any("matcher users add" in w.value for w in at.warning)
    assert at.session_state["dataset"] is None


def test_wrong_password_is_refused_and_logged(users: None) -> None:
    """A wrong password shows one generic message; the audit log records the failure."""
    at = login("cora", "not the password")
    assert any("Wrong name or password" in e.value for e in at.error)
    assert at.session_state["user"] is None and at.session_state["dataset"] is None
    assert [e.action for e in open_store().audit()][-1] == "login.failed"


def test_repeated_failures_are_throttled(users: None) -> None:
    """After five failures the right password does not work either, for a while."""
    store = open_store()
    for _ in range(5):
        assert authenticate(store, "cora", "wrong password") is None
    assert authenticate(store, "cora", PASSWORD) is None
    assert [e.action for e in store.audit()][-1] == "login.throttled"


def test_a_guesser_does_not_lock_the_user_out(users: None) -> None:
    """Five wrong passwords for cora from one address: cora still logs in from hers; the guesser stays blocked."""
    store = open_store()
    for _ in range(5):
        assert authenticate(store, "cora", "wrong password", client="203.0.113.9") is None
    assert authenticate(store, "cora", PASSWORD, client="203.0.113.9") is None  # the guesser's address waits
    found = authenticate(store, "cora", PASSWORD, client="198.51.100.4")
    assert found is not None and found.name == "cora"


def test_one_address_trying_many_names_is_throttled_for_all(users: None) -> None:
    """Twenty failures over any names from one address block that address for every name, cora's included."""
    store = open_store()
    for i in range(20):
        assert authenticate(store, f"guess{i}", "wrong password", client="203.0.113.9") is None
    assert authenticate(store, "cora", PASSWORD, client="203.0.113.9") is None
    assert authenticate(store, "cora", PASSWORD, client="198.51.100.4") is not None


def test_the_login_form_counts_failures_per_browser_address(users: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the app: failures from one address do not stop the user logging in from another."""
    from ui.components import access

    monkeypatch.setattr(access, "client", lambda: "203.0.113.9")
    for _ in range(5):
        login("cora", "not the password")
    assert login("cora").session_state["user"] is None
    monkeypatch.setattr(access, "client", lambda: "198.51.100.4")
    at = login("cora")
    assert_clean(at)
    assert at.session_state["user"].name == "cora"


def test_anonymous_failures_are_aggregated_per_address(users: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fifty failures from one address make a few audit events with counts, and no unknown name is logged."""
    now = [0.0]
    monkeypatch.setattr(auth, "throttle", Throttle(clock=lambda: now[0]))
    monkeypatch.setattr(auth, "failures", FailureLog(clock=lambda: now[0]))
    store = open_store()
    before = len(store.audit())
    for i in range(50):
        now[0] += 1.0
        authenticate(store, f"secret-guess-{i}" if i % 2 else "cora", "wrong password", client="203.0.113.9")
    events = store.audit()[before:]
    assert [(e.action, e.detail["count"]) for e in events] == [("login.failed", 1), ("login.throttled", 1)]
    now[0] += 400.0  # the window is over: the next failure logs the count of the others
    authenticate(store, "secret-guess-x", "wrong password", client="203.0.113.9")
    events = store.audit()[before:]
    assert len(events) == 4
    summary = events[2]
    assert summary.action == "login.failed" and summary.subject == "client:203.0.113.9"
    assert summary.detail["count"] == 48 and summary.detail["users"] == ["cora"]
    assert summary.detail["unknown_names"] == 25 and summary.detail["throttled"] == 29
    assert not any("secret-guess" in f"{e.actor}{e.subject}{e.detail}" for e in events)
    assert store.verify().ok


def test_coordinator_gets_every_page_and_the_data(users: None) -> None:
    """A coordinator sees every page; their scenario is restored."""
    at = login("cora")
    assert_clean(at)
    assert at.session_state["user"].role == "coordinator"
    assert at.session_state["dataset"] is not None
    assert pages_open(at) == set(ALL_PAGES) - {"policy_lab"} | ({"policy_lab"} if _has_lab() else set())


def _has_lab() -> bool:
    return (ROOT / "ui" / "app_pages" / "policy_lab.py").exists()


def test_researcher_gets_the_policy_pages_only_and_no_personal_data(users: None) -> None:
    """A researcher opens Policy (and the Policy lab), never Data, Match, Runs, Capacities or Records."""
    at = login("remi")
    assert_clean(at)
    assert at.session_state["dataset"] is None and at.session_state["frames"] is None
    assert pages_open(at) == {"policy"} | ({"policy_lab"} if _has_lab() else set())


def test_ngo_sees_and_edits_only_its_own_communes(users: None) -> None:
    """An NGO gets the Capacities page only, with rows of its commune only; a saved edit becomes a scenario."""
    at = login("nina")
    assert_clean(at)
    assert pages_open(at) == {"capacities"}
    at.switch_page("app_pages/capacities.py").run()
    assert at.session_state["dataset"] is None
    shown = [df.value for df in at.dataframe]
    assert shown and all(set(df["locality_id"]) == {"09225"} for df in shown if "locality_id" in df)
    key = next(k for k in at.session_state if k.startswith("capacities_") and k.endswith("_localities"))
    at.session_state[key] = {"edited_rows": {0: {"max_persons": "12"}}, "added_rows": [], "deleted_rows": []}
    at.button(key="capacities_save").click().run()
    assert_clean(at)
    latest = open_store().latest_scenario()
    assert latest.owner == "nina" and latest.source == "capacities"


def test_ngo_cannot_save_rows_of_another_commune(users: None) -> None:
    """Rows added for a commune the NGO does not hold are refused by the server."""
    at = login("nina")
    at.switch_page("app_pages/capacities.py").run()
    key = next(k for k in at.session_state if k.startswith("capacities_") and k.endswith("_housing"))
    at.session_state[key] = {"edited_rows": {}, "deleted_rows": [],
                             "added_rows": [{"locality_id": "31555", "bedrooms": "2", "step_free": "no",
                                             "units": "9"}]}
    at.button(key="capacities_save").click().run()
    assert any("not yours were refused: 31555" in e.value for e in at.error)
    assert open_store().latest_scenario().owner == "cora"


def test_a_disabled_user_is_logged_out_at_the_next_click(users: None) -> None:
    """Disabling an account takes effect on the session's next script run."""
    at = login("cora")
    assert at.session_state["user"].name == "cora"
    open_store().update_user("test", "cora", active=False)
    at.run()
    assert any(t.value == "Log in" for t in at.title)


def test_cli_adds_users_with_hashed_passwords() -> None:
    """`matcher users add` stores an Argon2 hash, never the password; NGOs need their communes."""
    runner = CliRunner()
    out = runner.invoke(app, ["users", "add", "ana", "--role", "coordinator", "--password-stdin"],
                        input=PASSWORD + "\n")
    assert out.exit_code == 0, out.output
    user = open_store().user("ana")
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    out = runner.invoke(app, ["users", "add", "ong", "--role", "ngo", "--password-stdin"], input=PASSWORD + "\n")
    assert out.exit_code == 2 and "--locality" in out.output
    out = runner.invoke(app, ["users", "add", "bob", "--role", "researcher", "--password-stdin"], input="short\n")
    assert out.exit_code == 1 and "at least 10 characters" in out.output
    out = runner.invoke(app, ["users", "list"])
    assert "ana\tcoordinator" in out.output
