"""Open a served app's /docs and /redoc in headless Chromium and check that every
operation of its OpenAPI document is on the rendered page.

Chromium is Debian's package (`scripts/setup` installs it). The pages must render with
no CDN (this machine reaches none): a page whose scripts do not load stays blank.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile

import nox

from tools.server import request

# As root, without a sandbox; no background traffic to Google's services, which this
# network refuses (Chromium would retry them throughout the run).
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Virtual time runs as fast as the page lets it: scripts load, the document is fetched
# and rendered, then the DOM is dumped.
BUDGET_MS = 20_000


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    raise RuntimeError("no Chromium on PATH: apt-get install chromium")


def rendered(url: str) -> str:
    """The page's DOM once its scripts have run."""
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [
                chromium(),
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--virtual-time-budget={BUDGET_MS}",
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
    return result.stdout


def check_docs(session: nox.Session, base_url: str) -> int:
    """Every operation is rendered by Swagger UI (/docs) and by ReDoc (/redoc); returns
    how many there are."""
    document = request(f"{base_url}/openapi.json")
    operations = [
        (method.upper(), path, operation["operationId"])
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]
    swagger = rendered(f"{base_url}/docs")
    # Each operation's summary: its method, then its path (deprecated ones are styled
    # apart, opblock-deprecated, but summarized alike).
    shown = re.findall(
        r'class="opblock-summary-method">(\w+)</span>.*?data-path="([^"]+)"', swagger, re.DOTALL
    )
    missing = {(method, path) for method, path, _ in operations} - {
        (method.upper(), path) for method, path in shown
    }
    if missing or not operations:
        session.error(f"/docs in Chromium does not show {sorted(missing) or 'any operation'}")
    redoc = rendered(f"{base_url}/redoc")
    absent = [name for _, _, name in operations if f'data-section-id="operation/{name}"' not in redoc]
    if absent:
        session.error(f"/redoc in Chromium does not show {absent}")
    session.log(f"docs: Chromium shows all {len(operations)} operations on /docs and /redoc")
    return len(operations)
