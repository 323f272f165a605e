"""Copier task: pin the project's dependencies in uv.lock with `uv lock`.

The Docker build installs with `uv sync --locked`, so a project needs its lock
file from the start. Without uv on PATH, say how to create it instead of failing
the copy.
"""

from __future__ import annotations

import shutil
import subprocess
import sys


def main() -> int:
    uv = shutil.which("uv")
    if uv is None:
        print("uv not found: install it (https://docs.astral.sh/uv/) and run `uv lock`.")
        return 0
    return subprocess.run([uv, "lock", "--quiet"], check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
