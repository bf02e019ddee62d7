"""Release: a mastered track packaged for stores and distributors.

WAV, FLAC and MP3 with tags and cover art, a 3000 x 3000 cover (given or drawn from the
music), a DDEX ERN 4.3 NewReleaseMessage and a SHA-256 manifest. The command line calls
:func:`build_release`.
"""

from __future__ import annotations

from bandmate.release.metadata import (
    ROLES,
    Credit,
    ReleaseError,
    ReleaseInfo,
    Role,
    format_isrc,
    normalize_isrc,
)
from bandmate.release.package import ReleasePackage, build_release, verify_manifest

__all__ = [
    "ROLES",
    "Credit",
    "ReleaseError",
    "ReleaseInfo",
    "ReleasePackage",
    "Role",
    "build_release",
    "format_isrc",
    "normalize_isrc",
    "verify_manifest",
]
