"""Sessions that test the template. `nox -l` lists them: one per combination of answers.

- lint: the template repository's own code (ruff, mypy).
- workflows: .github/workflows pass zizmor (offline).
- tests: pytest tests of copier.yml's behaviour (defaults, validators, secrets, updates).
- releases: `copier update` from every release (CHANGELOG.md) to this version keeps a
  user's edits, one combination per database (tests/test_releases.py).
- docs: the documentation site's generated pages (tools/docs.py), built in strict mode.
- render(...): the combination renders with no leftover Jinja, no empty file, and its
  code compiles, passes ruff (check and format) and mypy --strict (from level 4: through
  the project's pre-commit hooks, and its CI workflow passes zizmor).
- generated(...): the rendered project's app runs on this machine against its real
  database (SQLite file, PostgreSQL server, MongoDB wire server): from level 2 it passes
  the contract check (tools/contract); its /docs and /redoc render every operation in
  headless Chromium (tools/browser.py).
- python(version=...): every other Python version a project may target, on the widest
  combinations: mypy on each and the tests of one (a different one for each version), on
  this machine's interpreter when it has one, else that one in Docker.
- docker(...): the project, for the default Python version, is built in Docker and passes
  its own tests there against its real database service, then its image is smoke-tested.
- bench: not in the default run; the request-path benchmark (tools/bench, docs/benchmark.md).

render and generated use the default Python version when this machine has it, else the
newest offered version it has (tools/pythons.py); docker tests the default. Each project's
own tests run in docker for every combination (default version), and in python for one
of the widest combinations per other version.

Every session renders from the working tree, uncommitted changes included; render and
generated share one render of each combination per nox run. Each records its outcome in
.matrix/results/; `python -m tools.report` prints the table.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nox
import yaml

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from tools import bench as benchmark  # noqa: E402
from tools import browser, contract, matrix, pythons, report, server, services  # noqa: E402

WORK = ROOT / ".matrix"
RENDERS = WORK / "renders"

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "none"
# scripts/test runs them as two streams at once (tests/test_matrix.py checks it names each).
nox.options.sessions = [
    "lint",
    "workflows",
    "docs",
    "tests",
    "releases",
    "render",
    "generated",
    "python",
    "docker",
]
nox.options.reuse_venv = "yes"

COMBINATIONS = [nox.param(combo, id=matrix.label(combo)) for combo in matrix.combinations()]
JINJA_MARKUP = re.compile(r"\{\{|\{%|\{#|%\}")
ZIZMOR = "1.32.0"
PRE_COMMIT = "4.7.0"
MKDOCS, MKDOCS_MATERIAL = "1.6.1", "9.8.2"
PROJECT_DATA = {"project_name": "Matrix Check", "description": "Rendered by the template tests"}
# The renders of kind "host" made in this nox run: render and generated check one copy.
HOST_RENDERS: dict[tuple[str, ...], Path] = {}


def recorded(func: Callable[..., None]) -> Callable[..., None]:
    """Write the session's outcome and duration to .matrix/results/ (see tools/report.py)."""

    @functools.wraps(func)
    def wrapper(session: nox.Session, **kwargs: Any) -> None:
        prepare_environment()
        started, status = time.monotonic(), "failed"
        try:
            func(session, **kwargs)
            status = "passed"
        finally:
            report.record(session.name, status, time.monotonic() - started)

    return wrapper


def prepare_environment() -> dict[str, Path]:
    """The interpreters this machine has for the offered Python versions."""
    # nox gives each session the environment it started with: set ours here. Sessions
    # use this project's tools and each rendered project's own, so an inherited
    # VIRTUAL_ENV (from `uv run nox`) would only confuse uv in rendered projects.
    os.environ.pop("VIRTUAL_ENV", None)
    return pythons.expose(WORK / "pythons")


@functools.cache
def host_python() -> str:
    """The Python version that sessions running on this machine render."""
    return pythons.host_version(prepare_environment())


def render(session: nox.Session, combo: matrix.Combination, kind: str, **answers: str) -> Path:
    """Render the combination from the working tree into .matrix/renders/<kind>/<slug>,
    with the copier command a user runs (--trust: the tasks write .env and uv.lock)."""
    key = (kind, matrix.slug(combo), *answers.values())
    if kind == "host" and key in HOST_RENDERS:
        return HOST_RENDERS[key]
    destination = RENDERS / kind / "-".join([matrix.slug(combo), *answers.values()])
    shutil.rmtree(destination, ignore_errors=True)
    values = {**PROJECT_DATA, "python_version": host_python(), **combo, **answers}
    data = [f"--data={name}={value}" for name, value in values.items()]
    # --vcs-ref=HEAD: HEAD plus uncommitted changes, not the latest tag.
    session.run(
        "copier",
        "copy",
        "--trust",
        "--defaults",
        "--quiet",
        "--vcs-ref=HEAD",
        *data,
        str(ROOT),
        str(destination),
        external=True,
        silent=True,
    )
    if kind == "host":
        HOST_RENDERS[key] = destination
    return destination


def check_rendered_files(session: nox.Session, project: Path) -> None:
    for path in project.rglob("*"):
        if not path.is_file() or path.name == "uv.lock":
            continue
        text = path.read_text()
        if not text.strip():
            session.error(f"{path.relative_to(project)} is empty")
        if leftover := JINJA_MARKUP.search(text):
            session.error(f"{path.relative_to(project)} contains leftover Jinja: {leftover[0]!r}")


@nox.session
@recorded
def lint(session: nox.Session) -> None:
    session.run("ruff", "check", ".", external=True)
    session.run("ruff", "format", "--check", ".", external=True)
    session.run("mypy", external=True)


@nox.session
@recorded
def workflows(session: nox.Session) -> None:
    """The GitHub workflows pass zizmor, offline: actions pinned by commit SHA, least
    privilege, no credentials persisted, no expressions expanded inside `run:`."""
    session.run("uv", "tool", "run", f"zizmor=={ZIZMOR}", "--offline", ".github/workflows", external=True)


@nox.session
@recorded
def tests(session: nox.Session) -> None:
    session.run("pytest", "tests", "--ignore=tests/test_releases.py", *session.posargs, external=True)


@nox.session
@recorded
def releases(session: nox.Session) -> None:
    session.run("pytest", "tests/test_releases.py", *session.posargs, external=True)


@nox.session
@recorded
def docs(session: nox.Session) -> None:
    """The site: pages generated from copier.yml and renders, then a strict build (a
    broken link or anchor, or a page missing from the nav, fails)."""
    session.run("python", "-m", "tools.docs", external=True)
    session.run(
        "uv",
        "tool",
        "run",
        "--from",
        f"mkdocs=={MKDOCS}",
        "--with",
        f"mkdocs-material=={MKDOCS_MATERIAL}",
        "mkdocs",
        "build",
        "--strict",
        "--clean",
        env={"NO_MKDOCS_2_WARNING": "1"},
        external=True,
    )


@nox.session(name="render")
@nox.parametrize("combo", COMBINATIONS)
@recorded
def render_session(session: nox.Session, combo: matrix.Combination) -> None:
    project = render(session, combo, "host")
    check_rendered_files(session, project)
    session.chdir(project)
    session.run("uv", "sync", "--locked", "--quiet", external=True)
    session.run("uv", "run", "python", "-m", "compileall", "-q", "src", "tests", external=True)
    if not (project / ".pre-commit-config.yaml").exists():
        session.run("uv", "run", "ruff", "check", ".", external=True)
        session.run("uv", "run", "ruff", "format", "--check", ".", external=True)
        session.run("uv", "run", "mypy", external=True)
        return
    # The project's own hooks (uv lock --check, ruff, ruff format, mypy) and its workflow:
    # a hook that changes a file fails, so formatting is still checked to be idempotent.
    session.run("git", "init", "--quiet", external=True)
    session.run("git", "add", "--all", external=True)
    session.run("uv", "tool", "run", f"pre-commit=={PRE_COMMIT}", "run", "--all-files", external=True)
    session.run("uv", "tool", "run", f"zizmor=={ZIZMOR}", "--offline", ".github/workflows", external=True)


@nox.session
@nox.parametrize("combo", COMBINATIONS)
@recorded
def generated(session: nox.Session, combo: matrix.Combination) -> None:
    """The project's own tests are not run here: docker runs them for every combination (on
    the default Python version), python for the widest ones (on the others)."""
    project = render(session, combo, "host")
    session.chdir(project)
    session.run("uv", "sync", "--locked", "--quiet", external=True)
    database = combo.get("database", "sqlite") if combo["level"] >= 2 else "sqlite"
    server = {"postgresql": services.postgres, "mongodb": services.mongodb}.get(database)
    with server() if server else contextlib.nullcontext(None) as url:
        if combo["level"] >= 2:
            contract.check(session, project, url, WORK / "contract" / project.name)
        else:
            docs_in_a_browser(session, project)


def docs_in_a_browser(session: nox.Session, project: Path) -> None:
    """Level 1 (level 2 up: in the contract check): /docs and /redoc in headless Chromium."""
    package = yaml.safe_load((project / ".copier-answers.yml").read_text())["package_name"]
    command = [server.python(project), "-m", "uvicorn", f"{package}.main:app"]
    with server.serve(project, command, {}, services.free_port()) as running:
        report.detail(session.name, docs_operations=browser.check_docs(session, running.base_url))


@nox.session
@nox.parametrize(
    "version", [nox.param(version, id=f"version={version!r}") for version in matrix.other_pythons()]
)
@recorded
def python(session: nox.Session, version: str) -> None:
    """The other Python versions a project may target, on the combinations of the highest
    level on the default database. With an interpreter on this machine: each is
    type-checked on it, and one runs its tests. Without one: that one, in Docker, on the
    python:<version>-slim image, like the docker sessions. The one tested goes round the
    combinations version by version, so each auth method's tests run on another version
    than the default (docker runs every combination's on the default)."""
    on_host = version in prepare_environment()
    combos = matrix.widest_combinations()
    tested = combos[matrix.other_pythons().index(version) % len(combos)]
    report.detail(session.name, tested=matrix.slug(tested))
    for combo in combos if on_host else [tested]:
        project = render(session, combo, "python", python_version=version)
        if not on_host:
            in_docker(session, project, combo, version)
            continue
        session.chdir(project)
        session.run("uv", "sync", "--locked", "--quiet", external=True)
        session.run("uv", "run", "python", "--version", external=True)
        session.run("uv", "run", "mypy", external=True)
        if combo == tested:
            with services.redis() if combo["level"] >= 5 else contextlib.nullcontext(None) as redis:
                env = {"TEST_REDIS_URL": redis} if redis else {}
                session.run("uv", "run", "pytest", "-q", env=env, external=True)


@nox.session
@nox.parametrize("combo", COMBINATIONS)
@recorded
def docker(session: nox.Session, combo: matrix.Combination) -> None:
    """The combination for the default Python version, in Docker (see in_docker)."""
    version = pythons.default()
    project = render(session, combo, "docker", python_version=version)
    image_mb, build_s = in_docker(session, project, combo, version)
    report.detail(session.name, image_mb=image_mb, build_s=build_s)


def in_docker(
    session: nox.Session, project: Path, combo: matrix.Combination, version: str
) -> tuple[int, int]:
    """Build the images, run the tests in a container against the real database service,
    start the production image and smoke-test it over HTTP; from level 4 with a database
    server, stop the database (readiness 503, liveness 200) and start it again (readiness
    200, a write succeeds) with the app left running, and from level 5 Redis likewise (the
    API serving from the database meanwhile);
    always `down -v`. Returns the runtime image's size (MiB) and the build's seconds."""
    database = combo.get("database") if combo["level"] >= 2 else None
    python_image = f"python:{version}-slim"
    images = [python_image, *{"postgresql": ["postgres:17"], "mongodb": ["mongo:8"]}.get(database or "", [])]
    if combo["level"] >= 5:
        images.append("redis:8")
    # Official images when they can be pulled, local stand-ins when not (docker/images/).
    session.run("bash", str(ROOT / "docker" / "images" / "build.sh"), *images, external=True)
    if not (project / "uv.lock").exists():
        lock_in_container(session, project, python_image)
    session.chdir(project)
    name = re.sub(r"[^a-z0-9_-]", "", f"ftpl-{project.name}-{os.getpid()}")
    compose = ["docker", "compose", "-f", "compose.yaml", "-p", name, "--profile", "test"]
    try:
        started = time.monotonic()
        session.run(*compose, "build", "--quiet", external=True)
        build_seconds = time.monotonic() - started
        session.run(*compose, "run", "--rm", "tests", external=True)
        session.run(*compose, "up", "--detach", "--wait", "--wait-timeout", "120", "app", external=True)
        # From level 5 the job worker too, and the scheduler if there are scheduled jobs:
        # no health check (no port), so not waited for; the smoke test's export needs the
        # worker, and both must still run after it.
        jobs = (
            [] if combo["level"] < 5 else ["worker"] if combo["auth"] == "oidc" else ["worker", "scheduler"]
        )
        if jobs:
            session.run(*compose, "up", "--detach", *jobs, external=True)
        user = docker_output(session, "image", "inspect", f"{name}-app", "--format", "{{.Config.User}}")
        if user in ("", "root", "0"):
            session.error(f"the runtime image runs as {user or 'root'}")
        smoke = [
            *compose,
            *("run", "--rm", "--no-deps", "--volume", f"{ROOT / 'tools' / 'smoke.py'}:/smoke.py:ro"),
            *("--entrypoint", "python", "tests", "/smoke.py"),
        ]
        credentials = superuser(session, compose, combo)
        session.run(*smoke, "http://app:8000", str(combo["level"]), *credentials, external=True)
        if combo["level"] >= 5:
            session.run(*smoke, "--metrics", "http://app:8000", dotenv()["METRICS_TOKEN"], external=True)
            running = docker_output(session, *compose[1:], "ps", "--status", "running", "--services").split()
            if not {"app", *jobs} <= set(running):
                session.error(f"not running after the smoke test: {sorted({'app', *jobs} - set(running))}")
        database_server = combo["level"] >= 4 and database in ("postgresql", "mongodb")
        if database_server:
            administrator_password_kept_from_app(session, compose, str(database))
        # A service the app needs goes away and comes back; the app is not restarted.
        needed = {"db": database_server, "redis": combo["level"] >= 5}
        for service in (name for name, stops in needed.items() if stops):
            session.run(*compose, "stop", service, external=True)
            # Without Redis the API still serves, from the database.
            serving = credentials if service == "redis" else []
            session.run(*smoke, "--outage", "http://app:8000", *serving, external=True)
            session.run(*compose, "up", "--detach", "--wait", "--wait-timeout", "120", service, external=True)
            session.run(*smoke, "--recovered", "http://app:8000", *credentials, external=True)
        size = int(docker_output(session, "image", "inspect", f"{name}-app", "--format", "{{.Size}}"))
    finally:
        session.run(*compose, "down", "--volumes", "--remove-orphans", "--rmi", "local", external=True)
    return round(size / 2**20), round(build_seconds)


def dotenv() -> dict[str, str]:
    """The settings of the project's .env (the current directory's), as written."""
    lines = Path(".env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def administrator_password_kept_from_app(session: nox.Session, compose: list[str], database: str) -> None:
    """The database administrator's password (in .env, for the db and migrate services)
    is nowhere in the app container's environment: the app runs as its own role or user."""
    name = {"postgresql": "POSTGRES_PASSWORD", "mongodb": "MONGO_INITDB_ROOT_PASSWORD"}[database]
    settings = dotenv()
    environment = subprocess.run(
        [*compose, "exec", "-T", "app", "env"], check=True, capture_output=True, text=True
    ).stdout
    if settings[name] in environment:
        session.error(f"the app's container holds {name}")


def lock_in_container(session: nox.Session, project: Path, image: str) -> None:
    """Lock a project whose Python this machine lacks (the render's `uv lock` task could
    not) with that Python, in its image, and the uv version its Dockerfile installs."""
    uv_version = re.search(r"^ARG UV_VERSION=(\S+)$", (project / "Dockerfile").read_text(), re.MULTILINE)
    if uv_version is None:
        session.error("the Dockerfile has no ARG UV_VERSION")
    pip = "pip install --quiet --disable-pip-version-check --root-user-action=ignore"
    session.run(
        "docker",
        "run",
        "--rm",
        f"--volume={project}:/src",
        "--workdir=/src",
        "--volume=ftpl-lock-cache:/root/.cache",  # pip's and uv's caches, kept between runs
        "--env=UV_PYTHON_DOWNLOADS=never",
        image,
        "sh",
        "-c",
        f'{pip} "uv=={uv_version[1]}" && uv lock --quiet',
        external=True,
    )


def superuser(session: nox.Session, compose: list[str], combo: matrix.Combination) -> list[str]:
    """Bootstrap a superuser with the project's own CLI inside the production container:
    the smoke test's credentials (jwt: e-mail and password; api_key: the printed key)."""
    auth = combo.get("auth")
    if auth not in ("jwt", "api_key"):
        return []
    package = yaml.safe_load(Path(".copier-answers.yml").read_text())["package_name"]
    cli = ["python", "-m", f"{package}.auth.cli", "create-superuser", "smoke@example.com"]
    password = "smoke-test-password"
    command = [*compose, "exec", "-T", "-e", f"SUPERUSER_PASSWORD={password}", "app", *cli]
    session.log(" ".join(command))
    # stdout only: the api_key CLI prints the key there and its message on stderr.
    key = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout.strip()
    return ["jwt", "smoke@example.com", password] if auth == "jwt" else ["api_key", key]


def docker_output(session: nox.Session, *args: str) -> str:
    output = session.run("docker", *args, external=True, silent=True)
    return str(output).strip()


@nox.session
def bench(session: nox.Session) -> None:
    """The request-path benchmark (docs/benchmark.md): not a test, it prints numbers.

    nox -s bench -- [--database postgresql sqlite mongodb] [--level N] [--auth jwt|api_key]
                    [--rounds 3] [--seconds 5]
    """
    questions = matrix.questions()
    parser = argparse.ArgumentParser(prog="nox -s bench --")
    parser.add_argument("--database", nargs="+", default=["postgresql", "sqlite", "mongodb"])
    parser.add_argument("--level", type=int, default=max(questions["level"]["choices"].values()))
    parser.add_argument("--auth", default="jwt", choices=["jwt", "api_key"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5)
    options = parser.parse_args(session.posargs)
    prepare_environment()
    if not shutil.which("wrk"):
        if os.geteuid() != 0:
            session.error("bench needs wrk: apt-get install wrk")
        session.run("apt-get", "update", "-qq", external=True)
        session.run("apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk", external=True)
    servers = {"postgresql": services.postgres, "mongodb": services.mongodb}
    for database in options.database:
        combo: matrix.Combination = {"level": options.level, "database": database}
        if options.level >= 3:
            combo["auth"] = options.auth
        project = render(session, combo, "bench")
        session.chdir(project)
        session.run("uv", "sync", "--locked", "--quiet", "--no-dev", external=True)
        answers = yaml.safe_load(Path(".copier-answers.yml").read_text()) | combo
        with contextlib.ExitStack() as stack:

            def database_url(project: Path, database: str = database) -> str:
                if database in servers:
                    return stack.enter_context(servers[database]())
                return f"sqlite+aiosqlite:///{project}/bench.db"

            redis = baseline = None
            if options.level >= 5:
                redis = stack.enter_context(services.redis())
                # Level 5 caches item reads: level 4, which does not, is their yardstick.
                lower: matrix.Combination = {**combo, "level": 4}
                lower_project = render(session, lower, "bench-baseline")
                session.chdir(lower_project)
                session.run("uv", "sync", "--locked", "--quiet", "--no-dev", external=True)
                lower_answers = yaml.safe_load(Path(".copier-answers.yml").read_text()) | lower
                baseline = benchmark.Baseline(lower_project, lower_answers, database_url(lower_project))
            url = database_url(project)
            benchmark.run(project, answers, url, options.rounds, options.seconds, redis, baseline)
