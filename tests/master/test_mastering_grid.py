"""Every test track mastered to every preset meets its loudness target and true-peak ceiling.

The grid is the acceptance test of the issue: integrated loudness within 0.1 LU of the
target (the issue asks for 0.5, with 0.1 as the goal), true peak at or under the ceiling,
and no sample past full scale, in every case. Silence is left silent.
"""

from __future__ import annotations

import numpy as np
import pytest

from bandmate.master import integrated_loudness, true_peak
from bandmate.master.chain import master_audio
from bandmate.master.targets import PRESETS, Target, custom_target

from .tracks import RATE, TRACKS, track

TARGETS: list[Target] = [t for name, t in PRESETS.items() if name != "reference"]
TARGETS.append(custom_target(-11.0, -0.5))


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
@pytest.mark.parametrize("name", sorted(TRACKS))
def test_master_meets_target_and_ceiling(name: str, target: Target) -> None:
    audio = track(name)
    result = master_audio(audio, RATE, target=target)
    out = result.audio
    assert out.shape == (len(audio), 2)
    assert np.all(np.isfinite(out))
    assert float(np.max(np.abs(out))) <= 1.0
    assert true_peak(out, RATE) <= target.ceiling_dbtp
    if name == "pure_silence":
        assert not np.any(out)
        assert any("silent" in note for note in result.notes)
        return
    assert target.lufs is not None
    measured = integrated_loudness(out, RATE)
    assert abs(measured - target.lufs) <= 0.1
    assert result.after.integrated_lufs == pytest.approx(measured)
