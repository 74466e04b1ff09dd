"""The Policy lab page in Streamlit's AppTest: runs from the app with a local pool, schedulers chosen by name only
(a forged address is refused before any connection), and failures that say what to do next."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path[:1]:
    sys.path.insert(0, str(ROOT))

import clusters  # noqa: E402
import pytest  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from matcher.simulate import Experiment, run_experiment  # noqa: E402
from matcher.simulate.isolated import FAILURE_REASONS  # noqa: E402
from matcher.simulate.schedulers import SCHEDULERS_ENV  # noqa: E402

PAGE = ROOT / "ui" / "app_pages" / "policy_lab.py"
APP = ROOT / "ui" / "app.py"


@pytest.fixture(autouse=True)
def served_on_localhost(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app as `matcher ui` serves it by default (no login), with no scheduler configured unless a test says."""
    from streamlit import config

    config.set_option("server.address", "127.0.0.1")
    monkeypatch.delenv(SCHEDULERS_ENV, raising=False)


@pytest.fixture
def listener() -> Iterator[clusters.Listener]:
    """A loopback port that counts connections: where a forged scheduler address points."""
    lst = clusters.Listener()
    try:
        yield lst
    finally:
        lst.close()


def _configure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Schedulers named by the administrator (tls://, certificates on disk), never contacted by these tests."""
    certs = tmp_path / "certs"
    certs.mkdir()
    for f in ("ca.pem", "client.pem"):
        (certs / f).write_text("placeholder\n")
    text = "".join(f'[schedulers.{n}]\naddress = "tls://10.255.0.{i + 1}:8786"\ntls_ca_file = "certs/ca.pem"\n'
                   f'tls_client_cert = "certs/client.pem"\n' for i, n in enumerate(names))
    (tmp_path / "schedulers.toml").write_text(text)
    monkeypatch.setenv(SCHEDULERS_ENV, str(tmp_path / "schedulers.toml"))


def _tiny(at: AppTest, processes: int) -> AppTest:
    at.multiselect(key="lab_policies").set_value(["greedy", "random"])
    at.number_input(key="lab_reps").set_value(1)
    at.number_input(key="lab_families").set_value(10)
    at.number_input(key="lab_communes").set_value(3)
    at.number_input(key="lab_processes").set_value(processes)
    return at


def _submit(at: AppTest) -> AppTest:
    return next(b for b in at.button if b.proto.is_form_submitter).click().run()


def _finish(at: AppTest) -> AppTest:
    job = at.session_state["lab_job"]
    assert job.wait(240), "the lab did not finish"
    return at.run()


def test_run_shows_summary_and_downloads() -> None:
    """Two policies, one replication, ten families: the run finishes and the summary and downloads appear."""
    at = AppTest.from_file(str(PAGE), default_timeout=60).run()
    assert not at.exception
    at = _finish(_submit(_tiny(at, processes=1)))
    job = at.session_state["lab_job"]
    assert not at.exception and job.metrics is not None and len(job.metrics) == 2
    assert any(df.value.shape[1] == 2 for df in at.dataframe)  # one column per policy, metrics as rows
    assert len(at.get("download_button")) == 4


def test_lab_runs_from_the_app_with_two_local_processes() -> None:
    """Inside the app (whose script Streamlit makes `__main__`), two local processes complete with the exact
    rows: the pool's workers never import the app (issue 29: "The run failed (BrokenProcessPool)")."""
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at = at.switch_page("app_pages/policy_lab.py").run()
    assert not at.exception
    at = _finish(_submit(_tiny(at, processes=2)))
    job = at.session_state["lab_job"]
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert job.failure is None and job.metrics is not None and job.stats.executor == "local pool of 2 processes"
    expected = run_experiment(job.experiment, processes=1)[0]
    assert job.metrics.drop(columns="seconds").equals(expected.drop(columns="seconds"))
    assert any(df.value.shape[1] == 2 for df in at.dataframe)  # one column per policy, metrics as rows


def test_cancel_stops_the_run_and_says_so() -> None:
    """The Cancel button under the progress bar stops the child process; the page says how many were done and
    the progress bar and button go away."""
    at = AppTest.from_file(str(PAGE), default_timeout=60).run()
    at.number_input(key="lab_reps").set_value(50)
    at = _submit(at)
    job = at.session_state["lab_job"]
    assert job.running
    at.button(key="lab_cancel").click().run()
    assert job.wait(30) and job.cancelled and job.failure is None and job.metrics is None
    at = at.run()
    assert [i.value for i in at.info] == [f"Cancelled after {job.done} scenarios."]
    assert not at.error and len(at.progress) == 0 and not [b for b in at.button if b.key == "lab_cancel"]


def test_page_has_no_scheduler_field_without_configuration() -> None:
    """No configuration: no text field and no scheduler box; the run is on this machine."""
    at = AppTest.from_file(str(PAGE), default_timeout=60).run()
    assert len(at.text_input) == 0
    assert not [s for s in at.selectbox if s.key.startswith("lab_scheduler")]


def test_configured_schedulers_are_offered_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The box lists this machine and the configured names, never an address; there is no text field."""
    _configure(tmp_path, monkeypatch, "campus", "hpc")
    at = AppTest.from_file(str(PAGE), default_timeout=60).run()
    box = at.selectbox(key="lab_scheduler_en")
    assert box.options == ["This machine", "campus", "hpc"]
    assert len(at.text_input) == 0 and "10.255" not in str(box.proto)


@pytest.mark.parametrize("forged", ["tcp://127.0.0.1:{port}", "tls://127.0.0.1:{port}", "127.0.0.1:{port}", "evil"])
def test_forged_scheduler_is_refused_before_any_connection(forged: str, listener: clusters.Listener) -> None:
    """A session value that is an address or an unknown name is refused with a clear message when the run is
    asked for; no run starts, the value is not echoed and the address is never contacted."""
    value = forged.format(port=listener.port)
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.session_state["lab_scheduler_en"] = value
    at = _submit(_tiny(at.run(), processes=1))
    assert "lab_job" not in at.session_state
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "not configured on this server, so nothing was run" in errors[0], errors
    assert str(listener.port) not in errors[0] and "evil" not in errors[0]
    assert listener.close() == 0


def test_forged_value_beside_configured_schedulers_never_connects(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, listener: clusters.Listener) -> None:
    """With schedulers configured, a forged value is not an option of the box: it is dropped, the run stays on
    this machine, and the forged address is never contacted."""
    _configure(tmp_path, monkeypatch, "campus")
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.session_state["lab_scheduler_en"] = f"tcp://127.0.0.1:{listener.port}"
    at = at.run()
    assert at.selectbox(key="lab_scheduler_en").value == ""
    at = _finish(_submit(_tiny(at, processes=1)))
    job = at.session_state["lab_job"]
    assert job.scheduler is None and job.failure is None and job.stats.executor == "in-process"
    assert listener.close() == 0


@pytest.mark.parametrize("forged", ["tcp://127.0.0.1:{port}", "tls://127.0.0.1:{port}", "evil"])
def test_forged_browser_message_is_refused_before_any_connection(
        forged: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, listener: clusters.Listener) -> None:
    """With schedulers configured, a hand-made browser message whose "run on" value is an address or an unknown
    name (Streamlit passes such a string through to session state) is refused; nothing runs or connects."""
    from streamlit.proto.WidgetStates_pb2 import WidgetStates

    _configure(tmp_path, monkeypatch, "campus")
    at = _tiny(AppTest.from_file(str(PAGE), default_timeout=60).run(), processes=1)
    box = at.selectbox(key="lab_scheduler_en")
    next(b for b in at.button if b.proto.is_form_submitter).click()
    message = WidgetStates()
    for state in at._tree.get_widget_states().widgets:
        if state.id == box.id:
            state.string_value = forged.format(port=listener.port)  # what a forged websocket message carries
        message.widgets.append(state)
    at = at._run(message)
    assert "lab_job" not in at.session_state
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "not configured on this server, so nothing was run" in errors[0], errors
    assert listener.close() == 0


def test_scheduler_removed_from_configuration_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         listener: clusters.Listener) -> None:
    """A scheduler chosen in the page but removed from the file before the run is refused, nothing runs."""
    _configure(tmp_path, monkeypatch, "campus", "hpc")
    at = _tiny(AppTest.from_file(str(PAGE), default_timeout=60).run(), processes=1)
    at.selectbox(key="lab_scheduler_en").set_value("hpc")
    (tmp_path / "schedulers.toml").write_text((tmp_path / "schedulers.toml").read_text().split("[schedulers.hpc]")[0])
    at = _submit(at)
    assert "lab_job" not in at.session_state
    assert any("not configured on this server" in e.value for e in at.error)


def test_language_switch_keeps_this_machine_a_valid_choice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The browser sends back the option's label: after switching to French, "this machine" still runs here
    (the English label left in the box was once refused as an unknown scheduler)."""
    _configure(tmp_path, monkeypatch, "campus")
    at = AppTest.from_file(str(PAGE), default_timeout=60).run()
    at.session_state["lang"] = "fr"
    at = at.run()
    assert at.selectbox(key="lab_scheduler_fr").options == ["Cette machine", "campus"]
    at = _finish(_submit(_tiny(at, processes=1)))
    job = at.session_state["lab_job"]
    assert not at.error and job.scheduler is None and job.failure is None and job.metrics is not None


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "Run again with fewer local processes or fewer families per year"),
    ("fr", "Relancez avec moins de processus locaux ou moins de familles par an"),
])
def test_failed_run_says_what_to_do_next(lang: str, expected: str) -> None:
    """A run whose process is killed (as when memory runs out) says what to do next, in the page's language,
    with no class name alone and no value of the run."""
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.session_state["lang"] = lang
    at = _submit(_tiny(at.run(), processes=1))
    job = at.session_state["lab_job"]
    assert job.pid is not None
    os.killpg(job.pid, signal.SIGKILL)
    at = _finish(at)
    texts = [e.value for e in at.error]
    assert len(texts) == 1 and expected in texts[0], texts


def _labels() -> dict[str, tuple[str, str]]:
    import ast

    tree = ast.parse(PAGE.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "LABELS":
            return ast.literal_eval(node.value)  # type: ignore[no-any-return]
    raise AssertionError("LABELS not found")


def test_failure_texts_exist_in_english_and_french() -> None:
    """Each reason a run can fail for has an English and a French text with an instruction, not a bare kind."""
    labels = _labels()
    for reason in FAILURE_REASONS:
        en, fr = labels[f"failed_{reason}"]
        assert en != fr and en.count(". ") >= 1  # what happened, then what to do
        assert any(w in en for w in ("Ask", "Check", "Run again", "Try again", "report", "run on")), en
        assert any(w in fr for w in ("Demandez", "Vérifiez", "Relancez", "Réessayez", "signaler", "exécutez")), fr


def test_tiny_experiment_round_trips_through_json() -> None:
    """The request the page sends is the same experiment once read back by the child."""
    exp = Experiment(name="t", seed=3, replications=2, families_per_year=12, territory={"communes": 3})
    assert Experiment.model_validate(exp.model_dump(mode="json")).fingerprint() == exp.fingerprint()
