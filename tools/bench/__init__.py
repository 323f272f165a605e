"""The request-path benchmark of a rendered project (`nox -s bench`): prints numbers.

The app runs as its Docker image runs it (one uvicorn worker) pinned to CPU 0; wrk loads
it from CPU 1. One user and 100 of their items are seeded through the API. Each round
measures every scenario of the app, then the same list query and health route on a bare
FastAPI app over the raw driver (reference.py) on the same database; rounds alternate
which app goes first, and the median of the rounds is printed. Nothing here passes or
fails on a number: read docs/benchmark.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tools.server
from tools.server import UNLIMITED, Server, api_url, migrate, python, request, serve, superuser_key
from tools.server import app_command as server_command
from tools.services import free_port

HERE = Path(__file__).resolve().parent
LOAD_SCRIPT = HERE / "load.lua"
PASSWORD = "bench-password-1234"
ITEMS = 100
APP_CPU, LOAD_CPU = "0", "1"


@dataclass
class Result:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


@dataclass
class Client:
    """What the load needs: the API's path prefix, the seeded user's headers, one of their
    items, and a second user (the writer) whose creates do not grow the seeded user's list."""

    api: str
    headers: list[str]
    writer_headers: list[str]
    item_id: str
    owner_id: str | None
    login_form: str | None


def pinned(cpu: str) -> list[str]:
    return ["taskset", "-c", cpu] if (os.cpu_count() or 1) > 1 and shutil.which("taskset") else []


def sign_in(
    api: str, project: Path, answers: dict[str, Any], env: dict[str, str], email: str
) -> dict[str, str]:
    """A new user's credentials, made the way a client of this auth method makes them."""
    if answers["auth"] == "jwt":
        body = json.dumps({"email": email, "password": PASSWORD}).encode()
        request(f"{api}/auth/register", body, {"Content-Type": "application/json"})
        form = urllib.parse.urlencode({"username": email, "password": PASSWORD}).encode()
        form_type = {"Content-Type": "application/x-www-form-urlencoded"}
        tokens = request(f"{api}/auth/token", form, form_type)
        return {"Authorization": f"Bearer {tokens['access_token']}"}
    if answers["auth"] == "api_key":
        return {"X-API-Key": superuser_key(project, answers["package_name"], env, email, PASSWORD)}
    raise SystemExit("bench: OIDC needs an identity provider; bench jwt or api_key instead.")


def seed(server: Server, project: Path, answers: dict[str, Any], env: dict[str, str]) -> Client:
    """One user (level 3) and ITEMS items of theirs, created through the API."""
    headers: dict[str, str] = {}
    writer: dict[str, str] = {}
    login_form = owner_id = None
    prefix = api_url("", answers["level"])
    api = server.base_url + prefix
    if answers["level"] >= 3:
        headers = sign_in(api, project, answers, env, "bench@example.com")
        writer = sign_in(api, project, answers, env, "writer@example.com")
        owner_id = request(f"{api}/users/me", headers=headers)["id"]
        if answers["auth"] == "jwt":
            login_form = urllib.parse.urlencode({"username": "bench@example.com", "password": PASSWORD})
    json_headers = {**headers, "Content-Type": "application/json"}
    item_id = ""
    for number in range(ITEMS):
        body = json.dumps({"name": f"item {number}", "quantity": number}).encode()
        item_id = request(f"{api}/items", body, json_headers)["id"]

    def lines(values: dict[str, str]) -> list[str]:
        return [f"{name}: {value}" for name, value in values.items()]

    return Client(prefix, lines(headers), lines(writer), item_id, owner_id, login_form)


def wrk_command(
    base_url: str, method: str, path: str, body: str, headers: list[str], connections: int, seconds: float
) -> list[str]:
    return [
        *pinned(LOAD_CPU),
        "wrk",
        "--threads=1",
        f"--connections={connections}",
        f"--duration={seconds:g}s",
        "--timeout=10s",
        f"--script={LOAD_SCRIPT}",
        base_url,
        "--",
        method,
        path,
        body,
        *headers,
    ]


def parse(output: str) -> Result:
    line = next((line for line in output.splitlines() if line.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    requests, duration_us, p50, p99, errors = (int(value) for value in line.split()[1:])
    return Result(requests / (duration_us / 1e6), p50 / 1000, p99 / 1000, errors)


def load(*command: list[str]) -> list[Result]:
    """Run one or more wrk commands at the same time; their results in order."""
    processes = [subprocess.Popen(c, stdout=subprocess.PIPE, text=True) for c in command]
    return [parse(process.communicate()[0]) for process in processes]


def etag(server: Server, client: Client, path: str) -> str | None:
    """The ETag of a read (level 5), for a conditional request; None if it has none."""
    headers = dict(line.split(": ", 1) for line in client.headers)
    with urllib.request.urlopen(urllib.request.Request(server.base_url + path, headers=headers)) as response:
        value: str | None = response.headers.get("ETag")
        return value


def read_scenarios(server: Server, client: Client, seconds: float) -> dict[str, Result]:
    """The item reads: what level 5 caches, and so what the level-4 baseline also runs."""

    def run(path: str) -> list[str]:
        return wrk_command(server.base_url, "GET", path, "none", client.headers, 32, seconds)

    return {
        "list of 20": load(run(f"{client.api}/items?limit=20"))[0],
        "get one item": load(run(f"{client.api}/items/{client.item_id}"))[0],
    }


def scenarios(server: Server, client: Client, seconds: float) -> dict[str, Result]:
    def run(method: str, path: str, body: str = "none", connections: int = 32) -> list[str]:
        headers = client.writer_headers if body == "item" else client.headers
        return wrk_command(server.base_url, method, path, body, headers, connections, seconds)

    api = client.api
    item = f"{api}/items/{client.item_id}"
    results = read_scenarios(server, client, seconds)
    if current := etag(server, client, item):
        conditional = wrk_command(
            server.base_url, "GET", item, "none", [*client.headers, f"If-None-Match: {current}"], 32, seconds
        )
        results["get, ETag current (304)"] = load(conditional)[0]
    results["create"] = load(run("POST", f"{api}/items", "item"))[0]
    results["health"] = load(run("GET", server.probe))[0]
    if client.login_form:
        results["login, 4 connections"] = load(run("POST", f"{api}/auth/token", client.login_form, 4))[0]
        logins = run("POST", f"{api}/auth/token", client.login_form, 4)
        listing, logged_in = load(run("GET", f"{api}/items?limit=20"), logins)
        results["list while 4 log in"] = listing
        results["  (their logins)"] = logged_in
    return results


def reference_scenarios(server: Server, seconds: float) -> dict[str, Result]:
    def run(path: str) -> list[str]:
        return wrk_command(server.base_url, "GET", path, "none", [], 32, seconds)

    return {"list of 20": load(run("/items?limit=20"))[0], "health": load(run("/health"))[0]}


def add(rounds: dict[str, list[Result]], results: dict[str, Result]) -> None:
    for name, result in results.items():
        rounds.setdefault(name, []).append(result)


def median(results: list[Result]) -> Result:
    return Result(
        statistics.median(r.requests_per_second for r in results),
        statistics.median(r.p50_ms for r in results),
        statistics.median(r.p99_ms for r in results),
        sum(r.errors for r in results),
    )


def print_table(title: str, rows: dict[str, list[Result]]) -> dict[str, Result]:
    print(f"\n{title}")
    print(f"  {'scenario':<26}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>10}")
    medians = {}
    for name, results in rows.items():
        m = medians[name] = median(results)
        print(f"  {name:<26}{m.requests_per_second:>10,.0f}{m.p50_ms:>10.1f}{m.p99_ms:>10.1f}{m.errors:>10}")
    return medians


@dataclass
class Baseline:
    """The same combination a level lower, on a database of its own: level 5's cached
    reads are compared with level 4's, which go to the database every time."""

    project: Path
    answers: dict[str, Any]
    database_url: str


def app_env(answers: dict[str, Any], database_url: str, redis_url: str | None = None) -> dict[str, str]:
    env = {
        **tools.server.database_settings(database_url, answers["level"]),
        "ACCESS_TOKEN_MINUTES": "60",
        **UNLIMITED,
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


@contextmanager
def seeded(project: Path, answers: dict[str, Any], env: dict[str, str]) -> Iterator[tuple[Server, Client]]:
    """The project's app, migrated, serving on CPU APP_CPU, with its seeded client."""
    migrate(project, answers["package_name"], env)
    command = server_command(project, answers["package_name"], "--proxy-headers")
    with serve(project, command, env, free_port(), prefix=pinned(APP_CPU)) as server:
        yield server, seed(server, project, answers, env)


def run(
    project: Path,
    answers: dict[str, Any],
    database_url: str,
    rounds: int,
    seconds: float,
    redis_url: str | None = None,
    baseline: Baseline | None = None,
) -> None:
    """Benchmark the rendered, synced project against the reference (and its reads against
    `baseline`'s); print the figures. From level 5 the app needs `redis_url` (the
    reference uses no Redis)."""
    env = app_env(answers, database_url, redis_url)
    app_command = server_command(project, answers["package_name"], "--proxy-headers")
    py = python(project)
    reference_command = [py, "-m", "uvicorn", "--app-dir", str(HERE), "reference:app", "--proxy-headers"]
    version = subprocess.run([py, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    combination = ", ".join(f"{k}={answers[k]}" for k in ("level", "database", "auth") if k in answers)
    print(f"\n== bench: {combination}; {version}; {rounds} rounds of {seconds:g} s per scenario")
    print(f"   app and reference: one uvicorn worker on CPU {APP_CPU}; load: wrk on CPU {LOAD_CPU}")

    migrate(project, answers["package_name"], env)
    cold_starts, rss_after_start = [], []
    for _ in range(3):
        with serve(project, app_command, env, free_port(), prefix=pinned(APP_CPU)) as server:
            cold_starts.append(server.started_in)
            rss_after_start.append(server.rss_mib())
    reference_starts, reference_rss = [], []
    with contextlib.ExitStack() as stack:
        server, client = stack.enter_context(seeded(project, answers, env))
        if baseline:
            baseline_env = app_env(baseline.answers, baseline.database_url)
            lower_app = seeded(baseline.project, baseline.answers, baseline_env)
            lower, lower_client = stack.enter_context(lower_app)
        reference_env = {**env, "BENCH_OWNER_ID": client.owner_id or ""}

        def serve_reference() -> AbstractContextManager[Server]:
            return serve(
                project,
                reference_command,
                reference_env,
                free_port(),
                prefix=pinned(APP_CPU),
                probe="/health",
            )

        for _ in range(3):
            with serve_reference() as reference:
                reference_starts.append(reference.started_in)
                reference_rss.append(reference.rss_mib())
        with serve_reference() as reference:
            ours: dict[str, list[Result]] = {}
            theirs: dict[str, list[Result]] = {}
            lowers: dict[str, list[Result]] = {}
            # Warm every app up (connection pools, caches) before anything counts.
            load(wrk_command(server.base_url, "GET", f"{client.api}/items", "none", client.headers, 32, 2))
            load(wrk_command(reference.base_url, "GET", "/items", "none", [], 32, 2))
            runs = [
                lambda: add(ours, scenarios(server, client, seconds)),
                lambda: add(theirs, reference_scenarios(reference, seconds)),
            ]
            if baseline:
                lower_list = f"{lower_client.api}/items"
                load(wrk_command(lower.base_url, "GET", lower_list, "none", lower_client.headers, 32, 2))
                runs.append(lambda: add(lowers, read_scenarios(lower, lower_client, seconds)))
            for number in range(rounds):
                # Rotate which app goes first, so drift hits them alike.
                for index in range(len(runs)):
                    runs[(number + index) % len(runs)]()
            rss_after_runs, rss_peak = server.rss_mib(), server.rss_mib("VmHWM")
    app = print_table("this project (median of rounds)", ours)
    reference_medians = print_table("reference: bare FastAPI on the raw driver", theirs)
    if baseline:
        level = baseline.answers["level"]
        lower_medians = print_table(f"the same reads at level {level} (median of rounds)", lowers)
    print(
        f"\n  cold start to first 200: {statistics.median(cold_starts) * 1000:.0f} ms "
        f"(reference {statistics.median(reference_starts) * 1000:.0f} ms)"
    )
    print(
        f"  RSS: {statistics.median(rss_after_start):.0f} MiB after start, {rss_after_runs:.0f} MiB "
        f"after the runs, {rss_peak:.0f} MiB peak (reference after start: "
        f"{statistics.median(reference_rss):.0f} MiB)"
    )
    for name in ("list of 20", "health"):
        ratio = app[name].requests_per_second / reference_medians[name].requests_per_second
        print(f"  {name}: {ratio:.2f}x the reference's req/s")
    if baseline:
        for name in lower_medians:
            ratio = app[name].requests_per_second / lower_medians[name].requests_per_second
            p99 = app[name].p99_ms / lower_medians[name].p99_ms
            print(f"  {name}: {ratio:.2f}x level {level}'s req/s, {p99:.2f}x its p99")
    if "list while 4 log in" in app:
        ratio = app["list while 4 log in"].p99_ms / app["list of 20"].p99_ms
        print(f"  list p99 while 4 log in: {ratio:.2f}x the quiet list's p99")
    sys.stdout.flush()
