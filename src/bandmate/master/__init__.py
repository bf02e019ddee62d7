"""Mastering: metering (ITU-R BS.1770-4, EBU R128), one-click mastering to a target.

Functions take ``audio`` as a float array [shape=(n,) or (n, channels)] with full scale 1.0,
and the sample rate in Hz; options are keyword-only. Files are mastered by
:func:`bandmate.master.files.master_file` (imported from there: it draws reports with
matplotlib, which this package does not load until asked).
"""

from __future__ import annotations

from bandmate.errors import MasterError
from bandmate.master.audio_io import AudioClip, read_audio, write_audio
from bandmate.master.chain import MasterResult, master_audio
from bandmate.master.loudness import (
    LoudnessReport,
    integrated_loudness,
    loudness_range,
    measure_loudness,
    momentary_loudness,
    short_term_loudness,
)
from bandmate.master.targets import PRESETS, Target, custom_target, get_target, parse_target
from bandmate.master.truepeak import oversampling_factor, sample_peak, true_peak
from bandmate.master.weighting import ChannelLabel, channel_weights, k_weighting_sos

__all__ = [
    "PRESETS",
    "AudioClip",
    "ChannelLabel",
    "LoudnessReport",
    "MasterError",
    "MasterResult",
    "Target",
    "channel_weights",
    "custom_target",
    "get_target",
    "integrated_loudness",
    "k_weighting_sos",
    "loudness_range",
    "master_audio",
    "measure_loudness",
    "momentary_loudness",
    "oversampling_factor",
    "parse_target",
    "read_audio",
    "sample_peak",
    "short_term_loudness",
    "true_peak",
    "write_audio",
]
