"""Smoke test of a running app over HTTP:

    python smoke.py BASE_URL LEVEL [AUTH [CREDENTIAL ...]]
    python smoke.py --outage BASE_URL [AUTH [CREDENTIAL ...]]    (its database or Redis stopped)
    python smoke.py --recovered BASE_URL [AUTH [CREDENTIAL ...]]  (started again)
    python smoke.py --metrics BASE_URL METRICS_TOKEN              (level 5)

Run by the docker sessions from another container on the compose network, against the
production image: the health endpoint, then real requests. Level 2: a round trip through
the database. Level 3: a request without credentials is refused with a challenge; with
credentials (jwt: e-mail and password of a superuser made by the project's CLI; api_key:
the key it printed) the same round trip runs as that user. Level 4: readiness, the
security headers and a request id on every response, no API docs in production, the
API's routes under /api/v1.
Level 5: a read with the ETag just sent answers 304, /api/v2 lists by cursor,
/api/v1's item responses say they are deprecated, an export is made by the worker
service, and a write's events arrive on the WebSocket of item events. With --outage, readiness turns 503
while liveness stays 200, and with credentials (Redis stopped) the round trip still
succeeds; with --recovered, readiness turns 200 again and a write succeeds, the app not
restarted. Standard library only, so
it runs in any Python image.
"""

import base64
import json
import os
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from email.message import Message
from typing import Any

Headers = dict[str, str]
# Level 4 serves the API under a version prefix; health and docs stay at the root.
API_V1 = "/api/v1"


def api(base: str, level: int) -> str:
    """The base URL of the API's routes (items, users, auth) at `level`."""
    return base + API_V1 if level >= 4 else base


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


def round_trip(base: str, headers: Headers, name: str = "smoke", *, etag: bool = False) -> None:
    """Create an item, read it back (with `etag`, again with its ETag: 304), change it,
    read it, delete it (so the next round trip may reuse the name)."""
    status, created, _ = call(base, "POST", "/items", {"name": name, "quantity": 2}, headers)
    assert status == 201, (status, created)
    item = f"/items/{created['id']}"
    status, read, read_headers = call(base, "GET", item, headers=headers)
    assert (status, read) == (200, created), (status, read)
    if etag:
        current = {**headers, "If-None-Match": read_headers["etag"]}
        assert call(base, "GET", item, headers=current)[0] == 304
    status, changed, _ = call(base, "PATCH", item, {"quantity": 3}, headers)
    assert (status, changed["quantity"]) == (200, 3), (status, changed)
    assert call(base, "GET", item, headers=headers)[:2] == (200, changed)
    assert call(base, "DELETE", item, headers=headers)[0] == 204
    assert call(base, "GET", item, headers=headers)[0] == 404


def credentials(base: str, auth: str, values: list[str]) -> Headers:
    if auth == "api_key":
        return {"X-API-Key": values[0]}
    form = urllib.parse.urlencode({"username": values[0], "password": values[1]})
    status, tokens, _ = call(base, "POST", "/auth/token", form)
    assert status == 200, (status, tokens)
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def production(base: str) -> None:
    """Level 4: readiness (a database round trip), hardening headers, docs off."""
    status, body, headers = call(base, "GET", "/health/ready")
    assert (status, body) == (200, {"status": "ok"}), (status, body)
    assert headers["x-content-type-options"] == "nosniff", dict(headers)
    assert headers["content-security-policy"], dict(headers)
    assert len(headers["x-request-id"]) == 32, dict(headers)
    for path in ("/docs", "/openapi.json"):
        assert call(base, "GET", path)[0] == 404, path


def wait_for(base: str, path: str, status: int, seconds: float) -> float:
    """Poll `path` until it answers `status`; the seconds that took."""
    started = time.monotonic()
    while True:
        try:
            answered: int | None = call(base, "GET", path)[0]
        except OSError:  # a timeout
            answered = None
        waited = time.monotonic() - started
        if answered == status:
            return waited
        assert waited < seconds, f"{path} still answers {answered} after {seconds} s"
        time.sleep(0.2)


def outage(base: str, auth: str | None, values: list[str]) -> None:
    """Readiness 503, liveness 200; with credentials (Redis stopped, not the database),
    the API still reads and writes."""
    took = wait_for(base, "/health/ready", 503, 30)
    assert call(base, "GET", "/health/live")[:2] == (200, {"status": "ok"})
    if auth and values:
        routes = api(base, 4)
        round_trip(routes, credentials(routes, auth, values), "during the outage")
    print(f"stopped: readiness 503 after {took:.1f} s, liveness 200{', a write succeeded' if values else ''}")


def recovered(base: str, auth: str | None, values: list[str]) -> None:
    took = wait_for(base, "/health/ready", 200, 60)
    if auth and values:
        routes = api(base, 4)
        round_trip(routes, credentials(routes, auth, values), "after the outage")
    print(f"started: readiness 200 after {took:.1f} s{', a write succeeded' if values else ''}")


def main(base: str, level: int, auth: str | None, values: list[str]) -> None:
    if level >= 4:
        production(base)
    else:
        assert call(base, "GET", "/health")[:2] == (200, {"status": "ok"})
    routes = api(base, level)
    if level == 1:
        assert call(base, "GET", "/")[:2] == (200, {"message": "Hello, World!"})
    elif level == 2:
        round_trip(routes, {})
    else:
        status, problem, headers = call(routes, "GET", "/items")
        assert status == 401, status
        assert problem["code"] == "unauthorized", problem
        assert headers["content-type"] == "application/problem+json"
        assert headers["www-authenticate"]
        if auth and values:
            signed_in = credentials(routes, auth, values)
            status, me, _ = call(routes, "GET", "/users/me", headers=signed_in)
            assert status == 200, (status, me)
            assert me["is_superuser"], me
            round_trip(routes, signed_in, etag=level >= 5)
            if level >= 5:
                versions(base, signed_in)
                export(routes, signed_in)
                item_events(base, signed_in)
    print(f"smoke test passed against {base}")


def versions(base: str, headers: Headers) -> None:
    """Level 5: /api/v2 lists by cursor; /api/v1's item responses say they are deprecated."""
    status, page, _ = call(base + "/api/v2", "GET", "/items?limit=1", headers=headers)
    assert (status, set(page)) == (200, {"items", "next_cursor"}), (status, page)
    status, _, v1_headers = call(base + API_V1, "GET", "/items?limit=1", headers=headers)
    assert status == 200, status
    assert v1_headers["deprecation"].startswith("@"), dict(v1_headers)
    assert v1_headers["link"] == '</api/v2/items>; rel="successor-version"', dict(v1_headers)


def export(base: str, headers: Headers) -> None:
    """Level 5: an export is queued (202) and made by the worker service within 60 s."""
    status, queued, _ = call(base, "POST", "/exports", headers=headers)
    assert (status, queued["state"]) == (202, "queued"), (status, queued)
    started = time.monotonic()
    path = f"/exports/{queued['id']}"
    while (export := call(base, "GET", path, headers=headers)[1])["state"] in ("queued", "running"):
        assert time.monotonic() - started < 60, f"the export is still {export['state']} after 60 s"
        time.sleep(0.5)
    assert (export["state"], export["attempts"]) == ("done", 1), export
    assert isinstance(export["items"], list), export
    print(f"export: done by the worker in {time.monotonic() - started:.1f} s")


def item_events(base: str, headers: Headers) -> None:
    """Level 5: a ticket opens the WebSocket of item events (a minimal client: handshake,
    masked text frames out, unmasked in), and a write's event arrives on it."""
    status, ticket, _ = call(base + API_V1, "POST", "/ws/tickets", headers=headers)
    assert status == 201, (status, ticket)
    address = urllib.parse.urlsplit(base)
    with socket.create_connection((address.hostname, address.port or 80), timeout=10) as connection:
        key = base64.b64encode(os.urandom(16)).decode()
        connection.sendall(
            f"GET {API_V1}/ws/items HTTP/1.1\r\nHost: {address.netloc}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        stream = connection.makefile("rb")
        assert stream.readline().split()[1] == b"101", "no WebSocket upgrade"
        while stream.readline() not in (b"\r\n", b""):
            pass
        send_text(connection, json.dumps({"ticket": ticket["ticket"]}))
        assert read_text(stream) == {"type": "ready"}
        status, created, _ = call(base + API_V1, "POST", "/items", {"name": "socket smoke"}, headers)
        assert status == 201, (status, created)
        assert call(base + API_V1, "DELETE", f"/items/{created['id']}", headers=headers)[0] == 204
        assert read_text(stream) == {"type": "item.created", "item": created}
        assert read_text(stream) == {"type": "item.deleted", "item": {"id": created["id"]}}
    print("item events: a ticket opened the socket, a write's events arrived")


def send_text(connection: socket.socket, text: str) -> None:
    data, mask = text.encode(), os.urandom(4)
    # Masked (client to server); a ticket message is short: a 7- or 16-bit length.
    length = bytes([0x80 | len(data)]) if len(data) < 126 else bytes([0xFE, *len(data).to_bytes(2, "big")])
    connection.sendall(bytes([0x81]) + length + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))


def read_text(stream: Any) -> Any:
    """The next text frame's JSON (control frames skipped)."""
    while True:
        first, second = stream.read(2)
        length = second & 0x7F
        if length >= 126:
            length = int.from_bytes(stream.read(2 if length == 126 else 8), "big")
        payload = stream.read(length)
        if first & 0x0F == 0x1:
            return json.loads(payload)


def scrape(base: str, token: str) -> None:
    """Level 5: /metrics refuses a request without the token and answers the scraper
    with Prometheus text that counts the requests made so far."""
    assert call(base, "GET", "/metrics")[0] == 401
    request = urllib.request.Request(base + "/metrics", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
    assert response.headers["content-type"].startswith("text/plain"), response.headers
    # Labels in any order: the exposition sorts them.
    ready = {'method="GET"', 'route="/health/ready"', 'status="200"'}
    samples = [line for line in text.splitlines() if line.startswith("http_requests_total{")]
    assert any(ready <= set(line.split("{")[1].split("}")[0].split(",")) for line in samples), text
    print("metrics: 401 without the token, the request counts with it")


if __name__ == "__main__":
    match sys.argv[1:]:
        case ["--metrics", base, token]:
            scrape(base, token)
        case ["--outage", base, *rest]:
            outage(base, rest[0] if rest else None, rest[1:])
        case ["--recovered", base, *rest]:
            recovered(base, rest[0] if rest else None, rest[1:])
        case [base, level, *rest]:
            main(base, int(level), rest[0] if rest else None, rest[1:])
        case _:
            sys.exit(__doc__)
