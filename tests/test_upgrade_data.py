"""A level-3 project with data moves up to level 4 as its README says (`copier update`,
then the migrate command): the data is still there, served by the level-4 app, and the
database is at the newest revision (SQL: with nothing left for `alembic check` to
report; MongoDB: at the newest step). On a database server, the level-4 app connects as
its own role or user, which the migrate step makes from DATABASE_URL as the
administrator (DATABASE_ADMIN_URL), and is given level 3's tables."""

from __future__ import annotations

import contextlib
import json
import urllib.parse
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


@pytest.mark.parametrize("kind", ["sqlite", "postgresql", "mongodb"])
def test_the_data_of_level_3_survives_the_move_to_level_4(
    template: Path, tmp_path: Path, host_python: str, kind: str
) -> None:
    project = new_project(template, tmp_path, host_python, "level=3", f"database={kind}", "auth=jwt")
    with database(kind, project) as url:
        env = {**UNLIMITED, "DATABASE_URL": url}
        run(uv(), "sync", "--quiet", cwd=project)
        with serve(project, app_command(project, "my_api"), env, services.free_port()) as app:
            api = api_url(app.base_url, 3)
            post_json(f"{api}/auth/register", {"email": EMAIL, "password": PASSWORD}, {})
            item = post_json(f"{api}/items", {"name": "Kept", "quantity": 7}, bearer(api))

        moved = update(project, "level=4")
        assert moved.returncode == 0, moved.stderr
        git_commit(project, "level 4")
        run(uv(), "sync", "--quiet", cwd=project)
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
