#!/usr/bin/env python3
"""`mongosh` of the mongo stand-in image: a ping-only shim for healthchecks.

It runs no JavaScript. Whatever --eval (or stdin) holds, it sends {ping: 1} to the
server and exits 0 when that works, 1 otherwise, which is what healthchecks such as
    mongosh --quiet --eval "db.adminCommand('ping')"
    echo 'db.runCommand("ping").ok' | mongosh localhost:27017/test --quiet
need. It prints `1` when the script ends in `.ok`, else `{ ok: 1 }`.
Understands: [URI | host[:port][/db]], --host, --port, -u/--username, -p/--password,
--authenticationDatabase, --eval, --quiet, --norc, --nodb (exits 0).
"""

import argparse
import sys

from pymongo import MongoClient

PING_WORDS = ("ping", "hello", "ismaster", "isMaster", "serverStatus", "version")


def main(argv):
    p = argparse.ArgumentParser(
        prog="mongosh", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("target", nargs="?")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("-u", "--username")
    p.add_argument("-p", "--password")
    p.add_argument("--authenticationDatabase", default="admin")
    p.add_argument("--eval", action="append", default=[])
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--norc", action="store_true")
    p.add_argument("--nodb", action="store_true")
    args, _ignored = p.parse_known_args(argv)
    if args.nodb:
        return 0

    script = "\n".join(args.eval)
    if not script and not sys.stdin.isatty():
        script = sys.stdin.read()
    if script.strip() and not any(w in script for w in PING_WORDS):
        print(
            f"mongosh (stand-in): runs no JavaScript, only pings; ignored: {script.strip()[:80]!r}",
            file=sys.stderr,
        )

    if args.target and args.target.startswith(("mongodb://", "mongodb+srv://")):
        uri = args.target
    else:
        host = (args.target or "").split("/")[0] or args.host or "127.0.0.1"
        if ":" not in host:
            host = f"{host}:{args.port or 27017}"
        uri = f"mongodb://{host}/?directConnection=true"
    options = {"serverSelectionTimeoutMS": 3000, "connectTimeoutMS": 3000}
    if args.username:
        options.update(username=args.username, password=args.password, authSource=args.authenticationDatabase)

    try:
        with MongoClient(uri, **options) as client:
            client.admin.command("ping")
    except Exception as exc:
        print(f"MongoServerSelectionError: {exc}", file=sys.stderr)
        return 1
    print("1" if script.strip().rstrip(";").endswith(".ok") else "{ ok: 1 }")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
