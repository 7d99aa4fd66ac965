"""ms5/env.py helpers, and start-up failures of ms5/settings.py: a bad value stops start-up naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from ms5 import env

ROOT = Path(__file__).resolve().parent.parent


# --- helpers -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw,expected", [("1", True), ("true", True), ("Yes", True), ("off", False), ("", False)])
def test_env_bool(monkeypatch, raw, expected):
    monkeypatch.setenv("MS5_X", raw)
    assert env.env_bool("MS5_X") is expected


def test_env_bool_rejects_other_values(monkeypatch):
    monkeypatch.setenv("MS5_X", "maybe")
    with pytest.raises(ImproperlyConfigured, match="MS5_X"):
        env.env_bool("MS5_X")


def test_env_int_bounds(monkeypatch):
    monkeypatch.delenv("MS5_N", raising=False)
    assert env.env_int("MS5_N", 7) == 7
    monkeypatch.setenv("MS5_N", "12")
    assert env.env_int("MS5_N", 7, minimum=1, maximum=20) == 12
    for raw, message in (("twelve", "not a whole number"), ("0", "below the minimum"), ("99", "above the maximum")):
        monkeypatch.setenv("MS5_N", raw)
        with pytest.raises(ImproperlyConfigured, match=f"MS5_N.*{message}"):
            env.env_int("MS5_N", 7, minimum=1, maximum=20)


def test_env_list(monkeypatch):
    monkeypatch.setenv("MS5_L", " a, b ,,c ")
    assert env.env_list("MS5_L", []) == ["a", "b", "c"]
    monkeypatch.delenv("MS5_L")
    assert env.env_list("MS5_L", ["x"]) == ["x"]


def test_env_secret_generated_and_kept_for_local_runs(monkeypatch, tmp_path):
    monkeypatch.delenv("MS5_S", raising=False)
    monkeypatch.delenv("MS5_S_FILE", raising=False)
    first = env.env_secret("MS5_S", required=False, fallback_file=tmp_path / "secret")
    assert len(first) >= 50
    assert env.env_secret("MS5_S", required=False, fallback_file=tmp_path / "secret") == first
    assert oct((tmp_path / "secret").stat().st_mode & 0o777) == "0o600"


def test_env_secret_required(monkeypatch, tmp_path):
    monkeypatch.delenv("MS5_S", raising=False)
    monkeypatch.delenv("MS5_S_FILE", raising=False)
    with pytest.raises(ImproperlyConfigured, match="MS5_S must be set"):
        env.env_secret("MS5_S", required=True, fallback_file=tmp_path / "secret")
    monkeypatch.setenv("MS5_S", "short")
    with pytest.raises(ImproperlyConfigured, match="at least 32"):
        env.env_secret("MS5_S", required=True)
    secret_file = tmp_path / "s.txt"
    secret_file.write_text("x" * 40 + "\n")
    monkeypatch.delenv("MS5_S")
    monkeypatch.setenv("MS5_S_FILE", str(secret_file))
    assert env.env_secret("MS5_S", required=True) == "x" * 40
    monkeypatch.setenv("MS5_S", "y" * 40)
    with pytest.raises(ImproperlyConfigured, match="not both"):
        env.env_secret("MS5_S", required=True)


def test_parse_database_url_sqlite_and_postgres(tmp_path):
    sqlite = env.parse_database_url("DATABASE_URL", "sqlite:///var/x.sqlite3", base_dir=tmp_path)
    assert sqlite["ENGINE"] == "django.db.backends.sqlite3"
    assert sqlite["NAME"] == str(tmp_path / "var" / "x.sqlite3")
    assert "journal_mode=WAL" in sqlite["OPTIONS"]["init_command"] and sqlite["OPTIONS"]["timeout"] == 20
    absolute = env.parse_database_url("DATABASE_URL", "sqlite:////srv/ms5.db", base_dir=tmp_path)
    assert absolute["NAME"] == "/srv/ms5.db"
    pg = env.parse_database_url("DATABASE_URL", "postgres://ms5:p%40ss@db.local:5433/plant?sslmode=require",
                                base_dir=tmp_path)
    assert (pg["ENGINE"], pg["NAME"], pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"]) == (
        "django.db.backends.postgresql", "plant", "ms5", "p@ss", "db.local", "5433")
    assert pg["OPTIONS"] == {"sslmode": "require"}


@pytest.mark.parametrize("url,message", [
    ("mysql://root@localhost/ms5", "unsupported scheme 'mysql'"),
    ("postgres://postgres@127.0.0.1:5432/", "names no database"),
    ("sqlite:///", "names no SQLite file"),
])
def test_parse_database_url_refuses_bad_urls(url, message, tmp_path):
    with pytest.raises(ImproperlyConfigured, match=f"DATABASE_URL.*{message}"):
        env.parse_database_url("DATABASE_URL", url, base_dir=tmp_path)


# --- start-up in a fresh interpreter -------------------------------------------------------------------------


def start_up(tmp_path, **overrides) -> subprocess.CompletedProcess:
    """Import the settings in a new process with a clean MS5 environment plus ``overrides``."""
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith("MS5_") and k not in ("DATABASE_URL", "REDIS_URL")}
    environ.update({"DJANGO_SETTINGS_MODULE": "ms5.settings", "MS5_VAR_DIR": str(tmp_path / "var")})
    environ.update(overrides)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
                               "print(settings.DATABASES['default']['ENGINE'], settings.TIME_ZONE)"],
        cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60,
    )


def test_default_start_up_succeeds(tmp_path):
    result = start_up(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "UTC"]
    assert (tmp_path / "var" / "secret_key").exists()


@pytest.mark.parametrize("overrides,named", [
    ({"DATABASE_URL": "mysql://root@127.0.0.1/ms5"}, "DATABASE_URL"),
    ({"MS5_TIME_ZONE": "Mars/Olympus_Mons"}, "MS5_TIME_ZONE"),
    ({"MS5_PRODUCTION": "true", "MS5_ALLOWED_HOSTS": "ms5.plant.local"}, "MS5_SECRET_KEY"),
    ({"MS5_PRODUCTION": "true", "MS5_SECRET_KEY": "k" * 50}, "MS5_ALLOWED_HOSTS"),
    ({"MS5_PRODUCTION": "true", "MS5_DEBUG": "true", "MS5_SECRET_KEY": "k" * 50}, "MS5_DEBUG"),
    ({"REDIS_URL": "http://127.0.0.1:6379"}, "REDIS_URL"),
    ({"MS5_CHANNELS_BACKEND": "channels_redis.core.RedisChannelLayer"}, "MS5_CHANNELS_BACKEND"),
    ({"MS5_LOCKOUT_FAILURES": "0"}, "MS5_LOCKOUT_FAILURES"),
    ({"MS5_DEBUG": "sometimes"}, "MS5_DEBUG"),
])
def test_misconfiguration_stops_start_up_naming_the_variable(tmp_path, overrides, named):
    result = start_up(tmp_path, **overrides)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured"), result.stderr
    assert named in last_line


def test_production_start_up_with_everything_given(tmp_path):
    result = start_up(tmp_path, MS5_PRODUCTION="true", MS5_SECRET_KEY="k" * 50, MS5_ALLOWED_HOSTS="ms5.plant.local",
                      MS5_TIME_ZONE="Europe/Berlin")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "Europe/Berlin"]
    assert not (tmp_path / "var" / "secret_key").exists()


def test_every_variable_of_the_settings_is_documented():
    import re

    source = (ROOT / "ms5" / "settings.py").read_text()
    names = set(re.findall(r'"((?:MS5_[A-Z0-9_]+)|DATABASE_URL|REDIS_URL)"', source))
    assert {"MS5_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "MS5_TIME_ZONE"} <= names
    documented = (ROOT / "docs" / "configuration.md").read_text()
    missing = sorted(name for name in names if f"`{name}`" not in documented)
    assert not missing, f"variables read in ms5/settings.py but not described in docs/configuration.md: {missing}"
