"""Settings come from BANDMATE_* variables, in one function, with checked values."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bandmate.server.settings import SECRET_FILE, SettingsError, settings_from_env


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = settings_from_env({})
    assert settings.data_dir == tmp_path / "data"
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bandmate.db'}"
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.allowed_origins == ()
    assert settings.max_body_bytes == 1 << 20
    assert settings.blob_dir == tmp_path / "data" / "blobs"
    assert settings.job_workers == 1
    assert settings.job_dir == tmp_path / "data" / "jobs"


def test_every_variable_is_read(tmp_path: Path) -> None:
    settings = settings_from_env(
        {
            "BANDMATE_DATA_DIR": str(tmp_path / "d"),
            "BANDMATE_DATABASE_URL": "postgresql://db.internal/bandmate",
            "BANDMATE_HOST": "0.0.0.0",
            "BANDMATE_PORT": "9001",
            "BANDMATE_ALLOWED_ORIGINS": "https://Studio.example.org, http://localhost:5173",
            "BANDMATE_SECRET": "s" * 40,
            "BANDMATE_LOG_LEVEL": "debug",
            "BANDMATE_JOB_WORKERS": "3",
        }
    )
    assert settings.data_dir == tmp_path / "d"
    assert settings.database_url == "postgresql://db.internal/bandmate"
    assert (settings.host, settings.port) == ("0.0.0.0", 9001)
    assert settings.allowed_origins == ("https://studio.example.org", "http://localhost:5173")
    assert settings.secret == "s" * 40
    assert settings.log_level == "DEBUG"
    assert settings.job_workers == 3
    assert not (tmp_path / "d" / SECRET_FILE).exists()


def test_the_secret_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    env = {"BANDMATE_DATA_DIR": str(tmp_path)}
    first = settings_from_env(env)
    second = settings_from_env(env)
    assert first.secret == second.secret
    assert len(first.secret) >= 32
    mode = stat.S_IMODE((tmp_path / SECRET_FILE).stat().st_mode)
    assert mode == 0o600
    assert first.secret not in repr(first)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("BANDMATE_PORT", "http", "BANDMATE_PORT='http' must be an integer in 1..65535"),
        ("BANDMATE_PORT", "70000", "must be an integer in 1..65535"),
        ("BANDMATE_ALLOWED_ORIGINS", "evil.example", "must look like https://host"),
        ("BANDMATE_ALLOWED_ORIGINS", "https://a.example/path", "must look like"),
        ("BANDMATE_SECRET", "short", "needs at least 32"),
        ("BANDMATE_LOG_LEVEL", "loud", "must be one of"),
        ("BANDMATE_DATABASE_URL", "mysql://db/x", "must use sqlite or postgresql"),
        ("BANDMATE_JOB_WORKERS", "0", "BANDMATE_JOB_WORKERS='0' must be an integer in 1..64"),
        ("BANDMATE_JOB_WORKERS", "many", "must be an integer in 1..64"),
    ],
)
def test_bad_values_are_refused_with_the_rule(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(".", r"\.")):
        settings_from_env({"BANDMATE_DATA_DIR": str(tmp_path), name: value})


def test_a_truncated_secret_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / SECRET_FILE).write_text("short\n")
    with pytest.raises(SettingsError, match="needs at least 32"):
        settings_from_env({"BANDMATE_DATA_DIR": str(tmp_path)})


def test_ice_servers_and_turn_secret_are_read(tmp_path: Path) -> None:
    settings = settings_from_env(
        {
            "BANDMATE_DATA_DIR": str(tmp_path),
            "BANDMATE_ICE_SERVERS": "stun:stun.example.org,turn:turn.example.org:3478",
            "BANDMATE_TURN_SECRET": "t" * 20,
            "BANDMATE_TURN_TTL_S": "600",
        }
    )
    assert [s.urls for s in settings.ice_servers] == [
        ("stun:stun.example.org",),
        ("turn:turn.example.org:3478",),
    ]
    assert settings.turn_secret == "t" * 20
    assert settings.turn_ttl_s == 600
    assert "t" * 20 not in repr(settings)
    assert settings_from_env({"BANDMATE_DATA_DIR": str(tmp_path)}).ice_servers == ()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BANDMATE_ICE_SERVERS": "turn:turn.example.org"}, "needs credentials"),
        ({"BANDMATE_ICE_SERVERS": "http://x"}, "BANDMATE_ICE_SERVERS"),
        ({"BANDMATE_TURN_TTL_S": "5"}, "BANDMATE_TURN_TTL_S"),
        ({"BANDMATE_TURN_TTL_S": "soon"}, "BANDMATE_TURN_TTL_S"),
    ],
)
def test_bad_ice_settings_are_refused(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        settings_from_env({"BANDMATE_DATA_DIR": str(tmp_path), **env})
