"""BS.1770-4 weighting: the K-weighting filter at any sample rate, and the channel weights.

ITU-R BS.1770-4 tabulates the two K-weighting biquads for 48 kHz only. Other rates use the
analog prototype behind that table (a high-shelf "pre-filter" modelling the head, and the
"RLB" high-pass) mapped to the digital domain with the bilinear transform, prewarped at each
stage's corner frequency. The prototype constants are the ones libebur128 fitted to the 48 kHz
table; at 48 kHz they give the table's coefficients back to within 1e-15. Unlike libebur128,
the high-pass keeps the table's passband gain at every rate, so the response stays within
0.01 dB of the 48 kHz one at 32 kHz and above (0.05 dB at 16 kHz, 0.21 dB at 8 kHz, where
the bilinear transform bends the shelf).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from bandmate.errors import MasterError
from bandmate.master._checks import check_sample_rate

ChannelLabel = Literal["L", "R", "C", "LFE", "Ls", "Rs", "Lss", "Rss", "Lrs", "Rrs"]
"""A loudspeaker position: front left/right/centre, LFE, surround (about ±110°),
side surround (±90°) and rear surround (±135° to ±150°)."""

CHANNEL_WEIGHTS: dict[str, float] = {
    "L": 1.0,
    "R": 1.0,
    "C": 1.0,
    "LFE": 0.0,
    "Ls": 1.41,
    "Rs": 1.41,
    "Lss": 1.41,
    "Rss": 1.41,
    "Lrs": 1.0,
    "Rrs": 1.0,
}
"""BS.1770-4 channel weight G per label: 1.41 (+1.5 dB) for loudspeakers between ±60° and
±120° azimuth, 1.0 for the others, and 0 for the LFE channel, which is not measured."""

DEFAULT_LAYOUTS: dict[int, tuple[ChannelLabel, ...]] = {
    1: ("C",),
    2: ("L", "R"),
    3: ("L", "R", "C"),
    4: ("L", "R", "Ls", "Rs"),
    5: ("L", "R", "C", "Ls", "Rs"),
    6: ("L", "R", "C", "LFE", "Ls", "Rs"),
    7: ("L", "R", "C", "Lss", "Rss", "Lrs", "Rrs"),
    8: ("L", "R", "C", "LFE", "Lss", "Rss", "Lrs", "Rrs"),
}
"""The channel order assumed for each channel count when no layout is given (5.1 is the
SMPTE/ITU order ``L R C LFE Ls Rs``). Mono is one front channel: a full-scale 1 kHz sine
reads -3.01 LUFS, as BS.1770 specifies for a single channel."""

# Analog prototype of the K-weighting filter (libebur128's fit to the BS.1770 48 kHz table).
_SHELF_HZ = 1681.974450955533
_SHELF_GAIN_DB = 3.999843853973347
_SHELF_Q = 0.7071752369554196
_SHELF_BANDPASS_EXPONENT = 0.4996667741545416
_HIGHPASS_HZ = 38.13547087602444
_HIGHPASS_Q = 0.5003270373238773
_TABLE_RATE = 48_000.0


def k_weighting_sos(sample_rate: float) -> NDArray[np.float64]:
    """Design the K-weighting filter for a sample rate, as second-order sections.

    Args:
        sample_rate: Sample rate in Hz, 8000..384000.

    Returns:
        The two biquads [shape=(2, 6)] in ``scipy.signal.sosfilt`` order
        ``(b0, b1, b2, 1, a1, a2)``: first the high-shelf pre-filter (+4 dB above about
        1.7 kHz), then the RLB high-pass (about 38 Hz).

    Raises:
        MasterError: if the sample rate is out of range.
    """
    rate = check_sample_rate(sample_rate)

    k = math.tan(math.pi * _SHELF_HZ / rate)
    vh = 10.0 ** (_SHELF_GAIN_DB / 20.0)
    vb = vh**_SHELF_BANDPASS_EXPONENT
    a0 = 1.0 + k / _SHELF_Q + k * k
    shelf = [
        (vh + vb * k / _SHELF_Q + k * k) / a0,
        2.0 * (k * k - vh) / a0,
        (vh - vb * k / _SHELF_Q + k * k) / a0,
        1.0,
        2.0 * (k * k - 1.0) / a0,
        (1.0 - k / _SHELF_Q + k * k) / a0,
    ]

    highpass = [*_highpass_numerator(rate), 1.0, *_highpass_denominator(rate)]
    return np.array([shelf, highpass], dtype=np.float64)


def _highpass_denominator(rate: float) -> tuple[float, float]:
    k = math.tan(math.pi * _HIGHPASS_HZ / rate)
    a0 = 1.0 + k / _HIGHPASS_Q + k * k
    return 2.0 * (k * k - 1.0) / a0, (1.0 - k / _HIGHPASS_Q + k * k) / a0


def _highpass_numerator(rate: float) -> tuple[float, float, float]:
    # The table's RLB numerator is (1, -2, 1), which leaves its passband gain at
    # 4 / (1 - a1 + a2) ~= +0.04 dB. Scaling the numerator keeps that gain at every rate;
    # a bare (1, -2, 1), as in libebur128, drifts by up to +0.2 dB at 8 kHz.
    gain = _passband_gain(*_highpass_denominator(_TABLE_RATE)) / _passband_gain(
        *_highpass_denominator(rate)
    )
    return gain, -2.0 * gain, gain


def _passband_gain(a1: float, a2: float) -> float:
    """Gain at the Nyquist frequency of a (1, -2, 1) numerator over (1, a1, a2)."""
    return 4.0 / (1.0 - a1 + a2)


def channel_weights(
    channels: int, *, channels_layout: Sequence[ChannelLabel] | None = None
) -> NDArray[np.float64]:
    """Return the BS.1770 weight of each channel.

    Args:
        channels: Number of channels, 1..8.
        channels_layout: One label per channel, e.g. ``("L", "R", "C", "LFE", "Ls", "Rs")``.
            ``None`` takes the default order for the channel count (see ``DEFAULT_LAYOUTS``).

    Returns:
        Weights [shape=(channels,)]: 1.0, 1.41, or 0.0 for LFE.

    Raises:
        MasterError: if the layout has the wrong length or an unknown label.
    """
    if channels not in DEFAULT_LAYOUTS:
        raise MasterError(f"channels={channels} must be in 1..{max(DEFAULT_LAYOUTS)}")
    layout: Sequence[str] = (
        DEFAULT_LAYOUTS[channels] if channels_layout is None else channels_layout
    )
    if isinstance(layout, str) or len(layout) != channels:
        raise MasterError(
            f"channels_layout={layout!r} must name exactly {channels} channels, one label each"
        )
    unknown = [label for label in layout if label not in CHANNEL_WEIGHTS]
    if unknown:
        raise MasterError(
            f"channels_layout has unknown labels {unknown}; known: {', '.join(CHANNEL_WEIGHTS)}"
        )
    return np.array([CHANNEL_WEIGHTS[label] for label in layout], dtype=np.float64)
