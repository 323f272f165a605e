"""Make the Python versions a project may target findable by uv, offline, and choose
the one a render on this machine can run.

uv looks for `python3.X` on PATH and would otherwise try to download a missing
interpreter. Interpreters installed with pyenv are linked into one folder, which is
put first on PATH, and downloads are turned off so a missing version fails at once.
The versions are copier.yml's `python_version` choices.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tools import matrix


def offered() -> list[str]:
    """copier.yml's `python_version` choices, oldest first."""
    return [str(version) for version in matrix.questions()["python_version"]["choices"]]


def default() -> str:
    return str(matrix.questions()["python_version"]["default"])


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
    for version in offered():
        link = link_dir / f"python{version}"
        interpreter = _find(version, root)
        if interpreter is not None and link_dir in interpreter.parents:
            interpreter = link.resolve() if link.exists() else None  # found through our own link
        if interpreter is None:
            continue
        # Replaced in one step: another nox process (scripts/test runs two) may read it.
        temporary = link_dir / f".{link.name}.{os.getpid()}"
        temporary.unlink(missing_ok=True)
        temporary.symlink_to(interpreter)
        temporary.replace(link)
        found[version] = interpreter
    os.environ["PATH"] = f"{link_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    os.environ["UV_PYTHON_DOWNLOADS"] = "never"
    return found


def host_version(found: dict[str, Path]) -> str:
    """The version that sessions running on this machine render: the default when an
    interpreter for it is here, else the newest offered one that is (the default is
    then tested in Docker)."""
    if default() in found:
        return default()
    if not found:
        raise RuntimeError(f"no interpreter for any of Python {', '.join(offered())} on this machine")
    return max(found, key=lambda version: [int(part) for part in version.split(".")])


def _uv_can_provide(version: str) -> bool:
    """uv finds the interpreter, or installs it (where downloads are allowed and reachable)."""
    for command in (["python", "find", version], ["python", "install", "--quiet", version]):
        if subprocess.run(["uv", *command], capture_output=True, check=False).returncode == 0:
            return True
    return False


if __name__ == "__main__":
    # scripts/new-project: print the folder to put first on PATH, then the Python version
    # to render: the default, unless neither this machine nor uv can provide it.
    wanted = default()
    usable = _uv_can_provide(wanted)
    folder = Path(__file__).resolve().parent.parent / ".matrix" / "pythons"
    found = expose(folder)
    version = wanted if usable or wanted in found else host_version(found)
    if version != wanted:
        print(
            f"Python {wanted} is not installed and uv cannot download it here: using {version}.",
            file=sys.stderr,
        )
    print(folder, version)
