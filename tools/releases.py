"""The template's releases: tags from CHANGELOG.md, and the version HEAD would be released as.

`python -m tools.releases tag [REPOSITORY]` creates (or moves) the tag `v<version>` of
every release on the commit its heading names; `python -m tools.releases next` prints
the version the unreleased changes get.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tools.tasks.release_notes import Release, releases

ROOT = Path(__file__).resolve().parent.parent


def next_version() -> str:
    """The next minor version after the newest release (a 0.x template: changes that a
    project notices come in minor releases)."""
    major, minor, _ = releases()[0].key
    return f"{major}.{minor + 1}.0"


def tag(repository: Path, release: Release) -> None:
    commit = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{release.commit}^{{commit}}"],
        cwd=repository,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if not commit:
        raise LookupError(f"{release.version}: commit {release.commit} is not in {repository}")
    subprocess.run(["git", "tag", "--force", f"v{release.version}", commit], cwd=repository, check=True)


def tag_all(repository: Path) -> list[Release]:
    found = releases()
    for release in found:
        tag(repository, release)
    return found


if __name__ == "__main__":
    match sys.argv[1:]:
        case ["tag", *where]:
            for done in tag_all(Path(where[0]) if where else ROOT):
                print(f"v{done.version} {done.commit} ({done.date})")
        case ["next"]:
            print(next_version())
        case _:
            sys.exit(__doc__)
