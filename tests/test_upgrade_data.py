"""A level-3 project with data moves up to level 4 as its README says (`copier update`,
then the migrate command): the data is still there, served by the level-4 app, and the
database is at the newest revision (SQL: with nothing left for `alembic check` to
report; MongoDB: at the newest step). On a database server, the level-4 app connects as
its own role or user, which the migrate step makes from DATABASE_URL as the
administrator (DATABASE_ADMIN_URL), and is given level 3's tables. A level-4 project
with data moves up to level 5 likewise, its reads then served through Redis, and its
.env given the metrics token."""

from __future__ import annotations

import contextlib
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.projects import git_commit, new_project, run, update
from tools import services
from tools.contract import uv
from tools.server import UNLIMITED, api_url, app_command, database_settings, migrate, request, serve

EMAIL, PASSWORD = "kept@example.com", "correct horse battery staple"


@contextlib.contextmanager
def database(kind: str, project: Path) -> Iterator[str]:
    if kind == "postgresql":
        with services.postgres() as url:
            yield url
    elif kind == "mongodb":
        with services.mongodb() as url:
            yield url
    else:
        yield f"sqlite+aiosqlite:///{project / 'app.db'}"


def bearer(api: str) -> dict[str, str]:
    form = urllib.parse.urlencode({"username": EMAIL, "password": PASSWORD}).encode()
    form_type = {"Content-Type": "application/x-www-form-urlencoded"}
    tokens = request(f"{api}/auth/token", form, form_type)
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def post_json(url: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return request(url, json.dumps(body).encode(), {**headers, "Content-Type": "application/json"})


def seed(project: Path, env: dict[str, str], level: int) -> Any:
    """A user and an item of theirs, made through the app at `level`; the item."""
    with serve(project, app_command(project, "my_api"), env, services.free_port()) as app:
        api = api_url(app.base_url, level)
        post_json(f"{api}/auth/register", {"email": EMAIL, "password": PASSWORD}, {})
        return post_json(f"{api}/items", {"name": "Kept", "quantity": 7}, bearer(api))


def move_up(project: Path, level: int) -> None:
    """`copier update` to `level`, committed, and the new dependencies installed."""
    moved = update(project, f"level={level}")
    assert moved.returncode == 0, moved.stderr
    git_commit(project, f"level {level}")
    run(uv(), "sync", "--quiet", cwd=project)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql", "mongodb"])
def test_the_data_of_level_3_survives_the_move_to_level_4(
    template: Path, tmp_path: Path, host_python: str, kind: str
) -> None:
    project = new_project(template, tmp_path, host_python, "level=3", f"database={kind}", "auth=jwt")
    with database(kind, project) as url:
        env = {**UNLIMITED, "DATABASE_URL": url}
        run(uv(), "sync", "--quiet", cwd=project)
        item = seed(project, env, 3)
        move_up(project, 4)
        env |= database_settings(url, 4)  # as the app's role or user, on a database server
        migrated = migrate(project, "my_api", env)
        if kind == "postgresql":
            assert "The app's role api owns the schema; the revisions run as it." in migrated
        if kind == "mongodb":
            assert "The app's user api may read and write app, nothing more." in migrated
            assert "Running step 1: the indexes of items and users." in migrated
            assert "The database is at migration step 1." in migrated
        else:
            assert "adopting them as revision 0001" in migrated
            assert "The database is at revision 0001." in migrated
            check = run(uv(), "run", "--quiet", "alembic", "check", cwd=project, env=env)
            assert "No new upgrade operations detected" in check

        with serve(project, app_command(project, "my_api"), env, services.free_port()) as app:
            api = api_url(app.base_url, 4)  # the routes moved under /api/v1
            headers = bearer(api)  # the password hash survived too
            listed = request(f"{api}/items", headers=headers)
            assert [entry["id"] for entry in listed["items"]] == [item["id"]]
            assert request(f"{api}/items/{item['id']}", headers=headers) == item


def test_the_data_of_level_4_survives_the_move_to_level_5(
    template: Path, tmp_path: Path, host_python: str
) -> None:
    """Level 5 adds Redis and no revision: after `copier update` and the migrate step the
    same data is served, now through the item cache, with ETags."""
    project = new_project(template, tmp_path, host_python, "level=4", "database=postgresql", "auth=jwt")
    with services.postgres() as url, services.redis() as redis_url:
        env = {**UNLIMITED, **database_settings(url, 4)}
        run(uv(), "sync", "--quiet", cwd=project)
        migrate(project, "my_api", env)
        item = seed(project, env, 4)
        move_up(project, 5)
        assert "The database is at revision 0001." in migrate(project, "my_api", env)

        env["REDIS_URL"] = redis_url
        with serve(project, app_command(project, "my_api"), env, services.free_port()) as app:
            headers = bearer(api_url(app.base_url, 5))
            path = f"{api_url(app.base_url, 5)}/items/{item['id']}"
            assert request(path, headers=headers) == item
            with urllib.request.urlopen(urllib.request.Request(path, headers=headers)) as response:
                assert json.loads(response.read()) == item
                etag = response.headers["ETag"]
            conditional = urllib.request.Request(path, headers={**headers, "If-None-Match": etag})
            with pytest.raises(urllib.error.HTTPError) as not_modified:
                urllib.request.urlopen(conditional)
            assert not_modified.value.code == 304
            # The update added a generated METRICS_TOKEN to .env, which the app reads.
            token = re.search(r"^METRICS_TOKEN=(\S{32,})$", (project / ".env").read_text(), re.MULTILINE)
            assert token, "no METRICS_TOKEN in .env"
            scrape = urllib.request.Request(
                f"{app.base_url}/metrics", headers={"Authorization": f"Bearer {token[1]}"}
            )
            with urllib.request.urlopen(scrape) as response:
                assert b"http_requests_total" in response.read()
