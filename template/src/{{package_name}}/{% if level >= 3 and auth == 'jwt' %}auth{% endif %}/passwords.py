"""Password hashing with Argon2 (pwdlib), off the event loop."""

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from starlette.concurrency import run_in_threadpool

_hasher = PasswordHash((Argon2Hasher(),))
# Checked when the e-mail is unknown, so a login costs the same whether the user exists.
_UNKNOWN_USER_HASH = _hasher.hash("not a password of anyone")


async def hash_password(password: str) -> str:
    return await run_in_threadpool(_hasher.hash, password)


async def verify_password(password: str, password_hash: str | None) -> bool:
    """True when the password matches; always spends one Argon2 verification."""
    matches = await run_in_threadpool(_hasher.verify, password, password_hash or _UNKNOWN_USER_HASH)
    return matches and password_hash is not None
