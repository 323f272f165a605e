"""Copier task: write the project's .env from .env.example with fresh secrets.

Every `change-me-<name>` placeholder in .env.example is replaced by a random
URL-safe token (the same token everywhere the same placeholder appears, so a
password and the URL that embeds it agree). An existing .env keeps every value it
has: only settings it lacks are added (after `copier update` to a level that needs
new ones, e.g. SECRET_KEY). The secrets live only in .env (git-ignored, mode 0600),
never in .copier-answers.yml.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

PLACEHOLDER = re.compile(r"change-me-[a-z0-9-]+")
SETTING = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=")


def main() -> None:
    example, env = Path(".env.example"), Path(".env")
    if not example.exists():
        return
    generated: dict[str, str] = {}

    def secret_for(match: re.Match[str]) -> str:
        return generated.setdefault(match.group(0), secrets.token_urlsafe(32))

    if not env.exists():
        env.touch(mode=0o600)
        env.write_text(PLACEHOLDER.sub(secret_for, example.read_text()))
        print(f"Wrote .env with {len(generated)} generated secret(s).")
        return
    present = {m.group(1) for line in env.read_text().splitlines() if (m := SETTING.match(line))}
    missing = [
        line
        for line in example.read_text().splitlines()
        if (m := SETTING.match(line)) and m.group(1) not in present
    ]
    if missing:
        text = env.read_text()
        separator = "" if not text or text.endswith("\n") else "\n"
        added = PLACEHOLDER.sub(secret_for, "\n".join(missing))
        env.write_text(f"{text}{separator}{added}\n")
        names = ", ".join(line.split("=", 1)[0] for line in missing)
        print(f"Added {len(missing)} setting(s) to .env: {names}.")


if __name__ == "__main__":
    main()
