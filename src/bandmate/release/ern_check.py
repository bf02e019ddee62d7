"""A structural check of ERN 4.3 NewReleaseMessages, by hand, against the schema's rules.

This is not a full XML Schema validation (that needs the DDEX XSD files, which are not
shipped); it checks what a receiving system relies on:

- the root element, its namespace and its required attributes;
- the top-level composites and their order (MessageHeader, PartyList, ResourceList,
  ReleaseList, DealList);
- the required children of every composite we emit (MessageHeader, Party, SoundRecording
  and its edition and technical details, Image, Release, TrackRelease, ReleaseDeal) and the
  order of those children, which the schema fixes (``xs:sequence``);
- anchors: ``P``, ``A``, ``R`` and ``T`` references are well formed and unique, and every
  reference to one points at an anchor that exists;
- values with a fixed syntax: ISRC, ICPN, durations, dates, SHA-256 sums.

:func:`check_new_release_message` returns the problems found, one sentence each.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable

from bandmate.release.ddex import ERN_NAMESPACE

_TOP = ("MessageHeader", "PartyList", "ResourceList", "ReleaseList", "DealList")
# Required children, in schema order, and the optional ones we emit, where they go.
_SEQUENCES: dict[str, tuple[tuple[str, bool], ...]] = {
    "MessageHeader": (("MessageThreadId", False), ("MessageId", True), ("MessageSender", True),
                      ("MessageRecipient", True), ("MessageCreatedDateTime", True),
                      ("MessageControlType", False)),
    "Party": (("PartyReference", True), ("PartyName", True)),
    "SoundRecording": (("ResourceReference", True), ("Type", True),
                       ("SoundRecordingEdition", True), ("DisplayTitleText", True),
                       ("DisplayTitle", True), ("DisplayArtistName", True),
                       ("DisplayArtist", True), ("Contributor", False), ("Duration", True),
                       ("ParentalWarningType", True), ("LanguageOfPerformance", False)),
    "SoundRecordingEdition": (("ResourceId", True), ("PLine", False),
                              ("TechnicalDetails", False)),
    "Image": (("ResourceReference", True), ("Type", True), ("ResourceId", True),
              ("TechnicalDetails", False)),
    "Release": (("ReleaseReference", True), ("ReleaseType", True), ("ReleaseId", True),
                ("DisplayTitleText", True), ("DisplayTitle", True),
                ("DisplayArtistName", True), ("DisplayArtist", True),
                ("ReleaseLabelReference", True), ("PLine", False), ("Duration", False),
                ("Genre", True), ("ReleaseDate", False), ("ParentalWarningType", True),
                ("ResourceGroup", True)),
    "TrackRelease": (("ReleaseReference", True), ("ReleaseId", True),
                     ("DisplayTitleText", False), ("DisplayTitle", False),
                     ("ReleaseResourceReference", True),
                     ("LinkedReleaseResourceReference", False),
                     ("ReleaseLabelReference", True), ("Genre", True)),
    "ReleaseDeal": (("DealReleaseReference", True), ("Deal", True)),
    "Deal": (("DealTerms", True),),  # optional in the schema, but a deal says nothing without
    "DealTerms": (("TerritoryCode", False), ("ValidityPeriod", True),
                  ("CommercialModelType", False), ("UseType", True)),
    "DisplayArtist": (("ArtistPartyReference", True), ("DisplayArtistRole", True)),
    "Contributor": (("ContributorPartyReference", True), ("Role", True)),
}  # fmt: skip
_ANCHORS = {
    "PartyReference": "P",
    "ResourceReference": "A",
    "ReleaseReference": "R",
    "TechnicalResourceDetailsReference": "T",
}
_REFERENCES = {
    "ArtistPartyReference": "PartyReference",
    "ContributorPartyReference": "PartyReference",
    "ReleaseLabelReference": "PartyReference",
    "ReleaseResourceReference": "ResourceReference",
    "LinkedReleaseResourceReference": "ResourceReference",
    "DealReleaseReference": "ReleaseReference",
}
_PATTERNS = {
    "ISRC": re.compile(r"[A-Z]{2}[A-Z0-9]{3}[0-9]{7}"),
    "ICPN": re.compile(r"[0-9]{12,13}"),
    "Duration": re.compile(r"PT(\d+H)?(\d+M)?\d+(\.\d+)?S"),
    "HashSumValue": re.compile(r"[0-9a-f]{64}"),
    "ReleaseDate": re.compile(r"\d{4}(-\d{2}(-\d{2})?)?"),
    "MessageCreatedDateTime": re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}.*"),
    "StartDateTime": re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}"),
}


def _order_problems(element: ET.Element, rules: tuple[tuple[str, bool], ...]) -> Iterable[str]:
    names = [child.tag for child in element]
    known = [name for name, _ in rules]
    for name, required in rules:
        if required and name not in names:
            yield f"{element.tag} lacks its required {name}"
    positions = [known.index(n) for n in names if n in known]
    if positions != sorted(positions):
        yield f"{element.tag}'s children are out of schema order: {', '.join(names)}"


def check_new_release_message(xml: bytes | str) -> list[str]:
    """Check an ERN 4.3 NewReleaseMessage's structure.

    Args:
        xml: The message.

    Returns:
        Problems found, one sentence each; empty when the message passes.
    """
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        return [f"not well-formed XML: {exc}"]
    problems: list[str] = []
    if root.tag != f"{{{ERN_NAMESPACE}}}NewReleaseMessage":
        return [f"root element is {root.tag}, not ern:NewReleaseMessage ({ERN_NAMESPACE})"]
    for attribute in ("LanguageAndScriptCode", "AvsVersionId"):
        if not root.get(attribute):
            problems.append(f"NewReleaseMessage lacks the required attribute {attribute}")
    top = [child.tag for child in root]
    for name in _TOP[:4]:
        if top.count(name) != 1:
            problems.append(
                f"NewReleaseMessage must hold exactly one {name} (has {top.count(name)})"
            )
    order = [_TOP.index(t) for t in top if t in _TOP]
    if order != sorted(order) or any(t not in _TOP for t in top):
        problems.append(f"NewReleaseMessage's children are out of order or unknown: {top}")
    for tag, rules in _SEQUENCES.items():
        for element in root.iter(tag):
            problems.extend(_order_problems(element, rules))
    problems.extend(_anchor_problems(root))
    for tag, pattern in _PATTERNS.items():
        for element in root.iter(tag):
            if not pattern.fullmatch((element.text or "").strip()):
                problems.append(f"{tag}={element.text!r} does not match {pattern.pattern}")
    if not any(True for _ in root.iter("SoundRecording")):
        problems.append("ResourceList holds no SoundRecording")
    for release in root.iter("Release"):
        if not any(True for _ in release.iter("ReleaseResourceReference")):
            problems.append("Release's ResourceGroup references no resource")
    return problems


def _anchor_problems(root: ET.Element) -> Iterable[str]:
    anchors: dict[str, set[str]] = {}
    for tag, letter in _ANCHORS.items():
        values = [(e.text or "").strip() for e in root.iter(tag)]
        pattern = re.compile(letter + r"[\d\-_a-zA-Z]+")
        for value in values:
            if not pattern.fullmatch(value):
                yield f"{tag}={value!r} must be {letter} followed by letters or digits"
        for value, count in Counter(values).items():
            if count > 1:
                yield f"{tag}={value!r} is defined {count} times; anchors must be unique"
        anchors[tag] = set(values)
    for tag, anchor in _REFERENCES.items():
        for element in root.iter(tag):
            value = (element.text or "").strip()
            if value not in anchors[anchor]:
                yield f"{tag}={value!r} points at no {anchor}"
