"""The rendered project's test identity provider (tests/identity.py), served for the contract check.

    python identity.py SUBJECT EMAIL

Runs in the project's environment from its folder. Starts the project's own `Identity` (a
real OpenID Connect issuer on 127.0.0.1), prints one JSON line (issuer, audience, and an
access token of SUBJECT with that e-mail claim, valid for an hour), and serves until its
standard input is closed: the app under test must start and stop while it runs.
"""

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path("tests").resolve()))

from identity import Identity

TOKEN_SECONDS = 3600


def main(subject: str, email: str) -> None:
    identity = Identity()
    identity.start()
    try:
        token = identity.token(sub=subject, email=email, exp=int(time.time()) + TOKEN_SECONDS)
        settings = identity.settings
        document = {"issuer": settings["oidc_issuer"], "audience": settings["oidc_audience"], "token": token}
        print(json.dumps(document), flush=True)
        sys.stdin.read()
    finally:
        identity.stop()


if __name__ == "__main__":
    main(*sys.argv[1:])
