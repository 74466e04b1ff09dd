"""The Dask schedulers an administrator allows the policy lab to use, with their TLS settings.

A Dask scheduler sends back results as pickles, and unpickling runs code: a scheduler is trusted with the
process that receives its results. So the app never connects to an address a user types; it offers only the
schedulers named in a TOML file whose path the ``MATCHER_DASK_SCHEDULERS`` environment variable gives::

    # /etc/matcher/schedulers.toml
    [schedulers.campus]
    address = "tls://dask.example.org:8786"
    tls_ca_file = "ca.pem"              # the CA that signed the scheduler's certificate (checked)
    tls_client_cert = "matcher.pem"     # this client's certificate: the scheduler authenticates it
    tls_client_key = "matcher-key.pem"  # optional when the key is inside tls_client_cert
    # require_encryption = true         # the default; false only for a tcp:// scheduler on a trusted network

Relative paths are relative to the TOML file. The settings become Dask's own
:class:`distributed.security.Security` (mutual TLS: the client checks the scheduler's certificate against the CA
and the scheduler checks the client's). A ``tcp://`` scheduler sends tasks and results unencrypted and
unauthenticated; it is accepted only with ``require_encryption = false`` written out.

The command line ``matcher simulate --scheduler`` takes a configured name (with its TLS settings) or, since it is
the user's own process, any address (with Dask's own configuration for security).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from matcher.models.policy import validation_lines
from matcher.simulate.files import read_toml

if TYPE_CHECKING:
    from distributed.security import Security

__all__ = ["SCHEDULERS_ENV", "SchedulerConfig", "SchedulerError", "load_schedulers", "resolve_cli_scheduler",
           "resolve_page_scheduler"]

#: The environment variable naming the schedulers' TOML file.
SCHEDULERS_ENV = "MATCHER_DASK_SCHEDULERS"

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
_ADDRESS = re.compile(r"^(tcp|tls)://[^\s/:]+:[0-9]{1,5}$|^(tcp|tls)://\[[0-9A-Fa-f:.]+\]:[0-9]{1,5}$")


class SchedulerError(ValueError):
    """A scheduler that may not be used, or a schedulers' file that cannot be read; the message says why."""


class SchedulerConfig(BaseModel):
    """One allowed scheduler: its name (what users choose), its address and its TLS settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="what users choose: letters, digits, '.', '_', '-' (40 at most)")
    address: str = Field(description="tls://host:port, or tcp://host:port on a trusted network")
    tls_ca_file: Path | None = Field(default=None, description="CA certificate (PEM) the scheduler's must match")
    tls_client_cert: Path | None = Field(default=None, description="this client's certificate (PEM)")
    tls_client_key: Path | None = Field(default=None, description="this client's key (PEM), if not in the cert")
    require_encryption: bool = Field(default=True, description="refuse any unencrypted connection")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError("a name of letters, digits, '.', '_' or '-' (40 at most), starting with a letter or "
                             "digit")
        return v

    @field_validator("address")
    @classmethod
    def _address(cls, v: str) -> str:
        if not _ADDRESS.match(v):
            raise ValueError("expected tls://host:port (or tcp://host:port)")
        return v

    @field_validator("tls_ca_file", "tls_client_cert", "tls_client_key")
    @classmethod
    def _readable(cls, v: Path | None) -> Path | None:
        if v is not None and not os.access(v, os.R_OK):
            raise ValueError(f"{v} cannot be read")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> SchedulerConfig:
        tls = self.address.startswith("tls://")
        files = (self.tls_ca_file, self.tls_client_cert, self.tls_client_key)
        if tls and (self.tls_ca_file is None or self.tls_client_cert is None):
            raise ValueError("a tls:// scheduler needs tls_ca_file (to check the scheduler) and tls_client_cert "
                             "(for the scheduler to check this client)")
        if not tls and any(f is not None for f in files):
            raise ValueError("TLS files are given but the address is tcp://: use tls://")
        if not tls and self.require_encryption:
            raise ValueError("tcp:// sends tasks and results unencrypted and unauthenticated: use tls:// with "
                             "certificates, or write require_encryption = false for a trusted private network")
        return self

    def security(self) -> Security:
        """Dask's security settings for this scheduler (the certificates, and whether encryption is required)."""
        from distributed.security import Security

        files = {"tls_ca_file": self.tls_ca_file, "tls_client_cert": self.tls_client_cert,
                 "tls_client_key": self.tls_client_key}
        return Security(require_encryption=self.require_encryption,
                        **{k: str(v) for k, v in files.items() if v is not None})


def load_schedulers(env: Mapping[str, str] | None = None) -> dict[str, SchedulerConfig]:
    """The allowed schedulers by name: none when ``MATCHER_DASK_SCHEDULERS`` is unset or empty.

    Raises
    ------
    SchedulerError
        The file cannot be read or is not valid; the message names the file and each bad key.
    """
    value = (os.environ if env is None else env).get(SCHEDULERS_ENV, "").strip()
    if not value:
        return {}
    path = Path(value)
    data = read_toml(path, SchedulerError, unreadable_as=f"{SCHEDULERS_ENV}={path}")
    unknown = sorted(set(data) - {"schedulers"})
    if unknown:
        raise SchedulerError("\n".join(f"{path.name} › {k}: unknown key" for k in unknown))
    tables = data.get("schedulers", {})
    if not isinstance(tables, dict):
        raise SchedulerError(f"{path.name} › schedulers: expected tables [schedulers.NAME]")
    found: dict[str, SchedulerConfig] = {}
    problems: list[str] = []
    for name, table in tables.items():
        if not isinstance(table, dict):
            problems.append(f"{path.name} › schedulers.{name}: expected a table")
            continue
        settings = {k: (path.parent / v if k.startswith("tls_") and isinstance(v, str) else v)
                    for k, v in table.items()}
        try:
            found[name] = SchedulerConfig.model_validate({"name": name, **settings})
        except ValidationError as exc:
            problems.append(validation_lines(exc, f"{path.name} › schedulers.{name}"))
    if problems:
        raise SchedulerError("\n".join(problems))
    return found


def resolve_page_scheduler(name: str, schedulers: Mapping[str, SchedulerConfig]) -> SchedulerConfig:
    """The configured scheduler a page chose by name; anything else is refused before any connection.

    Raises
    ------
    SchedulerError
        `name` is not a configured scheduler's name (an address, a stale or a forged value).
    """
    found = schedulers.get(name) if isinstance(name, str) else None
    if found is None:
        raise SchedulerError("not a configured scheduler")
    return found


def resolve_cli_scheduler(value: str,
                          schedulers: Mapping[str, SchedulerConfig] | None = None) -> str | SchedulerConfig:
    """``--scheduler`` of the command line: an explicit address as it is, or a configured name with its settings
    (read from ``MATCHER_DASK_SCHEDULERS`` when `schedulers` is not given, and only then).

    Raises
    ------
    SchedulerError
        Neither an address (``scheme://host:port``) nor a configured name, or the schedulers' file is bad.
    """
    if "://" in value:
        return value
    known = load_schedulers() if schedulers is None else schedulers
    if value in known:
        return known[value]
    names = ", ".join(sorted(known)) or ("none" if os.environ.get(SCHEDULERS_ENV) else
                                         f"none: {SCHEDULERS_ENV} is not set")
    raise SchedulerError(f"--scheduler {value}: not a configured scheduler (configured: {names}) nor an address "
                         "such as tls://host:8786")
