"""The contract check's round trip through the client generated from a running app's OpenAPI document.

    python roundtrip.py BASE_URL CLIENT_PACKAGE HEADERS_OUT [--auth jwt|api_key|oidc]
                        [--email E] [--password P] [--credential C] [--subject S]

Runs in the rendered project's environment (plus the client's `attrs`) with the generated
package importable. Signs in as a normal user the way a client of the auth method does
(jwt: register and log in; api_key: a superuser's key, CREDENTIAL, creates the user and so
their first key; oidc: CREDENTIAL is the identity provider's token of SUBJECT), then makes
every items call through the client and checks each parsed result; the 404 after delete
and a 422 must parse as the client's `Problem`. Writes the normal user's headers (JSON)
to HEADERS_OUT for the schemathesis run. Any mismatch exits non-zero.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import uuid4


class ContractError(Exception):
    """The app or its client did not do what the OpenAPI document promises."""


class Api:
    """The generated package: its operations by tag, its models and its client classes."""

    def __init__(self, package: str, base_url: str) -> None:
        self.package = package
        self.base_url = base_url
        self.models = importlib.import_module(f"{package}.models")
        self.client = importlib.import_module(f"{package}.client")
        self.types = importlib.import_module(f"{package}.types")

    def operation(self, tag: str, name: str) -> ModuleType:
        return importlib.import_module(f"{self.package}.api.{tag}.{name}")

    def has_operation(self, tag: str, name: str) -> bool:
        return importlib.util.find_spec(f"{self.package}.api.{tag}.{name}") is not None

    def anonymous(self) -> Any:
        return self.client.Client(base_url=self.base_url, raise_on_unexpected_status=True)

    def authenticated(self, token: str, header: str = "Authorization", prefix: str = "Bearer") -> Any:
        return self.client.AuthenticatedClient(
            base_url=self.base_url,
            token=token,
            prefix=prefix,
            auth_header_name=header,
            raise_on_unexpected_status=True,
        )


def check(condition: bool, message: str) -> None:
    if not condition:
        raise ContractError(message)


def expect(response: Any, status: int, model: type) -> Any:
    """The parsed body of a response that must have this status and parse as this model."""
    parsed = response.parsed
    check(
        response.status_code == status and isinstance(parsed, model),
        f"expected {status} {model.__name__}, got {int(response.status_code)} {parsed!r}: "
        f"{response.content[:500]!r}",
    )
    return parsed


def expect_problem(api: Api, response: Any, status: int, code: str) -> Any:
    problem = expect(response, status, api.models.Problem)
    check(problem.status == status, f"Problem.status is {problem.status}, not {status}")
    check(problem.code == code, f"Problem.code is {problem.code!r}, not {code!r}")
    return problem


def sign_in(api: Api, options: argparse.Namespace) -> tuple[Any, dict[str, str]]:
    """A normal user's client and headers, made the way a client of the auth method makes them."""
    models, email = api.models, options.email
    user_id = None
    if options.auth == "jwt":
        registration = models.Registration(email=email, password=options.password)
        register = api.operation("auth", "register").sync_detailed
        user = expect(register(client=api.anonymous(), body=registration), 201, models.UserRead)
        user_id = user.id
        form = models.BodyLogin(username=email, password=options.password)
        login = api.operation("auth", "login").sync_detailed
        tokens = expect(login(client=api.anonymous(), body=form), 200, models.TokenPair)
        check(tokens.token_type == "bearer", f"token_type {tokens.token_type!r}")
        client = api.authenticated(tokens.access_token)
        headers = {"Authorization": f"Bearer {tokens.access_token}"}
    elif options.auth == "api_key":
        admin = api.authenticated(options.credential, header="X-API-Key", prefix="")
        create_user = api.operation("users", "create_user").sync_detailed
        created = expect(
            create_user(client=admin, body=models.UserCreate(email=email)), 201, models.UserCreated
        )
        check(created.user.email == email, f"created {created.user.email!r}, not {email!r}")
        user_id, key = created.user.id, created.api_key.key
        client = api.authenticated(key, header="X-API-Key", prefix="")
        headers = {"X-API-Key": key}
    else:
        client = api.authenticated(options.credential)
        headers = {"Authorization": f"Bearer {options.credential}"}
    # Who the credentials belong to (oidc: provisioned now, on first sight).
    me = expect(api.operation("users", "read_me").sync_detailed(client=client), 200, models.UserRead)
    check(me.email == email, f"/users/me is {me.email!r}, not {email!r}")
    check(me.is_superuser is False, "the round trip's user is a superuser")
    check(user_id is None or me.id == user_id, f"/users/me is user {me.id}, not {user_id}")
    if options.auth == "oidc":
        check(me.subject == options.subject, f"/users/me is subject {me.subject!r}")
    return client, headers


def round_trip(api: Api, client: Any) -> None:
    """Create, list, get, update, replace and delete items; a 404 and a 422 as Problem."""
    models = api.models
    items = {name: api.operation("items", name).sync_detailed for name in ITEM_OPERATIONS}
    tag = uuid4().hex[:12]
    first = models.ItemCreate(name=f"contract {tag} one", description="made by the client", quantity=3)
    created = expect(items["create_item"](client=client, body=first), 201, models.ItemRead)
    check(
        (created.name, created.description, created.quantity) == (first.name, "made by the client", 3),
        f"created {created!r}",
    )
    second_body = models.ItemCreate(name=f"contract {tag} two")
    second = expect(items["create_item"](client=client, body=second_body), 201, models.ItemRead)
    check((second.quantity, second.description) == (0, None), f"defaults not applied: {second!r}")

    page = expect(items["list_items"](client=client, q=tag, limit=1), 200, models.ItemPage)
    check(page.total == 2, f"listed total {page.total}, not 2")
    check((page.limit, page.offset, len(page.items)) == (1, 0, 1), f"page {page!r}")
    page = expect(items["list_items"](client=client, q=tag), 200, models.ItemPage)
    check({item.id for item in page.items} == {created.id, second.id}, f"listed {page.items!r}")

    got = expect(items["get_item"](created.id, client=client), 200, models.ItemRead)
    check(got.to_dict() == created.to_dict(), f"got {got!r}, created {created!r}")

    patch = models.ItemUpdate(quantity=5)
    updated = expect(items["update_item"](created.id, client=client, body=patch), 200, models.ItemRead)
    check(
        (updated.id, updated.name, updated.description, updated.quantity)
        == (created.id, created.name, created.description, 5),
        f"PATCH quantity=5 gave {updated!r}",
    )
    check(updated.updated_at >= created.updated_at, "updated_at went back")

    replacement = models.ItemCreate(name=f"contract {tag} replaced", quantity=7)
    replaced = expect(
        items["replace_item"](created.id, client=client, body=replacement), 200, models.ItemRead
    )
    check(
        (replaced.id, replaced.name, replaced.description, replaced.quantity)
        == (created.id, replacement.name, None, 7),
        f"PUT gave {replaced!r}",
    )
    got = expect(items["get_item"](created.id, client=client), 200, models.ItemRead)
    check(got.to_dict() == replaced.to_dict(), f"got {got!r} after PUT {replaced!r}")

    deleted = items["delete_item"](created.id, client=client)
    check(deleted.status_code == 204, f"delete answered {int(deleted.status_code)}")
    expect_problem(api, items["get_item"](created.id, client=client), 404, "not_found")
    page = expect(items["list_items"](client=client, q=tag), 200, models.ItemPage)
    check(
        page.total == 1 and [item.id for item in page.items] == [second.id],
        f"after delete: {page!r}",
    )

    invalid = models.ItemCreate(name=f"contract {tag} invalid", quantity=-1)
    problem = expect_problem(api, items["create_item"](client=client, body=invalid), 422, "validation_error")
    check(
        isinstance(problem.errors, list) and any("quantity" in error.loc for error in problem.errors),
        f"422 without an error on quantity: {problem!r}",
    )


def cursor_round_trip(api: Api, client: Any) -> None:
    """Level 5's /api/v2: items created there, listed back page by page by cursor."""
    create = api.operation("items", "create_item_v2").sync_detailed
    list_items = api.operation("items", "list_items_v2").sync_detailed
    tag = uuid4().hex[:12]
    names = [f"cursor {tag} {number}" for number in range(5)]
    for name in names:
        expect(create(client=client, body=api.models.ItemCreate(name=name)), 201, api.models.ItemRead)
    pages: list[list[str]] = []
    cursor: Any = api.types.UNSET
    while True:
        answer = list_items(client=client, q=tag, limit=2, cursor=cursor)
        page = expect(answer, 200, api.models.ItemCursorPage)
        pages.append([item.name for item in page.items])
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    listed = [name for page in pages for name in page]
    check([len(page) for page in pages] == [2, 2, 1], f"pages by cursor: {pages!r}")
    check(sorted(listed) == names, f"pages by cursor gave {listed!r}, not each of {names!r} once")


ITEM_OPERATIONS = ("create_item", "list_items", "get_item", "update_item", "replace_item", "delete_item")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="roundtrip.py")
    parser.add_argument("base_url")
    parser.add_argument("client_package")
    parser.add_argument("headers_out", type=Path)
    parser.add_argument("--auth", choices=["jwt", "api_key", "oidc"])
    parser.add_argument("--email", default="contract@example.com")
    parser.add_argument("--password", default="contract-password-1234")
    parser.add_argument("--credential", default="")
    parser.add_argument("--subject", default="")
    options = parser.parse_args(argv)
    api = Api(options.client_package, options.base_url)
    try:
        client, headers = sign_in(api, options) if options.auth else (api.anonymous(), {})
        round_trip(api, client)
        if api.has_operation("items", "list_items_v2"):
            cursor_round_trip(api, client)
    except ContractError as error:
        print(f"contract round trip failed: {error}", file=sys.stderr)
        return 1
    options.headers_out.write_text(json.dumps(headers))
    print(f"round trip through {options.client_package} passed against {options.base_url}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
