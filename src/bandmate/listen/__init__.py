"""Listening: key, tempo, beats, chords, loudness, mood and style tags of recordings and
songs.

The main entry points are :func:`analyze_file` (an audio file, bounded and cached),
:func:`analyze_samples` (audio in memory), :func:`analyze_song` (a symbolic song) and
:func:`analyze_file_bounded` (decoding and analysis in a child process with time and
memory limits, for the server); :func:`tag_audio` runs the musicnn tagger alone.
"""

from __future__ import annotations

from bandmate.listen.analyze import analyze_audio, analyze_file, analyze_samples
from bandmate.listen.decode import DecodedAudio, decode_file
from bandmate.listen.errors import ListenError
from bandmate.listen.result import ANALYSIS_VERSION, AudioAnalysis, Tag
from bandmate.listen.tagger import TAGGER_VERSION, TagScores, tag_audio

__all__ = [
    "ANALYSIS_VERSION",
    "TAGGER_VERSION",
    "AudioAnalysis",
    "DecodedAudio",
    "ListenError",
    "Tag",
    "TagScores",
    "analyze_audio",
    "analyze_file",
    "analyze_samples",
    "decode_file",
    "tag_audio",
]
