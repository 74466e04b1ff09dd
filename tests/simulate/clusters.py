"""Real Dask clusters for the lab's tests: a scheduler and workers as separate processes on loopback, plain or
with mutual TLS (certificates made by openssl for the test), and a loopback listener that records connections."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_certificates(folder: Path) -> dict[str, Path]:
    """A test CA with scheduler, worker and client certificates, and a client certificate from another CA.

    Returns the paths by name: ``ca``, ``scheduler``/``scheduler_key``, ``worker``/``worker_key``,
    ``client``/``client_key``, ``rogue_client``/``rogue_client_key``.
    """
    openssl = shutil.which("openssl")
    if openssl is None:
        import pytest

        pytest.skip("openssl is needed to make the test certificates")
    folder.mkdir(parents=True, exist_ok=True)

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], cwd=folder, check=True, capture_output=True)

    def ca(name: str) -> None:
        run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.pem",
            "-days", "2", "-subj", f"/CN={name}")

    def signed(name: str, by: str) -> None:
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj",
            f"/CN={name}")
        run("x509", "-req", "-in", f"{name}.csr", "-CA", f"{by}.pem", "-CAkey", f"{by}.key", "-CAcreateserial",
            "-out", f"{name}.pem", "-days", "2")

    ca("ca")
    ca("rogue_ca")
    for role in ("scheduler", "worker", "client"):
        signed(role, "ca")
    signed("rogue_client", "rogue_ca")
    paths = {"ca": folder / "ca.pem"}
    for role in ("scheduler", "worker", "client", "rogue_client"):
        paths[role], paths[f"{role}_key"] = folder / f"{role}.pem", folder / f"{role}.key"
    return paths


@contextmanager
def dask_cluster(workers: int = 2, certs: dict[str, Path] | None = None) -> Iterator[str]:
    """A scheduler and single-threaded workers on loopback (mutual TLS with `certs`); yields its address."""
    from distributed import Client
    from distributed.security import Security

    dask = str(Path(sys.executable).with_name("dask"))
    port = free_port()
    scheme = "tcp" if certs is None else "tls"
    address = f"{scheme}://127.0.0.1:{port}"
    tls_args: dict[str, list[str]] = {"scheduler": [], "worker": []}
    security = None
    if certs is not None:
        for role in ("scheduler", "worker"):
            tls_args[role] = ["--tls-ca-file", str(certs["ca"]), "--tls-cert", str(certs[role]), "--tls-key",
                              str(certs[f"{role}_key"])]
        security = Security(tls_ca_file=str(certs["ca"]), tls_client_cert=str(certs["client"]),
                            tls_client_key=str(certs["client_key"]), require_encryption=True)
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--protocol", scheme,
                               "--no-dashboard", *tls_args["scheduler"]],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        for _ in range(workers):
            procs.append(subprocess.Popen(
                [dask, "worker", address, "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard",
                 "--death-timeout", "60", *tls_args["worker"]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + 90
        while True:
            try:
                with Client(address, timeout="5s", security=security) as client:
                    client.wait_for_workers(workers, timeout=max(1.0, deadline - time.monotonic()))
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)


class Listener:
    """A loopback socket that accepts and counts connections in a thread: what an attacker's scheduler would see."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen()
        self._sock.settimeout(0.2)
        self.port = int(self._sock.getsockname()[1])
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            conn.close()

    def close(self) -> int:
        """Stop listening; the number of connections seen."""
        self._stop.set()
        self._thread.join(5)
        self._sock.close()
        return self.connections
