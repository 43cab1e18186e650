"""A throwaway PostgreSQL server on loopback for the tests, from Debian's packages.

`initdb` into a fresh directory, `postgres` on 127.0.0.1 only with a random password, fsync off
(the data is thrown away), stopped and deleted afterwards. PostgreSQL refuses to run as root,
so under root (CI) it runs as the `postgres` user the Debian package creates.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, Optional

_BASE = int(os.environ.get("TEST_PORT_BASE", "5100"))
# Clear of the other test servers' base+5 ... base+60 (TEST_POSTGRES_PORT moves it).
POSTGRES_PORT = int(os.environ.get("TEST_POSTGRES_PORT", str(_BASE + 70)))
USER = "insights"


def postgres_binaries() -> str:
    """The directory of initdb and postgres (Debian keeps them off the PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return os.path.dirname(found[-1])
    on_path = shutil.which("initdb")
    if on_path:
        return os.path.dirname(on_path)
    raise RuntimeError("PostgreSQL is missing: run `make system-deps`")


def _port_answers(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _as_postgres_user() -> Dict[str, Any]:
    """Popen arguments that drop root to the `postgres` user; nothing when not root."""
    if os.geteuid() != 0:
        return {}
    account = pwd.getpwnam("postgres")

    def drop() -> None:
        os.setgid(account.pw_gid)
        os.setuid(account.pw_uid)

    preexec: Callable[[], None] = drop
    return {"preexec_fn": preexec, "env": {"PATH": "/usr/bin:/bin", "HOME": account.pw_dir}}


@contextmanager
def running_postgres(port: int = POSTGRES_PORT) -> Iterator[str]:
    """Yields a SQLAlchemy URL of a fresh PostgreSQL server."""
    if _port_answers(port):
        raise RuntimeError(
            f"something already answers on port {port}: stop it or set TEST_POSTGRES_PORT"
        )
    binaries = postgres_binaries()
    workdir = tempfile.mkdtemp(prefix="mindwork-pg-")
    password = secrets.token_hex(12)
    data = os.path.join(workdir, "data")
    pwfile = os.path.join(workdir, "pw")
    with open(pwfile, "w") as handle:
        handle.write(password)
    drop = _as_postgres_user()
    if drop:
        account = pwd.getpwnam("postgres")
        os.chmod(workdir, 0o700)
        for path in (workdir, pwfile):
            os.chown(path, account.pw_uid, account.pw_gid)
    process: Optional[subprocess.Popen] = None
    try:
        command: List[str] = [
            os.path.join(binaries, "initdb"),
            "-D", data, "-U", USER, "--pwfile", pwfile, "--auth", "scram-sha-256",
            "-E", "UTF8", "--no-sync",
        ]  # fmt: skip
        subprocess.run(
            command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **drop
        )
        process = subprocess.Popen(
            [
                os.path.join(binaries, "postgres"),
                "-D",
                data,
                "-p",
                str(port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                f"unix_socket_directories={workdir}",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            **drop,
        )
        url = f"postgresql://{USER}:{password}@127.0.0.1:{port}/postgres"
        _wait_until_ready(url, process)
        yield url
    finally:
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)  # "fast" shutdown: does not wait for clients
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_until_ready(url: str, process: subprocess.Popen, timeout_s: float = 30) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url, connect_args={"connect_timeout": 2})
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                with engine.connect() as connection:
                    connection.execute(sa.text("select 1"))
                return
            except sa.exc.OperationalError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("PostgreSQL did not start") from None
                time.sleep(0.2)
    finally:
        engine.dispose()
