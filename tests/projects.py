"""Helpers of the template's tests that make projects and update them with copier, as a
user does: in git repositories of their own."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tools.releases import next_version

ROOT = Path(__file__).resolve().parent.parent


def run(*command: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    """The command's stdout; it must succeed (`env`: variables added to this process's)."""
    environ = {**os.environ, **env} if env else None
    result = subprocess.run(command, cwd=cwd, env=environ, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{command}: {result.stdout}\n{result.stderr}"
    return result.stdout


def git_commit(folder: Path, message: str, *options: str) -> None:
    run("git", "add", "-A", cwd=folder)
    identity = ("-c", "user.name=t", "-c", "user.email=t@example.com")
    run("git", *identity, "commit", "-qm", message, *options, cwd=folder)


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


def release_this_version(clone: Path) -> str:
    """Commit this repository's working tree on top of the clone's checkout and tag it as
    the next release, so that a plain `copier update` (which takes the newest tag) goes to
    it, whatever tags the clone has. Returns the tag."""
    tag = f"v{next_version()}"
    run("git", "checkout", "--quiet", "-B", "next", cwd=clone)
    copy_working_tree(clone)
    git_commit(clone, tag, "--allow-empty")
    run("git", "tag", "--force", tag, cwd=clone)
    return tag


PING = '''"""A route of ours."""

from fastapi import APIRouter

router = APIRouter()


@router.get("/ping")
async def ping() -> dict[str, str]:
    """Answer pong."""
    return {"ping": "pong"}
'''


def add_a_router(package: Path) -> None:
    """A user's edit: a module of theirs with a route, registered in main.py after items."""
    (package / "ping.py").write_text(PING)
    main = package / "main.py"
    text = main.read_text()
    items_import = f"from {package.name}.items.router import router as items_router\n"
    text = text.replace(
        items_import, f"{items_import}from {package.name}.ping import router as ping_router\n"
    )
    text = text.replace(
        "    app.include_router(items_router)\n",
        "    app.include_router(items_router)\n    app.include_router(ping_router)\n",
    )
    main.write_text(text)
