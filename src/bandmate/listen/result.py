"""The results of an analysis as frozen dataclasses, with JSON in and out.

Times are seconds from the start of the audio. Loudness values that are minus infinity
(silence) are ``None`` in these types and ``null`` in JSON.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from bandmate.listen.errors import ListenError
from bandmate.listen.mood import Mood

ANALYSIS_VERSION = 2
"""Bumped whenever a change alters results; part of the cache key (with the tagger's
version, :data:`bandmate.listen.tagger.TAGGER_VERSION`)."""


@dataclass(frozen=True, slots=True)
class KeyResult:
    """The key, its confidence and the runner-up.

    Attributes:
        name: ``"A minor"``, ``"Eb major"``.
        tonic: Tonic pitch class, 0..11.
        mode: ``"major"`` or ``"minor"``.
        confidence: 0..1, the margin over the runner-up, scaled.
        runner_up: The second-best key's name.
    """

    name: str
    tonic: int
    mode: str
    confidence: float
    runner_up: str


@dataclass(frozen=True, slots=True)
class ChordSpan:
    """A chord from ``start`` to ``end`` seconds.

    Attributes:
        start: Seconds.
        end: Seconds.
        label: Harte-style label (``C:maj``, ``A:min``, ``G:7``, ``N``), as mir_eval reads.
        symbol: Lead-sheet symbol (``C``, ``Am``, ``G7``, ``N.C.``).
    """

    start: float
    end: float
    label: str
    symbol: str


@dataclass(frozen=True, slots=True)
class LoudnessResult:
    """EBU R128 figures of the file, measured at its own rate and channels.

    Attributes:
        integrated_lufs: Integrated loudness (``None`` for silence).
        loudness_range_lu: Loudness range, LU.
        true_peak_dbtp: True peak (``None`` for silence).
        short_term_lufs: Short-term loudness every ``hop_seconds`` (``None`` = silence).
        hop_seconds: Time between short-term values.
    """

    integrated_lufs: float | None
    loudness_range_lu: float
    true_peak_dbtp: float | None
    short_term_lufs: tuple[float | None, ...]
    hop_seconds: float


@dataclass(frozen=True, slots=True)
class Tag:
    """A tag of the pretrained tagger with its score.

    Attributes:
        name: The tag as the model names it (``"rock"``, ``"Mellow"``, ``"80s"``).
        score: Probability-like score 0..1, averaged over the patches heard.
        kind: What it describes: ``"genre"``, ``"mood"``, ``"era"``, ``"voice"`` or
            ``"instrument"``.
    """

    name: str
    score: float
    kind: str


@dataclass(frozen=True, slots=True)
class AudioAnalysis:
    """Everything the listener hears in a recording.

    Attributes:
        version: :data:`ANALYSIS_VERSION` of the code that made it.
        sha256: Hash of the file's bytes ("" when analyzed from samples).
        seconds: Duration.
        sample_rate: The file's sample rate, Hz.
        channels: The file's channel count.
        key: The key.
        bpm: Global tempo, beats per minute (0 where no beat was found).
        tempo_confidence: 0..1.
        beats: Beat times, seconds.
        downbeats: Times of the beats that start bars, seconds.
        beats_per_bar: The meter guess, 3 or 4.
        meter_confidence: 0..1.
        chords: The chord timeline.
        beat_chroma: Treble chroma per beat [beats - 1 rows of 12], each row scaled to
            max 1, for plots.
        loudness: R128 figures.
        energy: Loudness on a 0..1 scale (-60 LUFS .. 0 LUFS).
        rhythm_strength: Pulse clarity 0..1 (onset energy on the beats vs between).
        brightness_hz: Mean spectral centroid, Hz.
        mood: Valence/arousal: the heuristic, nudged by the tagger's mood tags.
        tags: The tagger's best tags, the top few of each kind, best first (empty for
            silence).
        tagger: The tagger's version (``TAGGER_VERSION``) and how many 3-second patches
            it heard, e.g. ``"musicnn-0.1.0/1 MSD_musicnn 1 patch"``.
    """

    version: int
    sha256: str
    seconds: float
    sample_rate: int
    channels: int
    key: KeyResult
    bpm: float
    tempo_confidence: float
    beats: tuple[float, ...]
    downbeats: tuple[float, ...]
    beats_per_bar: int
    meter_confidence: float
    chords: tuple[ChordSpan, ...]
    beat_chroma: tuple[tuple[float, ...], ...]
    loudness: LoudnessResult
    energy: float
    rhythm_strength: float
    brightness_hz: float
    mood: Mood
    tags: tuple[Tag, ...] = ()
    tagger: str = ""

    def genres(self) -> tuple[Tag, ...]:
        """The style/genre tags, best first."""
        return tuple(t for t in self.tags if t.kind == "genre")

    def moods(self) -> tuple[Tag, ...]:
        """The mood tags, best first."""
        return tuple(t for t in self.tags if t.kind == "mood")

    def to_json(self) -> str:
        """The analysis as a JSON text (round-trips through :meth:`from_json`)."""
        return json.dumps(asdict(self), separators=(",", ":"), allow_nan=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> AudioAnalysis:
        """Parse :meth:`to_json` output.

        Raises:
            ListenError: for text that is not an analysis of this version.
        """
        try:
            data = json.loads(text)
            if data["version"] != ANALYSIS_VERSION:
                raise ListenError(
                    f"analysis version={data['version']!r} must be {ANALYSIS_VERSION}"
                )
            loud = data["loudness"]
            return cls(
                version=int(data["version"]),
                sha256=str(data["sha256"]),
                seconds=float(data["seconds"]),
                sample_rate=int(data["sample_rate"]),
                channels=int(data["channels"]),
                key=KeyResult(**data["key"]),
                bpm=float(data["bpm"]),
                tempo_confidence=float(data["tempo_confidence"]),
                beats=tuple(float(t) for t in data["beats"]),
                downbeats=tuple(float(t) for t in data["downbeats"]),
                beats_per_bar=int(data["beats_per_bar"]),
                meter_confidence=float(data["meter_confidence"]),
                chords=tuple(ChordSpan(**c) for c in data["chords"]),
                beat_chroma=tuple(tuple(float(v) for v in row) for row in data["beat_chroma"]),
                loudness=LoudnessResult(
                    integrated_lufs=_opt(loud["integrated_lufs"]),
                    loudness_range_lu=float(loud["loudness_range_lu"]),
                    true_peak_dbtp=_opt(loud["true_peak_dbtp"]),
                    short_term_lufs=tuple(_opt(v) for v in loud["short_term_lufs"]),
                    hop_seconds=float(loud["hop_seconds"]),
                ),
                energy=float(data["energy"]),
                rhythm_strength=float(data["rhythm_strength"]),
                brightness_hz=float(data["brightness_hz"]),
                mood=Mood(**data["mood"]),
                tags=tuple(
                    Tag(name=str(t["name"]), score=float(t["score"]), kind=str(t["kind"]))
                    for t in data["tags"]
                ),
                tagger=str(data["tagger"]),
            )
        except ListenError:
            raise
        except (ValueError, KeyError, TypeError) as exc:
            raise ListenError(f"not a stored analysis: {exc!r}") from exc


def _opt(value: Any) -> float | None:
    return None if value is None else float(value)
