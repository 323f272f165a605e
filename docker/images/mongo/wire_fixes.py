"""Small patches that make mongoeco 4.11's wire server answer like mongod where
drivers, healthchecks and the generated projects depend on it (disable with
MONGOECO_COMPAT=0: stock mongoeco, one root user allowed everything, no user commands):

1. ``ping``, ``buildInfo`` and ``hello``/``isMaster`` work before authentication,
   as on mongod (healthchecks ping without credentials); other commands sent before
   authentication fail with mongod's Unauthorized (13) "Command find requires
   authentication".
2. ``buildinfo`` (lower case; PyMongo's ``server_info()`` sends it) is accepted as
   ``buildInfo``.
3. A ``hello`` carrying ``saslSupportedMechs`` is answered with SCRAM-SHA-256, so
   drivers choose SCRAM-SHA-256; their SCRAM-SHA-1 fallback fails against mongoeco
   ("Authentication failed").
4. ``saslStart`` and ``authenticate`` look the user up in the database they are sent
   to (their ``$db``, the driver's authSource), as mongod does; mongoeco drops ``$db``
   before its authentication service sees the command, which then always used "admin".
5. User management (users.py): ``createUser``, ``updateUser``, ``dropUser`` and
   ``usersInfo`` on any database, by root, or by anyone while authentication is off
   (as mongod without --auth). Created users authenticate with SCRAM-SHA-256 against
   their database; with the sqlite engine they are kept in --dbpath (see users.py:
   passwords in clear, unlike mongod).
6. Authorization (authentication on): every command of an authenticated connection
   is checked against the roles of its user, as mongod does; root may do anything, a
   ``readWrite`` user on ``app`` what readWrite allows on ``app`` and nothing else
   (Unauthorized, 13: "not authorized on other to execute command { ... }").

Every patch looks its target up first, so a mongoeco release that moved things
stops the server at start-up instead of misbehaving later.
"""

import dataclasses

import users
from mongoeco.errors import OperationFailure
from mongoeco.wire import _executor_handlers as handlers
from mongoeco.wire import auth, connections, executor, handshake, requests, surface

PRE_AUTH_COMMANDS = frozenset({"ping", "buildInfo", "hello", "isMaster", "ismaster"})
COMMAND_ALIASES = {"buildinfo": "buildInfo"}
# keys of a command body that are not the command itself (the command is the first other key)
_NOT_COMMAND = {"lsid", "txnNumber", "autocommit", "startTransaction"}


def _target(owner, name):
    original = getattr(owner, name, None)
    if not callable(original):
        raise RuntimeError(
            f"mongoeco changed: {owner.__name__}.{name} not found; "
            "update wire_fixes.py or set MONGOECO_COMPAT=0"
        )
    return original


def _require_attributes(owner, names, *, assigned_in=None):
    """Fail unless `owner` (a dataclass) has the fields `names`, or, with `assigned_in`,
    unless that method of it assigns the attributes `names` (self.<name> = ...)."""
    if assigned_in is None:
        present = {field.name for field in dataclasses.fields(owner)}
    else:
        present = set(_target(owner, assigned_in).__code__.co_names)
    if missing := set(names) - present:
        raise RuntimeError(
            f"mongoeco changed: {owner.__name__} has no {', '.join(sorted(missing))}; "
            "update wire_fixes.py or set MONGOECO_COMPAT=0"
        )


def _rename_command(body):
    for key in body:
        if key.startswith("$") or key in _NOT_COMMAND:
            continue
        if key in COMMAND_ALIASES:  # rebuild keeping the key order (the command must stay first)
            return {COMMAND_ALIASES.get(k, k) if k == key else k: v for k, v in body.items()}
        return body
    return body


def apply(users_dir=None):
    """Patch mongoeco; created users are kept in `users_dir` (users.USERS_FILE), or in
    memory only when it is None."""
    require_authenticated = _target(auth.WireAuthenticationService, "require_authenticated")

    def require_authenticated_unless_pre_auth(self, connection, command_name):
        if command_name in PRE_AUTH_COMMANDS:
            return None
        try:
            return require_authenticated(self, connection, command_name)
        except OperationFailure:
            raise users.unauthenticated(command_name) from None

    auth.WireAuthenticationService.require_authenticated = require_authenticated_unless_pre_auth

    build_context = _target(executor.WireCommandExecutor, "_build_request_context")

    def build_context_with_aliases(self, body, **kwargs):
        return build_context(self, _rename_command(body), **kwargs)

    executor.WireCommandExecutor._build_request_context = build_context_with_aliases

    build_hello = _target(handshake.WireHandshakeService, "build_hello_response")

    def build_hello_with_mechs(self, *, command_name, body, connection):
        response = build_hello(self, command_name=command_name, body=body, connection=connection)
        if "saslSupportedMechs" in body:
            response["saslSupportedMechs"] = ["SCRAM-SHA-256"]
        return response

    handshake.WireHandshakeService.build_hello_response = build_hello_with_mechs

    for name in ("_handle_sasl_start", "_handle_authenticate"):
        setattr(
            handlers.WireSpecialCommandHandlers,
            name,
            _with_db(_target(handlers.WireSpecialCommandHandlers, name)),
        )

    _apply_users(users_dir)


def _with_db(handle):
    """Give an authentication handler the command's $db (mongoeco's auth service reads
    "db", then "$db", else "admin", but only gets the command without its $db)."""

    async def handle_with_db(self, context):
        if "db" not in context.command_document:
            document = {**context.command_document, "$db": context.db_name}
            context = dataclasses.replace(context, command_document=document)
        return await handle(self, context)

    return handle_with_db


def _apply_users(users_dir):
    """Patches 5 and 6: a users.UserStore per authentication service, beside its fixed
    users (`_users`, which alone decide whether authentication is on)."""
    _require_attributes(auth.WireAuthenticationService, ["_users"], assigned_in="__init__")
    _require_attributes(executor.WireCommandExecutor, ["_auth"], assigned_in="__init__")
    _require_attributes(connections.WireConnectionContext, ["authenticated_users"])
    _require_attributes(
        requests.WireRequestContext, ["db_name", "command_name", "command_document", "raw_body", "connection"]
    )
    if not isinstance(getattr(auth.WireAuthenticationService, "enabled", None), property):
        raise RuntimeError("mongoeco changed: WireAuthenticationService.enabled is not a property")
    path = None if users_dir is None else f"{users_dir.rstrip('/')}/{users.USERS_FILE}"

    init = _target(auth.WireAuthenticationService, "__init__")

    def init_with_store(self, *args, **kwargs):
        init(self, *args, **kwargs)
        fixed = [
            {
                "user": u.username,
                "db": u.source,
                "pwd": u.password,
                "roles": [dict(r) for r in u.roles],
                "mechanisms": [m for m in u.mechanisms if m in users.MECHANISMS],
            }
            for u in self._users
        ]
        self.standin_users = users.UserStore(path, fixed)

    auth.WireAuthenticationService.__init__ = init_with_store

    find_user = _target(auth.WireAuthenticationService, "_find_user")

    def find_fixed_or_created_user(self, *, username, database, mechanism):
        try:
            return find_user(self, username=username, database=database, mechanism=mechanism)
        except OperationFailure:
            created = self.standin_users.created(username, database)
            if created is None or mechanism not in created["mechanisms"]:
                raise
            return auth.WireAuthUser(
                username,
                created["pwd"],
                source=database,
                mechanisms=tuple(created["mechanisms"]),
                roles=tuple(created["roles"]),
            )

    auth.WireAuthenticationService._find_user = find_fixed_or_created_user

    supports_command = _target(surface.WireSurface, "supports_command")

    def supports_user_commands(self, command_name):
        return command_name in users.USER_COMMANDS or supports_command(self, command_name)

    surface.WireSurface.supports_command = supports_user_commands

    # Every command of every connection passes here once its name and $db are known,
    # before mongoeco's handlers (which only ask "authenticated at all?").
    execute_prepared = _target(executor.WireCommandExecutor, "execute_prepared")

    async def execute_prepared_with_access(self, context):
        service = self._auth
        name, db, document = context.command_name, context.db_name, context.command_document
        after = None
        if service.enabled:
            principal = context.connection.authenticated_users[:1]
            if principal:
                who = (principal[0]["user"], principal[0]["db"])
                after = users.authorize(service.standin_users, who, name, db, document, context.raw_body)
            elif name in users.USER_COMMANDS:
                raise users.unauthenticated(name)
        if name in users.USER_COMMANDS:
            return service.standin_users.run(name, db, document)
        result = await execute_prepared(self, context)
        return after(result) if after and isinstance(result, dict) else result

    executor.WireCommandExecutor.execute_prepared = execute_prepared_with_access
