"""A throwaway PostgreSQL cluster for the test suite: ``initdb`` + ``pg_ctl`` in a temp folder.

The server listens on a free port of 127.0.0.1 (and a unix socket inside the temp folder), trusts
every local connection, keeps nothing on disk it does not have to (``fsync=off``), and is stopped
and deleted at the end. The binaries come from ``KOPPELING_PG_BINDIR``, ``pg_config --bindir``,
or Debian's ``/usr/lib/postgresql/<version>/bin``; without them :class:`PostgresMissing` says what
to install. ``initdb`` refuses to run as root, so as root the cluster runs as the ``postgres``
user (or ``nobody``) through ``setpriv``.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Self

SUPERUSER = "koppeling"
PREFIX = "koppeling-pg-"
OWNER_FILE = "owner.pid"
INSTALL_HINT = (
    "the tests against PostgreSQL need its server binaries (initdb, pg_ctl): install Debian's "
    "`postgresql` package (`apt-get install postgresql`; .ci/run does this), or point "
    "KOPPELING_PG_BINDIR at the folder that holds them"
)


class PostgresMissing(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def find_bindir(env: dict[str, str] | None = None) -> Path:
    """The folder with ``initdb`` and ``pg_ctl``; PostgresMissing otherwise."""
    env = dict(os.environ) if env is None else env
    candidates: list[Path] = []
    if env.get("KOPPELING_PG_BINDIR"):
        candidates.append(Path(env["KOPPELING_PG_BINDIR"]))
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=10
            ).stdout.strip()
            candidates.append(Path(out))
        except (OSError, subprocess.SubprocessError):
            pass
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    candidates.extend(debian)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    raise PostgresMissing(INSTALL_HINT)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_as() -> tuple[list[str], int | None, int | None]:
    """The command prefix that drops root (initdb refuses it), with that user's uid and gid."""
    if os.geteuid() != 0:
        return [], None, None
    for name in ("postgres", "nobody"):
        try:
            user = pwd.getpwnam(name)
        except KeyError:
            continue
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            raise PostgresMissing("running as root needs `setpriv` (util-linux) to drop to a user")
        prefix = [
            setpriv,
            f"--reuid={user.pw_uid}",
            f"--regid={user.pw_gid}",
            "--clear-groups",
        ]
        return prefix, user.pw_uid, user.pw_gid
    raise PostgresMissing("running as root, but there is no `postgres` or `nobody` user")


class PgCluster:
    """One throwaway cluster: ``start()``, ``url(db)``, ``create_database(name)``, ``stop()``."""

    def __init__(self, bindir: Path | None = None) -> None:
        self.bindir = bindir or find_bindir()
        self.base: Path | None = None
        self.port = 0
        self._prefix: list[str] = []

    @property
    def host(self) -> str:
        return "127.0.0.1"

    def start(self) -> Self:
        prefix, uid, gid = _run_as()
        self._prefix = prefix
        self._reap_orphans()
        base = Path(tempfile.mkdtemp(prefix=PREFIX))
        self.base = base
        (base / OWNER_FILE).write_text(str(os.getpid()), encoding="ascii")
        (base / "sock").mkdir()
        if uid is not None and gid is not None:
            for path in (base, base / "sock"):
                os.chown(path, uid, gid)
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        try:
            self._run(
                [
                    str(self.bindir / "initdb"),
                    "-D",
                    str(base / "data"),
                    "-U",
                    SUPERUSER,
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--no-locale",
                    "--no-sync",
                ],
                env,
            )
            self.port = _free_port()
            options = (
                f"-p {self.port} -h 127.0.0.1 -k {base / 'sock'} -F "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
            )
            self._run(
                [
                    str(self.bindir / "pg_ctl"),
                    "-D",
                    str(base / "data"),
                    "-l",
                    str(base / "server.log"),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ],
                env,
            )
        except BaseException:
            self.stop()
            raise
        return self

    def _run(self, cmd: list[str], env: dict[str, str]) -> None:
        done = subprocess.run(
            [*self._prefix, *cmd], capture_output=True, text=True, env=env, timeout=120
        )
        if done.returncode != 0:
            log = ""
            if self.base is not None and (self.base / "server.log").exists():
                log = (self.base / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(
                f"{Path(cmd[0]).name} failed ({done.returncode}): "
                f"{done.stderr.strip() or done.stdout.strip()}\n{log}"
            )

    def _reap_orphans(self) -> None:
        """Stop and delete the clusters of earlier test processes that were killed before they
        could stop them (their owner process is gone)."""
        for base in Path(tempfile.gettempdir()).glob(PREFIX + "*"):
            try:
                owner = int((base / OWNER_FILE).read_text(encoding="ascii"))
            except (OSError, ValueError):
                continue
            if _alive(owner):
                continue
            orphan = PgCluster(self.bindir)
            orphan.base, orphan._prefix = base, self._prefix
            orphan.stop()

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of a database in this cluster (psycopg 3)."""
        return f"postgresql+psycopg://{SUPERUSER}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new empty database (dropped first if it exists); its URL."""
        import psycopg

        with psycopg.connect(
            host=self.host, port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        """Stop the server at once and delete its folder."""
        base, self.base = self.base, None
        if base is None:
            return
        if (base / "data" / "postmaster.pid").exists():
            subprocess.run(
                [
                    *self._prefix,
                    str(self.bindir / "pg_ctl"),
                    "-D",
                    str(base / "data"),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(base, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
