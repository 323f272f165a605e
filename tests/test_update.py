"""`copier update` moves a project up a level and keeps what its owner changed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def run(*command: str, cwd: Path) -> str:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{command}: {result.stdout}\n{result.stderr}"
    return result.stdout


def git_commit(folder: Path, message: str) -> None:
    run("git", "add", "-A", cwd=folder)
    run("git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", message, cwd=folder)


def snapshot_of_the_template(destination: Path) -> Path:
    """The working tree as a git repository of its own: `copier update` needs the
    commit a project was made from to exist."""
    files = run("git", "ls-files", "--cached", "--others", "--exclude-standard", cwd=ROOT).split("\n")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    run("git", "init", "-q", cwd=destination)
    git_commit(destination, "template")
    return destination


def env_of(project: Path) -> dict[str, str]:
    lines = (project / ".env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def test_update_from_level_2_to_3_keeps_local_changes_and_adds_new_settings(
    tmp_path: Path, host_python: str
) -> None:
    template = snapshot_of_the_template(tmp_path / "template")
    project = tmp_path / "project"
    run(
        "copier",
        "copy",
        "--quiet",
        "--trust",
        "--defaults",
        "--vcs-ref=HEAD",
        f"--data=python_version={host_python}",
        str(template),
        str(project),
        cwd=tmp_path,
    )
    run("git", "init", "-q", cwd=project)
    git_commit(project, "generated")
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\n## Our deployment notes\n\nKeep me.\n")
    git_commit(project, "our notes")
    before = env_of(project)

    run(
        "copier",
        "update",
        "--quiet",
        "--trust",
        "--defaults",
        "--data=level=3",
        "--data=auth=jwt",
        cwd=project,
    )

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
    conflicts = run("git", "status", "--porcelain", cwd=project)
    assert ".rej" not in conflicts
    assert "<<<<<<<" not in "".join(path.read_text() for path in package.rglob("*.py"))
