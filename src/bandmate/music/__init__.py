"""The music core: pure values and functions, no I/O, no server, no torch.

Everything else in Bandmate speaks in these types. Times are integer ticks at
the song's resolution; pitches are MIDI numbers, spelled in a key on demand.
"""

from __future__ import annotations

from bandmate.music.chord import Chord, parse_chord, transpose_chord, voice_chord, voice_lead
from bandmate.music.edit import append_song, delete_bars, insert_bars, join_songs, slice_bars
from bandmate.music.interval import Interval, parse_interval
from bandmate.music.key import Key, KeyMode, parse_key
from bandmate.music.pitch import (
    Pitch,
    hz_to_midi,
    midi_to_hz,
    midi_to_name,
    name_to_midi,
    parse_pitch,
)
from bandmate.music.quantize import quantize
from bandmate.music.roman import chord_to_roman, roman_to_chord
from bandmate.music.scale import Scale, parse_scale
from bandmate.music.song import (
    AudioClip,
    ChordEvent,
    Instrument,
    MeterChange,
    Note,
    Section,
    Song,
    TempoChange,
    Track,
)
from bandmate.music.time import BarBeat, TempoMap, song_duration_seconds
from bandmate.music.tracks import merge_tracks, rescale_ppq
from bandmate.music.transpose import transpose_key, transpose_song, transpose_song_diatonic

__all__ = [
    "AudioClip",
    "BarBeat",
    "Chord",
    "ChordEvent",
    "Instrument",
    "Interval",
    "Key",
    "KeyMode",
    "MeterChange",
    "Note",
    "Pitch",
    "Scale",
    "Section",
    "Song",
    "TempoChange",
    "TempoMap",
    "Track",
    "append_song",
    "chord_to_roman",
    "delete_bars",
    "hz_to_midi",
    "insert_bars",
    "join_songs",
    "merge_tracks",
    "midi_to_hz",
    "midi_to_name",
    "name_to_midi",
    "parse_chord",
    "parse_interval",
    "parse_key",
    "parse_pitch",
    "parse_scale",
    "quantize",
    "rescale_ppq",
    "roman_to_chord",
    "slice_bars",
    "song_duration_seconds",
    "transpose_chord",
    "transpose_key",
    "transpose_song",
    "transpose_song_diatonic",
    "voice_chord",
    "voice_lead",
]
