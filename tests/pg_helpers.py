"""A real PostgreSQL for the store tests: `CRISISPLAY_TEST_PG`, a fresh schema per test.

The DSN defaults to the machines' server (`postgresql://postgres@127.0.0.1:5432/test`, trust
auth). `.ci/run` starts a throwaway cluster and exports CRISISPLAY_TEST_PG where none listens;
run by hand without one, the PostgreSQL tests are skipped and say why (`pytest -rs`).
A throwaway cluster of the test's own (`Cluster`) is started where a test must restart the
server or needs password authentication.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path

import pytest

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def base_dsn() -> str:
    return os.environ.get("CRISISPLAY_TEST_PG", DEFAULT_DSN)


def with_schema(dsn: str, schema: str) -> str:
    """`dsn` with its search_path set to `schema` (the store's tables go there)."""
    parts = urllib.parse.urlsplit(dsn)
    query = urllib.parse.parse_qsl(parts.query)
    query.append(("options", f"-csearch_path={schema}"))
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def reachable(dsn: str) -> str | None:
    """None when a server answers at `dsn`, else why not."""
    import psycopg

    try:
        psycopg.connect(dsn, connect_timeout=3).close()
    except psycopg.Error as err:
        return str(err).strip().splitlines()[0]
    return None


def fresh_schema(dsn: str | None = None, init: bool = True) -> tuple[str, str]:
    """(dsn of a new empty schema, its name); the crisisplay schema created in it when `init`."""
    import psycopg

    dsn = dsn or base_dsn()
    problem = reachable(dsn)
    if problem is not None:
        pytest.skip(f"no PostgreSQL at {dsn} ({problem}); .ci/run starts one, or set CRISISPLAY_TEST_PG")
    schema = "t_" + secrets.token_hex(6)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    scoped = with_schema(dsn, schema)
    if init:
        from crisisplay.store.postgres import PostgresStore

        PostgresStore(scoped).init()
    return scoped, schema


def drop_schema(schema: str, dsn: str | None = None) -> None:
    import psycopg

    with contextlib.suppress(psycopg.Error), psycopg.connect(dsn or base_dsn(), autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    """A throwaway PostgreSQL cluster: initdb in a temporary folder, pg_ctl start/stop/restart.

    Run as the `postgres` user (runuser) when the tests run as root, as initdb refuses root.
    """

    def __init__(self, password: str | None = None):
        if not (PG_BIN / "initdb").exists():
            pytest.skip(f"no initdb in {PG_BIN}: cannot start a throwaway PostgreSQL cluster")
        self.root = Path(tempfile.mkdtemp(prefix="crisisplay-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.password = password
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            if shutil.which("runuser") is None:
                pytest.skip("running as root without runuser: cannot start PostgreSQL as an unprivileged user")
            self._as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.root, "postgres", "postgres")
        os.chmod(self.root, 0o700)
        command = [str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-E", "UTF8", "--no-sync"]
        if password is not None:
            pwfile = self.root / "pw"
            pwfile.write_text(password + "\n")
            if self._as_user:
                shutil.chown(pwfile, "postgres", "postgres")
            command += ["--auth=scram-sha-256", f"--pwfile={pwfile}"]
        else:
            command += ["--auth=trust"]
        self._run(command)
        self.start()

    def _run(self, command: list[str]) -> None:
        subprocess.run(self._as_user + command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start"]
        )

    def stop(self) -> None:
        self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])

    def dsn(self, password: str | None = None) -> str:
        secret = f":{urllib.parse.quote(password, safe='')}" if password is not None else ""
        return f"postgresql://postgres{secret}@127.0.0.1:{self.port}/postgres"

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while reachable(self.dsn(self.password)) is not None:
            if time.monotonic() > deadline:
                raise TimeoutError("the throwaway cluster did not come back")
            time.sleep(0.1)
