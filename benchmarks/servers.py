"""A production deployment on 127.0.0.1 for the benchmarks: a PostgreSQL database of its own,
``flask`` commands run as an operator runs them, and gunicorn serving the app.

Every function takes the source tree to run (``tree``, by default this checkout), so that a
benchmark can serve an older commit checked out beside it with the same virtualenv.
"""

from __future__ import annotations

import http.client
import os
import secrets
import socket
import subprocess
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
SERVER = "postgresql://postgres@127.0.0.1:5432"
PUBLIC_HOST = "pb.example.org"
BASE_URL = f"https://{PUBLIC_HOST}"


def processes_cpu(chosen) -> float:
    """User and system CPU seconds spent so far by the processes for which
    ``chosen(command name, parent pid)`` is true, read from /proc."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # a process that has just ended
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        fields = text.rsplit(")", 1)[1].split()  # after the command's name
        if chosen(name, int(fields[1])):
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def database_cpu() -> float:
    """CPU seconds PostgreSQL's processes on this machine have spent so far (its backends
    serving the app's pooled connections, and its background writers)."""
    return processes_cpu(lambda name, parent: name.startswith("postgres"))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url(name: str) -> str:
    """The URL of database ``name`` on the local server, as the superuser."""
    return f"{SERVER}/{name}"


def superuser(name: str) -> psycopg.Connection:
    """An autocommit connection to database ``name`` as the PostgreSQL superuser."""
    return psycopg.connect(database_url(name), autocommit=True)


def create_database(name: str) -> None:
    """Create database ``name`` afresh (dropping a leftover one first)."""
    with superuser("postgres") as conn:
        drop_database(name, conn)
        conn.execute(f"CREATE DATABASE {name}")


def drop_database(name: str, conn: psycopg.Connection | None = None) -> None:
    """Drop database ``name`` if it exists, ending whatever still holds it."""
    own = conn is None
    conn = conn or superuser("postgres")
    try:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
    finally:
        if own:
            conn.close()


def production_environment(database: str, smtp_port: int,
                           tree: Path = ROOT) -> dict[str, str]:
    """The README's production settings for database ``database``, with mail through
    ``smtp_port`` of 127.0.0.1 and ``tree`` first on the import path."""
    env = dict(os.environ)
    env.update({
        "PB_ENV": "production",
        "PB_SECRET_KEY": secrets.token_hex(32),
        "PB_BASE_URL": BASE_URL,
        "PB_TRUSTED_PROXY_COUNT": "1",
        "PB_DATABASE_URL": database_url(database),
        "PB_MAIL_SMTP_HOST": "127.0.0.1",
        "PB_MAIL_SMTP_PORT": str(smtp_port),
        "PB_MAIL_SMTP_SECURITY": "none",
        "PYTHONPATH": str(tree),
    })
    return env


def flask(env: dict[str, str], *args: str, stdin: str | None = None, timeout: float = 300,
          tree: Path = ROOT) -> subprocess.CompletedProcess:
    """Run ``flask --app wsgi ARGS`` in ``tree`` as an operator would."""
    return subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", *args], cwd=tree, env=env,
                          input=stdin, capture_output=True, text=True, timeout=timeout)


def answers(port: int, path: str = "/") -> int:
    """The status of GET ``path`` on 127.0.0.1:``port``, as the TLS proxy forwards it."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Host": PUBLIC_HOST, "X-Forwarded-Proto": "https",
                                           "X-Forwarded-For": "192.0.2.1"})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


class Gunicorn:
    """gunicorn serving ``tree``'s ``wsgi:app`` with ``workers`` sync workers on a free port
    of 127.0.0.1, as the README deploys it; ready once the home page answers 200."""

    def __init__(self, env: dict[str, str], log: Path, *, workers: int = 2, tree: Path = ROOT):
        self.port = free_port()
        self.log = log.open("w")
        self.process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "--workers", str(workers), "--chdir", str(tree),
             "--bind", f"127.0.0.1:{self.port}", "--timeout", "60", "wsgi:app"],
            cwd=tree, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if answers(self.port) == 200:
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer; see {log}")

    def cpu_seconds(self) -> float:
        """User and system CPU time its workers have spent so far (they serve every request)."""
        return processes_cpu(lambda name, parent: parent == self.process.pid)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then wait; SIGKILL if it hangs)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
