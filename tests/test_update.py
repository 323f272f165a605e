"""`copier update` moves a project up a level and keeps what its owner changed."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tools.contract import uv

ROOT = Path(__file__).resolve().parent.parent


def run(*command: str, cwd: Path) -> str:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{command}: {result.stdout}\n{result.stderr}"
    return result.stdout


def git_commit(folder: Path, message: str) -> None:
    run("git", "add", "-A", cwd=folder)
    run("git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", message, cwd=folder)


def copy_working_tree(destination: Path) -> None:
    """This repository's files as they are now, uncommitted changes included."""
    files = run("git", "ls-files", "--cached", "--others", "--exclude-standard", cwd=ROOT).split("\n")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)


def snapshot_of_the_template(destination: Path) -> Path:
    """The working tree as a git repository of its own: `copier update` needs the
    commit a project was made from to exist."""
    copy_working_tree(destination)
    run("git", "init", "-q", cwd=destination)
    git_commit(destination, "template")
    return destination


def env_of(project: Path) -> dict[str, str]:
    lines = (project / ".env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return snapshot_of_the_template(tmp_path_factory.mktemp("template"))


def new_project(template: Path, folder: Path, host_python: str, *answers: str, ref: str = "HEAD") -> Path:
    """A project of the template (at `ref`), committed to its own git repository."""
    project = folder / "project"
    data = [f"--data={answer}" for answer in (f"python_version={host_python}", *answers)]
    run(
        "copier",
        "copy",
        "--quiet",
        "--trust",
        "--defaults",
        f"--vcs-ref={ref}",
        *data,
        str(template),
        str(project),
        cwd=folder,
    )
    run("git", "init", "-q", cwd=project)
    git_commit(project, "generated")
    return project


def update(project: Path, *answers: str) -> subprocess.CompletedProcess[str]:
    data = [f"--data={answer}" for answer in answers]
    command = ["copier", "update", "--quiet", "--trust", "--defaults", *data]
    return subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)


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


def test_levels_1_to_2_to_3_keep_the_users_work_at_each_step(
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
    (package / "ping.py").write_text(
        '"""A route of ours."""\n\nfrom fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n'
        '@router.get("/ping")\nasync def ping() -> dict[str, str]:\n    """Answer pong."""\n'
        '    return {"ping": "pong"}\n'
    )
    main = package / "main.py"
    text = main.read_text()
    items_import = "from my_api.items.router import router as items_router\n"
    text = text.replace(items_import, f"{items_import}from my_api.ping import router as ping_router\n")
    text = text.replace(
        "    app.include_router(items_router)\n",
        "    app.include_router(items_router)\n    app.include_router(ping_router)\n",
    )
    main.write_text(text)
    readme.write_text(readme.read_text() + "Our level-2 note.\n")
    git_commit(project, "level 2 edits")

    to_3 = update(project, "level=3", "auth=jwt")

    assert to_3.returncode == 0, to_3.stderr
    assert "hold conflicts" not in to_3.stdout, to_3.stdout
    assert "app.include_router(ping_router)" in main.read_text()
    assert "app.include_router(users_router)" in main.read_text()
    assert "Our level-1 note.\nOur level-2 note.\n" in readme.read_text()
    run(uv(), "run", "--quiet", "ruff", "check", ".", cwd=project)
    run(uv(), "run", "--quiet", "pytest", "-q", "-x", "-p", "no:cacheprovider", cwd=project)


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
    run("git", "checkout", "--quiet", "-B", "next", cwd=history)
    copy_working_tree(history)
    git_commit(history, "this version")

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
