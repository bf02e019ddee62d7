"""Server settings: one frozen dataclass, built from ``BANDMATE_*`` variables in one place.

Only :func:`settings_from_env` reads the environment; everything else receives a
:class:`Settings`. Variables:

=========================  ===============================================================
``BANDMATE_DATA_DIR``      data folder (database, blobs, secret); default ``./data``
``BANDMATE_DATABASE_URL``  ``sqlite:///...`` or ``postgresql://...``; default SQLite in the
                           data folder
``BANDMATE_HOST``          address to listen on; default ``127.0.0.1``
``BANDMATE_PORT``          port; default ``8000``
``BANDMATE_ALLOWED_ORIGINS``  comma-separated origins allowed besides the server's own
``BANDMATE_SECRET``        signing key; generated into ``DATA_DIR/secret.key`` when unset
``BANDMATE_LOG_LEVEL``     ``DEBUG``, ``INFO`` (default), ``WARNING`` or ``ERROR``
``BANDMATE_JOB_WORKERS``   worker processes for background jobs (renders ...); default 1
``BANDMATE_ICE_SERVERS``   STUN/TURN servers for jam audio (WebRTC): a JSON list of
                           ``RTCIceServer`` objects, or comma-separated ``stun:``/``turn:``
                           URLs; default none (players on one network need none)
``BANDMATE_TURN_USERNAME``  TURN username for the TURN URLs of a comma-separated list
``BANDMATE_TURN_CREDENTIAL``  its password
``BANDMATE_TURN_SECRET``   TURN REST shared secret (coturn ``static-auth-secret``): each
                           member gets a time-limited TURN credential made with it
``BANDMATE_TURN_TTL_S``    how long such a credential lasts; default 43200 (12 h)
=========================  ===============================================================
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

from bandmate.auth.credentials import HashCost
from bandmate.errors import BandmateError
from bandmate.jam.ice import (
    MAX_TTL_S,
    MIN_TTL_S,
    IceConfigError,
    IceServer,
    check_turn_credentials,
    parse_ice_servers,
)
from bandmate.store.engine import async_url, sqlite_url
from bandmate.store.errors import DatabaseUrlError

SECRET_FILE = "secret.key"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
MAX_JOB_WORKERS = 64


class SettingsError(BandmateError):
    """A ``BANDMATE_*`` variable holds a value the server cannot use."""

    code: ClassVar[str] = "bad_setting"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the server is configured with.

    Attributes:
        data_dir: The data folder.
        database_url: SQLite or PostgreSQL URL.
        host: Address to listen on.
        port: Port to listen on.
        allowed_origins: Origins (``scheme://host[:port]``) allowed to make
            state-changing requests besides the server's own.
        secret: The signing key (CSRF tokens). Never logged.
        log_level: Minimum level of the JSON log.
        max_body_bytes: Larger request bodies are refused with 413.
        session_ttl_s: Seconds a session lasts after sign-in.
        login_window_s: The sliding window for failed sign-ins, in seconds.
        login_max_per_user: Failed sign-ins allowed per username within the window.
        login_max_per_address: Failed sign-ins allowed per client address within the window.
        password_cost: argon2id parameters for new password hashes.
        seed_demo: Create the demo account and project on first start.
        job_workers: Worker processes running background jobs at once.
        jobs_per_project: Unfinished jobs allowed in one project (more: 429).
        jobs_per_user: Unfinished jobs one person may have asked for (more: 429).
        ice_servers: STUN/TURN servers handed to jam room members for WebRTC audio.
        turn_secret: TURN REST shared secret: makes time-limited TURN credentials. Never logged.
        turn_ttl_s: Seconds such a credential lasts.
    """

    data_dir: Path
    database_url: str
    secret: str = field(repr=False)
    host: str = "127.0.0.1"
    port: int = 8000
    allowed_origins: tuple[str, ...] = ()
    log_level: str = "INFO"
    max_body_bytes: int = 1 << 20
    session_ttl_s: int = 30 * 24 * 3600
    login_window_s: float = 15 * 60
    login_max_per_user: int = 10
    login_max_per_address: int = 50
    password_cost: HashCost = field(default_factory=HashCost)
    seed_demo: bool = True
    job_workers: int = 1
    jobs_per_project: int = 4
    jobs_per_user: int = 8
    ice_servers: tuple[IceServer, ...] = ()
    turn_secret: str | None = field(default=None, repr=False)
    turn_ttl_s: int = 12 * 3600

    @property
    def blob_dir(self) -> Path:
        """Where blobs are stored."""
        return self.data_dir / "blobs"

    @property
    def job_dir(self) -> Path:
        """Where job workers write their temporary files."""
        return self.data_dir / "jobs"


def _origin(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise SettingsError(
            f"BANDMATE_ALLOWED_ORIGINS entry {value!r} must look like https://host[:port]"
        )
    return f"{parts.scheme}://{parts.netloc}".lower()


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise SettingsError(f"BANDMATE_PORT={value!r} must be an integer in 1..65535")
    return port


def _workers(value: str) -> int:
    try:
        workers = int(value)
    except ValueError:
        workers = 0
    if not 1 <= workers <= MAX_JOB_WORKERS:
        raise SettingsError(
            f"BANDMATE_JOB_WORKERS={value!r} must be an integer in 1..{MAX_JOB_WORKERS}"
        )
    return workers


def _ice(env: Mapping[str, str]) -> tuple[tuple[IceServer, ...], str | None, int]:
    secret = env.get("BANDMATE_TURN_SECRET") or None
    ttl_text = env.get("BANDMATE_TURN_TTL_S") or "43200"
    try:
        ttl = int(ttl_text)
    except ValueError:
        ttl = 0
    if not MIN_TTL_S <= ttl <= MAX_TTL_S:
        raise SettingsError(
            f"BANDMATE_TURN_TTL_S={ttl_text!r} must be an integer in {MIN_TTL_S}..{MAX_TTL_S}"
        )
    try:
        servers = parse_ice_servers(
            env.get("BANDMATE_ICE_SERVERS", ""),
            username=env.get("BANDMATE_TURN_USERNAME") or None,
            credential=env.get("BANDMATE_TURN_CREDENTIAL") or None,
        )
        check_turn_credentials(servers, secret=secret)
    except IceConfigError as exc:
        raise SettingsError(f"BANDMATE_ICE_SERVERS: {exc}") from exc
    return servers, secret, ttl


def load_or_create_secret(data_dir: Path) -> str:
    """The secret kept in ``data_dir/secret.key``, created (mode 0600) when missing."""
    path = data_dir / SECRET_FILE
    if path.exists():
        secret = path.read_text(encoding="ascii").strip()
        if len(secret) >= 32:
            return secret
        raise SettingsError(f"{path} holds {len(secret)} characters; a secret needs at least 32")
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secret + "\n")
    return secret


def settings_from_env(environ: Mapping[str, str] | None = None) -> Settings:
    """Build :class:`Settings` from ``BANDMATE_*`` variables (``os.environ`` by default).

    Creates the data folder and, when ``BANDMATE_SECRET`` is unset, the secret file.

    Raises:
        SettingsError: When a variable holds an unusable value.
    """
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("BANDMATE_DATA_DIR") or "data").resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    database_url = env.get("BANDMATE_DATABASE_URL") or sqlite_url(data_dir / "bandmate.db")
    try:
        async_url(database_url)
    except DatabaseUrlError as exc:
        raise SettingsError(f"BANDMATE_DATABASE_URL: {exc}") from exc
    secret = env.get("BANDMATE_SECRET") or load_or_create_secret(data_dir)
    if len(secret) < 32:
        raise SettingsError(f"BANDMATE_SECRET has {len(secret)} characters; it needs at least 32")
    origins = tuple(
        _origin(o) for o in env.get("BANDMATE_ALLOWED_ORIGINS", "").split(",") if o.strip()
    )
    level = (env.get("BANDMATE_LOG_LEVEL") or "INFO").upper()
    if level not in LOG_LEVELS:
        raise SettingsError(f"BANDMATE_LOG_LEVEL={level!r} must be one of {', '.join(LOG_LEVELS)}")
    ice_servers, turn_secret, turn_ttl_s = _ice(env)
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        secret=secret,
        host=env.get("BANDMATE_HOST") or "127.0.0.1",
        port=_port(env.get("BANDMATE_PORT") or "8000"),
        allowed_origins=origins,
        log_level=level,
        job_workers=_workers(env.get("BANDMATE_JOB_WORKERS") or "1"),
        ice_servers=ice_servers,
        turn_secret=turn_secret,
        turn_ttl_s=turn_ttl_s,
    )
