"""Imports point inward: storage and accounts load no web stack; the core loads neither."""

from __future__ import annotations

import subprocess
import sys

import pytest

WEB = ("fastapi", "starlette", "uvicorn", "httpx", "pydantic")


def _loaded_by(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    return {name.split(".")[0] for name in out.split()} | set(out.split())


@pytest.mark.parametrize("module", ["bandmate.store", "bandmate.auth"])
def test_storage_and_accounts_load_no_web_stack(module: str) -> None:
    loaded = _loaded_by(module)
    assert module in loaded
    assert sorted(set(WEB) & loaded) == []
    assert not any(name.startswith("bandmate.server") for name in loaded)


def test_the_music_core_loads_no_edge() -> None:
    loaded = _loaded_by("bandmate.music")
    edges = ("bandmate.store", "bandmate.auth", "bandmate.server", "sqlalchemy", "argon2")
    assert sorted(name for name in loaded if name.startswith(edges)) == []
