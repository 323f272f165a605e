"""Copier migration, first thing after `copier update` merged the template's changes:
refuse answers that the project and its data cannot move to, and put the project
back as it was.

A project may move up a level, never down (the lower level's code would run on the
higher level's data, e.g. answer every create with a false 409), and keeps its
database and auth method (their data, settings and code differ throughout). Copier
updates only a clean git repository, so the old answers are in HEAD's answers file and
restoring HEAD (tracked files back, new untracked ones removed, ignored ones such as
.env kept) undoes the update exactly.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ANSWERS = ".copier-answers.yml"


def refusal(old: dict[str, Any], new: dict[str, Any]) -> str | None:
    old_level, new_level = int(old["level"]), int(new["level"])
    if new_level < old_level:
        return (
            f"moving down from level {old_level} to {new_level} is not supported: the level-{new_level}"
            f" code would run on level-{old_level} data. Render a new level-{new_level} project"
            " instead (`copier copy`) and move what you need into it."
        )
    for question in ("database", "auth"):
        before, after = old.get(question), new.get(question)
        if before is not None and after is not None and before != after:
            return (
                f"changing {question} from {before} to {after} is not supported: the data, settings"
                f" and code differ throughout. Render a new project (`copier copy --data"
                f" {question}={after}`) and move your data and code into it."
            )
    return None


def main() -> int:
    shown = subprocess.run(["git", "show", f"HEAD:./{ANSWERS}"], capture_output=True, text=True, check=False)
    if shown.returncode:
        return 0  # the answers file is not committed: nothing to compare with
    message = refusal(yaml.safe_load(shown.stdout), yaml.safe_load(Path(ANSWERS).read_text()))
    if message is None:
        return 0
    subprocess.run(["git", "checkout", "HEAD", "--", "."], check=True)
    subprocess.run(["git", "clean", "-d", "--force", "--quiet", "--", "."], check=True)
    print(f"copier update refused, and the project is back as it was: {message}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
