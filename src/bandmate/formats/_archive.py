"""Guards for untrusted MusicXML: compressed (.mxl) archives and XML entities.

A ``.mxl`` file is a zip archive. Before anything is inflated, its directory
is checked: member count, total declared size, each member's compression
ratio and its name (no absolute paths, no ``..``). The score is then read in
memory with a read capped at its declared size, so a member whose header
lies about its size cannot inflate past the cap either. Nothing is written to
disk.

XML with entity declarations (``<!ENTITY``, the "billion laughs" attack and
external entities) is refused outright: MusicXML has no use for them.
"""

from __future__ import annotations

import io
import re
import zipfile

from bandmate.errors import FormatError

MAX_XML_BYTES = 64 * 1024 * 1024
"""The most bytes of XML read from a file or archive (64 MiB)."""
MAX_MEMBERS = 256
"""The most members an .mxl archive may hold."""
MAX_RATIO = 200
"""The largest compression ratio accepted for a member (real MusicXML compresses ~10-30x)."""

_ROOTFILE = re.compile(rb"""<rootfile[^>]*?full-path\s*=\s*["']([^"']+)["']""")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_ENCODING = re.compile(rb"""(<\?xml[^>]*?encoding\s*=\s*["'])[^"']*(["'])""")


def is_zip(data: bytes) -> bool:
    """Whether ``data`` starts like a zip archive."""
    return data[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def check_xml(data: bytes, what: str) -> bytes:
    """Refuse XML that declares entities; return the document as UTF-8.

    Args:
        data: The document, in UTF-8 or (with a byte-order mark) UTF-16.
        what: The document's role, for messages.

    Returns:
        The document in UTF-8, its XML declaration saying so.

    Raises:
        FormatError: When the document holds ``<!ENTITY`` or is not valid UTF-16.
    """
    if data[:2] in _UTF16_BOMS:
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise FormatError(f"{what}: invalid UTF-16: {exc}") from exc
        data = _ENCODING.sub(rb"\1UTF-8\2", text.encode("utf-8"), count=1)
    if b"<!ENTITY" in data.upper():
        raise FormatError(f"{what}: XML entity declarations (<!ENTITY) are not accepted")
    return data


def _check_member(info: zipfile.ZipInfo) -> None:
    name = info.filename
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
        raise FormatError(f"MusicXML archive member name={name!r} must be a relative path")
    if info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise FormatError(
            f"MusicXML archive member {name!r}: compression ratio "
            f"{info.file_size // max(info.compress_size, 1)} exceeds the limit of {MAX_RATIO}"
        )


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    with archive.open(info) as handle:
        data = handle.read(info.file_size + 1)
    if len(data) > info.file_size:
        raise FormatError(f"MusicXML archive member {info.filename!r} is larger than it declares")
    return data


def unzip_musicxml(data: bytes) -> bytes:
    """The score document inside a compressed MusicXML (.mxl) archive.

    Args:
        data: The archive's bytes.

    Returns:
        The root score's XML bytes (named by ``META-INF/container.xml``, else
        the first ``.xml``/``.musicxml`` member outside ``META-INF``).

    Raises:
        FormatError: For a broken archive, a zip bomb, a hostile member name,
            or an archive without a score.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise FormatError(f"MusicXML archive is not a valid zip file: {exc}") from exc
    if len(infos) > MAX_MEMBERS:
        raise FormatError(
            f"MusicXML archive members={len(infos)} exceeds the limit of {MAX_MEMBERS}"
        )
    total = sum(info.file_size for info in infos)
    if total > MAX_XML_BYTES:
        raise FormatError(
            f"MusicXML archive unpacks to {total} bytes, the limit is {MAX_XML_BYTES}"
        )
    for info in infos:
        _check_member(info)
    by_name = {info.filename: info for info in infos}
    try:
        root = None
        if "META-INF/container.xml" in by_name:
            container = check_xml(
                _read_member(archive, by_name["META-INF/container.xml"]), "MusicXML container"
            )
            match = _ROOTFILE.search(container)
            root = by_name.get(match.group(1).decode("utf-8", "replace")) if match else None
        if root is None:
            root = next(
                (
                    info
                    for info in infos
                    if info.filename.endswith((".xml", ".musicxml"))
                    and not info.filename.startswith("META-INF/")
                ),
                None,
            )
        if root is None:
            raise FormatError("MusicXML archive holds no score (.xml or .musicxml member)")
        return _read_member(archive, root)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as exc:
        raise FormatError(f"MusicXML archive is damaged: {exc}") from exc


def zip_musicxml(xml: bytes, name: str = "score.musicxml") -> bytes:
    """Pack a MusicXML document as a compressed .mxl archive."""
    container = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<container><rootfiles>'
        f'<rootfile full-path="{name}" media-type="application/vnd.recordare.musicxml+xml"/>'
        "</rootfiles></container>\n"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.recordare.musicxml", zipfile.ZIP_STORED)
        archive.writestr("META-INF/container.xml", container, zipfile.ZIP_DEFLATED)
        archive.writestr(name, xml, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
