"""The HTTP server: FastAPI app, settings, guards, and the uvicorn entry point.

Typical use (what ``bandmate serve`` does)::

    from bandmate.server import run, settings_from_env
    run(settings_from_env())
"""

from __future__ import annotations

from bandmate.server.app import build_server, create_app, run
from bandmate.server.services import Studio, build_studio, studio_of
from bandmate.server.settings import Settings, SettingsError, settings_from_env

__all__ = [
    "Settings",
    "SettingsError",
    "Studio",
    "build_server",
    "build_studio",
    "create_app",
    "run",
    "settings_from_env",
    "studio_of",
]
