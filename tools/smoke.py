"""Smoke test of a running app over HTTP: `python smoke.py BASE_URL LEVEL`.

Run by the docker sessions from another container on the compose network, against the
production image: the health endpoint, then one real request (a round trip through the
database from level 2 on). Standard library only, so it runs in any Python image.
"""

import json
import sys
import urllib.request
from typing import Any


def call(base: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        base + path, data=data, method=method, headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read() or b"null")


def main(base: str, level: int) -> None:
    assert call(base, "GET", "/health") == (200, {"status": "ok"})
    if level == 1:
        assert call(base, "GET", "/") == (200, {"message": "Hello, World!"})
    else:
        status, created = call(base, "POST", "/items", {"name": "smoke test", "quantity": 2})
        assert status == 201, status
        assert call(base, "GET", f"/items/{created['id']}") == (200, created)
    print(f"smoke test passed against {base}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
