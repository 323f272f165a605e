"""A rendered project's app served by uvicorn on loopback, for the bench and the contract check."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STARTUP_SECONDS = 60
# Rate limits (level 4 up) far above what the contract check and the bench send: every
# request is still counted, none refused. Projects of lower levels ignore them.
UNLIMITED = {
    f"RATE_LIMIT{suffix}": "1000000/second"
    for suffix in ("", "_SIGN_IN", "_REGISTER", "_REFRESH", "_KEY_CREATION")
}


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    started_in: float
    probe: str  # the liveness path it answered

    def rss_mib(self, field: str = "VmRSS") -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError(f"no {field} for process {self.process.pid}")


def python(project: Path) -> str:
    """The interpreter of the project's environment (`uv sync` made it)."""
    return str(project / ".venv" / "bin" / "python")


def app_command(project: Path, package: str, *options: str) -> list[str]:
    """uvicorn serving the project's app factory from its own environment."""
    return [python(project), "-m", "uvicorn", "--factory", f"{package}.main:create_app", *options]


def migrate(project: Path, package: str, env: dict[str, str]) -> str:
    """Bring the database in `env` to the project's schema with its migrate command (level
    4 up: its app refuses to start before) and return its log lines; projects without one
    create tables at start-up."""
    if not (project / "src" / package / "migrate.py").exists():
        return ""
    command = [python(project), "-m", f"{package}.migrate"]
    result = subprocess.run(command, cwd=project, env={**os.environ, **env}, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"{' '.join(command)} exited with {result.returncode}: {result.stderr}")
    return result.stderr


def database_settings(database_url: str, level: int) -> dict[str, str]:
    """The database settings of a project of `level` on the server whose administrator's
    URL is `database_url`: from level 4 on PostgreSQL or MongoDB, the app connects as its
    own role or user, "api", which the migrate step makes as the administrator."""
    if level < 4 or not database_url.startswith(("postgresql", "mongodb")):
        return {"DATABASE_URL": database_url}
    parts = urllib.parse.urlsplit(database_url)
    server = parts.netloc.rsplit("@", 1)[-1]
    app = parts._replace(netloc=f"api:app-password@{server}", query="").geturl()
    return {"DATABASE_URL": app, "DATABASE_ADMIN_URL": database_url}


def api_url(base_url: str, level: int) -> str:
    """Where the API's routes (items, users, auth) are: under /api/v1 from level 4, beside
    the health probes and docs at the root."""
    return f"{base_url}/api/v1" if level >= 4 else base_url


def liveness_path(project: Path) -> str:
    """The app's liveness probe: /health, or /health/live from level 4 (with /health/ready)."""
    answers = (project / ".copier-answers.yml").read_text()
    level = next(int(line.split(":")[1]) for line in answers.splitlines() if line.startswith("level:"))
    return "/health/live" if level >= 4 else "/health"


def request(url: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> Any:
    with urllib.request.urlopen(urllib.request.Request(url, data, headers or {}), timeout=10) as response:
        body = response.read()
        return json.loads(body) if body else None


@contextmanager
def serve(
    project: Path,
    command: Sequence[str],
    env: dict[str, str],
    port: int,
    *,
    prefix: Sequence[str] = (),
    log: Path | None = None,
    probe: str | None = None,
) -> Iterator[Server]:
    """Start `command` on 127.0.0.1:`port` in the project (after `prefix`, e.g. taskset);
    yield once its liveness probe (`probe`, else the project's) answers 200; stop it at
    the end. Its output goes to `log` (without one, its stderr to a temporary file),
    shown if it exits before it answers."""
    started = time.perf_counter()
    with log.open("w+b") if log else tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            [*prefix, *command, "--host", "127.0.0.1", "--port", str(port)],
            cwd=project,
            env={**os.environ, **env},
            stdout=output if log else subprocess.DEVNULL,
            stderr=output,
        )
        base_url = f"http://127.0.0.1:{port}"
        probe = probe or liveness_path(project)
        try:
            while True:
                if process.poll() is not None:
                    output.seek(0)
                    text = output.read().decode(errors="replace")
                    raise RuntimeError(f"{' '.join(command)} exited with {process.returncode}: {text}")
                if time.perf_counter() - started > STARTUP_SECONDS:
                    raise TimeoutError(f"{base_url}{probe} did not answer in {STARTUP_SECONDS} s")
                try:
                    request(base_url + probe)
                    break
                except (urllib.error.URLError, ConnectionError):
                    time.sleep(0.005)
            yield Server(base_url, process, time.perf_counter() - started, probe)
        finally:
            process.terminate()
            process.wait(timeout=30)


def superuser_key(project: Path, package: str, env: dict[str, str], email: str, password: str) -> str:
    """An API-key project's superuser, made with its own CLI: the key it prints."""
    command = [python(project), "-m", f"{package}.auth.cli", "create-superuser", email]
    cli_env = {**os.environ, **env, "SUPERUSER_PASSWORD": password}
    # stdout only: the CLI prints the key there and its message on stderr.
    cli = subprocess.run(command, cwd=project, env=cli_env, check=True, capture_output=True, text=True)
    return cli.stdout.strip()
