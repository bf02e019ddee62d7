"""What each kind of job takes: checked parameters (pydantic), and who may start it.

A request body is one of the specs below, told apart by ``kind``::

    {"kind": "render", "format": "flac", "sample_rate": 48000, "bit_depth": 24}

Every field has a range or a closed set of values, and unknown fields are refused, so a
bad request is a 422 naming the field before any work starts. The same models rebuild the
parameters inside a worker (:func:`parse_spec`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from bandmate.errors import BandmateError
from bandmate.master.targets import Target, custom_target, get_target
from bandmate.release.metadata import Credit, ReleaseInfo
from bandmate.release.metadata import Role as CreditRole
from bandmate.store.records import Role

JobKind = Literal["export-midi", "export-musicxml", "render", "master", "release", "analyze"]
KINDS: tuple[JobKind, ...] = (
    "export-midi",
    "export-musicxml",
    "render",
    "master",
    "release",
    "analyze",
)

NEEDED_ROLE: dict[JobKind, Role] = {
    "export-midi": "viewer",
    "export-musicxml": "viewer",
    "render": "viewer",
    "master": "editor",
    "release": "editor",
    "analyze": "viewer",
}
"""Reading the song (exports, renders) is for every member; mastering and releasing, which
speak for the project, are for editors and owners."""

AudioFormat = Literal["wav", "flac", "mp3"]
SampleRate = Literal[22050, 32000, 44100, 48000, 88200, 96000]
MP3_RATES = (32000, 44100, 48000)
Preset = Literal["spotify", "apple", "youtube", "tidal", "amazon", "soundcloud", "cd", "club"]
Style = Literal["balanced", "warm", "bright", "bass", "acoustic"]

Text = Annotated[str, Field(min_length=1, max_length=200)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_max_length=200)


class ExportMidi(_Spec):
    """The song as a Standard MIDI File."""

    kind: Literal["export-midi"]


class ExportMusicXml(_Spec):
    """The song as MusicXML (``compressed``: an ``.mxl`` archive)."""

    kind: Literal["export-musicxml"]
    compressed: bool = False


class _Audio(_Spec):
    format: AudioFormat = "wav"
    sample_rate: SampleRate = 44100
    bit_depth: Literal[16, 24] = 16

    @model_validator(mode="after")
    def _mp3_rate(self) -> _Audio:
        if self.format == "mp3" and self.sample_rate not in MP3_RATES:
            raise ValueError(
                f"sample_rate={self.sample_rate} must be one of "
                f"{', '.join(map(str, MP3_RATES))} for mp3"
            )
        return self


class Render(_Audio):
    """The song rendered to audio with the SoundFont synthesizer."""

    kind: Literal["render"]
    mp3_kbps: Literal[128, 192, 256, 320] = 320


class _Mastering(_Spec):
    target: Preset | Literal["custom"] = "spotify"
    lufs: float | None = Field(default=None, ge=-40.0, le=-5.0)
    ceiling_dbtp: float = Field(default=-1.0, ge=-9.0, le=-0.1)
    style: Style = "balanced"
    eq_amount: float = Field(default=0.5, ge=0.0, le=1.0)
    compression: float = Field(default=0.5, ge=0.0, le=1.0)
    width: float = Field(default=1.0, ge=0.0, le=2.0)

    @model_validator(mode="after")
    def _custom_needs_lufs(self) -> _Mastering:
        if self.target == "custom" and self.lufs is None:
            raise ValueError("target='custom' needs lufs (-40..-5)")
        if self.target != "custom" and self.lufs is not None:
            raise ValueError(f"lufs is only for target='custom', not target={self.target!r}")
        return self

    def loudness_target(self) -> Target:
        """The :class:`~bandmate.master.Target` these fields name."""
        if self.target == "custom":
            assert self.lufs is not None
            return custom_target(self.lufs, self.ceiling_dbtp)
        return get_target(self.target)


class Master(_Mastering):
    """The song rendered, then mastered; the result is a zip of the master and its report."""

    kind: Literal["master"]
    format: AudioFormat = "wav"
    sample_rate: Literal[44100, 48000, 88200, 96000] = 44100
    bit_depth: Literal[16, 24] = 24

    @model_validator(mode="after")
    def _mp3_rate(self) -> Master:
        if self.format == "mp3" and self.sample_rate not in MP3_RATES:
            raise ValueError(f"sample_rate={self.sample_rate} must be 44100 or 48000 for mp3")
        return self


class CreditIn(_Spec):
    """Someone credited on a release, and how."""

    name: Text
    role: CreditRole


class Release(_Mastering):
    """The song rendered, mastered and packaged for stores (WAV, FLAC, MP3, cover, DDEX)."""

    kind: Literal["release"]
    title: Text
    artists: list[Text] = Field(min_length=1, max_length=10)
    credits: list[CreditIn] = Field(default_factory=list, max_length=50)
    genre: Text = "Pop"
    label: Text | None = None
    isrc: str | None = Field(default=None, max_length=20)
    upc: str | None = Field(default=None, max_length=20)
    language: str = Field(default="en", max_length=35)
    explicit: bool = False
    sample_rate: Literal[44100, 48000, 96000] = 44100

    @model_validator(mode="after")
    def _metadata(self) -> Release:
        try:
            self.info()
        except BandmateError as exc:  # the release package's own rules, as a 422
            raise ValueError(str(exc)) from exc
        return self

    def info(self) -> ReleaseInfo:
        """The release metadata these fields describe.

        Raises:
            ReleaseError: When a field breaks a rule of the release package.
        """
        return ReleaseInfo(
            title=self.title,
            artists=tuple(self.artists),
            credits=tuple(Credit(c.name, c.role) for c in self.credits),
            genre=self.genre,
            label=self.label,
            isrc=self.isrc,
            upc=self.upc,
            language=self.language,
            explicit=self.explicit,
        )


class Analyze(_Spec):
    """Listen to the project's song (its notes), or to one of its uploaded loops.

    Started through ``POST /api/projects/{id}/analyze`` (see
    :mod:`bandmate.server.routes_listen`), which checks that the upload belongs to the
    project and fills in its blob: this kind is not accepted by the generic jobs endpoint.
    """

    kind: Literal["analyze"]
    upload_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$")
    blob: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")

    @model_validator(mode="after")
    def _both_or_neither(self) -> Analyze:
        if (self.upload_id is None) != (self.blob is None):
            raise ValueError("upload_id and blob go together (an upload) or are both absent")
        return self


JobSpec = Annotated[
    ExportMidi | ExportMusicXml | Render | Master | Release, Field(discriminator="kind")
]
"""The body of ``POST /api/projects/{id}/jobs``."""

AnySpec = ExportMidi | ExportMusicXml | Render | Master | Release | Analyze
"""Every kind, including those started by their own endpoints."""

_ADAPTER: TypeAdapter[AnySpec] = TypeAdapter(Annotated[AnySpec, Field(discriminator="kind")])


def parse_spec(kind: str, params: dict[str, Any]) -> AnySpec:
    """Rebuild a checked spec from a stored job's kind and parameters.

    Raises:
        pydantic.ValidationError: When they do not make a valid spec.
    """
    return _ADAPTER.validate_python({**params, "kind": kind})


def spec_params(spec: AnySpec) -> dict[str, Any]:
    """A spec's parameters as JSON values, without its kind (how a job stores them)."""
    return spec.model_dump(mode="json", exclude={"kind"})
