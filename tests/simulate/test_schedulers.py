"""Allowed Dask schedulers: the administrator's TOML file, Dask's security settings, mutual TLS on a real cluster,
and what the page and the command line accept."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import clusters
import pandas as pd
import pytest
from typer.testing import CliRunner

from matcher.cli import app
from matcher.simulate import Experiment, run_experiment
from matcher.simulate.isolated import LabProcess, classify
from matcher.simulate.schedulers import (
    SCHEDULERS_ENV,
    SchedulerConfig,
    SchedulerError,
    load_schedulers,
    resolve_cli_scheduler,
    resolve_page_scheduler,
)

TINY = Experiment(name="tiny", seed=5, replications=1, families_per_year=20, policies=("greedy", "random"),
                  territory={"communes": 4})
MACHINE = ["seconds"]


def _files(folder: Path, *names: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_text("placeholder\n", encoding="utf-8")


def _config(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "schedulers.toml"
    path.write_text(text, encoding="utf-8")
    return {SCHEDULERS_ENV: str(path)}


TLS_TOML = """
[schedulers.campus]
address = "tls://dask.example.org:8786"
tls_ca_file = "certs/ca.pem"
tls_client_cert = "certs/client.pem"
tls_client_key = "certs/client-key.pem"
"""


def test_no_variable_means_no_scheduler() -> None:
    """Without MATCHER_DASK_SCHEDULERS (or with it empty) no scheduler is allowed."""
    assert load_schedulers({}) == {}
    assert load_schedulers({SCHEDULERS_ENV: "  "}) == {}


def test_tls_scheduler_builds_dask_security(tmp_path: Path) -> None:
    """A tls:// scheduler's files, relative to the TOML file, become Dask's Security with encryption required."""
    _files(tmp_path / "certs", "ca.pem", "client.pem", "client-key.pem")
    campus = load_schedulers(_config(tmp_path, TLS_TOML))["campus"]
    sec = campus.security()
    assert sec.tls_ca_file == str(tmp_path / "certs" / "ca.pem")
    assert sec.tls_client_cert == str(tmp_path / "certs" / "client.pem")
    assert sec.tls_client_key == str(tmp_path / "certs" / "client-key.pem")
    assert sec.require_encryption is True
    assert campus.address == "tls://dask.example.org:8786"


def test_security_gives_a_verifying_client_context(tmp_path: Path) -> None:
    """With real certificates, the client's TLS context checks the scheduler's certificate and presents its own."""
    certs = clusters.make_certificates(tmp_path / "certs")
    cfg = SchedulerConfig(name="campus", address="tls://127.0.0.1:8786", tls_ca_file=certs["ca"],
                          tls_client_cert=certs["client"], tls_client_key=certs["client_key"])
    args = cfg.security().get_connection_args("client")
    assert args["require_encryption"] is True
    assert args["ssl_context"].verify_mode == ssl.CERT_REQUIRED


@pytest.mark.parametrize(("text", "expected"), [
    ('[schedulers.a]\naddress = "tcp://10.0.0.5:8786"\n', "require_encryption = false"),
    ('[schedulers.a]\naddress = "tls://10.0.0.5:8786"\n', "needs tls_ca_file"),
    ('[schedulers.a]\naddress = "tcp://10.0.0.5:8786"\nrequire_encryption = false\ntls_ca_file = "certs/ca.pem"\n',
     "use tls://"),
    ('[schedulers.a]\naddress = "tls://10.0.0.5:8786"\ntls_ca_file = "missing.pem"\ntls_client_cert = "certs/ca.pem"\n',
     "missing.pem cannot be read"),
    ('[schedulers.a]\naddress = "http://10.0.0.5:8786/x"\nrequire_encryption = false\n', "schedulers.a › address"),
    ('[schedulers."a b"]\naddress = "tcp://h:1"\nrequire_encryption = false\n', "schedulers.a b › name"),
    ('[schedulers.a]\naddress = "tcp://h:1"\nrequire_encryption = false\npassword = "x"\n', "password: unknown key"),
    ('clusters = 1\n', "clusters: unknown key"),
    ("[schedulers.a\n", "not valid TOML"),
])
def test_bad_configuration_is_named(tmp_path: Path, text: str, expected: str) -> None:
    """Every bad setting is refused with the file, the scheduler and the key named."""
    _files(tmp_path / "certs", "ca.pem")
    with pytest.raises(SchedulerError) as info:
        load_schedulers(_config(tmp_path, text))
    assert "schedulers.toml" in str(info.value) and expected in str(info.value)


def test_unreadable_file_is_named(tmp_path: Path) -> None:
    """A variable naming a missing file says so."""
    with pytest.raises(SchedulerError, match="cannot be read"):
        load_schedulers({SCHEDULERS_ENV: str(tmp_path / "nowhere.toml")})


def test_page_accepts_only_configured_names(tmp_path: Path) -> None:
    """An address, an unknown name or a non-text value is refused; a configured name gives its settings."""
    _files(tmp_path / "certs", "ca.pem", "client.pem", "client-key.pem")
    allowed = load_schedulers(_config(tmp_path, TLS_TOML))
    assert resolve_page_scheduler("campus", allowed) is allowed["campus"]
    for forged in ("tcp://127.0.0.1:8786", "tls://dask.example.org:8786", "evil", "", None, 3):
        with pytest.raises(SchedulerError):
            resolve_page_scheduler(forged, allowed)  # type: ignore[arg-type]


def test_cli_takes_a_name_or_an_address(tmp_path: Path) -> None:
    """The command line resolves a configured name to its settings and keeps an explicit address as it is."""
    _files(tmp_path / "certs", "ca.pem", "client.pem", "client-key.pem")
    allowed = load_schedulers(_config(tmp_path, TLS_TOML))
    assert resolve_cli_scheduler("campus", allowed) is allowed["campus"]
    assert resolve_cli_scheduler("tcp://127.0.0.1:8786", allowed) == "tcp://127.0.0.1:8786"
    with pytest.raises(SchedulerError, match="configured: campus"):
        resolve_cli_scheduler("campsu", allowed)


def test_cli_address_needs_no_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An explicit address on the command line does not read the schedulers' file (even a broken one); a name
    does, and its problems are named."""
    monkeypatch.setenv(SCHEDULERS_ENV, _config(tmp_path, "[schedulers.a\n")[SCHEDULERS_ENV])
    assert resolve_cli_scheduler("tls://10.0.0.5:8786") == "tls://10.0.0.5:8786"
    with pytest.raises(SchedulerError, match="not valid TOML"):
        resolve_cli_scheduler("campus")


@pytest.fixture(scope="module")
def tls_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Path]]]:
    """A scheduler and one worker that speak mutual TLS with the test CA's certificates."""
    certs = clusters.make_certificates(tmp_path_factory.mktemp("certs"))
    with clusters.dask_cluster(workers=1, certs=certs) as address:
        yield address, certs


def test_configured_tls_scheduler_runs_the_lab_in_its_process(tls_cluster: tuple[str, dict[str, Path]]) -> None:
    """The page's path on a configured TLS scheduler: the child process gives the in-process metrics exactly."""
    address, certs = tls_cluster
    cfg = SchedulerConfig(name="campus", address=address, tls_ca_file=certs["ca"], tls_client_cert=certs["client"],
                          tls_client_key=certs["client_key"])
    job = LabProcess(TINY, processes=1, scheduler=cfg).start()
    assert job.wait(240) and job.failure is None and job.metrics is not None and job.stats is not None
    assert job.stats.executor == "Dask scheduler campus (1 workers)"
    reference = run_experiment(TINY, processes=1)[0]
    pd.testing.assert_frame_equal(job.metrics.drop(columns=MACHINE), reference.drop(columns=MACHINE))


def test_client_certificate_from_another_ca_is_refused(tls_cluster: tuple[str, dict[str, Path]]) -> None:
    """The scheduler authenticates its clients: a certificate it did not issue gets no run, reported as TLS."""
    address, certs = tls_cluster
    rogue = SchedulerConfig(name="campus", address=address, tls_ca_file=certs["ca"],
                            tls_client_cert=certs["rogue_client"], tls_client_key=certs["rogue_client_key"])
    with pytest.raises(OSError) as info:
        run_experiment(TINY, scheduler=rogue)
    assert classify(info.value, remote=True) == "tls"


def test_cli_runs_on_a_configured_name(tls_cluster: tuple[str, dict[str, Path]], tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """`matcher simulate --scheduler campus` finds the address and certificates in the administrator's file."""
    address, certs = tls_cluster
    toml = (f'[schedulers.campus]\naddress = "{address}"\ntls_ca_file = "{certs["ca"]}"\n'
            f'tls_client_cert = "{certs["client"]}"\ntls_client_key = "{certs["client_key"]}"\n')
    monkeypatch.setenv(SCHEDULERS_ENV, _config(tmp_path, toml)[SCHEDULERS_ENV])
    exp = tmp_path / "exp.toml"
    exp.write_text('name = "cli"\nseed = 5\nreplications = 1\nfamilies_per_year = 20\npolicies = ["greedy"]\n'
                   '[territory]\ncommunes = 4\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["simulate", str(exp), "--scheduler", "campus", "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "on Dask scheduler campus (1 workers)" in result.output


def test_cli_refuses_an_unknown_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A --scheduler that is neither a configured name nor an address ends with exit 1 and the names known."""
    monkeypatch.delenv(SCHEDULERS_ENV, raising=False)
    exp = tmp_path / "exp.toml"
    exp.write_text('name = "cli"\nreplications = 1\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["simulate", str(exp), "--scheduler", "campus"])
    assert result.exit_code == 1 and "not a configured scheduler" in result.output
