"""Password hashing with Argon2 (pwdlib), off the event loop.

One hash costs tens of milliseconds and 64 MiB. At most one per CPU core runs at a time,
in threads of their own: a burst of logins waits its turn instead of exhausting memory or
the thread pool that the rest of the application shares.
"""

import os

import anyio.to_thread
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

_hasher = PasswordHash((Argon2Hasher(),))
_hashing = anyio.CapacityLimiter(os.cpu_count() or 1)
# Checked when the e-mail is unknown, so a login costs the same whether the user exists.
_UNKNOWN_USER_HASH = _hasher.hash("not a password of anyone")


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(_hasher.hash, password, limiter=_hashing)


async def verify_password(password: str, password_hash: str | None) -> bool:
    """True when the password matches; always spends one Argon2 verification."""
    stored = password_hash or _UNKNOWN_USER_HASH
    matches = await anyio.to_thread.run_sync(_hasher.verify, password, stored, limiter=_hashing)
    return matches and password_hash is not None
