"""Analysis of a recording: the pipeline from decoded audio to :class:`AudioAnalysis`.

:func:`analyze_audio` is pure (samples in, result out); :func:`analyze_file` decodes a
file within bounds and caches results by content hash (sha256 of the file's bytes,
:data:`~bandmate.listen.result.ANALYSIS_VERSION` and the tagger's
:data:`~bandmate.listen.tagger.TAGGER_VERSION`) as JSON files in a cache folder.

Tags come from musicnn's Million Song Dataset model (genres, moods, eras, vocals; see
:mod:`bandmate.listen.tagger`). Its network costs about as much per 3-second patch as the
rest of the analysis does per 20 seconds of audio, so it hears one patch per
:data:`TAG_SECONDS_PER_PATCH` seconds of the track (at least one, at most
:data:`MAX_TAG_PATCHES`), spread evenly from start to end (one patch: the middle one).
"""

from __future__ import annotations

import hashlib
import math
import os
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from bandmate.errors import MasterError
from bandmate.listen import rhythm, spectra, tonal
from bandmate.listen.decode import DecodedAudio, analysis_rate_for, decode_file, to_mono
from bandmate.listen.errors import ListenError
from bandmate.listen.mood import estimate_mood
from bandmate.listen.result import (
    ANALYSIS_VERSION,
    AudioAnalysis,
    ChordSpan,
    KeyResult,
    LoudnessResult,
    Tag,
)
from bandmate.listen.tagger import TAG_KINDS, TAGGER_VERSION, ModelName, TagScores, tag_audio
from bandmate.master.loudness import measure_loudness
from bandmate.master.progress import ProgressCallback, Stages

LOUDNESS_HOP_SECONDS = 0.5
ONSET_LATENCY = 0.0
"""Seconds added to beat times to undo the onset detector's lead (frames are centred)."""
TAG_MODEL: ModelName = "MSD_musicnn"
TAG_SECONDS_PER_PATCH = 45.0
"""One 3-second tagger patch per this many seconds of audio (keeps analysis >= 50x realtime)."""
MAX_TAG_PATCHES = 8
TAGS_PER_KIND = 5


def analyze_audio(
    audio: DecodedAudio, *, sha256: str = "", progress: ProgressCallback | None = None
) -> AudioAnalysis:
    """Analyze decoded audio.

    Args:
        audio: The decoded file (see :func:`~bandmate.listen.decode.decode_file`).
        sha256: The file's hash, stored in the result.
        progress: Called as ``progress(fraction, message)``.

    Returns:
        The analysis.

    Raises:
        ListenError: if the loudness meter refuses the audio.
    """
    stages = Stages(progress)
    rate = audio.analysis_rate
    onsets = spectra.onset_features(
        audio.mono, rate, progress=lambda f: stages.report(0.35 * f, "rhythm")
    )
    chroma = spectra.chroma_features(
        audio.mono, rate, progress=lambda f: stages.report(0.35 + 0.35 * f, "harmony")
    )
    tempo = rhythm.estimate_tempo(onsets.envelope, onsets.frame_rate)
    beats = rhythm.track_beats(onsets.envelope, onsets.frame_rate, tempo.bpm) + ONSET_LATENCY
    stages.report(0.75, "beats")
    seconds = len(audio.mono) / rate
    edges = _beat_edges(beats, seconds, tempo.bpm)
    treble = tonal.beat_chroma(chroma.treble, chroma.frame_rate, edges)
    bass = tonal.beat_chroma(chroma.bass, chroma.frame_rate, edges)
    # Chords are decoded on half beats: in hymns and chorales the harmony moves on every
    # beat, and a tracker a little off the beat would blur two chords into one segment.
    halves = _half_beats(edges)
    chords = tonal.decode_chords(
        tonal.beat_chroma(chroma.treble, chroma.frame_rate, halves),
        tonal.beat_chroma(chroma.bass, chroma.frame_rate, halves),
    )
    candidates = tonal.key_candidates(chroma.treble, bass=chroma.bass, chords=chords)
    meter = rhythm.estimate_meter(_accents(treble, bass, onsets, beats))
    downbeats = beats[meter.first_downbeat :: meter.beats_per_bar]
    stages.report(0.8, "loudness")
    loudness = _loudness(audio)
    stages.report(0.85, "tags")
    tags, tag_scores, tagger = _tags(audio, silent=loudness.integrated_lufs is None)
    strength = _rhythm_strength(onsets.envelope, onsets.frame_rate, beats)
    energy = (
        0.0 if loudness.integrated_lufs is None else _clip01((loudness.integrated_lufs + 60) / 60)
    )
    loud_frames = onsets.rms > 0.01 * max(float(onsets.rms.max(initial=0.0)), 1e-9)
    brightness = float(np.mean(onsets.centroid[loud_frames])) if loud_frames.any() else 0.0
    key = _key_result(candidates)
    best_major = max(c.score for c in candidates if c.mode == "major")
    best_minor = max(c.score for c in candidates if c.mode == "minor")
    mood = estimate_mood(
        major=math.tanh(8.0 * (best_major - best_minor)),
        bpm=tempo.bpm if len(beats) else 0.0,
        energy=energy,
        brightness_hz=brightness,
        rhythm_strength=strength,
        tags=tag_scores,
    )
    stages.report(1.0, "done")
    return AudioAnalysis(
        version=ANALYSIS_VERSION,
        sha256=sha256,
        seconds=round(audio.seconds, 4),
        sample_rate=audio.sample_rate,
        channels=audio.channels,
        key=key,
        bpm=round(tempo.bpm, 3) if len(beats) else 0.0,
        tempo_confidence=round(tempo.confidence, 4) if len(beats) else 0.0,
        beats=tuple(round(float(t), 4) for t in beats),
        downbeats=tuple(round(float(t), 4) for t in downbeats),
        beats_per_bar=meter.beats_per_bar,
        meter_confidence=round(meter.confidence, 4),
        chords=_spans(chords, halves),
        beat_chroma=tuple(
            tuple(round(float(v), 3) for v in row / max(float(row.max()), 1e-9)) for row in treble
        ),
        loudness=loudness,
        energy=round(energy, 4),
        rhythm_strength=round(strength, 4),
        brightness_hz=round(brightness, 1),
        mood=mood,
        tags=tags,
        tagger=tagger,
    )


def tag_patches_for(seconds: float) -> int:
    """How many 3-second patches the tagger hears in a track of ``seconds``."""
    return max(1, min(MAX_TAG_PATCHES, int(seconds // TAG_SECONDS_PER_PATCH)))


def _tags(
    audio: DecodedAudio, *, silent: bool
) -> tuple[tuple[Tag, ...], dict[str, float] | None, str]:
    """The top tags of each kind, all scores by name, and the tagger's description."""
    if silent:  # the network still answers on silence, but nothing was heard
        return (), None, f"{TAGGER_VERSION} {TAG_MODEL} 0 patches (silence)"
    scored = tag_audio(
        audio.samples,
        audio.sample_rate,
        model=TAG_MODEL,
        max_patches=tag_patches_for(audio.seconds),
    )
    count = len(scored.starts)
    described = f"{TAGGER_VERSION} {TAG_MODEL} {count} patch{'es' if count > 1 else ''}"
    scores = {name: float(v) for name, v in zip(scored.tags, scored.scores, strict=True)}
    return _top_tags(scored), scores, described


def _top_tags(scored: TagScores) -> tuple[Tag, ...]:
    """The best :data:`TAGS_PER_KIND` tags of each kind, all sorted by score."""
    kept: list[Tag] = []
    taken: dict[str, int] = {}
    for name, score in scored.top(len(scored.tags)):
        kind = TAG_KINDS.get(name, "other")
        if taken.get(kind, 0) < TAGS_PER_KIND:
            taken[kind] = taken.get(kind, 0) + 1
            kept.append(Tag(name=name, score=round(score, 4), kind=kind))
    return tuple(kept)


def analyze_samples(
    samples: NDArray[np.floating], sample_rate: int, *, progress: ProgressCallback | None = None
) -> AudioAnalysis:
    """Analyze audio already in memory.

    Args:
        samples: Audio [shape=(n,) or (n, channels)], full scale 1.0, 1..8 channels.
        sample_rate: Its rate, 8000..192000 Hz.
        progress: Called as ``progress(fraction, message)``.

    Raises:
        ListenError: for an empty array, a bad rate or channel count, or NaN/infinity.
    """
    frames = np.asarray(samples, dtype=np.float32)
    if frames.ndim == 1:
        frames = frames[:, None]
    if frames.ndim != 2 or not 1 <= frames.shape[1] <= 8 or len(frames) == 0:
        raise ListenError(f"samples shape={np.shape(samples)} must be (n>0,) or (n>0, 1..8)")
    if not 8_000 <= sample_rate <= 192_000:
        raise ListenError(f"sample_rate={sample_rate} must be in 8000..192000 Hz")
    if not np.isfinite(frames).all():
        raise ListenError("samples hold NaN or infinity")
    rate = analysis_rate_for(sample_rate)
    decoded = DecodedAudio(
        mono=to_mono(frames, sample_rate, rate),
        samples=np.ascontiguousarray(frames),
        sample_rate=sample_rate,
        analysis_rate=rate,
    )
    return analyze_audio(decoded, progress=progress)


def file_sha256(path: str | os.PathLike[str]) -> str:
    """sha256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def analyze_file(
    path: str | os.PathLike[str],
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: ProgressCallback | None = None,
) -> AudioAnalysis:
    """Decode and analyze an audio file, using and filling a cache.

    Args:
        path: A WAV, FLAC, OGG or MP3 file.
        cache_dir: Folder of cached results (created if missing); ``None`` for no cache.
        progress: Called as ``progress(fraction, message)``.

    Returns:
        The analysis (from the cache when the same bytes were analyzed by this version).

    Raises:
        ListenError: for a file that cannot be decoded or is out of bounds.
    """
    source = Path(path)
    if not source.is_file():
        raise ListenError(f"audio file {os.fspath(source)!r} does not exist or is not a file")
    sha = file_sha256(source)
    cached = cache_path(cache_dir, sha) if cache_dir is not None else None
    if cached is not None and cached.is_file():
        try:
            return AudioAnalysis.from_json(cached.read_bytes())
        except ListenError:
            cached.unlink(missing_ok=True)  # a damaged or stale entry is redone
    stages = Stages(progress)
    stages.report(0.0, "decoding")
    audio = decode_file(source)
    result = analyze_audio(audio, sha256=sha, progress=stages.nested(0.1, 1.0).report)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(result.to_json(), encoding="utf-8")
        partial.replace(cached)  # atomic: readers never see half a file
    return result


def cache_path(cache_dir: str | os.PathLike[str], sha256: str) -> Path:
    """Where the analysis of the bytes with this hash is cached."""
    tagger = TAGGER_VERSION.replace("/", "_")
    return Path(cache_dir) / f"{sha256}-v{ANALYSIS_VERSION}-{tagger}.json"


def _beat_edges(beats: NDArray[np.float64], seconds: float, bpm: float) -> NDArray[np.float64]:
    """Segment edges for beat-synchronous features: 0, the beats, the end."""
    if len(beats) == 0:
        # No pulse: fixed half-second segments keep the chord timeline meaningful.
        return np.append(np.arange(0.0, seconds, 0.5), seconds)
    edges = np.concatenate([[0.0], beats, [seconds]])
    edges = np.clip(edges, 0.0, seconds)
    keep = np.concatenate([[True], np.diff(edges) > 1e-3])
    out: NDArray[np.float64] = edges[keep]
    return out


def _half_beats(edges: NDArray[np.float64]) -> NDArray[np.float64]:
    """The edges with a point added halfway between each pair."""
    if len(edges) < 2:
        return edges
    halves = np.empty(2 * len(edges) - 1)
    halves[0::2] = edges
    halves[1::2] = (edges[:-1] + edges[1:]) / 2
    return halves


def _spans(chords: list[tuple[int, str]], edges: NDArray[np.float64]) -> tuple[ChordSpan, ...]:
    spans: list[ChordSpan] = []
    for i, (root, quality) in enumerate(chords):
        start, end = float(edges[i]), float(edges[i + 1])
        label = tonal.chord_label(root, quality)
        if spans and spans[-1].label == label:
            spans[-1] = ChordSpan(spans[-1].start, round(end, 4), label, spans[-1].symbol)
        else:
            spans.append(
                ChordSpan(round(start, 4), round(end, 4), label, tonal.chord_symbol(root, quality))
            )
    return tuple(spans)


def _accents(
    treble: NDArray[np.float32],
    bass: NDArray[np.float32],
    onsets: spectra.OnsetFeatures,
    beats: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Per-beat downbeat evidence: harmonic change, bass onset, onset strength, level."""
    if len(beats) == 0:
        return np.zeros(0)
    # Segment i + 1 of the beat-synchronous chroma starts at beat i.
    seg = np.concatenate([treble, bass], axis=1).astype(np.float64)
    seg /= np.maximum(np.linalg.norm(seg, axis=1, keepdims=True), 1e-9)
    novelty = np.zeros(len(beats))
    for i in range(len(beats)):
        if i + 1 < len(seg):
            novelty[i] = 1.0 - float(seg[i + 1] @ seg[i])
    last = len(onsets.envelope) - 1
    frames = np.clip(np.round(beats * onsets.frame_rate).astype(np.int64), 0, last)
    # The level just after each beat: accented beats are louder.
    level = np.array([float(onsets.rms[max(f - 2, 0) : f + 5].max()) for f in frames])
    parts = [
        novelty,
        onsets.low_envelope[frames].astype(np.float64),
        onsets.envelope[frames].astype(np.float64),
        20.0 * np.log10(np.maximum(level, 1e-6)),
    ]
    total = np.zeros(len(beats))
    for part, weight in zip(parts, (1.0, 0.7, 0.3, 1.0), strict=True):
        spread = part.std()
        if spread > 1e-12:
            total += weight * (part - part.mean()) / spread
    return total


def _rhythm_strength(
    envelope: NDArray[np.float32], frame_rate: float, beats: NDArray[np.float64]
) -> float:
    if len(beats) < 2 or len(envelope) == 0:
        return 0.0
    frames = np.clip(np.round(beats * frame_rate).astype(np.int64), 0, len(envelope) - 1)
    on = float(np.mean([envelope[max(0, f - 2) : f + 3].max() for f in frames]))
    overall = float(envelope.mean())
    return _clip01((on - overall) / (on + overall + 1e-9))


def _key_result(candidates: list[tonal.KeyCandidate]) -> KeyResult:
    best, second = candidates[0], candidates[1]
    margin = best.score - second.score
    return KeyResult(
        name=best.name,
        tonic=best.tonic,
        mode=best.mode,
        confidence=round(_clip01(margin * 5.0), 4) if best.score > 0 else 0.0,
        runner_up=second.name,
    )


def _loudness(audio: DecodedAudio) -> LoudnessResult:
    try:
        report = measure_loudness(
            audio.samples, audio.sample_rate, hop_seconds=LOUDNESS_HOP_SECONDS
        )
    except MasterError as exc:
        raise ListenError(f"cannot measure loudness: {exc}") from exc

    def finite(value: float) -> float | None:
        return round(float(value), 3) if math.isfinite(value) else None

    return LoudnessResult(
        integrated_lufs=finite(report.integrated_lufs),
        loudness_range_lu=round(float(report.loudness_range_lu), 3),
        true_peak_dbtp=finite(report.true_peak_dbtp),
        short_term_lufs=tuple(finite(v) for v in report.short_term),
        hop_seconds=round(report.hop_seconds, 6),
    )


def _clip01(value: float) -> float:
    return float(min(1.0, max(0.0, value)))
