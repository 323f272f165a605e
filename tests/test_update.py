"""`copier update` moves a project up a level and keeps what its owner changed."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.projects import (
    ROOT,
    add_a_router,
    env_of,
    git_commit,
    new_project,
    release_this_version,
    run,
    update,
)
from tools import services
from tools.contract import uv


def test_update_from_level_2_to_3_keeps_local_changes_and_adds_new_settings(
    template: Path, tmp_path: Path, host_python: str
) -> None:
    project = new_project(template, tmp_path, host_python)
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\n## Our deployment notes\n\nKeep me.\n")
    run(uv(), "add", "--quiet", "humanize", cwd=project)
    git_commit(project, "our notes and a dependency")
    before = env_of(project)

    result = update(project, "level=3", "auth=jwt")

    assert result.returncode == 0, result.stderr
    # The tasks ran once, in the project, not in copier's temporary renders.
    assert result.stdout.count("Added 1 setting(s) to .env: SECRET_KEY.") == 1, result.stdout
    assert "Wrote .env" not in result.stdout
    # `uv add` and the new level both appended to the dependencies: merged, not conflicted.
    assert "merged your dependencies and the template's in pyproject.toml" in result.stdout
    assert "conflicts" not in result.stdout
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["level"] == 3
    assert answers["auth"] == "jwt"
    package = project / "src" / "my_api"
    assert (package / "auth" / "tokens.py").is_file()
    assert (package / "users" / "router.py").is_file()
    assert "Keep me." in readme.read_text()
    after = env_of(project)
    assert after["DATABASE_URL"] == before["DATABASE_URL"]
    assert len(after["SECRET_KEY"]) >= 40
    status = run("git", "status", "--porcelain", cwd=project)
    assert ".rej" not in status
    for path in project.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            assert b"<<<<<<<" not in path.read_bytes(), path
    # Locked once, after the merge: the user's dependency and the new level's, in step.
    lock = (project / "uv.lock").read_text()
    assert 'name = "humanize"' in lock
    assert 'name = "pyjwt"' in lock
    run(uv(), "lock", "--check", cwd=project)
    run(uv(), "run", "--quiet", "pytest", "-q", "-x", "-p", "no:cacheprovider", cwd=project)

    git_commit(project, "updated")
    again = update(project)
    assert again.returncode == 0, again.stderr
    assert run("git", "status", "--porcelain", cwd=project) == ""


@pytest.mark.parametrize(
    ("answers", "refused"),
    [
        (["level=2"], "moving down from level 3 to 2"),
        (["database=postgresql"], "changing database from sqlite to postgresql"),
        (["auth=api_key"], "changing auth from jwt to api_key"),
    ],
)
def test_update_refuses_what_the_project_cannot_move_to(
    template: Path, tmp_path: Path, host_python: str, answers: list[str], refused: str
) -> None:
    project = new_project(template, tmp_path, host_python, "level=3", "auth=jwt")

    result = update(project, *answers)

    assert result.returncode != 0
    assert refused in result.stderr
    assert run("git", "status", "--porcelain", cwd=project) == ""


def test_update_names_the_files_left_with_conflicts(template: Path, tmp_path: Path, host_python: str) -> None:
    project = new_project(template, tmp_path, host_python)
    readme = project / "README.md"
    lines = readme.read_text().splitlines(keepends=True)
    (index,) = [i for i, line in enumerate(lines) if "generated from fastapi-template (level 2" in line]
    lines[index] = "Our own introduction, where the template says which level this is.\n"
    readme.write_text("".join(lines))
    git_commit(project, "our introduction")

    result = update(project, "level=3", "auth=jwt")

    assert result.returncode == 0, result.stderr
    assert "these files hold conflicts" in result.stdout
    assert "README.md" in result.stdout.split("hold conflicts", 1)[1]


def move_up(project: Path, *answers: str) -> str:
    """`copier update` with these answers, which must succeed without conflicts: its output."""
    result = update(project, *answers)
    assert result.returncode == 0, result.stderr
    assert "hold conflicts" not in result.stdout, result.stdout
    return result.stdout


def test_levels_1_to_5_keep_the_users_work_at_each_step(
    template: Path, tmp_path: Path, host_python: str
) -> None:
    project = new_project(template, tmp_path, host_python, "level=1")
    tests = project / "tests" / "test_main.py"
    tests.write_text(tests.read_text() + "\n\nasync def test_ours() -> None:\n    assert True\n")
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\nOur level-1 note.\n")
    git_commit(project, "level 1 edits")

    to_2 = update(project, "level=2", "database=sqlite")

    assert to_2.returncode == 0, to_2.stderr
    assert "removed these files, which the new answers replace: tests/test_main.py" in to_2.stdout
    assert "Wrote .env" in to_2.stdout  # level 2 is the first with settings
    assert "Our level-1 note." in readme.read_text()
    assert "hold conflicts" not in to_2.stdout, to_2.stdout
    package = project / "src" / "my_api"
    add_a_router(package)
    readme.write_text(readme.read_text() + "Our level-2 note.\n")
    git_commit(project, "level 2 edits")

    move_up(project, "level=3", "auth=jwt")

    main = (package / "main.py").read_text()
    assert "app.include_router(ping_router)" in main
    assert "app.include_router(users_router)" in main
    assert "Our level-1 note.\nOur level-2 note.\n" in readme.read_text()
    readme.write_text(readme.read_text() + "Our level-3 note.\n")
    git_commit(project, "level 3 edits")

    to_4 = move_up(project, "level=4")

    assert "Added 1 setting(s) to .env: ENVIRONMENT." in to_4
    main = (package / "main.py").read_text()
    assert "app.include_router(ping_router)" in main
    assert "app.include_router(health_router)" in main
    assert "Our level-1 note.\nOur level-2 note.\nOur level-3 note.\n" in readme.read_text()
    # Our import and the level's new one, both added after the items router's import,
    # merge cleanly but unsorted: the README's "Changing level" says to run this.
    run(uv(), "run", "--quiet", "ruff", "check", "--select", "I", "--fix", ".", cwd=project)
    run(uv(), "run", "--quiet", "ruff", "check", ".", cwd=project)
    readme.write_text(readme.read_text() + "Our level-4 note.\n")
    git_commit(project, "level 4 edits")

    to_5 = move_up(project, "level=5")

    assert "Added 2 setting(s) to .env: REDIS_URL, METRICS_TOKEN." in to_5
    assert "app.include_router(ping_router)" in (package / "main.py").read_text()
    assert "Our level-3 note.\nOur level-4 note.\n" in readme.read_text()
    run(uv(), "run", "--quiet", "ruff", "check", ".", cwd=project)
    with services.redis() as redis:
        tests_run = [uv(), "run", "--quiet", "pytest", "-q", "-x", "-p", "no:cacheprovider"]
        run(*tests_run, cwd=project, env={"TEST_REDIS_URL": redis})


# Template versions whose projects need care on their first update to this one.
OLD_VERSIONS = {
    # Its copy tasks also ran in copier's temporary renders: without keep_local_files,
    # the update would delete the project's .env (secrets) and uv.lock.
    "af27e29": "tasks ran in every render",
}


@pytest.mark.parametrize("commit", list(OLD_VERSIONS))
def test_update_from_an_older_template_version_keeps_env_and_lock(
    tmp_path: Path, host_python: str, commit: str
) -> None:
    history = tmp_path / "template"
    run("git", "clone", "--quiet", str(ROOT), str(history), cwd=tmp_path)
    if subprocess.run(["git", "checkout", "--quiet", commit], cwd=history, check=False).returncode:
        pytest.skip(f"{commit} is not in this clone's history (a shallow checkout?)")
    project = new_project(history, tmp_path, host_python, "database=postgresql", ref=commit)
    run(uv(), "add", "--quiet", "humanize", cwd=project)
    git_commit(project, "a dependency")
    env, lock = (project / ".env").read_text(), (project / "uv.lock").read_text()
    release_this_version(history)

    result = update(project, "level=3", "auth=jwt")

    assert result.returncode == 0, result.stderr
    after = (project / ".env").read_text()
    assert after.startswith(env.rstrip("\n")), "the database password and every setting are kept"
    assert "SECRET_KEY=" in after
    new_lock = (project / "uv.lock").read_text()
    assert 'name = "humanize"' in new_lock
    assert 'name = "pyjwt"' in new_lock
    pinned = re.search(r'name = "fastapi"\nversion = "([^"]+)"', lock)
    assert pinned
    assert f'name = "fastapi"\nversion = "{pinned[1]}"' in new_lock, "pins are kept, not re-resolved"
    assert "hold conflicts" not in result.stdout, result.stdout
    run(uv(), "lock", "--check", cwd=project)
