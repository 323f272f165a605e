"""Copier task: pin the project's dependencies in uv.lock with `uv lock`.

The Docker build installs with `uv sync --locked`, so a project needs its lock
file from the start. Without uv on PATH, or when `uv lock` fails (no interpreter
for the project's Python and no way to download one, no index), the project is
kept and the message says what to run, instead of failing the copy (which would
delete the folder).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


def find_uv() -> str | None:
    """uv itself, however it was installed. `uv run` and `uvx` tell their children where
    it is (UV). A pyenv shim on PATH fails in a project whose .python-version names
    another Python, so it is resolved outside the project (pyenv's global version)."""
    if found := os.environ.get("UV"):
        return found
    found = shutil.which("uv")
    if found and "shims" in Path(found).parts:
        pyenv = Path(found).parent.parent / "libexec" / "pyenv"  # <PYENV_ROOT>/shims/uv
        resolved = subprocess.run(
            [str(pyenv), "which", "uv"], cwd="/", capture_output=True, text=True, check=False
        )
        found = resolved.stdout.strip() if resolved.returncode == 0 else None
    # pip install uv next to copier, or into the Python its virtual environment came from
    installed = [Path(sys.executable).with_name("uv"), Path(sys.base_prefix, "bin", "uv")]
    return found or next((str(path) for path in installed if path.is_file()), None)


def main() -> int:
    uv = find_uv()
    if uv is None:
        print("uv not found: install it (https://docs.astral.sh/uv/) and run `uv lock`.")
        return 0
    if subprocess.run([uv, "lock", "--quiet"], check=False).returncode == 0:
        return 0
    version = Path(".python-version").read_text().strip()
    if subprocess.run([uv, "python", "find", version], capture_output=True, check=False).returncode:
        print(
            f"The project is rendered without uv.lock: Python {version} is not installed here and"
            f" uv could not download it. Install it (`uv python install {version}`), then run"
            " `uv lock` in the project."
        )
    else:
        print(
            "The project is rendered without uv.lock: `uv lock` failed (above). Run it again in the project."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
