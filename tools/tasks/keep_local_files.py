"""Copier migration around `copier update`: keep the files the copy tasks made.

`.env` and `uv.lock` are written by tasks, not rendered from the template. Copier
removes from the project every file that its render of the old template has and its
render of the new one lacks; a project made by a template version whose tasks also ran
in those renders would lose both (secrets included) on its first update to this one.
`save` (before the update) copies them into the git directory; `restore` (first thing
after) puts them back and drops any .rej that copier made for them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

FILES = (".env", "uv.lock")


def backup_folder() -> Path:
    path = subprocess.run(
        ["git", "rev-parse", "--git-path", "copier-update-kept"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return Path(path)


def save(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name in FILES:
        if Path(name).is_file():
            shutil.copy2(name, folder / name)


def restore(folder: Path) -> None:
    if not folder.is_dir():
        return
    for name in FILES:
        if (folder / name).is_file():
            shutil.copy2(folder / name, name)
            Path(f"{name}.rej").unlink(missing_ok=True)
    shutil.rmtree(folder)


if __name__ == "__main__":
    {"save": save, "restore": restore}[sys.argv[1]](backup_folder())
