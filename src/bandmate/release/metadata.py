"""What a release says about itself: titles, artists, credits and codes, checked.

The ISRC (ISO 3901) is ``CC-XXX-YY-NNNNN``: a two-letter country code, a three-character
registrant code (letters or digits), the two-digit year of reference and a five-digit
designation; it is stored without hyphens, upper case. The release's ICPN (UPC-A, 12
digits, or EAN-13) carries a GS1 check digit, which is verified.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Literal

from bandmate.errors import MasterError

Role = Literal[
    "Composer",
    "Lyricist",
    "ComposerLyricist",
    "Arranger",
    "Producer",
    "MixingEngineer",
    "MasteringEngineer",
    "RecordingEngineer",
    "FeaturedArtist",
]
"""A credit's role, named as DDEX's ContributorRole (or DisplayArtistRole) values are."""

ROLES: tuple[Role, ...] = (
    "Composer",
    "Lyricist",
    "ComposerLyricist",
    "Arranger",
    "Producer",
    "MixingEngineer",
    "MasteringEngineer",
    "RecordingEngineer",
    "FeaturedArtist",
)

_ISRC = re.compile(r"[A-Z]{2}[A-Z0-9]{3}[0-9]{7}")
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
_DPID = re.compile(r"PADPIDA[A-Z0-9]{10,}")
MAX_TEXT = 200
"""Longest title, name or label, in characters."""


class ReleaseError(MasterError):
    """A release could not be built: bad metadata, cover art or files."""


def normalize_isrc(isrc: str) -> str:
    """Return an ISRC without hyphens or spaces, upper case, after checking its format.

    Args:
        isrc: E.g. ``"US-S1Z-99-00001"`` or ``"uss1z9900001"``.

    Raises:
        ReleaseError: unless it is 2 letters, 3 letters or digits, then 7 digits.
    """
    compact = re.sub(r"[\s-]", "", isrc).upper()
    if not _ISRC.fullmatch(compact):
        raise ReleaseError(
            f"isrc={isrc!r} must be CC-XXX-YY-NNNNN: a 2-letter country code, a 3-character "
            "registrant code, a 2-digit year and a 5-digit number (hyphens optional)"
        )
    return compact


def format_isrc(isrc: str) -> str:
    """Return a normalized ISRC in its display form, ``CC-XXX-YY-NNNNN``."""
    code = normalize_isrc(isrc)
    return f"{code[:2]}-{code[2:5]}-{code[5:7]}-{code[7:]}"


def check_icpn(code: str) -> str:
    """Return a UPC-A (12 digits) or EAN-13 code after verifying its GS1 check digit.

    Raises:
        ReleaseError: for another length, a non-digit or a wrong check digit.
    """
    digits = code.strip().replace(" ", "")
    if not (digits.isascii() and digits.isdigit() and len(digits) in (12, 13)):
        raise ReleaseError(f"upc={code!r} must be 12 (UPC-A) or 13 (EAN-13) digits")
    body, check = digits[:-1], int(digits[-1])
    # GS1: weights 3, 1, 3, ... from the digit next to the check digit leftward.
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    if (10 - total % 10) % 10 != check:
        raise ReleaseError(
            f"upc={code!r} has a wrong check digit (expected {(10 - total % 10) % 10})"
        )
    return digits


def _text(name: str, value: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ReleaseError(f"{name}={value!r} must be a non-empty text")
    cleaned = " ".join(value.split())
    if len(cleaned) > MAX_TEXT:
        raise ReleaseError(f"{name} is {len(cleaned)} characters; must be at most {MAX_TEXT}")
    if any(ord(c) < 32 for c in cleaned):
        raise ReleaseError(f"{name}={value!r} must not contain control characters")
    return cleaned


@dataclass(frozen=True, slots=True)
class Credit:
    """Someone who made the recording, and how.

    Attributes:
        name: The person's or group's name as credited.
        role: Their role (see :data:`Role`).
    """

    name: str
    role: Role

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", _text("credit name", self.name))
        if self.role not in ROLES:
            raise ReleaseError(f"role={self.role!r} must be one of {', '.join(ROLES)}")


@dataclass(frozen=True, slots=True)
class ReleaseInfo:
    """The metadata of a one-track release (a single).

    Attributes:
        title: The track's title.
        artists: The main artists, in display order (at least one).
        album: The release's title; defaults to the track's title.
        track_number: The track's number on the release, 1 or more.
        track_total: Tracks on the release, at least ``track_number``.
        isrc: The recording's ISRC, if it has one (normalized on creation).
        upc: The release's UPC or EAN, if it has one (check digit verified).
        label: The label; defaults to the first artist (self-released).
        genre: The genre, as stores show it.
        release_date: The release date; defaults to today.
        credits: Composers, producers, engineers and featured artists.
        copyright_owner: Owner of the sound recording (the ℗ line); defaults to the label.
        language: Language of the performance (IETF tag, e.g. ``"en"``).
        explicit: Whether the lyrics are explicit.
        sender_dpid: The DDEX party ID of whoever sends the release message; without one
            the message is marked as a test message.
        sender_name: The sender's name; defaults to the label.
        recipient_dpid: The DDEX party ID of the store or distributor receiving it.
        recipient_name: The recipient's name.
    """

    title: str
    artists: tuple[str, ...]
    album: str | None = None
    track_number: int = 1
    track_total: int = 1
    isrc: str | None = None
    upc: str | None = None
    label: str | None = None
    genre: str = "Pop"
    release_date: dt.date = field(default_factory=dt.date.today)
    credits: tuple[Credit, ...] = ()
    copyright_owner: str | None = None
    language: str = "en"
    explicit: bool = False
    sender_dpid: str | None = None
    sender_name: str | None = None
    recipient_dpid: str | None = None
    recipient_name: str = "Recipient"

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "title", _text("title", self.title))
        artists: object = self.artists
        if isinstance(artists, str) or not artists:
            raise ReleaseError("artists must be a non-empty sequence of names")
        set_(self, "artists", tuple(_text("artist", a) for a in self.artists))
        for name in ("album", "label", "copyright_owner", "sender_name"):
            value = getattr(self, name)
            if value is not None:
                set_(self, name, _text(name, value))
        set_(self, "genre", _text("genre", self.genre))
        set_(self, "recipient_name", _text("recipient_name", self.recipient_name))
        if not (isinstance(self.track_number, int) and self.track_number >= 1):
            raise ReleaseError(f"track_number={self.track_number!r} must be 1 or more")
        if not (isinstance(self.track_total, int) and self.track_total >= self.track_number):
            raise ReleaseError(
                f"track_total={self.track_total!r} must be at least "
                f"track_number={self.track_number}"
            )
        if self.isrc is not None:
            set_(self, "isrc", normalize_isrc(self.isrc))
        if self.upc is not None:
            set_(self, "upc", check_icpn(self.upc))
        if not _LANGUAGE.fullmatch(self.language):
            raise ReleaseError(f"language={self.language!r} must be an IETF tag such as 'en'")
        for name in ("sender_dpid", "recipient_dpid"):
            value = getattr(self, name)
            if value is not None and not _DPID.fullmatch(value):
                raise ReleaseError(f"{name}={value!r} must be a DDEX party ID (PADPIDA...)")
        if not isinstance(self.release_date, dt.date):
            raise ReleaseError(f"release_date={self.release_date!r} must be a date")
        set_(self, "credits", tuple(self.credits))

    @property
    def release_title(self) -> str:
        """The release's title (the album, or the track's title for a single)."""
        return self.album or self.title

    @property
    def label_name(self) -> str:
        """The label, or the first artist when self-released."""
        return self.label or self.artists[0]

    @property
    def display_artist(self) -> str:
        """The artists as one display name ("A & B", "A, B & C")."""
        if len(self.artists) == 1:
            return self.artists[0]
        return ", ".join(self.artists[:-1]) + " & " + self.artists[-1]

    @property
    def p_line(self) -> str:
        """The ℗ line: year and owner of the sound recording."""
        return f"℗ {self.release_date.year} {self.copyright_owner or self.label_name}"

    def credited(self, *roles: Role) -> list[str]:
        """Names credited with any of the given roles, in order."""
        return [c.name for c in self.credits if c.role in roles]
