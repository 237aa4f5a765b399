"""The wall's look and label helpers: the style sheet, plain-text labels, dynamic style properties, local HH:MM."""

from __future__ import annotations

import logging
from datetime import tzinfo
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from rtcc_desktop.model.timeutil import from_iso
from rtcc_desktop.ui.resources import resource

log = logging.getLogger(__name__)


def _polish(widget: QWidget) -> None:
    """Re-apply the style sheet after a dynamic property changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


def set_prop(widget: QWidget, name: str, value: Any) -> None:
    if widget.property(name) != value:
        widget.setProperty(name, value)
        _polish(widget)


def plain_label(text: str = "", name: str = "", parent: QWidget | None = None) -> QLabel:
    """A label that never interprets markup: feed text is untrusted."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    if name:
        label.setObjectName(name)
    return label


def wall_style() -> str:
    try:
        return resource("wall", "wall.qss").read_text(encoding="utf-8")
    except OSError:
        log.warning("wall style sheet missing; the wall uses the default look")
        return ""


def local_hhmm(iso: str, tz: tzinfo) -> str:
    try:
        return from_iso(iso).astimezone(tz).strftime("%H:%M")
    except ValueError:
        return "--:--"


__all__ = ["local_hhmm", "plain_label", "set_prop", "wall_style"]
