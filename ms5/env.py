"""Typed helpers for reading settings from the environment.

Every setting MS5 reads from the environment goes through one of these helpers, so a bad value stops start-up
with ``ImproperlyConfigured`` naming the variable, instead of surfacing later as a confusing runtime error.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None else value


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean; use true or false.")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} is below the minimum of {minimum}.")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"{name}={number} is above the maximum of {maximum}.")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_secret(name: str, *, required: bool, fallback_file: Path | None = None) -> str:
    """Read a secret from ``NAME`` or from the file named by ``NAME_FILE`` (Docker/systemd credentials).

    For local runs (``required=False``) a random secret is generated once and kept in ``fallback_file``, so
    sessions survive a restart without a secret ever being committed to the repository.
    """
    value = os.environ.get(name)
    file_name = os.environ.get(f"{name}_FILE")
    if value and file_name:
        raise ImproperlyConfigured(f"Set either {name} or {name}_FILE, not both.")
    if file_name:
        try:
            value = Path(file_name).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_name!r} cannot be read: {exc.strerror}.") from None
    if value:
        if required and len(value) < 32:
            raise ImproperlyConfigured(f"{name} must be at least 32 characters long in production mode.")
        return value
    if required or fallback_file is None:
        raise ImproperlyConfigured(f"{name} must be set (or {name}_FILE) in production mode.")
    fallback_file.parent.mkdir(parents=True, exist_ok=True)
    if not fallback_file.exists():
        fallback_file.write_text(secrets.token_urlsafe(50))
        fallback_file.chmod(0o600)
    return fallback_file.read_text().strip()


def parse_database_url(name: str, url: str, *, base_dir: Path) -> dict:
    """Turn ``sqlite:///path`` or ``postgres://user@host:port/db`` into a Django DATABASES entry."""
    parts = urlsplit(url)
    options = dict(parse_qsl(parts.query))
    if parts.scheme == "sqlite":
        raw_path = unquote(parts.path)
        if raw_path in ("", "/"):
            raise ImproperlyConfigured(f"{name}={url!r} names no SQLite file (use sqlite:///var/ms5.sqlite3).")
        # sqlite:///var/db.sqlite3 (three slashes) is relative to the project; sqlite:////abs/db.sqlite3 is absolute.
        path = Path(raw_path[1:])
        if not path.is_absolute():
            path = base_dir / path
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(path),
            "OPTIONS": {
                # WAL lets the web process, the PLC worker and Celery read while one of them writes; IMMEDIATE
                # transactions plus a busy timeout make writers queue instead of failing with "database is locked".
                "transaction_mode": "IMMEDIATE",
                "timeout": float(options.get("timeout", 20)),
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            },
            "TEST": {"NAME": str(path.with_name(path.stem + "_test.sqlite3"))},
        }
    if parts.scheme in ("postgres", "postgresql", "pgsql"):
        db_name = unquote(parts.path.lstrip("/"))
        if not db_name:
            raise ImproperlyConfigured(f"{name}={url!r} names no database.")
        config = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": db_name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": int(options.pop("conn_max_age", 60)),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {k: v for k, v in options.items()},
            # Parallel test runs on one server need distinct test databases (MS5_TEST_DB_NAME).
            "TEST": {"NAME": os.environ.get("MS5_TEST_DB_NAME") or f"test_{db_name}"},
        }
        return config
    raise ImproperlyConfigured(
        f"{name}={url!r} has an unsupported scheme {parts.scheme!r}; use sqlite:///… or postgres://…."
    )
