"""Listening: key, tempo, beats, chords, loudness and mood of recordings and songs.

The main entry points are :func:`analyze_file` (an audio file, bounded and cached),
:func:`analyze_samples` (audio in memory), :func:`analyze_song` (a symbolic song) and
:func:`analyze_file_bounded` (decoding and analysis in a child process with time and
memory limits, for the server).
"""

from __future__ import annotations

from bandmate.listen.analyze import analyze_audio, analyze_file, analyze_samples
from bandmate.listen.decode import DecodedAudio, decode_file
from bandmate.listen.errors import ListenError
from bandmate.listen.result import ANALYSIS_VERSION, AudioAnalysis

__all__ = [
    "ANALYSIS_VERSION",
    "AudioAnalysis",
    "DecodedAudio",
    "ListenError",
    "analyze_audio",
    "analyze_file",
    "analyze_samples",
    "decode_file",
]
