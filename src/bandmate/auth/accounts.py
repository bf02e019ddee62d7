"""Accounts: sign up, sign in, sign out, and finding the user behind a session token.

Sign-in failures are counted per username and per client address; past either
limit the next attempt is refused with :class:`RateLimitedError` before any
password is checked. Unknown usernames cost as much time as wrong passwords.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bandmate.auth.credentials import (
    PASSWORD_MAX,
    Passwords,
    check_password,
    hash_token,
    new_token,
    normalize_password,
    normalize_username,
)
from bandmate.auth.errors import BadCredentialsError, NotAuthenticatedError, RateLimitedError
from bandmate.auth.ratelimit import RateLimiter
from bandmate.store import repos
from bandmate.store.engine import Database
from bandmate.store.records import User
from bandmate.store.updates import utc_now


class Accounts:
    """The account service.

    Args:
        database: Where users and sessions are stored.
        passwords: The argon2id hasher.
        per_user: Limits failed sign-ins per username.
        per_address: Limits failed sign-ins per client address.
        session_ttl: How long a session lasts after sign-in.
        clock: The current UTC time (injectable for tests).
    """

    def __init__(
        self,
        database: Database,
        passwords: Passwords,
        *,
        per_user: RateLimiter,
        per_address: RateLimiter,
        session_ttl: timedelta,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._db = database
        self._passwords = passwords
        self._per_user = per_user
        self._per_address = per_address
        self._ttl = session_ttl
        self._clock = clock

    async def sign_up(self, username: str, password: str) -> tuple[User, str]:
        """Create an account and sign it in.

        Returns:
            The new user and a session token for its cookie.

        Raises:
            InvalidInputError: When the username or password breaks a rule.
            UsernameTakenError: When the username exists.
        """
        name = normalize_username(username)
        password_hash = await self._passwords.hash_password(check_password(password))
        async with self._db.transaction() as db:
            user = await repos.insert_user(
                db, username=name, password_hash=password_hash, now=self._clock()
            )
        return user, await self.create_session(user.id)

    async def sign_in(self, username: str, password: str, *, address: str) -> tuple[User, str]:
        """Check a username and password and open a session.

        Args:
            address: The client's network address, for the per-address limit.

        Returns:
            The user and a session token for its cookie.

        Raises:
            RateLimitedError: When the username or address failed too often lately.
            BadCredentialsError: When the username is unknown or the password wrong.
        """
        name = username.lower()[:64]
        user_key, address_key = f"user:{name}", f"ip:{address}"
        waits = (
            await self._per_user.retry_after(user_key),
            await self._per_address.retry_after(address_key),
        )
        wait = max((w for w in waits if w is not None), default=None)
        if wait is not None:
            raise RateLimitedError(
                f"too many failed sign-ins; retry in {wait:.0f} s", retry_after=wait
            )
        if len(password) <= PASSWORD_MAX:  # never spend argon2 work on an oversized password
            typed = normalize_password(password)
            async with self._db.transaction() as db:
                found = await repos.find_credentials(db, name)
            if found is None:
                await self._passwords.waste_time(typed)
            elif await self._passwords.verify_password(found[1], typed):
                await self._per_user.reset(user_key)
                await self._rehash_if_needed(found[0].id, found[1], typed)
                return found[0], await self.create_session(found[0].id)
        await self._per_user.record_failure(user_key)
        await self._per_address.record_failure(address_key)
        raise BadCredentialsError("username or password is wrong")

    async def _rehash_if_needed(self, user_id: str, stored: str, password: str) -> None:
        if self._passwords.needs_rehash(stored):
            fresh = await self._passwords.hash_password(password)
            async with self._db.transaction() as db:
                await repos.set_password_hash(db, user_id, fresh)

    async def create_session(self, user_id: str) -> str:
        """Open a session for ``user_id`` and return its token (stored only hashed)."""
        token = new_token()
        now = self._clock()
        async with self._db.transaction() as db:
            await repos.insert_session(
                db,
                token_hash=hash_token(token),
                user_id=user_id,
                now=now,
                expires_at=now + self._ttl,
            )
        return token

    async def sign_out(self, token: str) -> None:
        """End the session of ``token`` (a no-op when it is unknown)."""
        async with self._db.transaction() as db:
            await repos.delete_session(db, hash_token(token))

    async def user_for_token(self, token: str | None) -> User | None:
        """The user whose unexpired session ``token`` names, or ``None``."""
        if not token or len(token) > 128:
            return None
        async with self._db.transaction() as db:
            return await repos.find_session_user(db, hash_token(token), self._clock())

    async def require_user(self, token: str | None) -> User:
        """Like :meth:`user_for_token` but raises :class:`NotAuthenticatedError` for no user."""
        user = await self.user_for_token(token)
        if user is None:
            raise NotAuthenticatedError("sign in first: no valid session")
        return user

    async def purge_sessions(self) -> int:
        """Delete expired sessions; returns how many."""
        async with self._db.transaction() as db:
            return await repos.delete_expired_sessions(db, self._clock())

    async def count_users(self) -> int:
        """How many accounts exist."""
        async with self._db.transaction() as db:
            return await repos.count_users(db)
