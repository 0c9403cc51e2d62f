"""A throwaway PostgreSQL server for the tests, started here on 127.0.0.1 only.

The server is a throwaway cluster (initdb into a temporary folder, ``trust`` auth, listening
on 127.0.0.1 and a socket in that folder only, fsync off) started once per session, stopped
with ``pg_ctl stop -m fast`` at the end. Every test gets its own database (``pg_url``).
Tests that ask for it are skipped where PostgreSQL's server binaries or psycopg are not
installed; on Debian, as root::

    apt-get install -y --no-install-recommends postgresql
    .venv/bin/pip install 'psycopg[binary]>=3.2'

Loaded by ``conftest.py`` as a plugin, so any test module may use ``postgres``/``pg_url``.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True, slots=True)
class Server:
    port: int
    user: str

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"


def _bindir() -> Path | None:
    """The folder holding initdb and pg_ctl: on PATH, else Debian's newest version."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def postgres() -> Iterator[Server]:
    """A PostgreSQL server for this session, on 127.0.0.1 only; stopped at the end."""
    if importlib.util.find_spec("psycopg") is None:
        pytest.skip("psycopg is not installed: pip install 'prefrontal[postgres]'")
    bindir = _bindir()
    if bindir is None or not (bindir / "pg_ctl").exists():
        pytest.skip(
            "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in "
            "/usr/lib/postgresql/*/bin: apt-get install -y postgresql"
        )
    # initdb refuses to run as root: run the server as the 'postgres' user then.
    prefix: list[str] = []
    owner: pwd.struct_passwd | None = None
    if os.geteuid() == 0:
        runuser = shutil.which("runuser", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            owner = None
        if runuser is None or owner is None:
            pytest.skip("running as root needs runuser and a 'postgres' user to run initdb")
        prefix = [runuser, "-u", "postgres", "--"]
    folder = Path(tempfile.mkdtemp(prefix="prefrontal-pg-"))
    if owner is not None:
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    data, log = folder / "data", folder / "server.log"
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    for name in ("PGDATA", "PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGOPTIONS"):
        env.pop(name, None)

    def pg(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*prefix, *args], env=env, capture_output=True, text=True, timeout=120, check=False
        )

    def fail(step: str, done: subprocess.CompletedProcess[str]) -> None:
        if (data / "postmaster.pid").exists():  # a start that gave up waiting: stop it
            pg(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        server_log = log.read_text(errors="replace") if log.exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"{step} failed ({done.returncode}):\n{done.stdout}{done.stderr}{server_log}")

    init = pg(
        str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
        "-E", "UTF8", "--locale=C", "--no-sync",
    )  # fmt: skip
    if init.returncode != 0:
        fail("initdb", init)
    port = _free_port()
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off"
    start = pg(
        str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-o", options, "start"
    )
    if start.returncode != 0:
        fail("pg_ctl start", start)
    try:
        yield Server(port=port, user="postgres")
    finally:
        pg(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_url(postgres: Server) -> Iterator[str]:
    """A fresh, empty database on the session's server; dropped after the test."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(
        host="127.0.0.1", port=postgres.port, user=postgres.user, dbname="postgres", autocommit=True
    ) as admin:
        # FILE_COPY (PostgreSQL 15+) copies the tiny template faster than WAL-logging it.
        strategy = " STRATEGY FILE_COPY" if admin.info.server_version >= 150000 else ""
        admin.execute(f'CREATE DATABASE "{name}"{strategy}')
        yield postgres.url(name)
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
