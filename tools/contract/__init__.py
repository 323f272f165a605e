"""The contract check of a rendered project (level >= 2), run by the `generated` sessions.

With the project's tests passed, its app is started on loopback against the session's
database (oidc: trusting the project's own test identity provider, tests/identity.py,
served by identity.py). Its /openapi.json must then:

1. generate a Python client (openapi-python-client) that passes the project's
   mypy --strict;
2. serve a round trip through that client as a normal user (roundtrip.py): every items
   operation, a 404 and a 422 parsed as the client's Problem;
3. pass schemathesis (every check, stateful phase included) as that user, bounded by
   MAX_EXAMPLES and reproducible by SEED.

Tool versions are pinned below. The counts and timings go to the session's report.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nox
import yaml

from tools import browser, report, services
from tools.server import (
    UNLIMITED,
    api_url,
    app_command,
    database_settings,
    migrate,
    python,
    request,
    serve,
    superuser_key,
)
from tools.services import free_port
from tools.tasks.lock import find_uv

HERE = Path(__file__).resolve().parent
OPENAPI_PYTHON_CLIENT = "openapi-python-client==0.29.1"
SCHEMATHESIS = "schemathesis==4.32.5"
# What the generated client imports besides httpx (which the project's tests use).
CLIENT_REQUIREMENTS = ("attrs",)
# Examples per operation and phase, and the seed that makes a run repeat itself: measured
# on 2 cores, a level 3 combination's schemathesis run takes about 10 s.
MAX_EXAMPLES = 25
SEED = 8
EMAIL = "contract@example.com"
SUBJECT = "contract-subject"
ADMIN_EMAIL = "contract-admin@example.com"
PASSWORD = "contract-password-1234"


@dataclass
class Statistics:
    operations: int
    cases: int
    checks: int
    failures: int
    stateful_scenarios: int


def uv() -> str:
    """uv itself, not a pyenv shim (which fails in a project whose .python-version names
    another Python): the copier tasks' lookup."""
    return find_uv() or "uv"


def check(session: nox.Session, project: Path, database_url: str | None, work: Path) -> None:
    """The contract check of the synced project in `project` (the session's folder), on
    the session's database (None: SQLite in `work`, which holds every file it makes)."""
    started = time.monotonic()
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    package, auth = answers["package_name"], answers.get("auth") if answers["level"] >= 3 else None
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = {
        **database_settings(database_url or f"sqlite+aiosqlite:///{work / 'contract.db'}", answers["level"]),
        # http:// issuers (the test identity provider) are for development only.
        "ENVIRONMENT": "development",
        **UNLIMITED,
    }
    details: dict[str, Any] = {}
    try:
        with ExitStack() as stack:
            if answers["level"] >= 5:
                env["REDIS_URL"] = stack.enter_context(services.redis())
            sign_in: list[str] = []
            if auth == "oidc":
                provider = stack.enter_context(identity_provider(session, project))
                env |= {"OIDC_ISSUER": provider["issuer"], "OIDC_AUDIENCE": provider["audience"]}
                sign_in = ["--credential", provider["token"], "--subject", SUBJECT]
            log = work / "app.log"
            session.log(f"contract: serving the app (its log: {log})")
            command = app_command(project, package)
            migrate(project, package, env)
            server = stack.enter_context(serve(project, command, env, free_port(), log=log))
            if auth == "api_key":
                sign_in = ["--credential", superuser_key(project, package, env, ADMIN_EMAIL, PASSWORD)]
            if auth:
                sign_in += ["--auth", auth, "--email", EMAIL, "--password", PASSWORD]
            client_started = time.monotonic()
            client = generate_client(session, project, server.base_url, work)
            headers = round_trip(session, client, server.base_url, sign_in, work)
            details["client_s"] = round(time.monotonic() - client_started, 1)
            # Level 5 serves the items under /api/v1 and /api/v2: see schemathesis().
            versions = answers["level"] >= 5
            schemathesis(session, project, server.base_url, headers, work, details, versions=versions)
            details["docs_operations"] = browser.check_docs(session, server.base_url)
            if auth:
                still_signed_in(session, api_url(server.base_url, answers["level"]), headers)
    finally:
        details["contract_s"] = round(time.monotonic() - started, 1)
        report.detail(session.name, **details)


@contextmanager
def identity_provider(session: nox.Session, project: Path) -> Iterator[dict[str, str]]:
    """The project's test identity provider in a process of its own (identity.py): its
    issuer, audience and a token of SUBJECT, until the block ends."""
    command = [python(project), str(HERE / "identity.py"), SUBJECT, EMAIL]
    session.log(" ".join(command))
    process = subprocess.Popen(command, cwd=project, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            session.error(f"the identity provider exited with {process.wait()}")
        yield json.loads(line)
    finally:
        if process.stdin:
            process.stdin.close()
        process.wait(timeout=30)


def generate_client(session: nox.Session, project: Path, base_url: str, work: Path) -> Path:
    """Generate the client from the served document; type-check it with the project's
    mypy --strict. The package's folder."""
    openapi = work / "openapi.json"
    openapi.write_text(json.dumps(request(f"{base_url}/openapi.json")))
    output = work / "client"
    tool = [uv(), "tool", "run", "--python", python(project), OPENAPI_PYTHON_CLIENT]
    session.run(*tool, "generate", "--path", str(openapi), "--output-path", str(output), external=True)
    packages = [path.parent for path in output.glob("*/client.py")]
    if len(packages) != 1:
        session.error(f"expected one generated package in {output}, found {packages}")
    session.run(*project_run(), "mypy", "--strict", str(packages[0]), external=True)
    return packages[0]


def project_run() -> list[str]:
    """`uv run` in the project's environment, with the generated client's requirements."""
    return [uv(), "run", "--no-sync", *(f"--with={requirement}" for requirement in CLIENT_REQUIREMENTS)]


def round_trip(
    session: nox.Session, client: Path, base_url: str, sign_in: list[str], work: Path
) -> dict[str, str]:
    """roundtrip.py through the generated client; the normal user's headers it used."""
    headers = work / "headers.json"
    session.run(
        *project_run(),
        "python",
        str(HERE / "roundtrip.py"),
        base_url,
        client.name,
        str(headers),
        *sign_in,
        env={"PYTHONPATH": str(client.parent)},
        external=True,
    )
    values: dict[str, str] = json.loads(headers.read_text())
    return values


def schemathesis(
    session: nox.Session,
    project: Path,
    base_url: str,
    headers: dict[str, str],
    work: Path,
    details: dict[str, Any],
    *,
    versions: bool = False,
) -> None:
    """Schemathesis, every check, as the normal user; its report's counts and its seconds
    into `details`. Any failed check fails the session (schemathesis exits non-zero).

    With two API `versions` of one resource, all but ensure_resource_availability: its
    stateful scenarios link one create to both versions' deletes, and report the second
    delete's 404 as "created resource not found" (seen as ST302 on POST /api/v1/items, DELETE
    /api/v2/items/{id}, DELETE /api/v1/items/{id}). The projects' own tests read every
    created item back, in both versions (test_versions.py)."""
    reports = work / "schemathesis"
    started = time.monotonic()
    statistics = None
    try:
        session.run(
            uv(),
            "tool",
            "run",
            "--python",
            python(project),
            SCHEMATHESIS,
            "run",
            f"{base_url}/openapi.json",
            "--checks=all",
            *(["--exclude-checks=ensure_resource_availability"] if versions else []),
            f"--max-examples={MAX_EXAMPLES}",
            f"--seed={SEED}",
            "--report=ndjson",
            f"--report-dir={reports}",
            *(f"--header={name}: {value}" for name, value in headers.items()),
            external=True,
        )
    finally:
        details["st_s"] = round(time.monotonic() - started, 1)
        for path in reports.glob("*.ndjson"):
            statistics = read_report(path)
            details |= {
                "st_operations": statistics.operations,
                "st_cases": statistics.cases,
                "st_checks": statistics.checks,
                "st_stateful": statistics.stateful_scenarios,
            }
            if statistics.failures:
                details["st_failures"] = statistics.failures
    if statistics is None or not statistics.stateful_scenarios:
        session.error("schemathesis ran no stateful scenario: the document has no usable links")


def still_signed_in(session: nox.Session, api: str, headers: dict[str, str]) -> None:
    """The user's credentials work after schemathesis: it did not test a signed-out user
    (say, one whose API key it revoked) where it meant the signed-in one."""
    try:
        request(f"{api}/users/me", headers=headers)
    except urllib.error.HTTPError as error:
        session.error(f"after schemathesis, the user's credentials get {error.code} from /users/me")


def read_report(path: Path) -> Statistics:
    """Operations tested (besides the stateful phase), test cases, checks, failed checks and
    stateful scenarios, from schemathesis's NDJSON report."""
    operations: set[str] = set()
    cases = checks = failures = stateful = 0
    for line in path.read_text().splitlines():
        event: dict[str, Any] = json.loads(line)
        scenario = event.get("ScenarioFinished")
        if scenario is None:
            continue
        recorder = scenario["recorder"]
        cases += len(recorder.get("cases", {}))
        results = [result for results in recorder.get("checks", {}).values() for result in results]
        checks += len(results)
        failures += sum(result["status"] == "failure" for result in results)
        if scenario["phase"] == "stateful":
            stateful += 1
        elif recorder.get("cases"):
            operations.add(recorder["label"])
    return Statistics(len(operations), cases, checks, failures, stateful)
