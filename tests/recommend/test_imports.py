"""The recommendation layer stays light: no torch, no decoders, no implicit until a fit."""

from __future__ import annotations

import subprocess
import sys

from bandmate.errors import BandmateError
from bandmate.recommend import RecommendError


def test_import_loads_nothing_heavy() -> None:
    code = "import sys, bandmate.recommend; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    heavy = ("torch", "implicit", "soundfile", "pedalboard", "sqlalchemy", "starlette")
    assert sorted(m for m in out if m.split(".")[0] in heavy) == []
    assert "bandmate.listen.analyze" not in out


def test_errors_belong_to_the_family() -> None:
    assert issubclass(RecommendError, BandmateError)
