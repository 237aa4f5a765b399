"""The dark theme: a Fusion palette plus resources/themes/dark.qss."""

from __future__ import annotations

import logging

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from rtcc_desktop.ui.resources import resource

log = logging.getLogger(__name__)


def dark_palette() -> QPalette:
    """Palette for widgets the style sheet does not reach (native dialogs, disabled text)."""
    p = QPalette()
    c = QPalette.ColorRole
    p.setColor(c.Window, QColor("#1b1e23"))
    p.setColor(c.WindowText, QColor("#e3e6ea"))
    p.setColor(c.Base, QColor("#12151a"))
    p.setColor(c.AlternateBase, QColor("#1c2026"))
    p.setColor(c.ToolTipBase, QColor("#262b33"))
    p.setColor(c.ToolTipText, QColor("#e3e6ea"))
    p.setColor(c.Text, QColor("#e3e6ea"))
    p.setColor(c.Button, QColor("#2a3038"))
    p.setColor(c.ButtonText, QColor("#e3e6ea"))
    p.setColor(c.BrightText, QColor("#ff453a"))
    p.setColor(c.Highlight, QColor("#2d5fa8"))
    p.setColor(c.HighlightedText, QColor("#ffffff"))
    p.setColor(c.Link, QColor("#7cc4ff"))
    p.setColor(c.PlaceholderText, QColor("#6c737c"))
    for role in (c.Text, c.WindowText, c.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6c737c"))
    return p


def apply_theme(app: QApplication, name: str = "dark") -> bool:
    """Apply a theme by name; False (and the default look) when its file is missing."""
    path = resource("themes", f"{name}.qss")
    try:
        qss = path.read_text(encoding="utf-8")
    except OSError:
        log.warning("theme %s not found at %s; using the default look", name, path)
        return False
    fusion = QStyleFactory.create("Fusion")
    if fusion is not None:
        app.setStyle(fusion)
    app.setPalette(dark_palette())
    app.setStyleSheet(qss)
    return True
