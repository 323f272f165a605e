"""Smoke test of a running app over HTTP: `python smoke.py BASE_URL LEVEL`.

Run by the docker sessions from another container on the compose network, against the
production image: the health endpoint, then one real request (level 2: a round trip
through the database; level 3: an unauthenticated request is refused with a challenge).
Standard library only, so it runs in any Python image.
"""

import json
import sys
import urllib.error
import urllib.request
from email.message import Message
from typing import Any


def call(base: str, method: str, path: str, body: Any = None) -> tuple[int, Any, Message]:
    """Status, decoded JSON body and headers, error statuses included."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        base + path, data=data, method=method, headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null"), response.headers
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null"), error.headers


def main(base: str, level: int) -> None:
    assert call(base, "GET", "/health")[:2] == (200, {"status": "ok"})
    if level == 1:
        assert call(base, "GET", "/")[:2] == (200, {"message": "Hello, World!"})
    elif level == 2:
        status, created, _ = call(base, "POST", "/items", {"name": "smoke test", "quantity": 2})
        assert status == 201, status
        assert call(base, "GET", f"/items/{created['id']}")[:2] == (200, created)
    else:
        status, problem, headers = call(base, "GET", "/items")
        assert status == 401, status
        assert problem["code"] == "unauthorized", problem
        assert headers["content-type"] == "application/problem+json"
        assert headers["www-authenticate"]
    print(f"smoke test passed against {base}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
