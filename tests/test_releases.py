"""`copier update` from every release to this version keeps what a project's owner did.

The releases are the ones CHANGELOG.md names, tagged in a scratch clone of this
repository, with the working tree committed on top as the next version. The newest
release is updated on every database (most projects come from it); each older one on one
database, taken in turn. A project of the widest level that release offered (level 3
with JWT, or level 2 before auth existed) gets a user's typical edits, is updated with
a plain `copier update`, and must keep them all, hold no conflict, pass its own tests,
and be left unchanged by a second update.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.projects import ROOT, add_a_router, git_commit, new_project, release_this_version, run, update
from tools import services
from tools.contract import uv
from tools.releases import next_version, tag_all
from tools.tasks.release_notes import Release, releases

DATABASES = ["sqlite", "postgresql", "mongodb"]

IN_STOCK = '''
    @computed_field  # type: ignore[prop-decorator]
    @property
    def in_stock(self) -> bool:
        """Whether any of the item is left."""
        return self.quantity > 0
'''

OUR_TESTS = '''"""Tests of what we added."""

import pytest
from httpx import AsyncClient

pytestmark = pytest.mark.anyio


async def test_ping(client: AsyncClient) -> None:
    response = await client.get("/ping")
    assert response.json() == {"ping": "pong"}


async def test_items_say_whether_they_are_in_stock(client: AsyncClient) -> None:
    response = await client.post("/items", json={"name": "Lamp", "quantity": 2})
    assert response.status_code == 201
    assert response.json()["in_stock"] is True
'''


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone of this repository with its release tags, and this version on top as the
    next release (so a plain `copier update` goes to it, as a user's would)."""
    clone = tmp_path_factory.mktemp("history") / "template"
    run("git", "clone", "--quiet", str(ROOT), str(clone), cwd=clone.parent)
    try:
        tag_all(clone)
    except LookupError as missing:
        pytest.skip(f"{missing} (a shallow checkout?)")
    release_this_version(clone)
    return clone


def scenarios() -> list[Any]:
    """(release, database): the newest release on each database, every older one on the
    next database in turn."""
    found = []
    for index, release in enumerate(releases()):  # newest first
        names = DATABASES if index == 0 else [DATABASES[(index - 1) % len(DATABASES)]]
        found += [pytest.param(release, name, id=f"v{release.version}-{name}") for name in names]
    return found


@pytest.fixture(scope="module")
def database(request: pytest.FixtureRequest) -> Iterator[tuple[str, dict[str, str]]]:
    """The database, and the environment that points a project's tests at its server."""
    name: str = request.param
    server = {"postgresql": services.postgres, "mongodb": services.mongodb}.get(name)
    if server is None:
        yield name, {}
        return
    with server() as url:
        yield name, {"TEST_DATABASE_URL": url}


def widest_answers(history: Path, release: Release, database: str) -> list[str]:
    config = yaml.safe_load(run("git", "show", f"{release.commit}:copier.yml", cwd=history))
    level = max(int(str(choice).split()[0]) for choice in config["level"]["choices"].values())
    answers = [f"level={level}", f"database={database}"]
    return [*answers, "auth=jwt"] if level >= 3 else answers


def add_import(source: str, module: str, name: str) -> str:
    """The module's `from <module> import ...` statement with one more name, sorted the
    way ruff sorts it (constants, classes, then functions)."""
    match = re.search(rf"^from {module} import (\(\n(?P<many>[^)]*)\)|(?P<one>.*))$", source, re.MULTILINE)
    assert match, f"no import from {module}"
    names = re.split(r",\s*", (match["many"] or match["one"]).strip().rstrip(","))
    names = sorted([*names, name], key=lambda n: (not n.isupper(), not n[0].isupper(), n))
    line = f"from {module} import {', '.join(names)}"
    if len(line) > 88:
        line = f"from {module} import (\n" + "".join(f"    {n},\n" for n in names) + ")"
    return source[: match.start()] + line + source[match.end() :]


def edit_like_a_user(project: Path) -> None:
    """A field added, a module of ours registered in main.py, a dependency added with
    `uv add`, our own tests and README notes; committed."""
    package = project / "src" / "my_api"
    schemas = package / "items" / "schemas.py"
    text = add_import(schemas.read_text(), "pydantic", "computed_field")
    read_model = text.index("class ItemRead(")
    end = text.index("\n\n\nclass ", read_model)
    schemas.write_text(text[:end] + "\n" + IN_STOCK.rstrip("\n") + text[end:])
    add_a_router(package)
    (project / "tests" / "test_ours.py").write_text(OUR_TESTS)
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\n## Our deployment notes\n\nKeep me.\n")
    run(uv(), "add", "--quiet", "humanize", cwd=project)
    git_commit(project, "our changes")


@pytest.mark.parametrize(("release", "database"), scenarios(), indirect=["database"])
def test_update_from_a_release_keeps_the_users_edits(
    history: Path,
    database: tuple[str, dict[str, str]],
    release: Release,
    tmp_path: Path,
    host_python: str,
) -> None:
    name, env = database
    answers = widest_answers(history, release, name)
    project = new_project(history, tmp_path, host_python, *answers, ref=f"v{release.version}")
    edit_like_a_user(project)

    result = update(project)

    assert result.returncode == 0, result.stderr
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"] == f"v{next_version()}"
    status = run("git", "status", "--porcelain", "--untracked-files=all", cwd=project)
    assert ".rej" not in status, status
    for path in project.rglob("*"):
        if path.is_file() and not {".git", ".venv"} & set(path.parts):
            assert b"<<<<<<<" not in path.read_bytes(), f"{path}:\n{result.stdout}"
    assert "hold conflicts" not in result.stdout, result.stdout
    package = project / "src" / "my_api"
    assert "def in_stock(self) -> bool:" in (package / "items" / "schemas.py").read_text()
    assert "app.include_router(ping_router)" in (package / "main.py").read_text()
    assert (project / "tests" / "test_ours.py").read_text() == OUR_TESTS
    assert "## Our deployment notes\n\nKeep me.\n" in (project / "README.md").read_text()
    assert 'name = "humanize"' in (project / "uv.lock").read_text()
    for crossed in releases():
        if crossed.upgrading and crossed.key > release.key:
            assert f"Upgrading to {crossed.version}" in result.stdout
    run(uv(), "lock", "--check", cwd=project)
    run(uv(), "run", "--quiet", "ruff", "check", ".", cwd=project)
    tests = subprocess.run(
        [uv(), "run", "--quiet", "pytest", "-q", "-x", "-p", "no:cacheprovider"],
        cwd=project,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert tests.returncode == 0, tests.stdout[-3000:]

    git_commit(project, "updated")
    again = update(project)
    assert again.returncode == 0, again.stderr
    assert run("git", "status", "--porcelain", cwd=project) == ""
