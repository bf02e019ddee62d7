"""STUN/TURN servers for the players' WebRTC connections, and TURN REST credentials.

Players' browsers connect to each other directly when they can (host and server-reflexive
candidates, the latter found through a STUN server); behind symmetric NATs and strict
firewalls only a TURN relay gets audio through. The server is configured with a list of
:class:`IceServer` (``BANDMATE_ICE_SERVERS``, see :func:`parse_ice_servers`) and hands it to
each member who joins a jam room (:func:`ice_servers_for`), never to anyone else.

A TURN server shared with the world must not hand out one password to every user forever:
with a shared secret (coturn's ``use-auth-secret`` + ``static-auth-secret``, the "TURN REST
API" of draft-uberti-behave-turn-rest), each member gets a credential that expires::

    username   = "<unix expiry time>:<user id>"
    credential = base64(HMAC-SHA1(secret, username))
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from bandmate.jam.errors import JamError

SCHEMES = ("stun", "stuns", "turn", "turns")
MAX_SERVERS = 16
MAX_URLS = 8
MAX_URL_CHARS = 512
MAX_FIELD_CHARS = 512
MIN_TTL_S = 60
MAX_TTL_S = 7 * 24 * 3600


class IceConfigError(JamError):
    """STUN/TURN settings the server cannot use."""


@dataclass(frozen=True, slots=True)
class IceServer:
    """One entry of ``RTCConfiguration.iceServers``.

    Attributes:
        urls: ``stun:``/``stuns:``/``turn:``/``turns:`` URLs of one server.
        username: TURN username, or ``None`` (then the shared secret makes one per member).
        credential: TURN password for ``username``.
    """

    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = None

    @property
    def is_turn(self) -> bool:
        """Whether any of its URLs is a TURN relay (which needs credentials)."""
        return any(url.split(":", 1)[0] in ("turn", "turns") for url in self.urls)


def check_url(url: str) -> str:
    """``url`` when it is a STUN/TURN URL (RFC 7064/7065), else :class:`IceConfigError`."""
    scheme, sep, rest = url.partition(":")
    if not sep or scheme.lower() not in SCHEMES:
        raise IceConfigError(f"ICE server URL {url[:60]!r} must start with one of {SCHEMES}")
    if not rest or rest.startswith("/") or len(url) > MAX_URL_CHARS:
        raise IceConfigError(
            f"ICE server URL {url[:60]!r} must be <scheme>:<host>[:<port>][?transport=udp|tcp]"
            f" of at most {MAX_URL_CHARS} characters"
        )
    if any(c.isspace() or c in "\"'<>\\" for c in url):
        raise IceConfigError(f"ICE server URL {url[:60]!r} holds a space or a quote")
    return url


def _field(entry: dict[str, Any], key: str, index: int) -> str | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_FIELD_CHARS:
        raise IceConfigError(
            f"ICE server {index}: {key} must be a string of 1..{MAX_FIELD_CHARS} characters"
        )
    return value


def _entry(raw: object, index: int) -> IceServer:
    if not isinstance(raw, dict):
        raise IceConfigError(f"ICE server {index} must be an object with 'urls'")
    unknown = set(raw) - {"urls", "username", "credential"}
    if unknown:
        raise IceConfigError(f"ICE server {index}: unknown field(s) {sorted(unknown)}")
    urls = raw.get("urls")
    if isinstance(urls, str):
        urls = [urls]
    if not isinstance(urls, list) or not 1 <= len(urls) <= MAX_URLS:
        raise IceConfigError(f"ICE server {index}: urls must be a URL or 1..{MAX_URLS} URLs")
    checked = tuple(check_url(u) if isinstance(u, str) else check_url(repr(u)) for u in urls)
    username, credential = _field(raw, "username", index), _field(raw, "credential", index)
    if (username is None) != (credential is None):
        raise IceConfigError(f"ICE server {index}: give both username and credential, or neither")
    return IceServer(checked, username, credential)


def parse_ice_servers(
    text: str, *, username: str | None = None, credential: str | None = None
) -> tuple[IceServer, ...]:
    """The STUN/TURN servers that ``BANDMATE_ICE_SERVERS`` names.

    Args:
        text: A JSON list of ``RTCIceServer`` objects (``[{"urls": ["turn:turn.example.org"],
            "username": "u", "credential": "p"}]``), or comma-separated ``stun:``/``turn:``
            URLs (each URL its own server). Empty: none.
        username: TURN username for the TURN URLs given as a comma-separated list.
        credential: Its password.

    Raises:
        IceConfigError: Not a list of servers, a bad URL, half a credential.
    """
    text = text.strip()
    if not text:
        return ()
    if (username is None) != (credential is None):
        raise IceConfigError("give both BANDMATE_TURN_USERNAME and BANDMATE_TURN_CREDENTIAL")
    if text.startswith("["):
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise IceConfigError(f"ICE servers are not valid JSON: {exc}") from exc
        if not isinstance(raw, list):
            raise IceConfigError("ICE servers must be a JSON list")
        servers = [_entry(item, i) for i, item in enumerate(raw)]
    else:
        servers = []
        for url in (u.strip() for u in text.split(",")):
            if url:
                server = IceServer((check_url(url),))
                turn = server.is_turn and username is not None
                servers.append(IceServer(server.urls, username, credential) if turn else server)
    if len(servers) > MAX_SERVERS:
        raise IceConfigError(f"{len(servers)} ICE servers: at most {MAX_SERVERS}")
    return tuple(servers)


def check_turn_credentials(servers: tuple[IceServer, ...], *, secret: str | None) -> None:
    """Refuse TURN servers that would reach the browsers without any credential.

    Raises:
        IceConfigError: A TURN server has neither a username nor a shared secret to make one.
    """
    for server in servers:
        if server.is_turn and server.username is None and secret is None:
            raise IceConfigError(
                f"TURN server {server.urls[0]!r} needs credentials: set BANDMATE_TURN_SECRET"
                " (coturn static-auth-secret) or BANDMATE_TURN_USERNAME/BANDMATE_TURN_CREDENTIAL"
            )


def turn_rest_credential(secret: str, user_id: str, *, now_s: float, ttl_s: int) -> tuple[str, str]:
    """A time-limited TURN username and password for ``user_id`` (the TURN REST scheme).

    Returns:
        ``(username, credential)``: ``"<expiry>:<user_id>"`` and the base64 HMAC-SHA1 of it
        keyed with ``secret``, as coturn's ``use-auth-secret`` checks them.
    """
    username = f"{int(now_s) + ttl_s}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


def ice_servers_for(
    servers: tuple[IceServer, ...],
    user_id: str,
    *,
    secret: str | None,
    ttl_s: int,
    now_s: float,
) -> list[dict[str, Any]]:
    """``RTCConfiguration.iceServers`` for one member, as sent to their browser.

    TURN servers without their own credentials get a fresh time-limited one made with the
    shared ``secret``; STUN servers go without.
    """
    made: tuple[str, str] | None = None
    result: list[dict[str, Any]] = []
    for server in servers:
        entry: dict[str, Any] = {"urls": list(server.urls)}
        if server.username is not None:
            entry["username"], entry["credential"] = server.username, server.credential
        elif server.is_turn and secret is not None:
            made = made or turn_rest_credential(secret, user_id, now_s=now_s, ttl_s=ttl_s)
            entry["username"], entry["credential"] = made
        result.append(entry)
    return result
