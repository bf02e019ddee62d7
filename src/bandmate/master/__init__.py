"""Mastering: loudness, loudness range and peak metering per ITU-R BS.1770-4 and EBU R128.

Functions take ``audio`` as a float array [shape=(n,) or (n, channels)] with full scale 1.0,
and the sample rate in Hz; options are keyword-only.
"""

from __future__ import annotations

from bandmate.errors import MasterError
from bandmate.master.loudness import (
    LoudnessReport,
    integrated_loudness,
    loudness_range,
    measure_loudness,
    momentary_loudness,
    short_term_loudness,
)
from bandmate.master.truepeak import oversampling_factor, sample_peak, true_peak
from bandmate.master.weighting import ChannelLabel, channel_weights, k_weighting_sos

__all__ = [
    "ChannelLabel",
    "LoudnessReport",
    "MasterError",
    "channel_weights",
    "integrated_loudness",
    "k_weighting_sos",
    "loudness_range",
    "measure_loudness",
    "momentary_loudness",
    "oversampling_factor",
    "sample_peak",
    "short_term_loudness",
    "true_peak",
]
