"""Small patches that make mongoeco 4.11's wire server answer like mongod where
drivers and healthchecks depend on it (disable with MONGOECO_COMPAT=0):

1. ``ping``, ``buildInfo`` and ``hello``/``isMaster`` work before authentication,
   as on mongod (healthchecks ping without credentials).
2. ``buildinfo`` (lower case; PyMongo's ``server_info()`` sends it) is accepted as
   ``buildInfo``.
3. A ``hello`` carrying ``saslSupportedMechs`` is answered with SCRAM-SHA-256, so
   drivers choose SCRAM-SHA-256; their SCRAM-SHA-1 fallback fails against mongoeco
   ("Authentication failed").

Every patch looks its target up first, so a mongoeco release that moved things
stops the server at start-up instead of misbehaving later.
"""

from mongoeco.wire import auth, executor, handshake

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


def _rename_command(body):
    for key in body:
        if key.startswith("$") or key in _NOT_COMMAND:
            continue
        if key in COMMAND_ALIASES:  # rebuild keeping the key order (the command must stay first)
            return {COMMAND_ALIASES.get(k, k) if k == key else k: v for k, v in body.items()}
        return body
    return body


def apply():
    require_authenticated = _target(auth.WireAuthenticationService, "require_authenticated")

    def require_authenticated_unless_pre_auth(self, connection, command_name):
        if command_name in PRE_AUTH_COMMANDS:
            return None
        return require_authenticated(self, connection, command_name)

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
