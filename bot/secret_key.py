"""The secret key behind anonymous contributions: never in the database.

It comes from COPBOT_SECRET_KEY, else from a key file outside the database
(COPBOT_SECRET_KEY_FILE, by default `$XDG_CONFIG_HOME/copbot/secret_key`, i.e.
`~/.config/copbot/secret_key`), created on first start with mode 0600. A key found in the
database (older versions kept it in `app_setting`) is never used, and is reported loudly.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

from sqlmodel import Session

from bot.storage.tables import AppSetting

log = logging.getLogger(__name__)

IN_DATABASE_WARNING = (
    "A SECRET KEY IS STORED IN THE DATABASE (app_setting 'secret_key'). Anyone with a copy of "
    "the database could use it to recompute who wrote open anonymous contributions. copbot "
    "does not use it: delete it (`copbot db upgrade` removes it) and keep the key outside the "
    "database (COPBOT_SECRET_KEY or the key file)."
)


def default_key_file(env: Mapping[str, str] | None = None) -> Path:
    """`$XDG_CONFIG_HOME/copbot/secret_key`, or `~/.config/copbot/secret_key`."""
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "copbot" / "secret_key"


def key_in_database(session: Session) -> bool:
    """True if an old version left a secret key in the database."""
    return session.get(AppSetting, "secret_key") is not None


def load_secret(session: Session, configured: str | None, key_file: str | None) -> bytes:
    """The key: COPBOT_SECRET_KEY, else the key file (made once, mode 0600). Warns loudly if
    a key sits in the database; never reads or writes one there."""
    if key_in_database(session):
        log.warning(IN_DATABASE_WARNING)
    if configured:
        return configured.encode()
    return read_or_create(Path(key_file) if key_file else default_key_file())


def read_or_create(path: Path) -> bytes:
    """Read the key file, creating it (mode 0600, in a 0700 folder) if it does not exist."""
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return _read(path)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    log.info("created the secret key file %s (keep it outside the database and its backups)", path)
    return _read(path)


def _read(path: Path) -> bytes:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("the secret key file %s can be read by others (mode %o): chmod 600", path, mode)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise ValueError(f"the secret key file {path} is too short (at least 32 characters)")
    return key.encode()
