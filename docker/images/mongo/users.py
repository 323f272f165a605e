"""Users and authorization of the mongo stand-in (used by wire_fixes.py).

User management, as mongod answers it: ``createUser``, ``updateUser``, ``dropUser`` and
``usersInfo`` on any database; roles given as ``{"role": ..., "db": ...}`` or as a plain
name meaning the command's database. Built-in roles understood: ``read``, ``readWrite``,
``dbAdmin``, ``userAdmin``, ``dbOwner`` on any database; ``readAnyDatabase``,
``readWriteAnyDatabase``, ``dbAdminAnyDatabase``, ``userAdminAnyDatabase`` and ``root``
on ``admin``. Other built-in roles (clusterMonitor, backup, ...) are refused with
BadValue, unknown ones with RoleNotFound, as custom roles do not exist here.

Created users live in memory, and with the sqlite engine also in USERS_FILE in --dbpath
(mode 0600), so they survive a restart. Unlike mongod, which keeps salted SCRAM hashes,
the stand-in keeps their passwords IN CLEAR in that file (mongoeco's SCRAM needs them):
it is a test server. The root user of MONGO_INITDB_ROOT_USERNAME/PASSWORD is not in the
file: it is read from the environment at every start and cannot be updated or dropped.

Authorization (only when authentication is on): `authorize` maps a command to the
privileges it needs, mongod's action names on a database (find, insert, update, remove,
createIndex, ...) or on the cluster (serverStatus, listDatabases, ...), and checks them
against the privileges of the connection's user's current roles (looked up at every
command, so updateUser and dropUser apply at once). Handshake and session commands need
none; a command the table does not know needs root.

Not as mongod: no custom roles (createRole, grantRolesToUser, ...), no
authenticationRestrictions (accepted, ignored), usersInfo shows no credentials and no
userId, getMore/killCursors need some privilege on the database rather than owning the
cursor, and users authenticate with SCRAM-SHA-256 only (mongoeco's SCRAM-SHA-1 does
not work with drivers).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from typing import Any

from mongoeco.errors import OperationFailure

USERS_FILE = "mongoeco-users.json"
USER_COMMANDS = frozenset({"createUser", "updateUser", "dropUser", "usersInfo"})
MECHANISMS = ("SCRAM-SHA-1", "SCRAM-SHA-256")

# --- roles: mongod's built-in roles as sets of actions --------------------------------
READ = frozenset(
    {
        "changeStream", "collStats", "dbHash", "dbStats", "find", "killCursors",
        "listCollections", "listIndexes", "listSearchIndexes", "indexStats",
    }
)  # fmt: skip
READ_WRITE = READ | {
    "convertToCapped", "createCollection", "createIndex", "dropCollection", "dropIndex",
    "insert", "remove", "renameCollectionSameDB", "update",
}  # fmt: skip
DB_ADMIN = frozenset(
    {
        "bypassDocumentValidation", "collMod", "collStats", "compact", "convertToCapped",
        "createCollection", "createIndex", "dbHash", "dbStats", "dropCollection",
        "dropDatabase", "dropIndex", "enableProfiler", "listCollections", "listIndexes",
        "listSearchIndexes", "reIndex", "renameCollectionSameDB", "validate",
    }
)  # fmt: skip
USER_ADMIN = frozenset(
    {
        "changeCustomData", "changePassword", "createRole", "createUser", "dropRole",
        "dropUser", "grantRole", "revokeRole", "viewRole", "viewUser",
    }
)  # fmt: skip
DB_ROLES = {
    "read": READ,
    "readWrite": READ_WRITE,
    "dbAdmin": DB_ADMIN,
    "userAdmin": USER_ADMIN,
    "dbOwner": READ_WRITE | DB_ADMIN | USER_ADMIN,
}
ANY_DATABASE_ROLES = {  # admin only; every database but local and config, + listDatabases
    "readAnyDatabase": READ,
    "readWriteAnyDatabase": READ_WRITE,
    "dbAdminAnyDatabase": DB_ADMIN,
    "userAdminAnyDatabase": USER_ADMIN,
}
SUPERUSER_ROLES = {"root", "__system"}  # admin only
UNSUPPORTED_ROLES = {
    "backup", "clusterAdmin", "clusterManager", "clusterMonitor", "directShardOperations",
    "enableSharding", "hostManager", "restore", "searchCoordinator", "__queryableBackup",
}  # fmt: skip
NOT_ANY_DATABASE = {"local", "config"}

# --- commands: the privileges each needs ----------------------------------------------
CLUSTER = ""  # the "database" of cluster-wide actions
ANY = "*"  # "some privilege on this database" (getMore/killCursors: mongod checks the cursor's owner)
ALWAYS_ALLOWED = frozenset(
    {
        "hello", "isMaster", "ismaster", "ping", "buildInfo", "buildinfo", "connectionStatus",
        "endSessions", "saslStart", "saslContinue", "authenticate", "logout", "getLastError",
        "getnonce", "whatsmyuri", "listCommands", "commitTransaction", "abortTransaction",
    }
)  # fmt: skip
ON_DATABASE = {
    "find": ("find",),
    "count": ("find",),
    "distinct": ("find",),
    "insert": ("insert",),
    "delete": ("remove",),
    "createIndexes": ("createIndex",),
    "listIndexes": ("listIndexes",),
    "dropIndexes": ("dropIndex",),
    "listCollections": ("listCollections",),
    "create": ("createCollection",),
    "drop": ("dropCollection",),
    "dropDatabase": ("dropDatabase",),
    "collStats": ("collStats",),
    "dbStats": ("dbStats",),
    "dbHash": ("dbHash",),
    "validate": ("validate",),
    "profile": ("enableProfiler",),
    "dropUser": ("dropUser",),
    "getMore": (ANY,),
    "killCursors": (ANY,),
}
ON_CLUSTER = {
    "serverStatus": "serverStatus",
    "hostInfo": "hostInfo",
    "getCmdLineOpts": "getCmdLineOpts",
    "currentOp": "inprog",
    "killOp": "killop",
}

Privilege = tuple[str, str]  # (database | CLUSTER, action)


def failure(message: str, code: int, code_name: str) -> OperationFailure:
    return OperationFailure(message, code=code, details={"codeName": code_name})


def unauthenticated(command_name: str) -> OperationFailure:
    return failure(f"Command {command_name} requires authentication", 13, "Unauthorized")


class Privileges:
    """What a set of roles ({"role", "db"} documents) allows."""

    def __init__(self, roles: list[dict[str, Any]]) -> None:
        self.superuser = False
        self.by_db: dict[str, set[str]] = {}
        self.any_db: set[str] = set()
        self.cluster: set[str] = set()
        for role in roles:
            name, db = role.get("role"), role.get("db")
            if db == "admin" and name in SUPERUSER_ROLES:
                self.superuser = True
            elif db == "admin" and name in ANY_DATABASE_ROLES:
                self.any_db |= ANY_DATABASE_ROLES[name]
                self.cluster.add("listDatabases")
            elif name in DB_ROLES and isinstance(db, str):
                self.by_db.setdefault(db, set()).update(DB_ROLES[name])

    def actions(self, db: str) -> set[str]:
        return self.by_db.get(db, set()) | (self.any_db if db not in NOT_ANY_DATABASE else set())

    def allows(self, db: str, action: str) -> bool:
        if self.superuser:
            return True
        if db == CLUSTER:
            return action in self.cluster
        if db == ANY:  # on every database (usersInfo forAllDBs)
            return action in self.any_db
        actions = self.actions(db)
        return bool(actions) if action == ANY else action in actions


def _role_dbs(roles: object, db: str) -> list[str]:
    if not isinstance(roles, list):
        return []
    return [db if isinstance(r, str) else str(r.get("db")) for r in roles if isinstance(r, (str, dict))]


def _stage_privileges(pipeline: object, db: str) -> list[Privilege]:
    needed: list[Privilege] = []
    for stage in pipeline if isinstance(pipeline, list) else []:
        if not isinstance(stage, dict) or not stage:
            continue
        name, spec = next(iter(stage.items()))
        if name == "$out":
            target = spec.get("db", db) if isinstance(spec, dict) else db
            needed += [(target, "insert"), (target, "remove")]
        elif name == "$merge":
            into = spec.get("into") if isinstance(spec, dict) else spec
            target = into.get("db", db) if isinstance(into, dict) else db
            needed += [(target, "insert"), (target, "update")]
        elif name in ("$currentOp", "$listSessions", "$listLocalSessions"):
            needed.append((CLUSTER, "inprog"))
    return needed


def required_privileges(
    name: str, db: str, document: dict[str, Any], principal: tuple[str, str], store: UserStore
) -> list[Privilege] | None:
    """The privileges command `name` on `db` needs; None: unknown command (root only)."""
    if name in ALWAYS_ALLOWED:
        return []
    if name in ON_DATABASE:
        return [(db, action) for action in ON_DATABASE[name]]
    if name in ON_CLUSTER:
        return [(CLUSTER, ON_CLUSTER[name])]
    if name == "update":
        updates = document.get("updates")
        upsert = isinstance(updates, list) and any(isinstance(u, dict) and u.get("upsert") for u in updates)
        return [(db, "update")] + ([(db, "insert")] if upsert else [])
    if name == "findAndModify":
        needed = [(db, "find"), (db, "remove" if document.get("remove") else "update")]
        return needed + ([(db, "insert")] if document.get("upsert") else [])
    if name == "aggregate":
        return [(db, "find"), *_stage_privileges(document.get("pipeline"), db)]
    if name == "explain":
        inner = document.get("explain")
        if not isinstance(inner, dict) or not inner:
            return [(db, "find")]
        return required_privileges(next(iter(inner)), db, inner, principal, store)
    if name == "renameCollection":
        source, target = str(document.get("renameCollection", "")), str(document.get("to", ""))
        source_db, target_db = source.split(".", 1)[0], target.split(".", 1)[0]
        drop_target = [(target_db, "dropCollection")] if document.get("dropTarget") else []
        if source_db == target_db:
            return [(source_db, "renameCollectionSameDB"), *drop_target]
        return [(source_db, "find"), (source_db, "dropCollection"), (target_db, "insert"),
                (target_db, "createIndex"), *drop_target]  # fmt: skip
    if name == "listDatabases":
        return []  # filtered afterwards (see authorize), as mongod does without the privilege
    if name == "createUser":
        return [(db, "createUser"), *((r, "grantRole") for r in _role_dbs(document.get("roles"), db))]
    if name == "updateUser":
        needed: list[Privilege] = []
        if "pwd" in document:
            needed.append((db, "changePassword"))
        if "customData" in document:
            needed.append((db, "changeCustomData"))
        if "roles" in document:
            needed += [(r, "grantRole") for r in _role_dbs(document["roles"], db)]
            user = store.find(str(document.get("updateUser")), db)
            needed += [(r["db"], "revokeRole") for r in (user or {}).get("roles", [])]
        return needed or [(db, "changePassword")]
    if name == "usersInfo":
        wanted = document.get("usersInfo")
        if isinstance(wanted, dict) and wanted.get("forAllDBs"):
            return [(ANY, "viewUser")]
        names = wanted if isinstance(wanted, list) else [wanted]
        targets = [
            (n, db) if isinstance(n, str) else (n.get("user"), n.get("db"))
            for n in names
            if isinstance(n, (str, dict))
        ]
        if not targets:  # usersInfo: 1
            return [(db, "viewUser")]
        if len(targets) == len(names) and all(t == principal for t in targets):
            return []  # users may always see themselves
        return [(str(target_db), "viewUser") for _, target_db in targets]
    return None


def _render(value: Any) -> str:
    """A value as mongod prints it in error messages: { find: "x", $db: "app" }."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k}: {_render(v)}" for k, v in value.items()) + " }" if value else "{}"
    if isinstance(value, (list, tuple)):
        return "[ " + ", ".join(_render(v) for v in value) + " ]" if value else "[]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, uuid.UUID):
        return f'UUID("{value}")'
    if isinstance(value, bytes) and getattr(value, "subtype", None) == 4 and len(value) == 16:
        return f'UUID("{uuid.UUID(bytes=bytes(value))}")'
    if type(value).__name__ == "ObjectId":
        return f"ObjectId('{value}')"
    return str(value)


def not_authorized(db: str, body: dict[str, Any]) -> OperationFailure:
    shown = {k: ("xxx" if k == "pwd" else v) for k, v in body.items() if k != "$clusterTime"}
    text = _render(shown)
    if len(text) > 1000:
        text = text[:1000] + " ..."
    return failure(f"not authorized on {db} to execute command {text}", 13, "Unauthorized")


def authorize(
    store: UserStore, principal: tuple[str, str], name: str, db: str, document: dict[str, Any],
    body: dict[str, Any],
) -> Callable[[dict[str, Any]], dict[str, Any]] | None:  # fmt: skip
    """Raise Unauthorized (13) unless the user `principal` (name, db) may run the command;
    return what to apply to its result, if anything (listDatabases: only the user's databases)."""
    user = store.find(*principal)
    privileges = Privileges(user["roles"] if user else [])
    if privileges.superuser:
        return None
    needed = required_privileges(name, db, document, principal, store)
    if needed is None or not all(privileges.allows(d, a) for d, a in needed):
        raise not_authorized(db, body)
    if name != "listDatabases" or privileges.allows(CLUSTER, "listDatabases"):
        return None
    if document.get("authorizedDatabases") is False:
        raise not_authorized(db, body)

    def only_authorized(result: dict[str, Any]) -> dict[str, Any]:
        listed = result.get("databases")
        if isinstance(listed, list):
            kept = [d for d in listed if not isinstance(d, dict) or privileges.actions(str(d.get("name")))]
            result = {**result, "databases": kept}
            if "totalSize" in result:
                result["totalSize"] = sum(d.get("sizeOnDisk", 0) for d in kept if isinstance(d, dict))
        return result

    return only_authorized


# --- the user store and its commands ---------------------------------------------------
GENERIC_FIELDS = {"writeConcern", "comment", "maxTimeMS", "apiVersion", "apiStrict", "apiDeprecationErrors"}
USER_FIELDS = {"pwd", "roles", "customData", "mechanisms", "digestPassword", "authenticationRestrictions"}
COMMAND_FIELDS = {
    "createUser": USER_FIELDS,
    "updateUser": USER_FIELDS,
    "dropUser": set(),
    "usersInfo": {
        "showCredentials",
        "showCustomData",
        "showPrivileges",
        "showAuthenticationRestrictions",
        "filter",
    },
}
BSON_TYPES = {str: "string", int: "int", float: "double", bool: "bool", list: "array", dict: "object"}


def _type_mismatch(command: str, field: str, value: object, expected: str) -> OperationFailure:
    found = BSON_TYPES.get(type(value), "null" if value is None else type(value).__name__)
    return failure(
        f"BSON field '{command}.{field}' is the wrong type '{found}', expected type '{expected}'",
        14,
        "TypeMismatch",
    )


def _bad_value(message: str) -> OperationFailure:
    return failure(message, 2, "BadValue")


def _fixed_user(user: str, db: str, verb: str) -> OperationFailure:
    return _bad_value(
        f"{user}@{db} comes from MONGO_INITDB_ROOT_USERNAME/PASSWORD: the mongoeco stand-in cannot {verb} it"
    )


class UserStore:
    """The users of one server: the fixed ones (root, from the environment) and the
    created ones, those kept in `path` (JSON, mode 0600) when a path is given."""

    def __init__(self, path: str | None = None, fixed: list[dict[str, Any]] | None = None) -> None:
        self.path = path
        self._fixed = {(u["db"], u["user"]): u for u in fixed or []}
        self._created: dict[tuple[str, str], dict[str, Any]] = {}
        if path and os.path.exists(path):
            try:
                with open(path, encoding="utf-8") as fh:
                    stored = json.load(fh)
                self._created = {(u["db"], u["user"]): u for u in stored["users"]}
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise RuntimeError(f"cannot read the stand-in's users from {path}: {exc}") from exc

    def find(self, user: str, db: str) -> dict[str, Any] | None:
        return self._fixed.get((db, user)) or self._created.get((db, user))

    def created(self, user: str, db: str) -> dict[str, Any] | None:
        return self._created.get((db, user))

    def _commit(self, created: dict[tuple[str, str], dict[str, Any]]) -> None:
        if self.path:
            temporary = f"{self.path}.tmp"
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                os.fchmod(fh.fileno(), 0o600)
                json.dump(
                    {"users": sorted(created.values(), key=lambda u: (u["db"], u["user"]))}, fh, indent=1
                )
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temporary, self.path)
        self._created = created

    def run(self, name: str, db: str, document: dict[str, Any]) -> dict[str, Any]:
        for field in document:
            if (
                field != name
                and field not in COMMAND_FIELDS[name] | GENERIC_FIELDS
                and not field.startswith("$")
            ):
                raise failure(f"BSON field '{name}.{field}' is an unknown field.", 40415, "Location40415")
        return getattr(self, f"_{name}")(db, document)

    # createUser / updateUser / dropUser / usersInfo
    def _name(self, command: str, document: dict[str, Any]) -> str:
        value = document[command]
        if not isinstance(value, str):
            raise _type_mismatch(command, command, value, "string")
        if not value:
            raise _bad_value("User name must not be empty")
        return value

    def _roles(self, command: str, db: str, roles: object) -> list[dict[str, str]]:
        if not isinstance(roles, list):
            raise _type_mismatch(command, "roles", roles, "array")
        parsed = []
        for role in roles:
            if isinstance(role, str):
                role = {"role": role, "db": db}
            if not isinstance(role, dict):
                raise _bad_value("Role names must be either strings or objects")
            for key in ("role", "db"):
                if key not in role:
                    raise failure(
                        f"BSON field '{command}.roles.{key}' is missing but a required field",
                        40414,
                        "Location40414",
                    )
                if not isinstance(role[key], str):
                    raise _type_mismatch(command, f"roles.{key}", role[key], "string")
            name, role_db = role["role"], role["db"]
            if name in UNSUPPORTED_ROLES and role_db == "admin":
                raise _bad_value(f"the mongoeco stand-in does not implement the built-in role {name}")
            known = name in DB_ROLES or (
                role_db == "admin" and (name in ANY_DATABASE_ROLES or name in SUPERUSER_ROLES)
            )
            if not known:
                raise failure(f"Could not find role: {name}@{role_db}", 31, "RoleNotFound")
            entry = {"role": name, "db": role_db}
            if entry not in parsed:
                parsed.append(entry)
        return parsed

    def _credentials(self, command: str, document: dict[str, Any], record: dict[str, Any]) -> None:
        if "pwd" in document:
            pwd = document["pwd"]
            if not isinstance(pwd, str):
                raise _type_mismatch(command, "pwd", pwd, "string")
            if not pwd:
                raise _bad_value("Password cannot be empty")
            if document.get("digestPassword", True) is False:
                raise _bad_value("Use of SCRAM-SHA-256 requires undigested passwords")
            record["pwd"] = pwd
        if "mechanisms" in document:
            mechanisms = document["mechanisms"]
            if not isinstance(mechanisms, list) or not mechanisms:
                raise _bad_value("mechanisms field must not be empty")
            for mechanism in mechanisms:
                if mechanism not in MECHANISMS:
                    raise _bad_value(f"Unknown auth mechanism '{mechanism}'")
            if "pwd" not in document:
                raise _bad_value("mechanisms field can only be changed together with pwd")
            record["mechanisms"] = sorted(set(mechanisms))
        if "customData" in document:
            if not isinstance(document["customData"], dict):
                raise _type_mismatch(command, "customData", document["customData"], "object")
            record["customData"] = document["customData"]

    def _check_db(self, db: str) -> None:
        if db in ("local", "config"):
            raise _bad_value(f"Cannot create users in the {db} database")
        if db == "$external":
            raise _bad_value("the mongoeco stand-in does not support $external users")

    def _createUser(self, db: str, document: dict[str, Any]) -> dict[str, Any]:
        user = self._name("createUser", document)
        self._check_db(db)
        if "pwd" not in document:
            raise _bad_value(
                "Must provide a 'pwd' field for all user documents, "
                "except those with '$external' as the user's source db"
            )
        if "roles" not in document:
            raise failure(
                "BSON field 'createUser.roles' is missing but a required field", 40414, "Location40414"
            )
        record: dict[str, Any] = {"user": user, "db": db, "mechanisms": list(MECHANISMS)}
        self._credentials("createUser", document, record)
        record["roles"] = self._roles("createUser", db, document["roles"])
        if self.find(user, db):
            raise failure(f'User "{user}@{db}" already exists', 51003, "Location51003")
        self._commit({**self._created, (db, user): record})
        return {"ok": 1.0}

    def _updateUser(self, db: str, document: dict[str, Any]) -> dict[str, Any]:
        user = self._name("updateUser", document)
        if not any(
            k in document for k in ("pwd", "roles", "customData", "mechanisms", "authenticationRestrictions")
        ):
            raise _bad_value("Must specify at least one field to update in updateUser")
        if (db, user) in self._fixed:
            raise _fixed_user(user, db, "change")
        current = self._created.get((db, user))
        if current is None:
            raise failure(f"User {user}@{db} not found", 11, "UserNotFound")
        record = dict(current)
        self._credentials("updateUser", document, record)
        if "roles" in document:
            record["roles"] = self._roles("updateUser", db, document["roles"])
        self._commit({**self._created, (db, user): record})
        return {"ok": 1.0}

    def _dropUser(self, db: str, document: dict[str, Any]) -> dict[str, Any]:
        user = self._name("dropUser", document)
        if (db, user) in self._fixed:
            raise _fixed_user(user, db, "drop")
        if (db, user) not in self._created:
            raise failure(f"User '{user}@{db}' not found", 11, "UserNotFound")
        self._commit({k: v for k, v in self._created.items() if k != (db, user)})
        return {"ok": 1.0}

    def _usersInfo(self, db: str, document: dict[str, Any]) -> dict[str, Any]:
        wanted = document["usersInfo"]
        everyone = {**self._created, **self._fixed}
        if isinstance(wanted, (int, float)) and not isinstance(wanted, bool) and wanted == 1:
            found = [u for (u_db, _), u in everyone.items() if u_db == db]
        elif isinstance(wanted, dict) and "forAllDBs" in wanted:
            if wanted["forAllDBs"] is not True:
                raise _bad_value("forAllDBs must be true")
            found = list(everyone.values())
        else:
            found = []
            for name in wanted if isinstance(wanted, list) else [wanted]:
                if isinstance(name, str):
                    key = (db, name)
                elif (
                    isinstance(name, dict)
                    and isinstance(name.get("user"), str)
                    and isinstance(name.get("db"), str)
                ):
                    key = (name["db"], name["user"])
                else:
                    raise _bad_value("User and role names must be either strings or objects")
                if key in everyone and everyone[key] not in found:
                    found.append(everyone[key])
        shown = [self._describe(u, document.get("showCustomData", True)) for u in found]
        query = document.get("filter")
        if query is not None:
            if not isinstance(query, dict):
                raise _type_mismatch("usersInfo", "filter", query, "object")
            shown = [u for u in shown if all(u.get(k) == v for k, v in query.items())]
        return {"users": sorted(shown, key=lambda u: (u["db"], u["user"])), "ok": 1.0}

    @staticmethod
    def _describe(record: dict[str, Any], custom_data: object) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "_id": f"{record['db']}.{record['user']}",
            "user": record["user"],
            "db": record["db"],
        }
        if custom_data is not False and "customData" in record:
            shown["customData"] = record["customData"]
        shown["roles"] = [dict(r) for r in record["roles"]]
        shown["mechanisms"] = sorted(m for m in record.get("mechanisms", MECHANISMS) if m in MECHANISMS)
        return shown
