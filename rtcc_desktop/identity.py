"""Who is at the console: the name the audit log records with every search and change."""

from __future__ import annotations

import getpass


def current_user() -> str:
    """The OS login name, or "unknown" where there is none (some service contexts)."""
    try:
        return getpass.getuser()
    except Exception:  # getpass raises OSError/KeyError/ImportError depending on the platform
        return "unknown"
