"""Rendering songs to audio: SoundFont synthesis and audio files.

The main entry points are :func:`render_song` (a song to a stereo numpy
buffer), :func:`write_audio` (a buffer to WAV, FLAC or MP3) and
:func:`render_to_file` (both, with a clipping safety and a report).
"""

from __future__ import annotations

from bandmate.render.bounce import RenderResult, render_to_file
from bandmate.render.soundfont import bundled_soundfont, check_soundfont, find_soundfont
from bandmate.render.synth import render_song
from bandmate.render.write import peak_dbfs, write_audio

__all__ = [
    "RenderResult",
    "bundled_soundfont",
    "check_soundfont",
    "find_soundfont",
    "peak_dbfs",
    "render_song",
    "render_to_file",
    "write_audio",
]
