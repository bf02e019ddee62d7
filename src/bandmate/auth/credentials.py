"""Credentials: usernames, passwords and their argon2id hashes; random tokens; signatures.

Passwords are hashed with argon2id (argon2-cffi). Hashing is CPU- and
memory-hard on purpose, so it runs in a worker thread, and passwords are capped
at :data:`PASSWORD_MAX` characters so that one request cannot buy unbounded work.

Session and invitation tokens are 32 random bytes (URL-safe base64, 43 characters);
only their SHA-256 is stored, so a leaked database opens no session. Signed values
carry an HMAC-SHA256 made with the server's secret (used for CSRF tokens).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bandmate.auth.errors import InvalidInputError

USERNAME = re.compile(r"[a-z0-9][a-z0-9_.-]{2,31}")
PASSWORD_MIN = 8
PASSWORD_MAX = 256


def normalize_username(username: str) -> str:
    """Check ``username`` and return it in its stored (lowercase) form.

    Raises:
        InvalidInputError: Unless it is 3..32 of ``a-z 0-9 _ . -``, starting with a letter or digit.
    """
    name = username.lower()
    if not USERNAME.fullmatch(name):
        raise InvalidInputError(
            f"username={username[:40]!r} must be 3..32 characters of a-z, 0-9, '_', '.', '-', "
            "starting with a letter or digit"
        )
    return name


def check_password(password: str) -> str:
    """Check ``password`` against the length rules and return it NFC-normalized.

    Raises:
        InvalidInputError: When shorter than :data:`PASSWORD_MIN` or longer than
            :data:`PASSWORD_MAX` characters.
    """
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise InvalidInputError(
            f"password of length {len(password)} must be {PASSWORD_MIN}..{PASSWORD_MAX} characters"
        )
    return normalize_password(password)


def normalize_password(password: str) -> str:
    """``password`` in Unicode NFC, so one password typed on two keyboards hashes the same."""
    return unicodedata.normalize("NFC", password)


@dataclass(frozen=True, slots=True)
class HashCost:
    """argon2id cost parameters. The defaults are RFC 9106's low-memory profile."""

    time_cost: int = 3
    memory_kib: int = 65_536
    parallelism: int = 4


class Passwords:
    """Hash and verify passwords with argon2id, off the event loop.

    Args:
        cost: The argon2id parameters for new hashes; older hashes still verify
            and :meth:`needs_rehash` says when to upgrade them.
    """

    def __init__(self, cost: HashCost | None = None) -> None:
        cost = cost or HashCost()
        self._hasher = PasswordHasher(
            time_cost=cost.time_cost,
            memory_cost=cost.memory_kib,
            parallelism=cost.parallelism,
            type=Type.ID,
        )
        self._dummy: str | None = None

    async def hash_password(self, password: str) -> str:
        """The argon2id hash of ``password`` (PHC string ``$argon2id$v=19$...``)."""
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify_password(self, stored_hash: str, password: str) -> bool:
        """Whether ``password`` matches ``stored_hash``; a malformed hash never matches."""
        try:
            return await asyncio.to_thread(self._hasher.verify, stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def waste_time(self, password: str) -> None:
        """Spend as long as a real verification, so unknown usernames answer no faster."""
        if self._dummy is None:
            self._dummy = await self.hash_password("bandmate-dummy-password")
        await self.verify_password(self._dummy, password)

    def needs_rehash(self, stored_hash: str) -> bool:
        """Whether ``stored_hash`` was made with other parameters than the current ones."""
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except InvalidHashError:
            return True


# Tokens and signatures ----------------------------------------------------------------------

TOKEN_BYTES = 32


def new_token() -> str:
    """A fresh secret token: 32 random bytes as URL-safe base64 without padding."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """The SHA-256 of ``token`` as 64 hex digits: what the database stores."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _mac(secret: str, value: str) -> str:
    digest = hmac.new(secret.encode(), value.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign(secret: str, value: str) -> str:
    """``value`` with its HMAC appended: ``"<value>.<mac>"`` (``value`` must hold no dot)."""
    return f"{value}.{_mac(secret, value)}"


def verify_signed(secret: str, signed: str) -> bool:
    """Whether ``signed`` came from :func:`sign` with the same ``secret``."""
    value, dot, mac = signed.rpartition(".")
    if not dot or not value:
        return False
    return hmac.compare_digest(mac.encode(), _mac(secret, value).encode())


def same(a: str, b: str) -> bool:
    """Compare two secrets in constant time."""
    return hmac.compare_digest(
        a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass")
    )
