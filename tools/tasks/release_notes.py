"""Copier migration, after `copier update`: print the "Upgrading" notes of every release
the update crossed, read from the template's CHANGELOG.md (also the releases' parser).

Copier gives migrations the versions it updates from and to (VERSION_PEP440_FROM and
VERSION_PEP440_TO). A project made from a commit without a tag has no version to compare:
then nothing is printed, and CHANGELOG.md says what changed.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

CHANGELOG = Path(__file__).resolve().parents[2] / "CHANGELOG.md"
HEADING = re.compile(
    r"^## \[(?P<version>\d+\.\d+\.\d+)\] - (?P<date>\d{4}-\d{2}-\d{2}) \((?P<commit>[0-9a-f]{7,40})\)$"
)
UPGRADING = re.compile(r"^### Upgrading\n(?P<notes>.*?)(?=^### |\Z)", re.MULTILINE | re.DOTALL)
VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)")


@dataclass(frozen=True)
class Release:
    version: str
    date: str
    commit: str
    upgrading: str

    @property
    def key(self) -> tuple[int, ...]:
        return version_key(self.version)


def version_key(version: str) -> tuple[int, ...]:
    """(major, minor, patch) of a version ("1.2.3", "v1.2.3", or copier's "1.2.3.post2.dev0+g…"
    for a commit after the tag v1.2.3); ValueError for a commit before any tag (0.0.0…)."""
    match = VERSION.match(version.strip())
    key = tuple(int(part) for part in match.groups()) if match else (0, 0, 0)
    if key == (0, 0, 0):
        raise ValueError(f"not a release version: {version!r}")
    return key


def releases(text: str | None = None) -> list[Release]:
    """The released versions of CHANGELOG.md, newest first (Unreleased left out)."""
    found: list[Release] = []
    sections = re.split(r"^(?=## )", text if text is not None else CHANGELOG.read_text(), flags=re.MULTILINE)
    for section in sections:
        heading, _, body = section.partition("\n")
        if match := HEADING.match(heading):
            upgrading = UPGRADING.search(body)
            notes = upgrading["notes"].strip() if upgrading else ""
            found.append(Release(match["version"], match["date"], match["commit"], notes))
    return found


def crossed(old: str, new: str, text: str | None = None) -> list[Release]:
    """The releases after `old` up to and including `new`, oldest first."""
    low, high = version_key(old), version_key(new)
    return sorted((r for r in releases(text) if low < r.key <= high), key=lambda r: r.key)


def main() -> None:
    try:
        steps = crossed(os.environ["VERSION_PEP440_FROM"], os.environ["VERSION_PEP440_TO"])
    except (KeyError, ValueError):
        return
    for release in steps:
        if release.upgrading:
            print(f"Upgrading to {release.version} (see CHANGELOG.md of the template):")
            print(release.upgrading)


if __name__ == "__main__":
    main()
