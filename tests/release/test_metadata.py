"""Release metadata: ISRC and UPC formats, names, roles and defaults."""

from __future__ import annotations

import datetime as dt

import pytest

from bandmate.errors import BandmateError
from bandmate.release import Credit, ReleaseError, ReleaseInfo, format_isrc, normalize_isrc
from bandmate.release.metadata import check_icpn


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("US-S1Z-99-00001", "USS1Z9900001"),
        ("gbaye0601498", "GBAYE0601498"),
        ("QM 6N2 24 00001", "QM6N22400001"),
    ],
)
def test_isrc_is_normalized(given: str, stored: str) -> None:
    assert normalize_isrc(given) == stored
    assert format_isrc(stored) == f"{stored[:2]}-{stored[2:5]}-{stored[5:7]}-{stored[7:]}"


@pytest.mark.parametrize(
    "bad", ["", "US-S1Z-99-0001", "1S-S1Z-99-00001", "US-S1Z-9A-00001", "USS1Z99000011"]
)
def test_bad_isrc_is_refused_with_the_rule(bad: str) -> None:
    with pytest.raises(ReleaseError, match="CC-XXX-YY-NNNNN"):
        normalize_isrc(bad)


def test_upc_and_ean_check_digits() -> None:
    assert check_icpn("036000291452") == "036000291452"  # UPC-A
    assert check_icpn("4006381333931") == "4006381333931"  # EAN-13
    with pytest.raises(ReleaseError, match="check digit"):
        check_icpn("036000291453")
    with pytest.raises(ReleaseError, match=r"12 .* or 13"):
        check_icpn("12345")


def test_release_info_defaults_and_validation() -> None:
    info = ReleaseInfo(
        title="  Night   Drive ", artists=("Ada", "Bo", "Cy"), isrc="us-s1z-99-00001"
    )
    assert info.title == "Night Drive"
    assert info.isrc == "USS1Z9900001"
    assert info.display_artist == "Ada, Bo & Cy"
    assert info.label_name == "Ada"
    assert info.release_title == "Night Drive"
    assert info.p_line == f"℗ {dt.date.today().year} Ada"
    assert issubclass(ReleaseError, BandmateError)
    for kwargs, field in (
        ({"artists": ()}, "artists"),
        ({"title": ""}, "title"),
        ({"track_number": 0}, "track_number"),
        ({"track_number": 3, "track_total": 2}, "track_total"),
        ({"language": "English!"}, "language"),
        ({"sender_dpid": "ACME"}, "sender_dpid"),
        ({"title": "x" * 300}, "title"),
    ):
        arguments: dict[str, object] = {"title": "T", "artists": ("A",), **kwargs}
        with pytest.raises(ReleaseError, match=field):
            ReleaseInfo(**arguments)  # type: ignore[arg-type]


def test_credit_roles_are_ddex_roles() -> None:
    assert Credit("Max", "Producer").role == "Producer"
    with pytest.raises(ReleaseError, match="role='Drummer' must be one of"):
        Credit("Max", "Drummer")  # type: ignore[arg-type]
