"""Console output for the windowed Windows build.

The packaged GUI has no console window, so Windows gives it no stdout. When it
is started from a console with a subcommand (``rtcc-desktop.exe self-test``),
attach to that console so the report is printed where the installer typed.
"""

from __future__ import annotations

import sys


def attach_parent_console() -> bool:
    """Attach stdout/stderr to the parent console; True when it did."""
    if not sys.platform.startswith("win") or not getattr(sys, "frozen", False):
        return False
    if sys.stdout is not None and sys.stdout.isatty():
        return False
    import ctypes

    ATTACH_PARENT_PROCESS = -1
    if not ctypes.windll.kernel32.AttachConsole(ATTACH_PARENT_PROCESS):  # type: ignore[attr-defined]
        return False
    sys.stdout = open("CONOUT$", "w", encoding="utf-8", buffering=1)  # noqa: SIM115 - lives for the process
    sys.stderr = open("CONOUT$", "w", encoding="utf-8", buffering=1)  # noqa: SIM115
    return True
