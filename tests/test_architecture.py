"""The shape of the package: imports point inward, the core stays pure."""

from __future__ import annotations

import subprocess
import sys

import pytest

import bandmate
from bandmate.assist.errors import AssistError
from bandmate.errors import (
    BandmateError,
    CliError,
    FormatError,
    MasterError,
    MusicError,
    ParseError,
    RenderError,
)
from bandmate.sync import DocumentError

HEAVY = ("torch", "sqlalchemy", "starlette", "fastapi", "pyspark", "music21", "numpy", "symusic")


def _modules_after_import(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    return set(out.split())


def test_music_core_imports_nothing_heavy() -> None:
    loaded = _modules_after_import("bandmate.music")
    assert "bandmate.music" in loaded
    leaked = sorted(m for m in loaded if m.split(".")[0] in HEAVY)
    assert leaked == []


def test_music_core_imports_no_outer_layer() -> None:
    loaded = _modules_after_import("bandmate.music")
    outer = sorted(
        m for m in loaded if m.startswith(("bandmate.formats", "bandmate.render", "bandmate.cli"))
    )
    assert outer == []


def test_formats_do_not_load_music21_until_needed() -> None:
    loaded = _modules_after_import("bandmate.formats")
    assert "music21" not in loaded


@pytest.mark.parametrize(
    "family",
    [
        MusicError,
        ParseError,
        FormatError,
        RenderError,
        MasterError,
        CliError,
        DocumentError,
        AssistError,
    ],
)
def test_every_error_family_descends_from_the_root(family: type[Exception]) -> None:
    assert issubclass(family, BandmateError)
    assert bandmate.BandmateError is BandmateError
