"""Copier migrations, after `copier update`: merge what can be merged (`merge`), and
say which files still hold conflicts (`report`, after the lock).

Copier merges the template's changes into the project's files and, where both
changed the same lines, leaves inline markers (or a .rej file) and exits 0. A list of
dependencies that both sides extended at the same place (`uv add` after the last
dependency, a new level adding its own there) is merged here: the template's entries
and the user's, the user's version of a requirement that both name. Every other
conflict is named, so that none is committed unresolved, and so is every committed
file the update removed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

MARKER = re.compile(rb"^(<<<<<<< |>>>>>>> )", re.MULTILINE)
BLOCK = re.compile(
    r"^<<<<<<< before updating\n(?P<ours>(?:.*\n)*?)=======\n(?P<theirs>(?:.*\n)*?)>>>>>>> after updating\n",
    re.MULTILINE,
)
REQUIREMENT = re.compile(r'^\s*"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)[^"\n]*",\s*$')
SKIPPED = {".git", ".venv", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}


def requirement_name(line: str) -> str | None:
    match = REQUIREMENT.match(line)
    return re.sub(r"[-_.]+", "-", match["name"]).lower() if match else None


def merge_requirements(block: re.Match[str]) -> str:
    """One list of both sides' requirements, or the block unchanged if it holds anything else."""
    ours, theirs = block["ours"].splitlines(keepends=True), block["theirs"].splitlines(keepends=True)
    if not all(requirement_name(line) for line in ours + theirs):
        return block[0]
    merged = {requirement_name(line): line for line in theirs}
    merged.update((requirement_name(line), line) for line in ours)
    return "".join(merged.values())


def merge_dependency_lists(path: Path) -> bool:
    if not path.is_file():
        return False
    text = path.read_text()
    merged = BLOCK.sub(merge_requirements, text)
    if merged == text:
        return False
    path.write_text(merged)
    return True


def conflicted(root: Path) -> list[str]:
    found = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(name for name in subfolders if name not in SKIPPED)
        for name in sorted(files):
            path = Path(folder, name)
            if name.endswith(".rej") or MARKER.search(path.read_bytes()):
                found.append(str(path.relative_to(root)))
    return found


def removed() -> list[str]:
    """Committed files the update deleted (a level whose files the new one replaces)."""
    listed = subprocess.run(
        ["git", "ls-files", "--deleted", "--", "."], capture_output=True, text=True, check=False
    )
    return listed.stdout.splitlines()


def merge() -> None:
    if merge_dependency_lists(Path("pyproject.toml")):
        # Resolved: git's index no longer needs to hold it as unmerged.
        unmerged = subprocess.run(
            ["git", "ls-files", "--unmerged", "--", "pyproject.toml"],
            capture_output=True,
            text=True,
            check=False,
        )
        if unmerged.stdout:
            subprocess.run(["git", "add", "--", "pyproject.toml"], check=True)
        print("copier update: merged your dependencies and the template's in pyproject.toml.")


def report() -> None:
    if files := removed():
        print(
            "copier update removed these files, which the new answers replace: "
            f"{', '.join(files)}. Your last versions are in git (`git show HEAD:<file>`)."
        )
    if files := conflicted(Path()):
        print(
            "copier update merged the template's changes, but these files hold conflicts"
            f" (<<<<<<< ... >>>>>>> blocks, or .rej files to apply by hand): {', '.join(files)}."
            " Resolve them, then run `uv lock` if pyproject.toml was among them."
        )


if __name__ == "__main__":
    {"merge": merge, "report": report}[sys.argv[1]]()
