"""Copier task: write the project's .env from .env.example with fresh secrets.

Every `change-me-<name>` placeholder in .env.example is replaced by a random
URL-safe token (the same token everywhere the same placeholder appears, so a
password and the URL that embeds it agree). An existing .env is never touched,
so `copier update` keeps the secrets a project already has. The secrets live only
in .env (git-ignored, mode 0600), never in .copier-answers.yml.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

PLACEHOLDER = re.compile(r"change-me-[a-z0-9-]+")


def main() -> None:
    example, env = Path(".env.example"), Path(".env")
    if env.exists() or not example.exists():
        return
    generated: dict[str, str] = {}

    def secret_for(match: re.Match[str]) -> str:
        return generated.setdefault(match.group(0), secrets.token_urlsafe(32))

    env.touch(mode=0o600)
    env.write_text(PLACEHOLDER.sub(secret_for, example.read_text()))
    print(f"Wrote .env with {len(generated)} generated secret(s).")


if __name__ == "__main__":
    main()
