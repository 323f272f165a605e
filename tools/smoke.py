"""Smoke test of a running app over HTTP:

    python smoke.py BASE_URL LEVEL [AUTH [CREDENTIAL ...]]

Run by the docker sessions from another container on the compose network, against the
production image: the health endpoint, then real requests. Level 2: a round trip through
the database. Level 3: a request without credentials is refused with a challenge; with
credentials (jwt: e-mail and password of a superuser made by the project's CLI; api_key:
the key it printed) the same round trip runs as that user. Standard library only, so it
runs in any Python image.
"""

import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from email.message import Message
from typing import Any

Headers = dict[str, str]


def call(
    base: str, method: str, path: str, body: Any = None, headers: Headers | None = None
) -> tuple[int, Any, Message]:
    """Status, decoded JSON body and headers, error statuses included. A str body is
    sent as a form, anything else as JSON."""
    if isinstance(body, str):
        data, content_type = body.encode(), "application/x-www-form-urlencoded"
    else:
        data, content_type = json.dumps(body).encode(), "application/json"
    request = urllib.request.Request(
        base + path,
        data=data if body is not None else None,
        method=method,
        headers={"content-type": content_type, **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null"), response.headers
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null"), error.headers


def round_trip(base: str, headers: Headers) -> None:
    status, created, _ = call(base, "POST", "/items", {"name": "smoke", "quantity": 2}, headers)
    assert status == 201, (status, created)
    assert call(base, "GET", f"/items/{created['id']}", headers=headers)[:2] == (200, created)


def credentials(base: str, auth: str, values: list[str]) -> Headers:
    if auth == "api_key":
        return {"X-API-Key": values[0]}
    form = urllib.parse.urlencode({"username": values[0], "password": values[1]})
    status, tokens, _ = call(base, "POST", "/auth/token", form)
    assert status == 200, (status, tokens)
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def main(base: str, level: int, auth: str | None, values: list[str]) -> None:
    assert call(base, "GET", "/health")[:2] == (200, {"status": "ok"})
    if level == 1:
        assert call(base, "GET", "/")[:2] == (200, {"message": "Hello, World!"})
    elif level == 2:
        round_trip(base, {})
    else:
        status, problem, headers = call(base, "GET", "/items")
        assert status == 401, status
        assert problem["code"] == "unauthorized", problem
        assert headers["content-type"] == "application/problem+json"
        assert headers["www-authenticate"]
        if auth and values:
            signed_in = credentials(base, auth, values)
            status, me, _ = call(base, "GET", "/users/me", headers=signed_in)
            assert status == 200, (status, me)
            assert me["is_superuser"], me
            round_trip(base, signed_in)
    print(f"smoke test passed against {base}")


if __name__ == "__main__":
    base, level, *rest = sys.argv[1:]
    main(base, int(level), rest[0] if rest else None, rest[1:])
