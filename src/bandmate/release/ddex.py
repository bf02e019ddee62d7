"""A DDEX ERN 4.3 NewReleaseMessage for a single: one sound recording and its cover.

The message follows the ERN 4.3 schema (namespace ``http://ddex.net/xml/ern/43``; only the
root element is namespace-qualified, as the schema's ``elementFormDefault="unqualified"``
asks). In schema order it holds:

- ``MessageHeader``: ids, sender, recipient, creation time; a test message unless the
  sender's DDEX party ID (DPID) is known.
- ``PartyList``: every artist, contributor and the label, as ``P`` anchors.
- ``ResourceList``: the ``SoundRecording`` (``A1``: ISRC, ℗ line, one ``TechnicalDetails``
  per delivered file with codec, channels, rate and SHA-256, display title and artists,
  contributors with their roles, duration, parental warning) and the front-cover
  ``Image`` (``A2``).
- ``ReleaseList``: the ``Release`` (``R0``, a Single) with its resource group, and the
  ``TrackRelease`` (``R1``).
- ``DealList``: worldwide streaming (subscription and ad-supported) and download deals
  from the release date, for both releases.

:mod:`bandmate.release.ern_check` checks a message's structure against the schema's
required elements and anchors; the package builder runs it before writing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from bandmate.release.metadata import ReleaseInfo

ERN_NAMESPACE = "http://ddex.net/xml/ern/43"
XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{ERN_NAMESPACE} {ERN_NAMESPACE}/release-notification.xsd"
AVS_VERSION = "4"
PLACEHOLDER_DPID = "PADPIDA0000000000"
"""Used, with MessageControlType TestMessage, when the sender has no DPID yet."""
_DEALS = (("SubscriptionModel", "Stream"), ("AdvertisementSupportedModel", "Stream"),
          ("PayAsYouGoModel", "PermanentDownload"))  # fmt: skip


@dataclass(frozen=True, slots=True)
class DeliveredAudio:
    """An audio file of the release.

    Attributes:
        name: File name inside the release folder (the message's URI).
        sha256: SHA-256 of the file, hex.
        codec: DDEX AudioCodecType: ``"PCM"`` (WAV), ``"FLAC"`` or ``"MP3"``.
        channels: Number of channels.
        sample_rate: Sample rate in Hz.
        bits_per_sample: PCM bits per sample (``None`` for MP3).
        bitrate_kbps: Bit rate for MP3, kbit/s (``None`` for PCM and FLAC).
    """

    name: str
    sha256: str
    codec: str
    channels: int
    sample_rate: int
    bits_per_sample: int | None
    bitrate_kbps: int | None


@dataclass(frozen=True, slots=True)
class DeliveredImage:
    """The cover image file: ``name``, ``sha256`` (hex) and its square ``size`` in pixels."""

    name: str
    sha256: str
    size: int


def iso_duration(seconds: float) -> str:
    """Format a duration as ISO 8601 (``PT3M25.5S``), as ``xs:duration`` requires."""
    total = round(seconds, 3)
    hours, rest = divmod(total, 3600.0)
    minutes, secs = divmod(rest, 60.0)
    text = "PT"
    if hours:
        text += f"{int(hours)}H"
    if hours or minutes:
        text += f"{int(minutes)}M"
    return text + f"{secs:.3f}".rstrip("0").rstrip(".") + "S"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = text
    return element


def _title(parent: ET.Element, text: str) -> None:
    _sub(parent, "DisplayTitleText", text)
    _sub(_sub(parent, "DisplayTitle"), "TitleText", text)


class _Parties:
    """Assigns one ``P`` anchor per distinct name."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def ref(self, name: str) -> str:
        return self.names.setdefault(name, f"P{len(self.names) + 1}")


def build_new_release_message(
    info: ReleaseInfo,
    *,
    duration_seconds: float,
    audio_files: Sequence[DeliveredAudio],
    cover: DeliveredImage,
    created: dt.datetime | None = None,
) -> bytes:
    """Build the ERN 4.3 NewReleaseMessage of a single.

    Args:
        info: The release's metadata.
        duration_seconds: The recording's duration, s.
        audio_files: The delivered audio files (at least one).
        cover: The delivered cover image.
        created: When the message was created (timezone-aware); defaults to now (UTC).

    Returns:
        The message as UTF-8 XML bytes, with an XML declaration.
    """
    created = created or dt.datetime.now(dt.UTC)
    parties = _Parties()
    label = parties.ref(info.label_name)
    artists = [parties.ref(a) for a in info.artists]
    featured = [parties.ref(n) for n in info.credited("FeaturedArtist")]
    contributors: list[tuple[str, str]] = [
        (parties.ref(c.name), c.role) for c in info.credits if c.role != "FeaturedArtist"
    ]
    release_key = (
        info.upc
        or hashlib.sha256(f"{info.display_artist}\n{info.release_title}\n{info.isrc}".encode())
        .hexdigest()[:16]
        .upper()
    )
    sender = info.sender_dpid or PLACEHOLDER_DPID

    ET.register_namespace("ern", ERN_NAMESPACE)
    ET.register_namespace("xsi", XSI_NAMESPACE)
    root = ET.Element(
        f"{{{ERN_NAMESPACE}}}NewReleaseMessage",
        {
            f"{{{XSI_NAMESPACE}}}schemaLocation": SCHEMA_LOCATION,
            "LanguageAndScriptCode": info.language,
            "AvsVersionId": AVS_VERSION,
        },
    )
    header = _sub(root, "MessageHeader")
    _sub(header, "MessageThreadId", f"BANDMATE-{release_key}")
    _sub(header, "MessageId", f"BANDMATE-{release_key}-{created:%Y%m%d%H%M%S}")
    for tag, dpid, name in (
        ("MessageSender", sender, info.sender_name or info.label_name),
        ("MessageRecipient", info.recipient_dpid or PLACEHOLDER_DPID, info.recipient_name),
    ):
        party = _sub(header, tag)
        _sub(party, "PartyId", dpid)
        _sub(_sub(party, "PartyName"), "FullName", name)
    _sub(header, "MessageCreatedDateTime", created.isoformat(timespec="seconds"))
    _sub(header, "MessageControlType", "LiveMessage" if info.sender_dpid else "TestMessage")

    party_list = _sub(root, "PartyList")
    for name, reference in parties.names.items():
        party = _sub(party_list, "Party")
        _sub(party, "PartyReference", reference)
        _sub(_sub(party, "PartyName"), "FullName", name)

    resources = _sub(root, "ResourceList")
    _sound_recording(
        resources,
        info,
        (artists, featured, contributors),
        duration_seconds,
        audio_files,
        (sender, release_key),
    )
    image = _sub(resources, "Image")
    _sub(image, "ResourceReference", "A2")
    _sub(image, "Type", "FrontCoverImage")
    _sub(_sub(image, "ResourceId"), "ProprietaryId", f"{release_key}-COVER", Namespace=sender)
    details = _sub(image, "TechnicalDetails")
    _sub(details, "TechnicalResourceDetailsReference", f"T{len(audio_files) + 1}")
    _sub(details, "ImageCodecType", "JPEG")
    _sub(details, "ImageHeight", str(cover.size))
    _sub(details, "ImageWidth", str(cover.size))
    _file(details, cover.name, cover.sha256)

    releases = _sub(root, "ReleaseList")
    release = _sub(releases, "Release")
    _sub(release, "ReleaseReference", "R0")
    _sub(release, "ReleaseType", "Single")
    release_id = _sub(release, "ReleaseId")
    if info.upc:
        _sub(release_id, "ICPN", info.upc)
    _sub(release_id, "ProprietaryId", release_key, Namespace=sender)
    _title(release, info.release_title)
    _artists(release, info, artists, featured)
    _sub(release, "ReleaseLabelReference", label)
    _sub(_sub(release, "PLine"), "PLineText", info.p_line)
    _sub(release, "Duration", iso_duration(duration_seconds))
    _sub(_sub(release, "Genre"), "GenreText", info.genre)
    _sub(release, "ReleaseDate", info.release_date.isoformat())
    _sub(release, "ParentalWarningType", "Explicit" if info.explicit else "NotExplicit")
    group = _sub(release, "ResourceGroup")
    item = _sub(group, "ResourceGroupContentItem")
    _sub(item, "SequenceNumber", str(info.track_number))
    _sub(item, "ReleaseResourceReference", "A1")
    _sub(group, "LinkedReleaseResourceReference", "A2")

    track = _sub(releases, "TrackRelease")
    _sub(track, "ReleaseReference", "R1")
    _sub(_sub(track, "ReleaseId"), "ProprietaryId", f"{release_key}-1", Namespace=sender)
    _title(track, info.title)
    _sub(track, "ReleaseResourceReference", "A1")
    _sub(track, "LinkedReleaseResourceReference", "A2")
    _sub(track, "ReleaseLabelReference", label)
    _sub(_sub(track, "Genre"), "GenreText", info.genre)

    deals = _sub(root, "DealList")
    start = f"{info.release_date.isoformat()}T00:00:00"
    for reference in ("R0", "R1"):
        release_deal = _sub(deals, "ReleaseDeal")
        _sub(release_deal, "DealReleaseReference", reference)
        for model, use in _DEALS:
            terms = _sub(_sub(release_deal, "Deal"), "DealTerms")
            _sub(terms, "TerritoryCode", "Worldwide")
            _sub(_sub(terms, "ValidityPeriod"), "StartDateTime", start)
            _sub(terms, "CommercialModelType", model)
            _sub(terms, "UseType", use)
    ET.indent(root)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


def _artists(
    parent: ET.Element, info: ReleaseInfo, artists: list[str], featured: list[str]
) -> None:
    _sub(parent, "DisplayArtistName", info.display_artist)
    roles = [(ref, "MainArtist") for ref in artists] + [(ref, "FeaturedArtist") for ref in featured]
    for number, (reference, role) in enumerate(roles, start=1):
        artist = _sub(parent, "DisplayArtist", SequenceNumber=str(number))
        _sub(artist, "ArtistPartyReference", reference)
        _sub(artist, "DisplayArtistRole", role)


def _file(parent: ET.Element, name: str, sha256: str) -> None:
    file = _sub(parent, "File")
    _sub(file, "URI", name)
    hash_sum = _sub(file, "HashSum")
    _sub(hash_sum, "Algorithm", "SHA256")
    _sub(hash_sum, "HashSumValue", sha256)


def _sound_recording(
    resources: ET.Element,
    info: ReleaseInfo,
    people: tuple[list[str], list[str], list[tuple[str, str]]],
    duration_seconds: float,
    audio_files: Sequence[DeliveredAudio],
    ids: tuple[str, str],
) -> None:
    artists, featured, contributors = people
    sender, release_key = ids
    recording = _sub(resources, "SoundRecording")
    _sub(recording, "ResourceReference", "A1")
    _sub(recording, "Type", "MusicalWorkSoundRecording")
    edition = _sub(recording, "SoundRecordingEdition")
    resource_id = _sub(edition, "ResourceId")
    if info.isrc:
        _sub(resource_id, "ISRC", info.isrc)
    else:
        _sub(resource_id, "ProprietaryId", f"{release_key}-A1", Namespace=sender)
    p_line = _sub(edition, "PLine")
    _sub(p_line, "Year", str(info.release_date.year))
    _sub(p_line, "PLineText", info.p_line)
    for number, delivered in enumerate(audio_files, start=1):
        details = _sub(edition, "TechnicalDetails")
        _sub(details, "TechnicalResourceDetailsReference", f"T{number}")
        delivery = _sub(details, "DeliveryFile")
        _sub(delivery, "Type", "AudioFile")
        _sub(delivery, "AudioCodecType", delivered.codec)
        if delivered.bitrate_kbps is not None:
            _sub(delivery, "BitRate", str(delivered.bitrate_kbps))
        _sub(delivery, "NumberOfChannels", str(delivered.channels))
        _sub(delivery, "SamplingRate", str(delivered.sample_rate))
        if delivered.bits_per_sample is not None:
            _sub(delivery, "BitsPerSample", str(delivered.bits_per_sample))
        _file(delivery, delivered.name, delivered.sha256)
    _title(recording, info.title)
    _artists(recording, info, artists, featured)
    for number, (reference, role) in enumerate(contributors, start=1):
        contributor = _sub(recording, "Contributor", SequenceNumber=str(number))
        _sub(contributor, "ContributorPartyReference", reference)
        _sub(contributor, "Role", role)
    _sub(recording, "Duration", iso_duration(duration_seconds))
    _sub(recording, "ParentalWarningType", "Explicit" if info.explicit else "NotExplicit")
    _sub(recording, "LanguageOfPerformance", info.language)
