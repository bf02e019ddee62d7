"""The DDEX ERN 4.3 NewReleaseMessage: required elements, references, and a checker that bites."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from bandmate.release import Credit, ReleaseInfo
from bandmate.release.ddex import (
    ERN_NAMESPACE,
    DeliveredAudio,
    DeliveredImage,
    build_new_release_message,
    iso_duration,
)
from bandmate.release.ern_check import check_new_release_message

HASH = "ab" * 32
INFO = ReleaseInfo(
    title="Night Drive",
    artists=("Ada Lane",),
    isrc="USS1Z9900001",
    upc="036000291452",
    label="Knot Records",
    genre="Electronic",
    release_date=dt.date(2026, 3, 1),
    credits=(
        Credit("Ada Lane", "ComposerLyricist"),
        Credit("Max Bell", "Producer"),
        Credit("Jo Kim", "FeaturedArtist"),
        Credit("Sam Ray", "MasteringEngineer"),
    ),
    sender_dpid="PADPIDA2014120301A",
)
AUDIO = [
    DeliveredAudio("01.flac", HASH, "FLAC", 2, 44_100, 24, None),
    DeliveredAudio("01.mp3", HASH, "MP3", 2, 44_100, None, 320),
]


def _message(info: ReleaseInfo = INFO) -> bytes:
    return build_new_release_message(
        info,
        duration_seconds=205.5,
        audio_files=AUDIO,
        cover=DeliveredImage("cover.jpg", HASH, 3000),
        created=dt.datetime(2026, 2, 1, 12, 0, tzinfo=dt.UTC),
    )


def _text(root: ET.Element, path: str) -> list[str]:
    return [(e.text or "") for e in root.findall(path)]


def test_message_passes_the_structural_check() -> None:
    assert check_new_release_message(_message()) == []


def test_message_has_the_required_composites_in_order() -> None:
    root = ET.fromstring(_message())
    assert root.tag == f"{{{ERN_NAMESPACE}}}NewReleaseMessage"
    assert root.get("LanguageAndScriptCode") == "en"
    assert root.get("AvsVersionId")
    assert [c.tag for c in root] == [
        "MessageHeader",
        "PartyList",
        "ResourceList",
        "ReleaseList",
        "DealList",
    ]
    assert _text(root, "MessageHeader/MessageSender/PartyId") == ["PADPIDA2014120301A"]
    assert _text(root, "MessageHeader/MessageControlType") == ["LiveMessage"]
    assert _text(root, "MessageHeader/MessageCreatedDateTime") == ["2026-02-01T12:00:00+00:00"]


def test_sound_recording_image_and_releases_carry_the_metadata() -> None:
    root = ET.fromstring(_message())
    parties = {
        p.findtext("PartyReference"): p.findtext("PartyName/FullName") for p in root.iter("Party")
    }
    assert set(parties.values()) == {"Ada Lane", "Knot Records", "Max Bell", "Jo Kim", "Sam Ray"}
    recording = root.find("ResourceList/SoundRecording")
    assert recording is not None
    assert _text(recording, "SoundRecordingEdition/ResourceId/ISRC") == ["USS1Z9900001"]
    assert _text(recording, "DisplayTitleText") == ["Night Drive"]
    assert _text(recording, "Duration") == ["PT3M25.5S"]
    roles = {
        parties[c.findtext("ContributorPartyReference")]: c.findtext("Role")
        for c in recording.findall("Contributor")
    }
    assert roles == {
        "Ada Lane": "ComposerLyricist",
        "Max Bell": "Producer",
        "Sam Ray": "MasteringEngineer",
    }
    artists = [
        (parties[a.findtext("ArtistPartyReference")], a.findtext("DisplayArtistRole"))
        for a in recording.findall("DisplayArtist")
    ]
    assert artists == [("Ada Lane", "MainArtist"), ("Jo Kim", "FeaturedArtist")]
    details = recording.findall("SoundRecordingEdition/TechnicalDetails/DeliveryFile")
    assert [d.findtext("AudioCodecType") for d in details] == ["FLAC", "MP3"]
    assert [d.findtext("File/HashSum/Algorithm") for d in details] == ["SHA256", "SHA256"]
    assert _text(root, "ResourceList/Image/Type") == ["FrontCoverImage"]
    assert _text(root, "ResourceList/Image/TechnicalDetails/File/URI") == ["cover.jpg"]
    release = root.find("ReleaseList/Release")
    assert release is not None
    assert _text(release, "ReleaseType") == ["Single"]
    assert _text(release, "ReleaseId/ICPN") == ["036000291452"]
    assert parties[release.findtext("ReleaseLabelReference")] == "Knot Records"
    assert _text(release, "ResourceGroup/ResourceGroupContentItem/ReleaseResourceReference") == [
        "A1"
    ]
    assert _text(release, "ResourceGroup/LinkedReleaseResourceReference") == ["A2"]
    assert _text(root, "ReleaseList/TrackRelease/ReleaseResourceReference") == ["A1"]
    deals = root.findall("DealList/ReleaseDeal")
    assert [d.findtext("DealReleaseReference") for d in deals] == ["R0", "R1"]
    assert {t.findtext("UseType") for t in root.iter("DealTerms")} == {
        "Stream",
        "PermanentDownload",
    }


def test_without_dpid_or_isrc_the_message_is_a_valid_test_message() -> None:
    info = ReleaseInfo(title="Demo", artists=("Ada",))
    message = _message(info)
    assert check_new_release_message(message) == []
    root = ET.fromstring(message)
    assert _text(root, "MessageHeader/MessageControlType") == ["TestMessage"]
    assert (
        root.find("ResourceList/SoundRecording/SoundRecordingEdition/ResourceId/ProprietaryId")
        is not None
    )


def _broken(edit: str) -> bytes:
    root = ET.fromstring(_message())
    recording = root.find("ResourceList/SoundRecording")
    release = root.find("ReleaseList/Release")
    assert recording is not None
    assert release is not None
    if edit == "drop-title":
        recording.remove(recording.find("DisplayTitleText"))  # type: ignore[arg-type]
    elif edit == "dangling-artist":
        reference = recording.find("DisplayArtist/ArtistPartyReference")
        assert reference is not None
        reference.text = "P99"
    elif edit == "duplicate-anchor":
        reference = root.find("ResourceList/Image/ResourceReference")
        assert reference is not None
        reference.text = "A1"
    elif edit == "order":
        genre = release.find("Genre")
        assert genre is not None
        release.remove(genre)
        release.insert(0, genre)
    elif edit == "bad-isrc":
        isrc = recording.find("SoundRecordingEdition/ResourceId/ISRC")
        assert isrc is not None
        isrc.text = "US-123"
    elif edit == "no-deal-terms":
        for deal in root.iter("Deal"):
            deal.clear()
    return ET.tostring(root)


@pytest.mark.parametrize(
    ("edit", "complaint"),
    [
        ("drop-title", "lacks its required DisplayTitleText"),
        ("dangling-artist", "ArtistPartyReference='P99' points at no PartyReference"),
        ("duplicate-anchor", "ResourceReference='A1' is defined 2 times"),
        ("order", "Release's children are out of schema order"),
        ("bad-isrc", "ISRC='US-123' does not match"),
        ("no-deal-terms", "Deal lacks its required DealTerms"),
    ],
)
def test_checker_catches_broken_messages(edit: str, complaint: str) -> None:
    problems = check_new_release_message(_broken(edit))
    assert any(complaint in p for p in problems), problems


def test_checker_refuses_other_documents() -> None:
    assert check_new_release_message(b"<not-closed")[0].startswith("not well-formed")
    assert "not ern:NewReleaseMessage" in check_new_release_message(b"<NewReleaseMessage/>")[0]


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.0, "PT0S"), (59.25, "PT59.25S"), (3723.0, "PT1H2M3S")]
)
def test_iso_durations(seconds: float, text: str) -> None:
    assert iso_duration(seconds) == text
