"""Fixtures for rendering the template from the working tree."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.projects import snapshot_of_the_template
from tools import pythons

ROOT = Path(__file__).resolve().parent.parent

Render = Callable[..., Path]


@pytest.fixture(scope="session", autouse=True)
def host_python() -> str:
    """uv (run by the copier tasks) finds the local Pythons and never downloads one.
    The Python version renders get unless a test says otherwise: one this machine has,
    so that the lock task and the project's own commands run."""
    os.environ.pop("VIRTUAL_ENV", None)
    return pythons.host_version(pythons.expose(ROOT / ".matrix" / "pythons"))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The working tree as a git repository of its own, for `copier update`."""
    return snapshot_of_the_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def render(tmp_path: Path, host_python: str) -> Render:
    """render(tasks=False, destination=None, **answers) -> the rendered project's folder.

    Runs the copier command a user runs, on the working tree (--vcs-ref=HEAD includes
    uncommitted changes). A rejected answer raises ValueError with copier's message.
    """
    count = 0

    def _render(*, tasks: bool = False, destination: Path | None = None, **data: Any) -> Path:
        nonlocal count
        count += 1
        target = destination or tmp_path / f"project{count}"
        command = ["copier", "copy", "--trust", "--defaults", "--overwrite", "--vcs-ref=HEAD"]
        data = {"python_version": host_python, **data}
        command += [f"--data={name}={value}" for name, value in data.items()]
        if not tasks:
            command.append("--skip-tasks")
        result = subprocess.run(
            [*command, str(ROOT), str(target)], capture_output=True, text=True, check=False
        )
        if result.returncode:
            raise ValueError(result.stderr)
        return target

    return _render
