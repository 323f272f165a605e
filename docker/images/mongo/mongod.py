#!/usr/bin/env python3
"""`mongod` of the mongo stand-in image: serves mongoeco's MongoDB wire protocol.

Flags understood: --port, --bind_ip, --bind_ip_all, --ipv6, --dbpath, --auth, --quiet,
--version; other mongod flags (--replSet, --wiredTigerCacheSizeGB, --config, ...) are
accepted and ignored with a warning. Listening address: all interfaces by default or
with --bind_ip_all (the official image's entrypoint adds --bind_ip_all when no --bind_ip
is given); with --bind_ip, loopback only if every listed address is a loopback one,
else all interfaces (one socket serves the whole list).

Users: with a root user (below), SCRAM authentication is required and commands are
authorized as on `mongod --auth`. Root may do anything, including createUser,
updateUser, dropUser and usersInfo on any database; the users it creates authenticate
against their database and may do what their built-in roles allow there (e.g.
readWrite on "app": read and write "app", nothing else: Unauthorized, code 13).
Without a root user authentication is off and anyone may do anything, user commands
included, as on mongod without --auth. Created users are kept with the data: with the
sqlite engine in --dbpath, in mongoeco-users.json (mode 0600; passwords IN CLEAR,
unlike mongod's salted hashes), with the memory engine in memory. Details and limits:
wire_fixes.py and users.py beside this file.

Environment:
  MONGO_INITDB_ROOT_USERNAME / MONGO_INITDB_ROOT_PASSWORD (or *_FILE)
                     root user in "admin" (re-read at every start; it cannot be
                     changed with updateUser); authentication is then required
  MONGOECO_ENGINE    memory (data and users live as long as the process)
                     | sqlite (the image's default: files in --dbpath, persist
                     with the volume, like mongod's data)
  MONGOECO_DIALECT   MongoDB version mongoeco emulates: 7.0 | 8.0 (set by the image tag)
  MONGOECO_COMPAT    1 (default): apply wire_fixes (with user management and
                     authorization); 0: stock mongoeco (root only, allowed everything)
"""

import argparse
import asyncio
import os
import signal
import sys
from importlib.metadata import version

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))  # wire_fixes beside this file

from mongoeco.engines import MemoryEngine, SQLiteEngine
from mongoeco.wire import AsyncMongoEcoProxyServer, WireAuthUser


def log(msg):
    print(f"mongod (mongoeco): {msg}", flush=True)


def secret(name):
    value = os.environ.get(name)
    path = os.environ.get(f"{name}_FILE")
    if not value and path:
        with open(path, encoding="utf-8") as fh:
            value = fh.read().strip()
    return value or None


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="mongod", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--port", type=int, default=27017)
    p.add_argument("--bind_ip")
    p.add_argument("--bind_ip_all", action="store_true")
    p.add_argument("--ipv6", action="store_true")
    p.add_argument("--dbpath", default="/data/db")
    p.add_argument("--auth", action="store_true")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--version", action="store_true")
    args, ignored = p.parse_known_args(argv)
    if ignored:
        print(f"mongod (mongoeco): ignoring unsupported options {ignored}", file=sys.stderr, flush=True)
    return args


def listen_host(args):
    if args.bind_ip_all or not args.bind_ip:
        return "::" if args.ipv6 else "0.0.0.0"
    names = [n.strip() for n in args.bind_ip.split(",") if n.strip()]
    if names and all(n == "localhost" or n.startswith("127.") or n == "::1" for n in names):
        return "::1" if names == ["::1"] else "127.0.0.1"
    return "::" if args.ipv6 else "0.0.0.0"


def dialect():
    return os.environ.get("MONGOECO_DIALECT") or None


def engine_kind():
    return os.environ.get("MONGOECO_ENGINE", "memory").lower()


async def serve(args):
    engine_name = engine_kind()
    if engine_name == "memory":
        engine = MemoryEngine()
    elif engine_name == "sqlite":
        os.makedirs(args.dbpath, exist_ok=True)
        engine = SQLiteEngine(os.path.join(args.dbpath, "mongoeco.sqlite3"))
    else:
        sys.exit(f"mongod (mongoeco): MONGOECO_ENGINE must be memory or sqlite, not {engine_name!r}")

    user = secret("MONGO_INITDB_ROOT_USERNAME")
    password = secret("MONGO_INITDB_ROOT_PASSWORD")
    if bool(user) != bool(password):
        sys.exit("error: MONGO_INITDB_ROOT_USERNAME and MONGO_INITDB_ROOT_PASSWORD must be set together")
    users = ()
    if user:
        users = (WireAuthUser(user, password, source="admin", roles=({"role": "root", "db": "admin"},)),)
    elif args.auth:
        log("--auth given but no MONGO_INITDB_ROOT_USERNAME/PASSWORD: authentication stays off")

    host = listen_host(args)
    server = AsyncMongoEcoProxyServer(
        engine=engine, host=host, port=args.port, auth_users=users, mongodb_dialect=dialect()
    )
    await server.start()
    log(
        f"mongoeco {version('mongoeco')}, dialect {dialect() or 'default'}, engine {engine_name}, "
        f"auth {'on' if users else 'off'}, compat {os.environ.get('MONGOECO_COMPAT', '1')}"
    )
    log(f"listening on {host}:{args.port}. Waiting for connections")

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log("shutting down")
    await server.close()


def main():
    args = parse_args(sys.argv[1:])
    if args.version:
        print(f"db version v{dialect() or '7.0'}.0 (mongoeco {version('mongoeco')} stand-in, not MongoDB)")
        return
    if os.environ.get("MONGOECO_COMPAT", "1") == "1":
        import wire_fixes

        wire_fixes.apply(users_dir=args.dbpath if engine_kind() == "sqlite" else None)
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
