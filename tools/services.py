"""Throwaway database servers on loopback for the `generated` sessions.

`postgres()` starts a real PostgreSQL cluster in a temporary folder (as the
`postgres` user when run as root, since PostgreSQL refuses to run as root);
`mongodb()` starts the MongoDB wire-protocol stand-in (docker/images/mongo, on
mongoeco) with uv, with a root user, so that it authorizes commands as `mongod --auth`
does; `redis()` starts Debian's redis-server without persistence. TEST_POSTGRES_URL /
TEST_MONGODB_URL / TEST_REDIS_URL point the sessions at servers of your own instead,
e.g. a real `mongod`.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MONGOD = ROOT / "docker" / "images" / "mongo" / "mongod.py"
MONGOECO = "mongoeco[wire]==4.11.0"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with status {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


def _postgres_bindir() -> Path:
    if pg_config := shutil.which("pg_config"):
        bindir = Path(subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout.strip())
        if (bindir / "initdb").exists():
            return bindir
    installed = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not installed:
        raise RuntimeError("No PostgreSQL server found: run scripts/setup (it installs one).")
    return installed[-1].parent


@contextmanager
def postgres() -> Iterator[str]:
    """Yield an SQLAlchemy URL of a superuser on a fresh cluster (fsync off: tests only)."""
    if url := os.environ.get("TEST_POSTGRES_URL"):
        yield url
        return
    bindir = _postgres_bindir()
    folder = Path(tempfile.mkdtemp(prefix="fastapi-template-pg-"))
    as_owner: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        as_owner = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", free_port()
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c max_connections=200 "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    try:
        subprocess.run(
            [
                *as_owner,
                bindir / "initdb",
                "-D",
                data,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [*as_owner, bindir / "pg_ctl", "-D", data, "-o", options, "-l", folder / "log", "-w", "start"],
            check=True,
            capture_output=True,
        )
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_owner, bindir / "pg_ctl", "-D", data, "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def mongodb() -> Iterator[str]:
    """Yield a MongoDB URL of the root user of a fresh stand-in server (in memory), on
    the database `app`: `mongodb://root:PASSWORD@127.0.0.1:PORT/app?authSource=admin`.
    The server is started with MONGO_INITDB_ROOT_USERNAME/PASSWORD (a random password),
    so authentication is on and the users root creates get only what their roles allow,
    as on a real `mongod --auth`."""
    if url := os.environ.get("TEST_MONGODB_URL"):
        yield url
        return
    port = free_port()
    command: list[str | Path] = [
        "uv",
        "run",
        "--quiet",
        "--no-project",
        "--python",
        "3.13",
        "--with",
        MONGOECO,
        "python",
        MONGOD,
        "--bind_ip",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    password = secrets.token_hex(16)  # hex: nothing to escape in the URL
    env = {**os.environ, "MONGO_INITDB_ROOT_USERNAME": "root", "MONGO_INITDB_ROOT_PASSWORD": password}
    with serving(command, port, env):
        yield f"mongodb://root:{password}@127.0.0.1:{port}/app?authSource=admin"


@contextmanager
def redis() -> Iterator[str]:
    """Yield the URL of a fresh Redis server (Debian's redis-server, in memory only)."""
    if url := os.environ.get("TEST_REDIS_URL"):
        yield url
        return
    server = shutil.which("redis-server")
    if server is None:
        raise RuntimeError("No redis-server found: run scripts/setup (it installs one).")
    port = free_port()
    command = [server, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
    with serving(command, port):
        yield f"redis://127.0.0.1:{port}/0"


@contextmanager
def serving(command: list[Any], port: int, env: dict[str, str] | None = None) -> Iterator[None]:
    """Run `command` until the block ends, from when it listens on 127.0.0.1:`port`."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=env)
    try:
        wait_for_port(port, process)
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)
