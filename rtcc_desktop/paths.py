"""Where data and settings live: per-user places, never next to the executable."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "rtcc-desktop"


def data_dir() -> Path:
    """Per-user data folder (the cache database, tiles, snapshots); ``RTCC_HOME`` overrides."""
    override = os.environ.get("RTCC_HOME")
    return Path(override) / "data" if override else Path(platformdirs.user_data_dir(APP, appauthor=False))


def config_dir() -> Path:
    override = os.environ.get("RTCC_HOME")
    return Path(override) / "config" if override else Path(platformdirs.user_config_dir(APP, appauthor=False))


def default_db() -> Path:
    return data_dir() / "rtcc.sqlite"


def demo_db() -> Path:
    return data_dir() / "demo.sqlite"


def default_config() -> Path:
    return config_dir() / "feeds.toml"


def ensure(path: Path) -> Path:
    """Create the parent folder of ``path`` on first use."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
