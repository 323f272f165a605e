"""Make the Python versions a project may target findable by uv, offline.

uv looks for `python3.X` on PATH and would otherwise try to download a missing
interpreter. Interpreters installed with pyenv are linked into one folder, which is
put first on PATH, and downloads are turned off so a missing version fails at once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

VERSIONS = ("3.11", "3.12", "3.13")


def _pyenv_root() -> Path | None:
    if root := os.environ.get("PYENV_ROOT"):
        return Path(root)
    if shutil.which("pyenv"):
        return Path(
            subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True).stdout.strip()
        )
    default = Path.home() / ".pyenv"
    return default if default.is_dir() else None


def _find(version: str, root: Path | None) -> Path | None:
    if root is not None:
        candidates = sorted(
            (root / "versions").glob(f"{version}.*/bin/python{version}"),
            key=lambda path: [int(part) for part in path.parts[-3].split(".") if part.isdigit()],
        )
        if candidates:
            return candidates[-1]
    found = shutil.which(f"python{version}")
    return Path(found) if found else None


def expose(link_dir: Path) -> dict[str, Path]:
    """Link every available interpreter into link_dir; put it on PATH; return what was found."""
    link_dir.mkdir(parents=True, exist_ok=True)
    root = _pyenv_root()
    found: dict[str, Path] = {}
    for version in VERSIONS:
        interpreter = _find(version, root)
        if interpreter is None or link_dir in interpreter.parents:
            continue
        link = link_dir / f"python{version}"
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(interpreter)
        found[version] = interpreter
    os.environ["PATH"] = f"{link_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    os.environ["UV_PYTHON_DOWNLOADS"] = "never"
    return found


if __name__ == "__main__":
    # Print the folder to put first on PATH (scripts/new-project).
    folder = Path(__file__).resolve().parent.parent / ".matrix" / "pythons"
    expose(folder)
    print(folder)
